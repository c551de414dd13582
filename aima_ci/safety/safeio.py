"""Fail-closed reading of repository files: the one reader the core and the collectors share.

Evidence is read from the repository under assessment, which anyone with commit access can
shape, so every reader needs the same guarantees: nothing outside the repository root is read (a
symlink counts), binary junk or an oversized file is refused rather than half-parsed, YAML can
neither expand into an alias bomb nor crash the parser, and every refusal names the file and,
where known, the line. One implementation means one place to get those right.

Two YAML dialects, because the files differ in who defines their format:

- ``parse_yaml`` reads other tools' formats (CI definitions, alert rules, inventories). Aliases
  and GitLab's ``!reference`` tag occur in them, so they are accepted, with the expansion bounded.
- ``strict_yaml`` reads aima-ci's own evidence documents (data manifests, model cards, threat
  models): no aliases, no duplicate keys, dates kept as text (JSON-safe, compared as written), and
  every mapping and list remembers its line so a later check can still cite ``file:line``.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

MAX_TEXT_BYTES = 8 << 20
MAX_YAML_NODES = 200_000


# libyaml's safe loader when PyYAML was built with it (several times faster), else the pure one.
FAST_SAFE_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def safe_load(text: str) -> Any:
    """``yaml.safe_load``, with libyaml where available: for aima-ci's packaged data and for inputs
    whose size the caller has already bounded."""
    return yaml.load(text, Loader=FAST_SAFE_LOADER)


class FileProblem(ValueError):
    """A repository file that cannot be trusted as input: names the file, the line when known,
    and why, so the finding it becomes tells the reader where to look."""

    def __init__(self, file: str, reason: str, line: int | None = None) -> None:
        self.file = file
        self.reason = reason
        self.line = line
        super().__init__(f"{file}:{line}: {reason}" if line else f"{file}: {reason}")


# --------------------------------------------------------------------------- paths
def rel(root: Path, path: Path) -> str:
    """The repository-relative POSIX path used in messages and subjects."""
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return path.name


def inside(root: Path, path: Path) -> bool:
    """True when ``path``, with every symlink resolved, stays inside ``root``."""
    real = Path(os.path.realpath(path))
    real_root = Path(os.path.realpath(root))
    return real == real_root or real.is_relative_to(real_root)


# --------------------------------------------------------------------------- text
def read_text(
    path: Path, display: str, max_bytes: int = MAX_TEXT_BYTES, *, root: Path | None = None
) -> str:
    """The file as UTF-8 text (a leading BOM dropped), or a FileProblem naming file and line.

    With ``root``, a path that resolves outside it is refused; a path that came from
    ``ctx.path`` has already been held to that, so ``root`` may be left out there.
    """
    return _decode(_read_bytes(path, display, max_bytes, root), display)


def _read_bytes(path: Path, display: str, max_bytes: int, root: Path | None) -> bytes:
    if root is not None and not inside(root, path):
        raise FileProblem(display, "resolves outside the repository root; refusing to read it")
    try:
        info = os.stat(path)
        if not stat.S_ISREG(info.st_mode):
            raise FileProblem(display, "not a regular file")  # a FIFO would block the read
        if info.st_size > max_bytes:
            raise FileProblem(display, f"{info.st_size} bytes is over the {max_bytes}-byte limit")
        with open(path, "rb") as fh:
            data = fh.read(max_bytes + 1)
    except OSError as exc:
        raise FileProblem(display, f"cannot read: {exc.strerror or exc}") from None
    if len(data) > max_bytes:  # it grew after the size check
        raise FileProblem(display, f"over the {max_bytes}-byte limit")
    return data


def _decode(data: bytes, display: str) -> str:
    """Text, or the first problem in the file: undecodable bytes or a NUL, whichever comes first."""
    nul = data.find(b"\x00")
    head = data if nul < 0 else data[:nul]
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = head[: exc.start].count(b"\n") + 1
        raise FileProblem(display, f"not UTF-8 text ({exc.reason})", line) from None
    if nul >= 0:
        line = text.count("\n") + 1
        raise FileProblem(display, "binary data (NUL byte) where text was expected", line)
    return text.removeprefix("\ufeff")


# --------------------------------------------------------------------------- YAML
class _Loader(yaml.SafeLoader):
    """SafeLoader that also accepts GitLab's ``!reference`` tag (kept as a plain value) and
    refuses duplicate keys (GitHub and GitLab reject them too; a silent last-one-wins would let
    a file mean one thing to its tool and another to aima-ci)."""

    def construct_mapping(self, node: Any, deep: bool = False) -> Any:
        if not any(k.tag == "tag:yaml.org,2002:merge" for k, _ in node.value):
            _refuse_duplicates(self, node)
        return super().construct_mapping(node, deep=deep)


def _reference(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
    if isinstance(node, yaml.SequenceNode):
        return {"!reference": loader.construct_sequence(node, deep=True)}
    return {"!reference": loader.construct_scalar(node)}  # type: ignore[arg-type]


_Loader.add_constructor("!reference", _reference)


class LineDict(dict[Any, Any]):
    """A YAML mapping that remembers its 1-based line, so errors can point at it."""

    line: int | None = None


class LineList(list[Any]):
    """A YAML list that remembers its 1-based line."""

    line: int | None = None


def line_of(obj: Any) -> int | None:
    """The line ``strict_yaml`` recorded for a mapping or list, else None."""
    return getattr(obj, "line", None)


def _refuse_duplicates(loader: yaml.SafeLoader, node: Any) -> None:
    """Two equal keys in one mapping: YAML parsers disagree on which wins, so neither does."""
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=True)
        if isinstance(key, (dict, list)):
            raise yaml.constructor.ConstructorError(
                None, None, "a mapping key must be a plain value", key_node.start_mark
            )
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r}", key_node.start_mark
            )
        seen.add(key)


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader without the traps: no aliases (billion laughs), no duplicate keys, no dates."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise yaml.constructor.ConstructorError(
                None, None, "YAML aliases are not allowed here", event.start_mark
            )
        return super().compose_node(parent, index)

    def construct_mapping(self, node: Any, deep: bool = False) -> Any:
        _refuse_duplicates(self, node)
        return super().construct_mapping(node, deep=deep)


def _construct_map(loader: _StrictLoader, node: Any) -> Iterator[LineDict]:
    data = LineDict()
    data.line = node.start_mark.line + 1
    yield data
    data.update(loader.construct_mapping(node, deep=True))


def _construct_seq(loader: _StrictLoader, node: Any) -> Iterator[LineList]:
    data = LineList()
    data.line = node.start_mark.line + 1
    yield data
    data.extend(loader.construct_sequence(node, deep=True))


_StrictLoader.add_constructor("tag:yaml.org,2002:map", _construct_map)
_StrictLoader.add_constructor("tag:yaml.org,2002:seq", _construct_seq)
_StrictLoader.add_constructor(  # type: ignore[type-var]  # the stubs miss SafeLoader methods
    "tag:yaml.org,2002:timestamp", yaml.SafeLoader.construct_yaml_str
)  # dates stay strings: JSON-safe for Rego, and compared as text


def parse_yaml(text: str, display: str, *, multi: bool = False) -> Any:
    """Parse another tool's YAML: aliases allowed but their expansion bounded, errors at file:line.

    ``multi`` returns the list of documents; otherwise more than one is a FileProblem.
    """
    return _parse(_Loader, text, display, multi=multi, first_line=1, max_nodes=MAX_YAML_NODES)


def strict_yaml(text: str, display: str, first_line: int = 1) -> Any:
    """Parse one of aima-ci's own YAML documents strictly (see the module docstring).

    ``first_line`` is the file line the text starts on (YAML front-matter inside Markdown).
    """
    return _parse(_StrictLoader, text, display, multi=False, first_line=first_line, max_nodes=None)


def load_yaml(
    path: Path,
    display: str,
    *,
    root: Path | None = None,
    multi: bool = False,
    max_bytes: int = MAX_TEXT_BYTES,
) -> Any:
    """``read_text`` then ``parse_yaml``: another tool's YAML file."""
    return parse_yaml(read_text(path, display, max_bytes, root=root), display, multi=multi)


