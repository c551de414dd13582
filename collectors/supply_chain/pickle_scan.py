"""Static pickle inspection: which globals a pickle would import and call, without unpickling it.

Unpickling is code execution: ``GLOBAL``/``STACK_GLOBAL``/``INST`` import any callable and
``REDUCE``/``NEWOBJ``/``OBJ``/``BUILD`` call it. This module walks the opcode stream with
``pickletools.genops`` and a symbolic stack (literals kept, everything else a placeholder), so a
``STACK_GLOBAL`` whose module and name arrive through the memo is still resolved. Nothing is ever
imported or called. joblib's raw array blocks, which interrupt the opcode stream, are skipped
using the array wrapper's own recorded shape and dtype.
"""

from __future__ import annotations

import contextlib
import fnmatch
import pickletools
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import IO, Any

# Globals a plain-data, numpy, joblib or PyTorch tensor pickle needs; none of them runs code
# chosen by the pickle's author beyond rebuilding data.
DEFAULT_SAFE_GLOBALS = frozenset(
    {
        "builtins.set",
        "builtins.frozenset",
        "builtins.bytearray",
        "builtins.bytes",
        "builtins.complex",
        "builtins.slice",
        "builtins.range",
        "builtins.list",
        "builtins.dict",
        "builtins.tuple",
        "builtins.int",
        "builtins.float",
        "builtins.str",
        "builtins.bool",
        "builtins.object",
        "__builtin__.set",
        "__builtin__.frozenset",
        "__builtin__.object",
        "copyreg._reconstructor",
        "copy_reg._reconstructor",
        "copyreg.__newobj__",
        "_codecs.encode",
        "collections.OrderedDict",
        "collections.Counter",
        "datetime.datetime",
        "datetime.date",
        "datetime.time",
        "datetime.timedelta",
        "datetime.timezone",
        "decimal.Decimal",
        "fractions.Fraction",
        "numpy.ndarray",
        "numpy.dtype",
        "numpy.core.multiarray._reconstruct",
        "numpy._core.multiarray._reconstruct",
        "numpy.core.multiarray.scalar",
        "numpy._core.multiarray.scalar",
        "numpy.core.numeric._frombuffer",
        "numpy._core.numeric._frombuffer",
        "joblib.numpy_pickle.NumpyArrayWrapper",
        "torch._utils._rebuild_tensor",
        "torch._utils._rebuild_tensor_v2",
        "torch._utils._rebuild_parameter",
        "torch._utils._rebuild_parameter_with_state",
        "torch.Size",
        "torch.device",
    }
)
_TORCH_STORAGE = re.compile(
    r"^torch\.(?:\w+Storage|storage\.UntypedStorage|storage\.TypedStorage)$"
)
_TORCH_DTYPE = re.compile(
    r"^torch\.(?:u?int(?:8|16|32|64)|float(?:16|32|64)|bfloat16|bool|complex(?:64|128)|half|double|long|short)$"
)

# Imports that run commands, load more code or open files/sockets: always unsafe, even when an
# allow pattern would match them.
DANGEROUS_MODULES = frozenset(
    {
        "os",
        "posix",
        "nt",
        "posixpath",
        "ntpath",
        "subprocess",
        "sys",
        "shutil",
        "socket",
        "ssl",
        "http",
        "urllib",
        "urllib2",
        "requests",
        "httpx",
        "webbrowser",
        "importlib",
        "imp",
        "runpy",
        "pty",
        "pickle",
        "_pickle",
        "cPickle",
        "dill",
        "cloudpickle",
        "marshal",
        "types",
        "ctypes",
        "code",
        "codeop",
        "pdb",
        "bdb",
        "timeit",
        "multiprocessing",
        "asyncio",
        "threading",
        "signal",
        "tempfile",
        "io",
        "_io",
        "glob",
        "zipimport",
        "pydoc",
        "commands",
        "platform",
    }
)
DANGEROUS_GLOBALS = frozenset(
    {
        "builtins.eval",
        "builtins.exec",
        "builtins.compile",
        "builtins.open",
        "builtins.getattr",
        "builtins.setattr",
        "builtins.delattr",
        "builtins.__import__",
        "builtins.globals",
        "builtins.locals",
        "builtins.vars",
        "builtins.input",
        "builtins.breakpoint",
        "builtins.apply",
        "builtins.execfile",
        "__builtin__.eval",
        "__builtin__.exec",
        "__builtin__.getattr",
        "__builtin__.__import__",
        "__builtin__.open",
        "__builtin__.apply",
        "__builtin__.execfile",
        "operator.attrgetter",
        "operator.methodcaller",
        "operator.getitem",
        "functools.partial",
        "torch.load",
        "torch.storage._load_from_bytes",
        "numpy.load",
        "numpy.testing._private.utils.runstring",
        "joblib.load",
        "joblib._pickle",
    }
)

