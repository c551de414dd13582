"""Data provenance manifests: the signed-off list of dataset files and their SHA-256 digests.

Shared by ``aima-ci provenance write`` (which creates the manifest) and the ``provenance``
collector (which verifies it), so the two can never disagree on the format. The core must not
import a collector, hence this module lives in the core.

Format (paths are relative to the manifest's own folder and may not leave it)::

    version: 1
    signed_off_by: "Jane Doe <jane@example.com>"   # who reviewed these datasets
    date: "2026-01-31"                             # when
    folders: [data]      # every file under these folders must be listed
    ignore: ["*.tmp"]    # file-name globs never reported as extra
    files:
      - {path: data/train.csv, sha256: ..., size: 1234, source: "...", licence: "CC-BY-4.0"}

The file is read with ``safeio``'s strict reader, as the document collectors read theirs.
"""

from __future__ import annotations

import fnmatch
import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from aima_ci.safety.hashing import sha256_file
from aima_ci.safety.paths import PathError, safe_relpath
from aima_ci.safety.safeio import FileProblem, line_of, read_text, strict_yaml

# The names this module gave the reader before it moved to ``safeio``: aima_ci/cli/main.py and
# tests/robustness still import them from here.
DocumentError = FileProblem
load_yaml = strict_yaml

MANIFEST_VERSION = 1
DEFAULT_MANIFEST = "data-manifest.yaml"
# Housekeeping files that are never data; DVC pointer files are checked by the DVC part instead.
DEFAULT_IGNORE = (".gitignore", ".gitkeep", ".gitattributes", ".DS_Store", "*.dvc")
SHA256_RE = re.compile(r"^[0-9a-f]{64}$")
DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


# --------------------------------------------------------------------------- the manifest
@dataclass(frozen=True)
class ManifestEntry:
    path: str  # relative to the manifest's folder, POSIX
    sha256: str
    size: int | None = None
    source: str = ""
    licence: str = ""
    line: int | None = None


@dataclass(frozen=True)
class Manifest:
    file: Path
    display: str
    signed_off_by: str
    date: str
    folders: tuple[str, ...]
    ignore: tuple[str, ...]
    entries: tuple[ManifestEntry, ...]
    line: int | None = None
    extra_keys: dict[str, Any] = field(default_factory=dict)

    @property
    def base(self) -> Path:
        return Path(os.path.realpath(self.file.parent))


def _text_field(data: dict[str, Any], key: str, display: str) -> str:
    value = data.get(key)
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise FileProblem(display, f"'{key}' must be text", line_of(data))
    return str(value).strip()


def _rel_list(value: Any, key: str, display: str, line: int | None) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise FileProblem(display, f"'{key}' must be a list of paths", line_of(value) or line)
    out = []
    for v in value:
        try:
            out.append(safe_relpath(v.rstrip("/")))
        except PathError as exc:
            raise FileProblem(display, f"'{key}': {exc}", line_of(value) or line) from None
    return tuple(out)


def parse_manifest(path: Path, display: str) -> Manifest:
    """Read and validate a manifest; any malformed part is a FileProblem naming its line."""
    data = strict_yaml(read_text(path, display), display)
    if not isinstance(data, dict):
        raise FileProblem(display, "must be a YAML mapping with a 'files' list", 1)
    top = line_of(data)
    version = data.get("version", MANIFEST_VERSION)
    if version != MANIFEST_VERSION:
        raise FileProblem(display, f"unsupported manifest version {version!r}", top)
    files = data.get("files")
    if not isinstance(files, list):
        raise FileProblem(display, "'files' must be a list of {path, sha256} entries", top)
    ignore = data.get("ignore") or []
    if not isinstance(ignore, list) or not all(isinstance(g, str) for g in ignore):
        raise FileProblem(display, "'ignore' must be a list of file-name globs", top)
    entries: list[ManifestEntry] = []
    seen: set[str] = set()
    for item in files:
        line = line_of(item) or line_of(files)
        if not isinstance(item, dict):
            raise FileProblem(display, "each 'files' entry must be a mapping", line)
        raw_path = item.get("path")
        try:
            rel = safe_relpath(raw_path) if isinstance(raw_path, str) else None
        except PathError as exc:
            raise FileProblem(display, f"files: {exc}", line) from None
        if rel is None:
            raise FileProblem(display, "files: 'path' must be a relative path", line)
        if rel in seen:
            raise FileProblem(display, f"files: {rel!r} is listed twice", line)
        seen.add(rel)
        digest = item.get("sha256")
        if not isinstance(digest, str) or not SHA256_RE.match(digest.lower()):
            raise FileProblem(display, f"files: {rel}: 'sha256' must be 64 hex digits", line)
        size = item.get("size")
        if size is not None and (isinstance(size, bool) or not isinstance(size, int) or size < 0):
            raise FileProblem(display, f"files: {rel}: 'size' must be a whole number", line)
        entries.append(
            ManifestEntry(
                path=rel,
                sha256=digest.lower(),
                size=size,
                source=_text_field(item, "source", display),
                licence=_text_field(item, "licence", display)
                or _text_field(item, "license", display),
                line=line,
            )
        )
    known = {"version", "signed_off_by", "date", "folders", "ignore", "files"}
    return Manifest(
        file=path,
        display=display,
        signed_off_by=_text_field(data, "signed_off_by", display),
        date=_text_field(data, "date", display),
        folders=_rel_list(data.get("folders"), "folders", display, top),
        ignore=tuple(ignore),
        entries=tuple(entries),
        line=top,
        extra_keys={k: v for k, v in data.items() if k not in known},
    )


