"""aima_ci.safety.git: git answers, or None; a missing repository never breaks a run."""

from __future__ import annotations

import subprocess
from pathlib import Path

from aima_ci.safety.git import current_branch, git, head_commit


def _run(root: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-C", str(root), "-c", "user.email=t@example.com", "-c", "user.name=t", *args],
        check=True,
        capture_output=True,
    )


def test_outside_a_repository_every_query_is_none(tmp_path: Path):
    assert git(tmp_path, "rev-parse", "HEAD") is None
    assert head_commit(tmp_path) is None and current_branch(tmp_path) is None
    assert git(tmp_path / "missing", "status") is None


def test_in_a_repository_the_commit_and_branch(tmp_path: Path):
    _run(tmp_path, "init", "-q", "-b", "trunk")
    assert head_commit(tmp_path) is None  # no commit yet
    (tmp_path / "f").write_text("x")
    _run(tmp_path, "add", "f")
    _run(tmp_path, "commit", "-q", "-m", "one")
    commit = head_commit(tmp_path)
    assert commit is not None and len(commit) == 40 and int(commit, 16) >= 0
    assert current_branch(tmp_path) == "trunk"
    assert (git(tmp_path, "log", "--format=%s") or "").strip() == "one"
    _run(tmp_path, "checkout", "-q", "--detach")
    assert current_branch(tmp_path) is None and head_commit(tmp_path) == commit