def _parse(
    loader_cls: type[yaml.SafeLoader],
    text: str,
    display: str,
    *,
    multi: bool,
    first_line: int,
    max_nodes: int | None,
) -> Any:
    docs: list[Any] = []
    loader = None
    try:
        loader = loader_cls(text)  # the pure reader refuses control characters right here
        while loader.check_node():
            node = loader.get_node()
            if max_nodes is not None:
                _count_nodes(node, display, max_nodes)
            docs.append(loader.construct_document(node))
    except FileProblem:
        raise
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        line = mark.line + first_line if mark is not None else None
        raise FileProblem(display, f"invalid YAML: {problem}", line) from None
    except RecursionError:
        raise FileProblem(display, "invalid YAML: nested too deeply") from None
    except ValueError as exc:  # an integer beyond Python's 4300-digit conversion limit
        raise FileProblem(display, f"invalid YAML: {exc}") from None
    finally:
        if loader is not None:
            loader.dispose()
    if multi:
        return docs
    if len(docs) > 1:
        raise FileProblem(display, f"expected one YAML document, found {len(docs)}")
    return docs[0] if docs else None


def expands_beyond(root: yaml.Node | None, limit: int) -> bool:
    """True for alias bombs: the node count, as if every alias were expanded, exceeds ``limit``."""
    seen = 0
    stack: list[Any] = [root] if root is not None else []
    while stack:
        node = stack.pop()
        seen += 1
        if seen > limit:
            return True
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                stack.extend((key, value))
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)
    return False