def is_ignored(name: str, patterns: Iterable[str]) -> bool:
    return any(fnmatch.fnmatch(name, p) for p in (*DEFAULT_IGNORE, *patterns))


def lexical_inside(base: Path, rel: str) -> Path:
    """``base/rel`` resolved; a PathError if any part of it is a symlink or it leaves ``base``."""
    safe_relpath(rel)
    lexical = Path(os.path.abspath(base / rel))
    resolved = Path(os.path.realpath(lexical))
    if resolved != lexical:
        raise PathError(f"{rel!r} is or passes through a symlink")
    if not resolved.is_relative_to(base):
        raise PathError(f"{rel!r} leaves the manifest's folder")
    try:
        os.lstat(resolved)
    except (FileNotFoundError, NotADirectoryError):
        pass  # missing: the caller reports it as such
    except OSError as exc:  # a name too long for the filesystem: no file can have it
        raise PathError(f"{rel[:80]!r} cannot be used: {exc.strerror or exc}") from None
    return resolved


def walk_files(base: Path, folder: str) -> tuple[list[str], list[str]]:
    """Files under ``base/folder`` (relative to base), and the symlinks met (never followed)."""
    files: list[str] = []
    links: list[str] = []
    top = lexical_inside(base, folder)
    for dirpath, dirnames, filenames in os.walk(top, followlinks=False):
        here = Path(dirpath)
        for d in list(dirnames):
            if (here / d).is_symlink():
                links.append((here / d).relative_to(base).as_posix())
                dirnames.remove(d)
        dirnames[:] = sorted(d for d in dirnames if d not in (".git", ".dvc"))
        for name in sorted(filenames):
            p = here / name
            rel = p.relative_to(base).as_posix()
            (links if p.is_symlink() else files).append(rel)
    return files, links


# --------------------------------------------------------------------------- writing
@dataclass(frozen=True)
class WriteResult:
    text: str
    files: int
    kept_signoff: bool
    notes: tuple[str, ...]


def build_manifest(
    out: Path, inputs: Sequence[Path], previous: Manifest | None = None
) -> WriteResult:
    """Hash ``inputs`` (files or folders) into manifest text for ``out``.

    Per-file ``source``/``licence`` are carried over from ``previous``; its sign-off is kept only
    when every digest is unchanged, because a sign-off vouches for exact content.
    """
    base = Path(os.path.realpath(out.parent))
    rels: list[str] = []
    folders: list[str] = []
    notes: list[str] = []
    ignore = previous.ignore if previous else ()
    for item in inputs:
        # Resolve the folders above the item (so a symlinked checkout path still matches the
        # manifest's real folder) but not the item itself: a symlinked dataset must be refused.
        absolute = Path(os.path.abspath(item))
        lexical = Path(os.path.realpath(absolute.parent)) / absolute.name
        if not lexical.is_relative_to(base):
            raise PathError(f"{item} is outside the manifest's folder {base}")
        rel = lexical.relative_to(base).as_posix()
        if rel == ".":
            raise PathError("list the dataset folders, not the manifest's own folder")
        target = lexical_inside(base, rel)
        if target.is_dir():
            found, links = walk_files(base, rel)
            if links:
                raise PathError(f"symlinks are not allowed in datasets: {', '.join(links)}")
            folders.append(rel)
            rels.extend(f for f in found if not is_ignored(Path(f).name, ignore))
        elif target.is_file():
            rels.append(rel)
        else:
            raise PathError(f"{item} does not exist or is not a regular file")
    own = out.name
    rels = sorted({r for r in rels if r != own})
    if not rels:
        raise PathError("no files to list")
    old = {e.path: e for e in previous.entries} if previous else {}
    files = []
    changed = False
    for rel in rels:
        path = base / rel
        digest = sha256_file(path)
        prev = old.get(rel)
        if prev is None or prev.sha256 != digest:
            changed = True
        files.append(
            {
                "path": rel,
                "sha256": digest,
                "size": path.stat().st_size,
                "source": prev.source if prev else "",
                "licence": prev.licence if prev else "",
            }
        )
    if previous and set(old) - set(rels):
        changed = True
    keep = bool(previous) and not changed
    if previous and changed and previous.signed_off_by:
        notes.append("content changed since the last sign-off: signed_off_by and date cleared")
    data: dict[str, Any] = {
        "version": MANIFEST_VERSION,
        "signed_off_by": previous.signed_off_by if keep and previous else "",
        "date": previous.date if keep and previous else "",
        "folders": sorted(set(folders)),
    }
    if ignore:
        data["ignore"] = list(ignore)
    data["files"] = files
    header = (
        "# Data provenance manifest (aima-ci provenance write). Paths are relative to this file.\n"
        "# Review the datasets, then fill signed_off_by (name <email>) and date (YYYY-MM-DD);\n"
        "# add each file's source and licence. Regenerating clears the sign-off if content changed.\n"
    )
    body = yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)
    return WriteResult(header + body, len(files), keep, tuple(notes))
