"""Read-only git queries for the repository being assessed.

Every caller wants the same thing: the answer, or None when git is missing, the folder is not a
repository, the query fails or hangs. A run never breaks for lack of git; it records less.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

TIMEOUT = 10.0


def git(root: Path, *args: str, timeout: float = TIMEOUT) -> str | None:
    """``git -C root args...``'s standard output when it exits 0, else None."""
    try:
        out = subprocess.run(
            ["git", "-C", str(root), *args],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout if out.returncode == 0 else None


def head_commit(root: Path) -> str | None:
    """The full commit id of HEAD, or None (no git, no repository, no commit yet)."""
    commit = (git(root, "rev-parse", "HEAD") or "").strip()
    return commit if len(commit) >= 40 else None


def current_branch(root: Path) -> str | None:
    """The checked-out branch, or None (detached HEAD, no git, no repository)."""
    name = (git(root, "rev-parse", "--abbrev-ref", "HEAD") or "").strip()
    return name if name and name != "HEAD" else None
