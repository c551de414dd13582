"""Fail-closed reading of repository files for the light collectors.

The collectors that read a repository's own files (CI definitions, alert rules, inventories,
playbooks) all need the same three guarantees: nothing outside the repository root is read (a
symlink counts), binary junk or an oversized file is refused rather than half-parsed, and a YAML
error names the file and line. Keeping them here means each collector states *what* it reads,
not how to read it safely.
"""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import yaml

MAX_TEXT_BYTES = 4 << 20
MAX_YAML_NODES = 200_000
# Folders that hold other people's code or generated output, never the project's own evidence.
SKIP_DIRS = frozenset(
    {
        ".git",
        ".hg",
        ".svn",
        ".venv",
        "venv",
        "env",
        ".env",
        "node_modules",
        "__pycache__",
        ".tox",
        ".nox",
        ".mypy_cache",
        ".pytest_cache",
        ".ruff_cache",
        ".aima",
        "site-packages",
        ".ipynb_checkpoints",
    }
)


class FileProblem(ValueError):
    """A repository file that cannot be trusted as input; the message names the file (and line)."""


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


def check_inside(root: Path, path: Path, display: str) -> Path:
    """The resolved path, or FileProblem when it (or a symlink on the way) leaves the root."""
    if not inside(root, path):
        raise FileProblem(f"{display}: resolves outside the repository root; refusing to read it")
    return Path(os.path.realpath(path))


def read_bytes(root: Path, path: Path, display: str, max_bytes: int) -> bytes:
    real = check_inside(root, path, display)
    if not real.is_file():
        raise FileProblem(f"{display}: not a regular file")
    size = real.stat().st_size
    if size > max_bytes:
        raise FileProblem(f"{display}: {size} bytes is over the {max_bytes}-byte limit")
    with open(real, "rb") as fh:
        return fh.read(max_bytes + 1)[:max_bytes]


def read_text(root: Path, path: Path, display: str, max_bytes: int = MAX_TEXT_BYTES) -> str:
    """UTF-8 text from inside the repository; binary data is refused with the offending line."""
    data = read_bytes(root, path, display, max_bytes)
    if b"\x00" in data:
        line = data[: data.index(b"\x00")].count(b"\n") + 1
        raise FileProblem(f"{display}:{line}: binary data (NUL byte) where text was expected")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise FileProblem(f"{display}:{line}: not UTF-8 text ({exc.reason})") from None


class _Loader(yaml.SafeLoader):
    """SafeLoader that also accepts GitLab's ``!reference`` tag (kept as a plain list)."""


def _reference(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
    if isinstance(node, yaml.SequenceNode):
        return {"!reference": loader.construct_sequence(node, deep=True)}
    return {"!reference": loader.construct_scalar(node)}  # type: ignore[arg-type]


_Loader.add_constructor("!reference", _reference)


def parse_yaml(text: str, display: str, *, multi: bool = False) -> Any:
    """Parse YAML safely: alias bombs and deep nesting are refused, errors carry file:line."""
    loader = _Loader(text)
    docs: list[Any] = []
    try:
        while loader.check_node():
            node = loader.get_node()
            _count_nodes(node, display)
            docs.append(loader.construct_document(node))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{display}:{mark.line + 1}" if mark is not None else display
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise FileProblem(f"{where}: invalid YAML: {problem}") from None
    except RecursionError:
        raise FileProblem(f"{display}: YAML nested too deeply") from None
    except ValueError as exc:  # an integer beyond Python's 4300-digit conversion limit
        raise FileProblem(f"{display}: invalid YAML: {exc}") from None
    finally:
        loader.dispose()
    if multi:
        return docs
    if len(docs) > 1:
        raise FileProblem(f"{display}: expected one YAML document, found {len(docs)}")
    return docs[0] if docs else None


def load_yaml(
    root: Path, path: Path, display: str, *, multi: bool = False, max_bytes: int = MAX_TEXT_BYTES
) -> Any:
    return parse_yaml(read_text(root, path, display, max_bytes), display, multi=multi)


def yaml_lines(text: str) -> dict[str, int]:
    """1-based line of every key and list item, keyed ``a.b[0].c``, so messages can cite lines.

    Call only after ``parse_yaml`` accepted the text.
    """
    lines: dict[str, int] = {}
    node = yaml.compose(text, Loader=_Loader)
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


def _count_nodes(root: yaml.Node | None, display: str) -> None:
    seen = 0
    stack: list[Any] = [root] if root is not None else []
    while stack:
        node = stack.pop()
        seen += 1
        if seen > MAX_YAML_NODES:
            raise FileProblem(f"{display}: YAML expands to more than {MAX_YAML_NODES} nodes")
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                stack.extend((key, value))
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)


def walk(
    root: Path, patterns: Iterable[str], exclude: Iterable[str] = (), *, limit: int = 200_000
) -> Iterator[Path]:
    """Repository files whose relative path matches a glob; symlinked folders are not entered.

    Symlinked *files* are yielded (unresolved) so the caller can report one that leaves the root
    instead of silently skipping it.
    """
    pats = tuple(patterns)
    excl = tuple(exclude)
    seen = 0
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS)
        base = Path(dirpath)
        for name in sorted(filenames):
            seen += 1
            if seen > limit:
                return
            path = base / name
            relpath = path.relative_to(root).as_posix()
            if matches(relpath, pats) and not matches(relpath, excl):
                yield path


def matches(relpath: str, patterns: Iterable[str]) -> bool:
    """Glob match on a relative POSIX path; ``**/`` also matches files at the top level."""
    for pat in patterns:
        if fnmatch.fnmatchcase(relpath, pat):
            return True
        if pat.startswith("**/") and fnmatch.fnmatchcase(relpath, pat[3:]):
            return True
    return False
