"""One declarative option spec per collector: validation, defaults, JSON Schema and docs table.

A collector's ``collectors.<name>`` block is described once, as a ``Spec`` of ``Option``s, each
with a *kind* (``Text``, ``FilePath``, ``Int``, ``Float``, ``Bool``, ``Choice``, ``ListOf``,
``MapOf``, ``Obj``, ``OneOf``, ``Raw``). From that one description come:

- ``Spec.parse``: the runner validates the block once, in the gate process, before any collector
  starts, and hands the result to the collector as ``ctx.settings``. Every error is a
  ``CollectorConfigError`` naming ``collectors.<name>.<key>[.<sub>|[i]]`` (exit 2), with the
  rules the hand-written readers used: a YAML ``true`` is not the number 1, a quoted ``"true"``
  is not a boolean, a typo'd key is refused with the keys that exist.
- ``Spec.json_schema``: the collector's part of the JSON Schema of aima.yaml, which editors use
  to complete and check the file (``docs/aima.schema.json``).
- ``Spec.table``: the config table in ``docs/collectors/<name>.md``.
- ``Spec.input_paths`` and ``Spec.check_paths``: the files the block names, which the default
  ``Collector.preflight`` checks (inside the repository, of the right kind, readable).

Why one mechanism: before it, seventeen collectors validated their config in three idioms, some
parsed it two or three times per run, and the docs tables were written by hand and drifted.
Standard library only (layer 1, beside ``config`` and ``plugin``): parsing must not import a tool.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from aima_ci.errors import CollectorConfigError

__all__ = [
    "COMMON_OPTIONS",
    "Bool",
    "Choice",
    "FilePath",
    "Float",
    "Int",
    "Invalid",
    "Kind",
    "ListOf",
    "MapOf",
    "Obj",
    "OneOf",
    "Option",
    "Raw",
    "Spec",
    "Text",
    "Values",
]

# Bounds the core already enforces on the runner's keys (config.py); repeated in the schema.
MAX_TIMEOUT_SECONDS = 7 * 24 * 3600
MAX_TTL_DAYS = 36_500
_GLOB = frozenset("*?[")


class Invalid(ValueError):
    """Raised by a ``Raw`` check or a ``build`` function: ``reason``, and where below the key
    it applies (``".sub"`` or ``"[2]"``; empty for the key itself)."""

    def __init__(self, reason: str, at: str = "") -> None:
        super().__init__(reason)
        self.reason = reason
        self.at = at


class Frozen(Mapping[str, Any]):
    """A read-only mapping that pickles (a ``MappingProxyType`` does not): parsed settings
    travel to the collector's worker process by pickle."""

    __slots__ = ("_data",)

    def __init__(self, data: Mapping[str, Any] | None = None) -> None:
        self._data = dict(data or {})

    def __getitem__(self, key: str) -> Any:
        return self._data[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._data!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Mapping) and dict(self.items()) == dict(other.items())

    def __hash__(self) -> int:
        return hash(frozenset(self._data.items()))  # TypeError for an unhashable value

    def __getstate__(self) -> dict[str, Any]:
        return {"_data": self._data}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self._data = state["_data"]


class Values(Frozen):
    """The parsed values of one block (or nested object): every declared key, defaults filled
    in (None where absent without a default), plus ``mode`` when the collector has modes.

    ``error(key, reason)`` builds the ``CollectorConfigError`` for a rule across keys, named
    like every other error of the block, for ``build`` to raise.
    """

    __slots__ = ("at", "mode")

    def __init__(self, data: Mapping[str, Any], at: str, mode: str | None = None) -> None:
        super().__init__(data)
        self.at = at
        self.mode = mode

    def error(self, key: str, reason: str) -> CollectorConfigError:
        sep = "" if not key or key.startswith("[") else "."
        return CollectorConfigError(f"{self.at}{sep}{key}" if key else self.at, reason)

    def __getstate__(self) -> dict[str, Any]:
        return {"_data": self._data, "at": self.at, "mode": self.mode}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self._data = state["_data"]
        self.at = state["at"]
        self.mode = state["mode"]


def _fail(at: str, reason: str) -> CollectorConfigError:
    return CollectorConfigError(at, reason)


def _num(value: float) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


# -- kinds ----------------------------------------------------------------------------------------


