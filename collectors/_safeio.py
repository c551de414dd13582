"""Finding the repository files a collector reads, without leaving the repository.

Reading them is ``aima_ci.safety.safeio``'s job (the core reads repository files too); what is left
here is collector-side: which files match a collector's globs, with other people's code and
generated output skipped, and a symlink that leads out of the repository reported rather than
followed or silently dropped.
"""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Iterable, Iterator
from pathlib import Path

from aima_ci.plugin import CollectorContext, InputError
from aima_ci.safety.safeio import FileProblem, inside, parse_yaml

# FileProblem and parse_yaml lived here before the reader moved to the core; tests/robustness
# still imports them from this module.
__all__ = [
    "SKIP_DIRS",
    "FileProblem",
    "configured_files",
    "find_inside",
    "matches",
    "parse_yaml",
    "walk",
]

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


def configured_files(
    ctx: CollectorContext, key: str, items: Iterable[str], folder_patterns: Iterable[str] = ()
) -> tuple[list[Path], list[str]]:
    """The files a config value of paths and globs names, and what was wrong with it.

    A glob is matched below the config's folder (``find_inside``); a plain path must resolve
    inside the repository (``ctx.path``: its error names ``collectors.<name>.<key>``) and, if it
    is a folder and ``folder_patterns`` are given, stands for the files in it that match them.
    Problems are messages, not exceptions: one bad entry must not hide what the others name.
    """
    files: list[Path] = []
    problems: list[str] = []
    pats = tuple(folder_patterns)
    for item in items:
        if any(ch in item for ch in "*?["):
            found, refused = find_inside(ctx.root, ctx.config_dir, [item])
            files.extend(found)
            problems.extend(refused)
            continue
        try:
            path = ctx.path(item, key)
        except InputError as exc:
            problems.append(str(exc))
            continue
        if pats and path.is_dir():
            files.extend(find_inside(ctx.root, path, pats)[0])
        else:
            files.append(path)
    return list(dict.fromkeys(files)), problems


def find_inside(
    root: Path, base: Path, patterns: Iterable[str], exclude: Iterable[str] = ()
) -> tuple[list[Path], list[str]]:
    """Files under ``base`` matching the globs, resolved, and one message per symlink out of
    ``root``: an unread file is reported, so that skipping it cannot look like a clean result."""
    files: list[Path] = []
    refused: list[str] = []
    for path in walk(base, patterns, exclude):
        if inside(root, path):
            files.append(path.resolve())
        else:
            refused.append(
                f"{path.relative_to(base).as_posix()}: symlink resolving outside the repository;"
                " not read"
            )
    return files, refused


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
