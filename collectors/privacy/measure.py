"""Measuring training data for privacy: the declared purpose, and PII counts in a row sample.

Everything here is raw: which purpose was declared (or why it could not be read), which files
were sampled, and per column how many cells each detector confirmed. Values never leave this
module except masked (``detectors.mask``); ``judge`` decides what the counts mean.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aima_ci_collectors._safeio import configured_files

from aima_ci.models import Subject
from aima_ci.plugin import CollectorContext, InputError
from aima_ci.safety.safeio import FileProblem, rel

from . import detectors, purpose, readers
from .settings import NAME, Settings

DATA_EXTS = ("*.csv", "*.tsv", "*.jsonl", "*.ndjson", "*.parquet")


@dataclass
class FileScan:
    """One data file: its sample and PII counts, or why it could not be read."""

    path: Path
    display: str
    error: str | None = None  # unreadable data: the check errs
    not_run: str | None = None  # a reader's optional package is missing
    sample: readers.Sample | None = None
    subject: Subject | None = None
    counts: dict[str, Counter[str]] = field(default_factory=dict)  # column -> kind -> cells


@dataclass
class Measured:
    declared: purpose.Purpose | None
    purpose_error: str | None
    problems: list[str]  # config entries that named no readable file
    files: list[FileScan]
    report: Path | None  # pii-report.json, written when there was anything to scan


def measure(ctx: CollectorContext, settings: Settings) -> Measured:
    declared, purpose_error = read_purpose(ctx, settings)
    files, problems = configured_files(ctx, "data", settings.data, DATA_EXTS)
    if not files and not problems:
        return Measured(declared, purpose_error, problems, [], None)
    report: dict[str, Any] = {}
    out = ctx.artefact("pii-report.json")
    personal = set(declared.personal_data) if declared else set()
    scans = []
    for i, path in enumerate(files):
        display = rel(ctx.root, path)
        ctx.progress(f"sampling {display}", i / max(1, len(files)))
        scans.append(_scan_file(ctx, path, display, settings, personal, report))
    out.write_text(json.dumps(report, indent=2, ensure_ascii=False), encoding="utf-8")
    return Measured(declared, purpose_error, problems, scans, out)


def read_purpose(
    ctx: CollectorContext, settings: Settings
) -> tuple[purpose.Purpose | None, str | None]:
    """The declared purpose (inline, a named file, or data-purpose.yaml if present), or why not."""
    raw = settings.purpose
    try:
        if isinstance(raw, Mapping):
            return purpose.parse(raw, f"collectors.{NAME}.purpose"), None
        name = raw if isinstance(raw, str) else purpose.DEFAULT_FILE
        path = ctx.path(name, "purpose", must_exist=isinstance(raw, str))
        if not path.exists():
            return None, None
        return purpose.load(ctx.root, path), None
    except (InputError, FileProblem) as exc:
        return None, str(exc)


def _scan_file(
    ctx: CollectorContext,
    path: Path,
    display: str,
    settings: Settings,
    personal: set[str],
    report: dict[str, Any],
) -> FileScan:
    try:
        sample = readers.read_sample(
            path, display, settings.sample_rows, settings.seed, settings.sample
        )
    except readers.DataError as exc:
        report[display] = {"error": str(exc)}
        return FileScan(path, display, error=str(exc))
    except readers.MissingTool as exc:
        report[display] = {"not_run": str(exc)}
        return FileScan(path, display, not_run=str(exc))
    subject = ctx.subject("dataset", path)
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    examples: dict[str, dict[str, str]] = defaultdict(dict)
    for row in sample.rows:
        for column, value in row.items():
            if not value:
                continue
            for kind, match in detectors.find(value, settings.pii_types):
                counts[column][kind] += 1
                examples[column].setdefault(kind, detectors.mask(kind, match))
    report[display] = {
        "rows_sampled": len(sample.rows),
        "rows_total": sample.total_rows,
        "ragged_rows": sample.ragged_rows,
        "columns": sample.columns,
        "pii_counts": {c: dict(v) for c, v in counts.items()},
        "masked_examples": {c: dict(v) for c, v in examples.items()},
        "declared_personal_data": sorted(personal),
    }
    return FileScan(path, display, sample=sample, subject=subject, counts=dict(counts))