CALL_OPS = frozenset({"REDUCE", "NEWOBJ", "NEWOBJ_EX", "OBJ", "INST", "BUILD"})
CONTAINER_CAP = 1000  # items kept per list/dict; more are counted, not stored
MAX_OPS = 50_000_000
MAX_NESTED = 16


class PickleFormatError(ValueError):
    """The stream is not a well-formed pickle (or uses a feature the scanner cannot follow)."""


@dataclass
class GlobalUse:
    ref: str  # "module.name"
    verdict: str  # "safe", "unknown", "dangerous"
    opcode: str
    pos: int
    calls: set[str] = field(default_factory=set)
    count: int = 1


@dataclass
class Issue:
    kind: str  # dangerous_global, unknown_global, indirect_call, unresolved_global, extension
    message: str
    pos: int
    ref: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "ref": self.ref, "pos": self.pos, "message": self.message}


@dataclass
class ScanResult:
    globals: dict[str, GlobalUse] = field(default_factory=dict)
    issues: list[Issue] = field(default_factory=list)
    opcodes: int = 0
    pickles: int = 0
    joblib_arrays: int = 0
    value: Any = None  # the top of the stack at STOP when it is a literal (torch's legacy magic)

    @property
    def dangerous(self) -> bool:
        return any(i.kind == "dangerous_global" for i in self.issues)

    def merge(self, other: ScanResult) -> None:
        for ref, use in other.globals.items():
            mine = self.globals.get(ref)
            if mine is None:
                self.globals[ref] = use
            else:
                mine.count += use.count
                mine.calls |= use.calls
        self.issues.extend(other.issues)
        self.opcodes += other.opcodes
        self.pickles += other.pickles
        self.joblib_arrays += other.joblib_arrays

    def summary(self) -> dict[str, Any]:
        return {
            "pickles": self.pickles,
            "opcodes": self.opcodes,
            "joblib_arrays": self.joblib_arrays,
            "globals": {
                ref: {"verdict": g.verdict, "count": g.count, "calls": sorted(g.calls)}
                for ref, g in sorted(self.globals.items())
            },
            "issues": [i.to_dict() for i in self.issues[:50]],
            "issues_total": len(self.issues),
        }


def classify(ref: str, allow: Iterable[str] = ()) -> str:
    """'dangerous' (never allowed), 'safe' (default or configured allowlist) or 'unknown'."""
    module = ref.rpartition(".")[0] if "." in ref else ref
    top = module.split(".", 1)[0]
    if ref in DANGEROUS_GLOBALS or top in DANGEROUS_MODULES or module in DANGEROUS_MODULES:
        return "dangerous"
    if ref in DEFAULT_SAFE_GLOBALS or _TORCH_STORAGE.match(ref) or _TORCH_DTYPE.match(ref):
        return "safe"
    if any(fnmatch.fnmatchcase(ref, pat) for pat in allow):
        return "safe"
    return "unknown"


# -- symbolic values ------------------------------------------------------------------------
class _Mark:
    __slots__ = ()


_MARK = _Mark()


class _Opaque:
    """A value the scanner does not model (persistent id, out-of-band buffer, big bytes)."""

    __slots__ = ()


_OPAQUE = _Opaque()


@dataclass(eq=False)
class _Global:
    ref: str


@dataclass(eq=False)
class _Obj:
    callable: Any
    args: Any = None
    state: Any = None


@dataclass(eq=False)
class _List:
    items: list[Any] = field(default_factory=list)
    total: int = 0

    def add(self, values: Iterable[Any]) -> None:
        for v in values:
            self.total += 1
            if len(self.items) < CONTAINER_CAP:
                self.items.append(v)


@dataclass(eq=False)
class _Dict:
    items: dict[Any, Any] = field(default_factory=dict)
    total: int = 0

    def set(self, key: Any, value: Any) -> None:
        self.total += 1
        if len(self.items) < CONTAINER_CAP:
            with contextlib.suppress(TypeError):  # an unhashable key: nothing the scanner needs
                self.items[key] = value


