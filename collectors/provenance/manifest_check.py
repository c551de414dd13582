"""Compare a data provenance manifest with the files on disk: missing, changed and extra files.

"Extra" matters as much as "changed": a file dropped into a dataset folder without review
silently changes what the model is trained on, so every file under the manifest's folders (and
beside each listed file) must be listed.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from aima_ci.safety.paths import PathError
from aima_ci.trust.provenance import Manifest, is_ignored, lexical_inside, walk_files


@dataclass
class ManifestReport:
    verified: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def problems(self) -> int:
        return len(self.missing) + len(self.changed) + len(self.extra)


def verify_manifest(manifest: Manifest, digest: Callable[[Path], str]) -> ManifestReport:
    """``digest`` returns ``sha256:<hex>`` for a path (the context's cached digest)."""
    report = ManifestReport()
    base = manifest.base
    listed = {e.path for e in manifest.entries}
    for entry in manifest.entries:
        where = f"{manifest.display}:{entry.line}" if entry.line else manifest.display
        try:
            target = lexical_inside(base, entry.path)
        except PathError as exc:
            report.errors.append(f"{where}: {exc}")
            continue
        if not target.exists():
            report.missing.append(entry.path)
        elif not target.is_file():
            report.errors.append(f"{where}: {entry.path} is not a regular file")
        elif entry.size is not None and target.stat().st_size != entry.size:
            report.changed.append(
                f"{entry.path} (size {target.stat().st_size}, manifest says {entry.size})"
            )
        elif digest(target) != "sha256:" + entry.sha256:
            report.changed.append(f"{entry.path} (SHA-256 differs)")
        else:
            report.verified.append(entry.path)
    own = manifest.file.name
    # Listed files' own folders are scanned flat; declared folders recursively.
    flat = sorted({os.path.dirname(p) for p in listed} - {""} - set(manifest.folders))
    candidates: set[str] = set()
    for folder in manifest.folders:
        try:
            target = lexical_inside(base, folder)
        except PathError as exc:
            report.errors.append(f"{manifest.display}:{manifest.line}: folders: {exc}")
            continue
        if not target.is_dir():
            report.missing.append(f"{folder}/ (declared folder)")
            continue
        files, links = walk_files(base, folder)
        candidates.update(files)
        report.errors.extend(f"{manifest.display}: symlink in dataset folder: {x}" for x in links)
    for folder in flat:
        try:
            target = lexical_inside(base, folder)
        except PathError:
            continue  # already reported through its entries
        if not target.is_dir():
            continue
        for child in sorted(target.iterdir()):
            rel = child.relative_to(base).as_posix()
            if child.is_symlink():
                report.errors.append(f"{manifest.display}: symlink in dataset folder: {rel}")
            elif child.is_file():
                candidates.add(rel)
    for rel in sorted(candidates - listed):
        if rel != own and not is_ignored(Path(rel).name, manifest.ignore):
            report.extra.append(rel)
    return report