class Kind:
    """What one value may be. ``what`` is how messages and the docs name an acceptable value."""

    what: str = "a value"
    json_types: tuple[str, ...] = ()  # the JSON types a value of this kind has (for OneOf)

    def parse(self, value: Any, at: str) -> Any:
        raise NotImplementedError

    def schema(self) -> dict[str, Any]:
        raise NotImplementedError

    def type_name(self) -> str:
        return self.what

    def paths(self, value: Any, at: str) -> Iterator[tuple[str, Any, str]]:
        """(key, raw value, file kind) for every path this value holds, for preflight."""
        return iter(())

    def matches(self, value: Any) -> bool:
        return _json_type(value) in self.json_types


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, (list, tuple)):
        return "array"
    if isinstance(value, Mapping):
        return "object"
    return type(value).__name__


@dataclass(frozen=True)
class Text(Kind):
    """A non-blank string; ``pattern`` (a regular expression) must match it whole."""

    pattern: str | None = None
    what: str = "a non-empty string"
    strip: bool = False  # hand the collector the value without surrounding blanks
    json_types: tuple[str, ...] = ("string",)

    def parse(self, value: Any, at: str) -> str:
        if not isinstance(value, str) or not value.strip():
            raise _fail(at, f"must be {self.what}")
        if self.pattern is not None and not re.fullmatch(self.pattern, value):
            raise _fail(at, f"must be {self.what}")
        return value.strip() if self.strip else value

    def schema(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": "string", "minLength": 1}
        if self.pattern is not None:
            out["pattern"] = f"^(?:{self.pattern})$"
        return out

    def type_name(self) -> str:
        return "text"


@dataclass(frozen=True)
class FilePath(Kind):
    """A path inside the repository, relative to the config file: ``file`` (a regular file),
    ``dir`` or ``any``. Preflight checks it before any collector runs; a glob pattern is left
    to the collector, which expands it."""

    kind: str = "file"
    what: str = "a path (a string)"
    json_types: tuple[str, ...] = ("string",)

    def __post_init__(self) -> None:
        if self.kind not in ("file", "dir", "any"):
            raise ValueError(f"FilePath kind must be file, dir or any, not {self.kind!r}")

    def parse(self, value: Any, at: str) -> str:
        if not isinstance(value, str) or not value.strip():
            raise _fail(at, f"must be {self.what}")
        return value

    def schema(self) -> dict[str, Any]:
        return {"type": "string", "minLength": 1}

    def type_name(self) -> str:
        return {"file": "file path", "dir": "folder path", "any": "path"}[self.kind]

    def paths(self, value: Any, at: str) -> Iterator[tuple[str, Any, str]]:
        if isinstance(value, str) and not (_GLOB & set(value)):
            yield at, value, self.kind


@dataclass(frozen=True)
class Int(Kind):
    """A whole number within bounds; ``true`` is not 1 (a YAML typo must not count)."""

    minimum: int | None = None
    maximum: int | None = None
    what: str = ""
    json_types: tuple[str, ...] = ("integer",)

    def __post_init__(self) -> None:
        if not self.what:
            lo, hi = self.minimum, self.maximum
            if lo is not None and hi is not None:
                text = f"a whole number from {lo} to {hi}"
            elif lo is not None:
                text = f"a whole number >= {lo}"
            elif hi is not None:
                text = f"a whole number <= {hi}"
            else:
                text = "a whole number"
            object.__setattr__(self, "what", text)

    def parse(self, value: Any, at: str) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise _fail(at, f"must be {self.what}")
        if (self.minimum is not None and value < self.minimum) or (
            self.maximum is not None and value > self.maximum
        ):
            raise _fail(at, f"must be {self.what}")
        return value

    def schema(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": "integer"}
        if self.minimum is not None:
            out["minimum"] = self.minimum
        if self.maximum is not None:
            out["maximum"] = self.maximum
        return out

    def type_name(self) -> str:
        return "integer"


@dataclass(frozen=True)
class Float(Kind):
    """A finite number within bounds (a whole number is accepted and handed on as a float);
    ``true`` is not 1, and NaN and infinity are refused (they pass or break every comparison)."""

    minimum: float | None = None
    maximum: float | None = None
    exclusive_minimum: bool = False
    exclusive_maximum: bool = False
    what: str = ""
    json_types: tuple[str, ...] = ("integer", "number")

    def __post_init__(self) -> None:
        if not self.what:
            lo, hi = self.minimum, self.maximum
            lo_op = ">" if self.exclusive_minimum else ">="
            hi_op = "<" if self.exclusive_maximum else "<="
            if (
                lo is not None
                and hi is not None
                and not (self.exclusive_minimum or self.exclusive_maximum)
            ):
                text = f"a number from {_num(lo)} to {_num(hi)}"
            elif lo is not None and hi is not None:
                text = f"a number {lo_op} {_num(lo)} and {hi_op} {_num(hi)}"
            elif lo is not None:
                text = f"a number {lo_op} {_num(lo)}"
            elif hi is not None:
                text = f"a number {hi_op} {_num(hi)}"
            else:
                text = "a finite number"
            object.__setattr__(self, "what", text)

    def parse(self, value: Any, at: str) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise _fail(at, f"must be {self.what}")
        if isinstance(value, float) and not math.isfinite(value):
            raise _fail(at, f"must be {self.what}")
        lo, hi = self.minimum, self.maximum
        if lo is not None and (value <= lo if self.exclusive_minimum else value < lo):
            raise _fail(at, f"must be {self.what}")
        if hi is not None and (value >= hi if self.exclusive_maximum else value > hi):
            raise _fail(at, f"must be {self.what}")
        return float(value)

    def schema(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": "number"}
        if self.minimum is not None:
            out["exclusiveMinimum" if self.exclusive_minimum else "minimum"] = self.minimum
        if self.maximum is not None:
            out["exclusiveMaximum" if self.exclusive_maximum else "maximum"] = self.maximum
        return out

    def type_name(self) -> str:
        return "number"


@dataclass(frozen=True)
class Bool(Kind):
    """A YAML boolean; a quoted ``"true"`` or a 1 is refused rather than read as true."""

    what: str = "true or false"
    json_types: tuple[str, ...] = ("boolean",)

    def parse(self, value: Any, at: str) -> bool:
        if not isinstance(value, bool):
            raise _fail(at, f"must be {self.what}")
        return value

    def schema(self) -> dict[str, Any]:
        return {"type": "boolean"}

    def type_name(self) -> str:
        return "boolean"


class Choice(Kind):
    """One of a fixed set of values (strings or numbers, compared with their type: ``true``
    is not 1)."""

    def __init__(self, *choices: str | int | float, what: str = "") -> None:
        if not choices:
            raise ValueError("Choice needs at least one value")
        self.choices = tuple(choices)
        self.what = what or "one of " + ", ".join(str(c) for c in choices)
        self.json_types = tuple(dict.fromkeys(_json_type(c) for c in choices))

    def __repr__(self) -> str:
        return f"Choice{self.choices!r}"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Choice) and other.choices == self.choices

    def __hash__(self) -> int:
        return hash(self.choices)

    def parse(self, value: Any, at: str) -> Any:
        for choice in self.choices:
            if type(value) is type(choice) and value == choice:
                return choice
        raise _fail(at, f"must be {self.what}")

    def schema(self) -> dict[str, Any]:
        return {"enum": list(self.choices)}

    def type_name(self) -> str:
        return " \\| ".join(f"`{c}`" for c in self.choices)


@dataclass(frozen=True)
class ListOf(Kind):
    """A list of ``item`` values, handed on as a tuple; a bad item is named by its index.

    ``single=True`` also accepts one item without the list (``policies: policies/``).
    ``unique=True`` refuses an item listed twice.
    """

    item: Kind
    min_items: int = 0
    max_items: int | None = None
    unique: bool = False
    single: bool = False
    what: str = ""
    json_types: tuple[str, ...] = ("array",)

    def __post_init__(self) -> None:
        if not self.what:
            if self.max_items is not None and self.max_items == self.min_items:
                lead = f"a list of {self.min_items}"
            else:
                lead = "a non-empty list of" if self.min_items >= 1 else "a list of"
            text = f"{lead} {_plural(self.item)}"
            if self.single:
                text = f"{_article(self.item)} or {text}"
            object.__setattr__(self, "what", text)
        if self.single:
            object.__setattr__(self, "json_types", ("array", *self.item.json_types))

    def parse(self, value: Any, at: str) -> tuple[Any, ...]:
        if self.single and not isinstance(value, (list, tuple)):
            if not self.item.matches(value):
                raise _fail(at, f"must be {self.what}")
            return (self.item.parse(value, at),)
        if not isinstance(value, (list, tuple)):
            raise _fail(at, f"must be {self.what}")
        if len(value) < self.min_items or (
            self.max_items is not None and len(value) > self.max_items
        ):
            raise _fail(at, f"must be {self.what}" + self._count())
        out = tuple(self.item.parse(v, f"{at}[{i}]") for i, v in enumerate(value))
        if self.unique:  # named at the list, as the hand-written readers did
            seen: set[Any] = set()
            unhashable: list[Any] = []
            for i, v in enumerate(out):
                try:
                    again = v in seen
                    seen.add(v)
                except TypeError:  # a list of mappings: compared one by one
                    again = v in unhashable
                    unhashable.append(v)
                if again:
                    raise _fail(at, f"lists {value[i]!r} twice")
        return out

    def _count(self) -> str:
        if self.max_items is None:
            return "" if self.min_items <= 1 else f" (at least {self.min_items})"
        if self.max_items == self.min_items:
            return ""
        return f" ({self.min_items} to {self.max_items} items)"

    def schema(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": "array", "items": self.item.schema()}
        if self.min_items:
            out["minItems"] = self.min_items
        if self.max_items is not None:
            out["maxItems"] = self.max_items
        if self.unique:
            out["uniqueItems"] = True
        if self.single:
            return {"anyOf": [self.item.schema(), out]}
        return out

    def type_name(self) -> str:
        inner = f"list of {self.item.type_name()}"
        return f"{self.item.type_name()} or {inner}" if self.single else inner

    def paths(self, value: Any, at: str) -> Iterator[tuple[str, Any, str]]:
        if isinstance(value, (list, tuple)):
            for i, v in enumerate(value):
                yield from self.item.paths(v, f"{at}[{i}]")
        elif self.single:
            yield from self.item.paths(value, at)


@dataclass(frozen=True)
class MapOf(Kind):
    """A mapping of keys (``keys``, text by default) to ``value``s; a bad entry is named by
    its key (``label_map.0``)."""

    value: Kind
    keys: Kind | None = None
    min_items: int = 0
    what: str = ""
    json_types: tuple[str, ...] = ("object",)

    def __post_init__(self) -> None:
        if not self.what:
            lead = "a non-empty mapping" if self.min_items else "a mapping"
            object.__setattr__(self, "what", f"{lead} of names to {_plural(self.value)}")

    def parse(self, value: Any, at: str) -> Frozen:
        if not isinstance(value, Mapping) or len(value) < self.min_items:
            raise _fail(at, f"must be {self.what}")
        keys = self.keys or Text(what="a name (text)")
        out: dict[Any, Any] = {}
        for k, v in value.items():
            where = f"{at}.{k}"
            out[keys.parse(k, where)] = self.value.parse(v, where)
        return Frozen(out)

    def schema(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": "object", "additionalProperties": self.value.schema()}
        if isinstance(self.keys, Text) and self.keys.pattern is not None:
            out["propertyNames"] = self.keys.schema()
        if self.min_items:
            out["minProperties"] = self.min_items
        return out

    def type_name(self) -> str:
        return f"mapping of {self.value.type_name()}"

    def paths(self, value: Any, at: str) -> Iterator[tuple[str, Any, str]]:
        if isinstance(value, Mapping):
            for k, v in value.items():
                yield from self.value.paths(v, f"{at}.{k}")


class Obj(Kind):
    """A nested block with its own options (an attack's parameters): unknown keys refused,
    defaults filled in; ``build`` turns its ``Values`` into a typed object."""

    json_types: tuple[str, ...] = ("object",)

    def __init__(
        self,
        *options: Option,
        build: Callable[[Values], Any] | None = None,
        what: str = "a mapping",
    ) -> None:
        _check_unique(options)
        self.options = tuple(options)
        self.build = build
        self.what = what

    def __repr__(self) -> str:
        return f"Obj{tuple(o.key for o in self.options)!r}"

    def parse(self, value: Any, at: str) -> Any:
        if not isinstance(value, Mapping):
            raise _fail(at, f"must be {self.what}")
        values = _parse_options(self.options, value, at, None)
        return _built(self.build, values)

    def schema(self) -> dict[str, Any]:
        return _object_schema(self.options)

    def type_name(self) -> str:
        return "mapping"

    def paths(self, value: Any, at: str) -> Iterator[tuple[str, Any, str]]:
        if isinstance(value, Mapping):
            for option in self.options:
                if option.key in value:
                    yield from option.kind.paths(value[option.key], f"{at}.{option.key}")


class OneOf(Kind):
    """One of several kinds, chosen by the value's type (a string, a list, a mapping ...); the
    first alternative whose type fits parses it, so its own errors name the inner key."""

    def __init__(self, *kinds: Kind, what: str = "") -> None:
        if len(kinds) < 2:
            raise ValueError("OneOf needs two or more kinds")
        self.kinds = tuple(kinds)
        self.what = what or " or ".join(k.what for k in kinds)
        self.json_types = tuple(dict.fromkeys(t for k in kinds for t in k.json_types))

    def __repr__(self) -> str:
        return f"OneOf{self.kinds!r}"

    def parse(self, value: Any, at: str) -> Any:
        for kind in self.kinds:
            if kind.matches(value):
                return kind.parse(value, at)
        raise _fail(at, f"must be {self.what}")

    def schema(self) -> dict[str, Any]:
        return {"anyOf": [k.schema() for k in self.kinds]}

    def type_name(self) -> str:
        return " or ".join(k.type_name() for k in self.kinds)

    def paths(self, value: Any, at: str) -> Iterator[tuple[str, Any, str]]:
        for kind in self.kinds:
            if kind.matches(value):
                yield from kind.paths(value, at)
                return


class Raw(Kind):
    """The escape hatch: a free-form value (a tool's own options), described to the schema by
    ``schema`` and checked by ``check(value) -> parsed``, which raises ``Invalid(reason, at)``
    (or ValueError) for a bad value."""

    def __init__(
        self,
        schema: Mapping[str, Any] | None = None,
        check: Callable[[Any], Any] | None = None,
        what: str = "a value",
        type_name: str = "",
    ) -> None:
        self._schema = dict(schema or {})
        self.check = check
        self.what = what
        self._type_name = type_name or str(self._schema.get("type") or "any")
        declared = self._schema.get("type")
        types = [declared] if isinstance(declared, str) else list(declared or [])
        self.json_types = tuple(
            t for d in types for t in (("integer", "number") if d == "number" else (d,))
        ) or ("null", "boolean", "integer", "number", "string", "array", "object")

    def __repr__(self) -> str:
        return f"Raw({self._schema!r})"

    def parse(self, value: Any, at: str) -> Any:
        if self.check is None:
            return value
        try:
            return self.check(value)
        except CollectorConfigError:
            raise
        except Invalid as exc:
            raise _fail(f"{at}{exc.at}", exc.reason) from None
        except ValueError as exc:
            raise _fail(at, str(exc)) from None

    def schema(self) -> dict[str, Any]:
        return dict(self._schema)

    def type_name(self) -> str:
        return self._type_name


def _plural(kind: Kind) -> str:
    names = {
        Text: "strings",
        FilePath: "paths",
        Int: "whole numbers",
        Float: "numbers",
        Bool: "booleans",
        Obj: "mappings",
        MapOf: "mappings",
        ListOf: "lists",
    }
    if isinstance(kind, Choice):
        return "values (" + ", ".join(str(c) for c in kind.choices) + ")"
    return names.get(type(kind), "values")


def _article(kind: Kind) -> str:
    names: dict[type, str] = {Text: "a string", FilePath: "a path"}
    return names.get(type(kind), kind.what)


# -- options and the spec -------------------------------------------------------------------------


@dataclass(frozen=True)
class Option:
    """One key of a block: its kind, default, whether it is required, the run modes it belongs
    to (empty: all), and one line of documentation (the schema's description, the docs table).

    ``missing`` words the error of a required key that is absent (default: ``is required``).
    ``internal`` marks a key the core writes into the block (never the user): accepted, left
    out of the schema and the table. ``schema`` replaces the kind's schema where the YAML form
    differs from what the collector receives.
    """

    key: str
    kind: Kind
    default: Any = None
    required: bool = False
    doc: str = ""
    modes: tuple[str, ...] = ()
    missing: str = ""
    internal: bool = False
    schema: Mapping[str, Any] | None = None

    def json_schema(self) -> dict[str, Any]:
        out = dict(self.schema) if self.schema is not None else self.kind.schema()
        if self.doc:
            out["description"] = self.doc
        if self.default is not None:
            out["default"] = _jsonable(self.default)
        return out


def _jsonable(value: Any) -> Any:
    if isinstance(value, tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    return value


def _check_unique(options: Sequence[Option]) -> None:
    keys = [o.key for o in options]
    if len(set(keys)) != len(keys):
        raise ValueError(f"an option is declared twice: {sorted(keys)}")


def _unknown(key: Any, known: Sequence[str], at: str) -> CollectorConfigError:
    import difflib  # only on the error path: keeps the gate's start-up lean

    listing = ", ".join(sorted(known))
    close = difflib.get_close_matches(str(key), list(known), n=1, cutoff=0.7)
    hint = f"did you mean {close[0]!r}? " if close else ""
    return _fail(f"{at}.{key}", f"unknown key ({hint}expected one of: {listing})")


def _parse_options(
    options: Sequence[Option], config: Mapping[str, Any], at: str, mode: str | None
) -> Values:
    known = {o.key: o for o in options}
    for key in config:
        if key not in known:
            raise _unknown(key, list(known), at)
    out: dict[str, Any] = {}
    for option in options:
        where = f"{at}.{option.key}"
        value = config.get(option.key)
        in_mode = mode is None or not option.modes or mode in option.modes
        if value is None:
            if option.required and in_mode:
                raise _fail(where, option.missing or f"is required ({option.kind.what})")
            out[option.key] = option.default
            continue
        if not in_mode:
            raise _fail(
                where,
                f"only used in {' or '.join(option.modes)} mode (this block is in {mode} mode)",
            )
        out[option.key] = option.kind.parse(value, where)
    return Values(out, at, mode)


def _built(build: Callable[[Values], Any] | None, values: Values) -> Any:
    if build is None:
        return values
    try:
        return build(values)
    except Invalid as exc:
        raise _fail(f"{values.at}{exc.at}" if exc.at else values.at, exc.reason) from None


def _object_schema(options: Sequence[Option]) -> dict[str, Any]:
    shown = [o for o in options if not o.internal]
    out: dict[str, Any] = {
        "type": "object",
        "properties": {o.key: o.json_schema() for o in shown},
        "additionalProperties": False,
    }
    required = [o.key for o in shown if o.required and not o.modes]
    if required:
        out["required"] = required
    return out


def _mode_option(modes: tuple[str, ...]) -> Option:
    doc = "`run` runs the tool; `report` reads the report a tool already wrote (default: `run`, or `report` when `report` is set)"
    if len(modes) == 1:
        return Option("mode", Choice(*modes), doc=f"only `{modes[0]}`")
    return Option("mode", Choice(*modes), doc=doc)


COMMON_OPTIONS: tuple[Option, ...] = (
    Option("enabled", Bool(), default=True, doc="Run this collector (false: configured but off)."),
    Option(
        "timeout",
        Float(minimum=0, maximum=MAX_TIMEOUT_SECONDS, exclusive_minimum=True),
        doc="Seconds before the collector is stopped and its checks become `error`.",
    ),
    Option(
        "ttl_days",
        Float(minimum=0, maximum=MAX_TTL_DAYS, exclusive_minimum=True),
        doc="Days this collector's evidence stays fresh (overrides each check's default).",
    ),
)


@dataclass(frozen=True)
class Spec:
    """A collector's config block, declared once. See the module docstring and docs/plugins.md.

    ``thresholds`` names the keys allowed under ``thresholds:`` with their kinds; ``modes`` the
    ``mode:`` values the collector has (empty: no ``mode`` key accepted); ``build`` turns the
    parsed ``Values`` into the collector's typed settings, and raises ``values.error(key,
    reason)`` (or ``Invalid``) for rules across keys.
    """

    options: tuple[Option, ...] = ()
    thresholds: Mapping[str, Kind] = field(default_factory=dict)
    modes: tuple[str, ...] = ()
    build: Callable[[Values], Any] | None = None

    def __post_init__(self) -> None:
        common = {o.key for o in COMMON_OPTIONS} | {"mode", "thresholds"}
        clash = sorted(common & {o.key for o in self.options})
        if clash:
            raise ValueError(f"{clash[0]!r} is a runner key, part of every spec already")
        _check_unique(self.options)
        bad = [m for m in self.modes if m not in ("run", "report")]
        if bad:
            raise ValueError(f"unknown mode {bad[0]!r} (run or report)")

    # -- parsing ----------------------------------------------------------------------------
    def all_options(self, name: str = "") -> tuple[Option, ...]:
        """The collector's own options with the runner's keys every block may hold."""
        extra: list[Option] = list(COMMON_OPTIONS)
        if self.modes:
            extra.append(_mode_option(self.modes))
        if self.thresholds:
            extra.append(
                Option(
                    "thresholds",
                    Obj(*(Option(k, v) for k, v in self.thresholds.items())),
                    doc="Overrides of the checks' pass marks: "
                    + ", ".join(f"`{k}`" for k in self.thresholds)
                    + ".",
                )
            )
        return (*self.options, *extra)

    def mode_of(self, name: str, config: Mapping[str, Any]) -> str | None:
        """The block's run mode, decided as ``plugin.run_mode`` decides it: explicit ``mode``,
        else ``report`` when a report is set, else ``run`` (a report-only collector: ``report``).
        None: the collector has no modes."""
        at = f"collectors.{name}.mode"
        if not self.modes:
            if "mode" in config:
                raise _fail(at, f"the {name} collector has no report mode; remove the key")
            return None
        if "mode" in config:
            value = config["mode"]
            if not isinstance(value, str) or value not in self.modes:
                if len(self.modes) == 1:
                    raise _fail(at, f"the {name} collector has only {self.modes[0]} mode")
                raise _fail(at, "must be " + " or ".join(repr(m) for m in self.modes))
            return value
        if "report" in config and config["report"] is not None and "report" in self.modes:
            return "report"
        return "run" if "run" in self.modes else self.modes[0]

    def values(self, name: str, config: Mapping[str, Any]) -> Values:
        """Every key checked and defaults filled in, before ``build``."""
        at = f"collectors.{name}"
        if not isinstance(config, Mapping):
            raise _fail(at, "must be a mapping of settings (or true/false)")
        mode = self.mode_of(name, config)
        values = _parse_options(self.all_options(name), config, at, mode)
        if mode is not None:
            values = Values({**values, "mode": mode}, at, mode)
        return values

    def parse(self, name: str, config: Mapping[str, Any]) -> Any:
        """The typed settings of ``collectors.<name>``: ``build(values)``, or the ``Values``
        themselves without a ``build``. Raises CollectorConfigError naming the key."""
        return _built(self.build, self.values(name, config))

    # -- what the spec tells others ---------------------------------------------------------
    @property
    def input_paths(self) -> dict[str, str]:
        """Top-level and nested-object path keys (dotted) and their kinds, in the form of
        ``Collector.input_paths``; paths inside lists of objects or mappings are found by
        ``check_paths``."""
        out: dict[str, str] = {}

        def walk(options: Sequence[Option], prefix: str) -> None:
            for option in options:
                kind = option.kind
                if isinstance(kind, ListOf) and isinstance(kind.item, FilePath):
                    kind = kind.item
                if isinstance(kind, FilePath):
                    out[prefix + option.key] = kind.kind
                elif isinstance(kind, Obj):
                    walk(kind.options, f"{prefix}{option.key}.")

        walk(self.options, "")
        return out

    def paths(self, config: Mapping[str, Any]) -> Iterator[tuple[str, Any, str]]:
        """(key below the block, raw value, file kind) for every path a parsed block names."""
        for option in self.options:
            if option.key in config and config[option.key] is not None:
                yield from option.kind.paths(config[option.key], option.key)

    def json_schema(self, name: str = "") -> dict[str, Any]:
        """The block's JSON Schema (draft 2020-12 fragment).

        Required keys are required only while the block is enabled: the runner never parses
        a disabled block, so ``enabled: false`` without them is a valid config.
        """
        out = _object_schema(self.all_options(name))
        required = out.pop("required", None)
        if required:
            out["if"] = {"properties": {"enabled": {"const": False}}, "required": ["enabled"]}
            out["else"] = {"required": required}
        return out

    def table(self, name: str = "") -> str:
        """The Markdown table of the block's keys for docs/collectors/<name>.md."""
        rows = ["| key | type | default | description |", "|---|---|---|---|"]
        for option in self.all_options(name):
            if option.internal:
                continue
            default = "required" if option.required else _shown(option.default)
            doc = option.doc.replace("|", "\\|").replace("\n", " ")
            if option.modes:
                doc = f"({' or '.join(option.modes)} mode) {doc}".strip()
            rows.append(f"| `{option.key}` | {option.kind.type_name()} | {default} | {doc} |")
        return "\n".join(rows) + "\n"


def _shown(default: Any) -> str:
    if default is None:
        return ""
    if isinstance(default, bool):
        return f"`{str(default).lower()}`"
    if isinstance(default, tuple):
        return "`[" + ", ".join(str(v) for v in default) + "]`"
    return f"`{default}`"