_LITERAL_OPS = frozenset(
    {
        "INT",
        "BININT",
        "BININT1",
        "BININT2",
        "LONG",
        "LONG1",
        "LONG4",
        "STRING",
        "BINSTRING",
        "SHORT_BINSTRING",
        "UNICODE",
        "SHORT_BINUNICODE",
        "BINUNICODE",
        "BINUNICODE8",
        "FLOAT",
        "BINFLOAT",
        "BINBYTES",
        "SHORT_BINBYTES",
        "BINBYTES8",
        "BYTEARRAY8",
    }
)


class _Scanner:
    def __init__(self, fh: IO[bytes], allow: tuple[str, ...], depth: int) -> None:
        self.fh = fh
        self.allow = allow
        self.depth = depth
        self.stack: list[Any] = []
        self.memo: dict[int, Any] = {}
        self.result = ScanResult(pickles=1)

    # -- stack helpers ----------------------------------------------------------------------
    def pop(self, pos: int) -> Any:
        if not self.stack:
            raise PickleFormatError(f"stack underflow at byte {pos}")
        value = self.stack.pop()
        if value is _MARK:
            raise PickleFormatError(f"unexpected MARK at byte {pos}")
        return value

    def pop_mark(self, pos: int) -> list[Any]:
        items: list[Any] = []
        while True:
            if not self.stack:
                raise PickleFormatError(f"no MARK on the stack at byte {pos}")
            value = self.stack.pop()
            if value is _MARK:
                items.reverse()
                return items
            items.append(value)

    def top(self, pos: int) -> Any:
        if not self.stack or self.stack[-1] is _MARK:
            raise PickleFormatError(f"stack underflow at byte {pos}")
        return self.stack[-1]

    # -- findings -----------------------------------------------------------------------------
    def use_global(self, ref: str, opcode: str, pos: int) -> _Global:
        use = self.result.globals.get(ref)
        if use is None:
            verdict = classify(ref, self.allow)
            use = GlobalUse(ref=ref, verdict=verdict, opcode=opcode, pos=pos)
            self.result.globals[ref] = use
            if verdict == "dangerous":
                self.issue("dangerous_global", f"imports {ref} ({opcode})", pos, ref)
            elif verdict == "unknown":
                self.issue("unknown_global", f"imports {ref}, not on the allowlist", pos, ref)
        else:
            use.count += 1
        return _Global(ref)

    def issue(self, kind: str, message: str, pos: int, ref: str | None = None) -> None:
        self.result.issues.append(Issue(kind=kind, message=message, pos=pos, ref=ref))

    def call(self, target: Any, opcode: str, pos: int) -> None:
        """Record that ``target`` is called; a call of anything but an imported global is flagged."""
        if isinstance(target, _Global):
            self.result.globals[target.ref].calls.add(opcode)
        elif isinstance(target, _Obj) and opcode == "BUILD":
            callee = target.callable
            if isinstance(callee, _Global):
                self.result.globals[callee.ref].calls.add(opcode)
        else:
            self.issue(
                "indirect_call",
                f"{opcode} calls a value computed inside the pickle, not an imported global",
                pos,
            )

    # -- main loop ----------------------------------------------------------------------------
    def run(self) -> ScanResult:
        ops = pickletools.genops(self.fh)
        while True:
            try:
                opcode, arg, pos = next(ops)
            except StopIteration:
                raise PickleFormatError("stream ended before STOP") from None
            except ValueError as exc:
                raise PickleFormatError(str(exc)) from None
            pos = pos or 0
            self.result.opcodes += 1
            if self.result.opcodes > MAX_OPS:
                raise PickleFormatError(f"more than {MAX_OPS} opcodes; refusing to continue")
            name = opcode.name
            if name == "STOP":
                if self.stack:
                    value = self.stack[-1]
                    if isinstance(value, (int, str)):
                        self.result.value = value
                return self.result
            self.step(name, arg, pos)

    def step(self, name: str, arg: Any, pos: int) -> None:
        stack = self.stack
        if name in _LITERAL_OPS:
            if isinstance(arg, (bytes, bytearray)) and len(arg) > 1024:
                arg = _OPAQUE
            stack.append(arg)
        elif name in ("NONE", "NEWTRUE", "NEWFALSE"):
            stack.append({"NONE": None, "NEWTRUE": True, "NEWFALSE": False}[name])
        elif name in ("PROTO", "FRAME"):
            pass
        elif name == "MARK":
            stack.append(_MARK)
        elif name in ("EMPTY_LIST",):
            stack.append(_List())
        elif name == "EMPTY_DICT":
            stack.append(_Dict())
        elif name == "EMPTY_SET":
            stack.append(_List())
        elif name == "EMPTY_TUPLE":
            stack.append(())
        elif name == "TUPLE":
            stack.append(tuple(self.pop_mark(pos)))
        elif name in ("TUPLE1", "TUPLE2", "TUPLE3"):
            n = int(name[-1])
            items = [self.pop(pos) for _ in range(n)]
            stack.append(tuple(reversed(items)))
        elif name == "LIST":
            lst = _List()
            lst.add(self.pop_mark(pos))
            stack.append(lst)
        elif name == "DICT":
            items = self.pop_mark(pos)
            d = _Dict()
            for k, v in zip(items[::2], items[1::2], strict=False):
                d.set(k, v)
            stack.append(d)
        elif name == "FROZENSET":
            self.pop_mark(pos)
            stack.append(_OPAQUE)
        elif name == "APPEND":
            value = self.pop(pos)
            target = self.top(pos)
            if isinstance(target, _List):
                target.add([value])
        elif name in ("APPENDS", "ADDITEMS"):
            items = self.pop_mark(pos)
            target = self.top(pos)
            if isinstance(target, _List):
                target.add(items)
        elif name == "SETITEM":
            value = self.pop(pos)
            key = self.pop(pos)
            target = self.top(pos)
            if isinstance(target, _Dict):
                target.set(key, value)
        elif name == "SETITEMS":
            items = self.pop_mark(pos)
            target = self.top(pos)
            if isinstance(target, _Dict):
                for k, v in zip(items[::2], items[1::2], strict=False):
                    target.set(k, v)
        elif name == "POP":
            if stack and stack[-1] is _MARK:
                stack.pop()
            else:
                self.pop(pos)
        elif name == "POP_MARK":
            self.pop_mark(pos)
        elif name == "DUP":
            stack.append(self.top(pos))
        elif name in ("PUT", "BINPUT", "LONG_BINPUT"):
            self.memo[int(arg)] = self.top(pos)
        elif name == "MEMOIZE":
            self.memo[len(self.memo)] = self.top(pos)
        elif name in ("GET", "BINGET", "LONG_BINGET"):
            key = int(arg)
            if key not in self.memo:
                raise PickleFormatError(f"memo key {key} read before it was written (byte {pos})")
            stack.append(self.memo[key])
        elif name == "GLOBAL":
            module, _, attr = str(arg).partition(" ")
            stack.append(self.use_global(f"{module}.{attr}", name, pos))
        elif name == "STACK_GLOBAL":
            attr = self.pop(pos)
            module = self.pop(pos)
            if isinstance(module, str) and isinstance(attr, str):
                stack.append(self.use_global(f"{module}.{attr}", name, pos))
            else:
                self.issue(
                    "unresolved_global",
                    "STACK_GLOBAL with a module or name computed inside the pickle",
                    pos,
                )
                stack.append(_OPAQUE)
        elif name == "INST":
            module, _, attr = str(arg).partition(" ")
            args = self.pop_mark(pos)
            g = self.use_global(f"{module}.{attr}", name, pos)
            self.call(g, name, pos)
            stack.append(_Obj(g, tuple(args)))
        elif name == "OBJ":
            items = self.pop_mark(pos)
            if not items:
                raise PickleFormatError(f"OBJ without a class at byte {pos}")
            self.call(items[0], name, pos)
            stack.append(_Obj(items[0], tuple(items[1:])))
        elif name == "REDUCE":
            args = self.pop(pos)
            target = self.pop(pos)
            self.call(target, name, pos)
            stack.append(_Obj(target, args))
        elif name == "NEWOBJ":
            args = self.pop(pos)
            cls = self.pop(pos)
            self.call(cls, name, pos)
            stack.append(_Obj(cls, args))
        elif name == "NEWOBJ_EX":
            self.pop(pos)  # kwargs
            args = self.pop(pos)
            cls = self.pop(pos)
            self.call(cls, name, pos)
            stack.append(_Obj(cls, args))
        elif name == "BUILD":
            state = self.pop(pos)
            target = self.top(pos)
            self.call(target, name, pos)
            if isinstance(target, _Obj):
                target.state = state
                if (
                    isinstance(target.callable, _Global)
                    and target.callable.ref == "joblib.numpy_pickle.NumpyArrayWrapper"
                ):
                    self.skip_joblib_array(target, pos)
        elif name in ("PERSID", "BINPERSID"):
            if name == "BINPERSID":
                self.pop(pos)
            stack.append(_OPAQUE)
        elif name in ("NEXT_BUFFER",):
            stack.append(_OPAQUE)
        elif name == "READONLY_BUFFER":
            self.top(pos)
        elif name in ("EXT1", "EXT2", "EXT4"):
            self.issue(
                "extension", f"{name} loads a global through the copyreg extension registry", pos
            )
            stack.append(_OPAQUE)
        else:  # pragma: no cover - every opcode of protocols 0-5 is handled above
            raise PickleFormatError(f"unsupported opcode {name} at byte {pos}")

    # -- joblib ---------------------------------------------------------------------------------
    def skip_joblib_array(self, wrapper: _Obj, pos: int) -> None:
        """joblib writes an array's bytes straight after the wrapper's BUILD; step over them."""
        state = wrapper.state
        if not isinstance(state, _Dict):
            raise PickleFormatError(f"joblib array wrapper without a state dict (byte {pos})")
        info = state.items
        shape = info.get("shape")
        dtype = info.get("dtype")
        if not isinstance(shape, tuple) or not all(
            isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in shape
        ):
            raise PickleFormatError(f"joblib array wrapper with an unreadable shape (byte {pos})")
        itemsize, has_object = _dtype_size(dtype, pos)
        self.result.joblib_arrays += 1
        if has_object:
            if self.depth >= MAX_NESTED:
                raise PickleFormatError("joblib object arrays nested too deeply")
            nested = _Scanner(self.fh, self.allow, self.depth + 1).run()
            self.result.merge(nested)
            return
        if info.get("numpy_array_alignment_bytes") is not None:
            pad = self.fh.read(1)
            if len(pad) != 1:
                raise PickleFormatError("joblib array padding missing")
            self._skip(pad[0], pos)
        count = 1
        for n in shape:
            count *= n
        self._skip(count * itemsize, pos)

    def _skip(self, n: int, pos: int) -> None:
        remaining = n
        while remaining > 0:
            block = self.fh.read(min(remaining, 1 << 20))
            if not block:
                raise PickleFormatError(f"joblib array data truncated (array at byte {pos})")
            remaining -= len(block)


