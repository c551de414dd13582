"""When a path last changed: its last commit, or its modification time if it has uncommitted edits.

Git history, not mtime, is the truth in CI: a fresh clone gives every file the same mtime. A
shallow clone gives every file the same (single) commit, so freshness cannot be judged there and
is reported as such instead of passing by accident.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

from aima_ci.safety.git import git

GIT_TIMEOUT = 30


@dataclass(frozen=True)
class Change:
    path: str  # relative to the repository root
    time: float | None  # POSIX seconds; None when nothing exists there
    how: str  # "commit", "uncommitted", "mtime" or "absent"


def _git(root: Path, *args: str) -> str | None:
    return git(root, *args, timeout=GIT_TIMEOUT)


def is_git_repo(root: Path) -> bool:
    out = _git(root, "rev-parse", "--is-inside-work-tree")
    return out is not None and out.strip() == "true"


def is_shallow(root: Path) -> bool:
    out = _git(root, "rev-parse", "--is-shallow-repository")
    return out is not None and out.strip() == "true"


def _max_mtime(path: Path) -> float | None:
    if path.is_symlink() or not path.exists():
        return None
    if path.is_file():
        return path.stat().st_mtime
    times = [
        (Path(d) / f).stat().st_mtime
        for d, _, files in os.walk(path, followlinks=False)
        for f in files
        if not (Path(d) / f).is_symlink()
    ]
    return max(times) if times else None


def last_change(path: Path, root: Path, use_git: bool) -> Change:
    rel = path.relative_to(root).as_posix() or "."
    if not use_git:
        t = _max_mtime(path)
        return Change(rel, t, "mtime" if t is not None else "absent")
    dirty = _git(root, "status", "--porcelain", "--untracked-files=all", "--", rel) or ""
    if dirty.strip():
        times = []
        for line in dirty.splitlines():
            name = line[3:].split(" -> ")[-1].strip().strip('"')
            t = _max_mtime(root / name)
            times.append(t if t is not None else time.time())  # deleted: changed just now
        return Change(rel, max(times), "uncommitted")
    out = (_git(root, "log", "-1", "--format=%ct", "--", rel) or "").strip()
    if out.isdigit():
        return Change(rel, float(out), "commit")
    t = _max_mtime(path)
    return Change(rel, t, "mtime" if t is not None else "absent")
