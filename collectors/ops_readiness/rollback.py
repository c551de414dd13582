"""Is there somewhere to roll back to? A previous model version in a registry file, or a tag.

The registry file is the project's own record (YAML or JSON)::

    model: credit-scorer
    current: "1.4.0"
    versions:
      - {version: "1.4.0", artifact: models/credit-1.4.0.skops}
      - {version: "1.3.2", artifact: "s3://models/credit/1.3.2"}
    rollback_to: "1.3.2"        # optional: default is the newest other version

A git (or DVC, which versions data through git) tag pattern is the alternative: a matching tag
on a commit other than HEAD is a known-good release to return to.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class RollbackResult:
    ok: bool
    message: str
    details: dict[str, Any] = field(default_factory=dict)


def _locates(where: str) -> bool:
    """Could this be where a model version is stored (a path, file name or URI), not "x"?"""
    where = where.strip()
    return len(where) >= 3 and any(c in where for c in "/.:")


def from_registry(data: Any, display: str) -> RollbackResult:
    if not isinstance(data, Mapping):
        return RollbackResult(False, f"{display}: must be a mapping with current: and versions:")
    versions = data.get("versions")
    if not isinstance(versions, list) or not versions:
        return RollbackResult(False, f"{display}: no versions: list")
    usable = []
    for i, v in enumerate(versions):
        if not isinstance(v, Mapping) or not v.get("version"):
            return RollbackResult(False, f"{display}: versions[{i}] has no version")
        where = str(v.get("artifact") or v.get("uri") or v.get("path") or "")
        # evidence minimums: "x" locates nothing; a path or URI has a separator or a suffix
        if where and _locates(where):
            usable.append(str(v["version"]))
    current = data.get("current")
    if current is None:
        return RollbackResult(False, f"{display}: no current: version recorded")
    current = str(current)
    if current not in [str(v["version"]) for v in versions]:
        return RollbackResult(
            False, f"{display}: current version {current!r} is not under versions:"
        )
    target = data.get("rollback_to")
    if target is not None:
        target = str(target)
        if target == current:
            return RollbackResult(
                False, f"{display}: rollback_to is the current version {current!r}"
            )
        if target not in usable:
            return RollbackResult(
                False, f"{display}: rollback_to {target!r} has no recorded artifact/uri"
            )
    else:
        others = [v for v in usable if v != current]
        if not others:
            return RollbackResult(
                False,
                f"{display}: no version other than {current!r} with an artifact/uri (a path or"
                " URI, not a placeholder) to roll back to",
            )
        target = others[0]
    name = data.get("model") or "model"
    return RollbackResult(
        True,
        f"{display}: {name} {current} can roll back to {target}",
        {"current": current, "rollback_to": target, "versions": len(versions)},
    )


def from_git_tags(root: Path, pattern: str, timeout: float = 30.0) -> RollbackResult:
    git = shutil.which("git")
    if git is None:
        return RollbackResult(False, "git is not installed; cannot list tags")
    try:
        head = _git(git, root, ["rev-parse", "--verify", "-q", "HEAD"], timeout)
        listing = _git(
            git,
            root,
            [
                "for-each-ref",
                "--format=%(refname:short) %(*objectname) %(objectname)",
                f"refs/tags/{pattern}",
            ],
            timeout,
        )
    except (subprocess.SubprocessError, OSError) as exc:
        return RollbackResult(False, f"git could not list tags: {exc}")
    tags = []
    for line in listing.splitlines():
        parts = line.split()
        if not parts:
            continue
        name, commit = parts[0], parts[1] if len(parts) == 3 else parts[-1]
        tags.append((name, commit))
    earlier = [name for name, commit in tags if commit != head.strip()]
    if not earlier:
        found = f" ({len(tags)} on HEAD itself)" if tags else ""
        return RollbackResult(
            False,
            f"no git tag matching {pattern!r} on an earlier commit{found}",
            {"tags": [t for t, _ in tags]},
        )
    return RollbackResult(
        True,
        f"{len(earlier)} git tag(s) matching {pattern!r} to roll back to (e.g. {earlier[-1]})",
        {"tags": earlier[-20:]},
    )


def _git(git: str, root: Path, args: list[str], timeout: float) -> str:
    proc = subprocess.run(
        [git, "-C", str(root), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if proc.returncode not in (0, 1):
        raise subprocess.SubprocessError(proc.stderr.strip()[:200] or f"exit {proc.returncode}")
    return proc.stdout