_DTYPE_STR = re.compile(r"^[<>|=]?([a-zA-Z?])(\d*)$")
_FIXED_SIZE = {"?": 1, "b": 1, "B": 1, "h": 2, "H": 2, "e": 2, "f": 4, "d": 8, "g": 16}


def _dtype_size(dtype: Any, pos: int) -> tuple[int, bool]:
    """(itemsize, has_object) of a pickled ``numpy.dtype`` without importing numpy."""
    if not (
        isinstance(dtype, _Obj)
        and isinstance(dtype.callable, _Global)
        and dtype.callable.ref == "numpy.dtype"
        and isinstance(dtype.args, tuple)
        and dtype.args
        and isinstance(dtype.args[0], str)
    ):
        raise PickleFormatError(f"joblib array with an unreadable dtype (byte {pos})")
    spec = dtype.args[0]
    state = dtype.state if isinstance(dtype.state, tuple) else ()
    elsize = state[5] if len(state) > 5 and isinstance(state[5], int) else -1
    flags = state[7] if len(state) > 7 and isinstance(state[7], int) else 0
    m = _DTYPE_STR.match(spec)
    if not m:
        raise PickleFormatError(f"joblib array dtype {spec!r} not understood (byte {pos})")
    code, digits = m.group(1), m.group(2)
    if code == "O" or flags & 1:
        return 0, True
    if elsize > 0:
        return elsize, False
    if digits:
        return int(digits), False
    if code in _FIXED_SIZE:
        return _FIXED_SIZE[code], False
    raise PickleFormatError(f"joblib array dtype {spec!r} has no known size (byte {pos})")


def scan_pickle(fh: IO[bytes], allow: Iterable[str] = ()) -> ScanResult:
    """Scan one pickle from the current position of ``fh`` up to its STOP opcode."""
    return _Scanner(fh, tuple(allow), 0).run()