def check_tree(root: yaml.Node | None, display: str, *, aliases: bool = False) -> None:
    """Refuse, at file:line, what a composed node tree must not hold: an alias (the composer
    hands back the anchored node again, so a node seen twice is one) unless ``aliases``, a
    duplicate scalar key in one mapping, and (with aliases) an expansion past MAX_YAML_NODES.

    For readers that compose with the fast loader and construct from the node afterwards.
    """
    if aliases:
        _count_nodes(root, display, MAX_YAML_NODES)
    seen: set[int] = set()
    # (node, line of what refers to it): an alias has no node of its own, so its line is that
    # of the key or list holding it.
    stack: list[tuple[Any, int]] = [(root, 1)] if root is not None else []
    while stack:
        node, ref_line = stack.pop()
        if id(node) in seen:
            if aliases:
                continue
            raise FileProblem(display, "YAML aliases (*name) are not allowed here", ref_line)
        seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            keys: set[str] = set()
            for key, _ in node.value:
                line = key.start_mark.line + 1
                if isinstance(key, yaml.ScalarNode) and key.tag != "tag:yaml.org,2002:merge":
                    if key.value in keys:
                        raise FileProblem(display, f"duplicate key {key.value!r}", line)
                    keys.add(key.value)
            # pushed in reverse so nodes are visited in document order: the anchor is met
            # first, and the second meeting (the one reported) is the alias
            for key, value in reversed(node.value):
                line = key.start_mark.line + 1
                stack.extend(((value, line), (key, line)))
        elif isinstance(node, yaml.SequenceNode):
            stack.extend((item, node.start_mark.line + 1) for item in reversed(node.value))


def _count_nodes(root: yaml.Node | None, display: str, limit: int) -> None:
    if expands_beyond(root, limit):
        raise FileProblem(display, f"YAML expands to more than {limit} nodes")


def yaml_lines(text: str) -> dict[str, int]:
    """1-based line of every key and list item, keyed ``a.b[0].c``, so messages can cite lines.

    For ``parse_yaml`` results (``strict_yaml`` keeps lines on the values themselves); call it
    only after ``parse_yaml`` accepted the text.
    """
    return index_lines(yaml.compose(text, Loader=_Loader))


def index_lines(node: yaml.Node | None) -> dict[str, int]:
    """The line of every key and list item of a composed YAML node tree (see yaml_lines)."""
    lines: dict[str, int] = {}
    stack: list[tuple[Any, str]] = [(node, "")] if node is not None else []
    while stack:
        current, prefix = stack.pop()
        if isinstance(current, yaml.MappingNode):
            for key_node, value_node in current.value:
                if isinstance(key_node, yaml.ScalarNode):
                    key = f"{prefix}.{key_node.value}" if prefix else str(key_node.value)
                    lines.setdefault(key, key_node.start_mark.line + 1)
                    stack.append((value_node, key))
        elif isinstance(current, yaml.SequenceNode):
            for i, item in enumerate(current.value):
                key = f"{prefix}[{i}]"
                lines.setdefault(key, item.start_mark.line + 1)
                stack.append((item, key))
    return lines
