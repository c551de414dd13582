"""Read what provenance is judged on: the manifest checked against the files, and DVC's hashes.

Raw readings only (which files are missing, changed, extra; which DVC outputs match); whether
that passes, and whether a sign-off is recent enough, is ``judge``'s call. A manifest that does
not exist or does not parse is a reading too, so every check it feeds can say so.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from aima_ci.models import Subject
from aima_ci.plugin import CollectorContext, InputError
from aima_ci.safety.safeio import FileProblem
from aima_ci.trust.provenance import Manifest, parse_manifest

from . import dvc
from .manifest_check import ManifestReport, verify_manifest


@dataclass(frozen=True)
class ManifestReading:
    value: str  # the manifest path as configured (for the 'provenance write' hint)
    display: str  # relative to the repository root
    exists: bool
    problem: str = ""  # why the manifest could not be parsed ("" when it was)
    manifest: Manifest | None = None
    subject: Subject | None = None
    report: ManifestReport | None = None


@dataclass(frozen=True)
class DvcReading:
    start: str  # the folder searched, relative to the repository root ("" for the root)
    sources: tuple[str, ...]  # the .dvc / dvc.lock files found
    report: dvc.DvcReport


def read_manifest(ctx: CollectorContext, value: str) -> ManifestReading:
    """The manifest at ``value`` and every listed file's SHA-256 compared with the disk."""
    path = ctx.path(value, "manifest", must_exist=False)
    display = path.relative_to(ctx.root.resolve()).as_posix()
    if not path.exists():
        return ManifestReading(value, display, exists=False)
    if path.is_dir():
        raise InputError(f"collectors.provenance.manifest: {display} is a folder, not a file")
    try:
        manifest = parse_manifest(path, display)
    except FileProblem as exc:
        return ManifestReading(value, display, True, problem=str(exc))
    subject = ctx.subject("data-manifest", path)
    ctx.progress(f"hashing {len(manifest.entries)} dataset file(s)", 0.1)
    report = verify_manifest(manifest, ctx.digest)
    return ManifestReading(value, display, True, manifest=manifest, subject=subject, report=report)


def read_dvc(ctx: CollectorContext, dvc_root: str) -> DvcReading:
    """Every ``.dvc``/``dvc.lock`` under ``dvc_root``, each recorded md5 checked on disk."""
    root = Path(os.path.realpath(ctx.root))
    start = ctx.path(dvc_root, "dvc_root")
    sources = list(dvc.iter_sources(start, root))
    report = dvc.DvcReport()
    for path, display in sources:
        report.sources.append(display)
        try:
            entries = dvc.parse(path, display)
        except FileProblem as exc:
            report.errors.append(str(exc))
            continue
        dvc.verify(entries, path, root, report)
    return DvcReading(start.relative_to(root).as_posix(), tuple(d for _, d in sources), report)
