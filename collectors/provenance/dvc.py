"""Verify DVC-tracked data against the md5 hashes DVC recorded, without DVC installed.

DVC records an md5 per output in ``*.dvc`` files and per stage dependency/output in ``dvc.lock``.
Checking them here turns "the data the pipeline was built from" into something CI can verify.
DVC 3 (``hash: md5``) hashes the raw bytes; DVC 2 entries (no ``hash`` field) normalised CRLF to LF
for text files first, so both are accepted for those. A directory output (``md5: ....dir``) is
verified file by file from its ``.dir`` listing in the local DVC cache; without it the directory
cannot be verified and is reported as such rather than passed.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aima_ci.safety.paths import PathError, resolve_inside
from aima_ci.safety.safeio import FileProblem, line_of, read_text, strict_yaml

SKIP_DIRS = {
    ".git",
    ".dvc",
    ".aima",
    ".venv",
    "venv",
    "node_modules",
    "__pycache__",
    ".tox",
}
MAX_DIR_LISTING = 32 << 20


@dataclass(frozen=True)
class DvcEntry:
    """One hashed path recorded by DVC."""

    source: str  # the .dvc / dvc.lock file, relative to the repository root
    line: int | None
    path: str  # as written, relative to the source file's folder
    md5: str
    size: int | None
    legacy: bool  # no ``hash: md5`` field: DVC 2 hashing (text files CRLF-normalised)
    role: str  # "out" or "dep"

    @property
    def where(self) -> str:
        return f"{self.source}:{self.line}" if self.line else self.source

    @property
    def is_dir(self) -> bool:
        return self.md5.endswith(".dir")


@dataclass
class DvcReport:
    verified: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    unverifiable: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)


def find_dvc_files(start: Path) -> list[Path]:
    """``*.dvc`` pointer files and ``dvc.lock`` files under ``start``, never following symlinks."""
    found: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(start, followlinks=False):
        dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS)
        for name in sorted(filenames):
            if name.endswith(".dvc") or name == "dvc.lock":
                found.append(Path(dirpath) / name)
    return found


def _entry(item: Any, source: str, role: str, fallback_line: int | None) -> DvcEntry:
    line = line_of(item) or fallback_line
    if not isinstance(item, dict):
        raise FileProblem(source, f"each {role} must be a mapping", line)
    path, md5 = item.get("path"), item.get("md5")
    if not isinstance(path, str) or not path:
        raise FileProblem(source, f"{role}: 'path' must be a non-empty string", line)
    if not isinstance(md5, str) or not md5:
        raise FileProblem(source, f"{role} {path}: no md5 recorded", line)
    size = item.get("size")
    if size is not None and (isinstance(size, bool) or not isinstance(size, int)):
        raise FileProblem(source, f"{role} {path}: 'size' must be a whole number", line)
    hash_name = item.get("hash")
    if hash_name not in (None, "md5"):
        raise FileProblem(source, f"{role} {path}: unsupported hash {hash_name!r}", line)
    return DvcEntry(source, line, path, md5.lower(), size, hash_name is None, role)


def parse(path: Path, display: str) -> list[DvcEntry]:
    """The hashed entries of a ``.dvc`` file (outs) or a ``dvc.lock`` (every stage's deps, outs)."""
    data = strict_yaml(read_text(path, display), display)
    if not isinstance(data, dict):
        raise FileProblem(display, "must be a YAML mapping", 1)
    entries: list[DvcEntry] = []
    if path.name == "dvc.lock":
        stages = data.get("stages")
        if not isinstance(stages, dict):
            raise FileProblem(display, "'stages' must be a mapping", line_of(data))
        for name, stage in stages.items():
            if not isinstance(stage, dict):
                raise FileProblem(display, f"stage {name!r} must be a mapping", line_of(stages))
            for role, key in (("dep", "deps"), ("out", "outs")):
                items = stage.get(key) or []
                if not isinstance(items, list):
                    raise FileProblem(display, f"{name}.{key} must be a list", line_of(stage))
                entries.extend(_entry(i, display, role, line_of(items)) for i in items)
        return entries
    outs = data.get("outs")
    if not isinstance(outs, list) or not outs:
        raise FileProblem(display, "'outs' must be a non-empty list", line_of(data))
    return [_entry(i, display, "out", line_of(outs)) for i in outs]


def md5_file(path: Path, *, dos2unix: bool = False) -> str:
    digest = hashlib.md5(usedforsecurity=False)
    if not dos2unix:
        with open(path, "rb") as fh:
            while block := fh.read(1 << 20):
                digest.update(block)
        return digest.hexdigest()
    digest.update(path.read_bytes().replace(b"\r\n", b"\n"))
    return digest.hexdigest()


def _is_text(path: Path) -> bool:
    """DVC 2's heuristic, roughly: no NUL byte in the first 512 bytes."""
    with open(path, "rb") as fh:
        return b"\x00" not in fh.read(512)


def file_matches(path: Path, md5: str, legacy: bool) -> bool:
    if md5_file(path) == md5:
        return True
    return legacy and _is_text(path) and md5_file(path, dos2unix=True) == md5


def _safe_target(entry: DvcEntry, source_dir: Path, root: Path) -> Path:
    """The workspace path of an entry; anything outside the root or through a symlink refused."""
    if "://" in entry.path or entry.path.startswith("remote:"):
        raise ValueError("remote")
    if os.path.isabs(entry.path):
        raise PathError(f"{entry.path!r} is an absolute path")
    target = resolve_inside(source_dir, entry.path, root, must_exist=False)
    if target != Path(os.path.abspath(source_dir / entry.path)):
        raise PathError(f"{entry.path!r} is or passes through a symlink")
    return target


def _cache_listing(dvc_root: Path, md5: str) -> Path | None:
    for candidate in (
        dvc_root / ".dvc" / "cache" / "files" / "md5" / md5[:2] / md5[2:],  # DVC 3
        dvc_root / ".dvc" / "cache" / md5[:2] / md5[2:],  # DVC 2
    ):
        if candidate.is_file() and not candidate.is_symlink():
            return candidate
    return None


def _dvc_root(source_dir: Path, root: Path) -> Path:
    """The DVC project holding this file: the nearest folder with a ``.dvc`` folder."""
    for candidate in (source_dir, *source_dir.parents):
        if (candidate / ".dvc").is_dir():
            return candidate
        if candidate == root:
            break
    return root


def _verify_dir(entry: DvcEntry, target: Path, root: Path, report: DvcReport, label: str) -> None:
    listing_path = _cache_listing(_dvc_root(target.parent, root), entry.md5)
    if listing_path is None:
        report.unverifiable.append(
            f"{label}: directory output; its .dir listing {entry.md5} is not in the local DVC"
            " cache (run 'dvc pull' or 'dvc fetch' first)"
        )
        return
    raw = listing_path.read_bytes()[:MAX_DIR_LISTING]
    if hashlib.md5(raw, usedforsecurity=False).hexdigest() + ".dir" != entry.md5:
        report.errors.append(f"{label}: DVC cache listing {listing_path.name} is corrupt")
        return
    try:
        listing = json.loads(raw)
        files = {str(i["relpath"]): str(i["md5"]) for i in listing}
    except (ValueError, TypeError, KeyError):
        report.errors.append(f"{label}: DVC cache listing {listing_path.name} is malformed")
        return
    if not target.is_dir():
        report.missing.append(f"{label}: directory not in the workspace")
        return
    present: set[str] = set()
    for dirpath, dirnames, filenames in os.walk(target, followlinks=False):
        for name in [*dirnames, *filenames]:
            p = Path(dirpath) / name
            if p.is_symlink():
                report.errors.append(f"{label}: symlink {p.relative_to(target).as_posix()}")
        for name in filenames:
            p = Path(dirpath) / name
            if not p.is_symlink():
                present.add(p.relative_to(target).as_posix())
    bad = 0
    for rel, md5 in sorted(files.items()):
        if rel not in present:
            report.missing.append(f"{label}/{rel}")
            bad += 1
        elif not file_matches(target / rel, md5, entry.legacy):
            report.changed.append(f"{label}/{rel}: md5 differs from the DVC cache listing")
            bad += 1
    for rel in sorted(present - set(files)):
        report.changed.append(f"{label}/{rel}: not in the DVC listing (extra file)")
        bad += 1
    if not bad:
        report.verified.append(f"{label} ({len(files)} files)")


def verify(entries: list[DvcEntry], source: Path, root: Path, report: DvcReport) -> None:
    source_dir = source.parent
    for entry in entries:
        label = f"{entry.where} {entry.role} {entry.path}"
        try:
            target = _safe_target(entry, source_dir, root)
        except ValueError as exc:
            if str(exc) == "remote":
                report.unverifiable.append(f"{label}: remote path, not in the workspace")
            else:
                report.errors.append(f"{label}: {exc}")
            continue
        if entry.is_dir:
            _verify_dir(entry, target, root, report, label)
        elif not target.exists():
            report.missing.append(f"{label}: not in the workspace (run 'dvc pull'?)")
        elif not target.is_file():
            report.errors.append(f"{label}: recorded as a file but is not a regular file")
        elif entry.size is not None and target.stat().st_size != entry.size:
            report.changed.append(f"{label}: size {target.stat().st_size} != recorded {entry.size}")
        elif not file_matches(target, entry.md5, entry.legacy):
            report.changed.append(f"{label}: md5 differs from the recorded {entry.md5}")
        else:
            report.verified.append(label)


def iter_sources(start: Path, root: Path) -> Iterator[tuple[Path, str]]:
    for path in find_dvc_files(start):
        yield path, path.relative_to(root).as_posix()
