"""Getting an evidently 0.7 drift result: run evidently on two tables, or read a stored result.

Both modes end in ``_result.parse``, so a report produced elsewhere is measured exactly like one
produced here; what comes out is raw (a ``DriftResult`` plus the files it rests on), and
``judge`` alone turns it into findings.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aima_ci.models import Subject
from aima_ci.plugin import CollectorContext, InputError
from aima_ci.safety.safeio import rel

from . import _result
from .settings import Settings

if TYPE_CHECKING:
    import pandas as pd


@dataclass(frozen=True)
class Measured:
    """The drift result and the evidence behind it (subjects hashed, artefacts kept)."""

    result: _result.DriftResult
    subjects: list[Subject]
    artefacts: list[Path]


def measure(ctx: CollectorContext, settings: Settings, drift_share: float) -> Measured:
    """Run evidently (run mode) or read its stored result (report mode); never judges."""
    if settings.mode == "run":
        data, subjects, artefacts = _from_run(ctx, settings, drift_share)
        where = "collectors.evidently"
    else:
        data, subjects, artefacts = _from_report(ctx, settings)
        where = f"collectors.evidently.report: {subjects[0].path}"
    try:
        result = _result.parse(data)
        if settings.mode == "report" and settings.columns:
            result = _result.restrict(result, settings.columns)
    except _result.ResultError as exc:
        raise InputError(f"{where}: {exc}") from None
    return Measured(result, subjects, artefacts)


def _from_run(
    ctx: CollectorContext, settings: Settings, drift_share: float
) -> tuple[Any, list[Subject], list[Path]]:
    from .. import _tabular
    from . import _tables

    assert settings.reference is not None and settings.current is not None
    ref_path = ctx.path(settings.reference, "reference")
    cur_path = ctx.path(settings.current, "current")
    displays = (rel(ctx.root, ref_path), rel(ctx.root, cur_path))
    subjects = [
        ctx.subject("dataset", ref_path, name=f"reference: {ref_path.name}"),
        ctx.subject("dataset", cur_path, name=f"current: {cur_path.name}"),
    ]
    ctx.progress("reading data", 0.05)
    reference = _tabular.read_table(ref_path, f"collectors.evidently.reference: {displays[0]}")
    current = _tabular.read_table(cur_path, f"collectors.evidently.current: {displays[1]}")
    columns = _tables.choose_columns(reference, current, settings.columns, displays)
    for key, names in (
        ("categorical", settings.categorical),
        ("column_methods", list(settings.column_methods)),
        ("thresholds.columns", list(settings.column_thresholds)),
    ):
        outside = [n for n in names if n not in columns]
        if outside:
            raise InputError(
                f"collectors.evidently.{key}: column '{outside[0]}' is not among the compared columns"
            )
    numerical, categorical = _tables.check_columns(
        reference, current, columns, settings.categorical, displays
    )
    ctx.progress("running evidently", 0.3)
    json_path = ctx.artefact("drift-report.json")
    html_path = ctx.artefact("drift-report.html") if settings.html else None
    text = run_report(
        reference, current, numerical, categorical, settings, drift_share, json_path, html_path
    )
    artefacts = [json_path] + ([html_path] if html_path else [])
    return json.loads(text), subjects, artefacts


def _from_report(
    ctx: CollectorContext, settings: Settings
) -> tuple[Any, list[Subject], list[Path]]:
    assert settings.report is not None
    path = ctx.path(settings.report, "report")
    display = rel(ctx.root, path)
    if not path.is_file():
        raise InputError(f"collectors.evidently.report: {display}: not a file")
    try:
        data = _result.load(path)
    except _result.ResultError as exc:
        raise InputError(f"collectors.evidently.report: {display}: {exc}") from None
    copy = ctx.artefact("drift-report.json")
    shutil.copyfile(path, copy)
    return data, [ctx.subject("report", path)], [copy]


def run_report(
    reference: pd.DataFrame,
    current: pd.DataFrame,
    numerical: Sequence[str],
    categorical: Sequence[str],
    settings: Settings,
    drift_share: float,
    json_path: Path,
    html_path: Path | None,
) -> str:
    """Run the drift preset plus a missing-value count per column; return the result JSON text."""
    os.environ.setdefault("DO_NOT_TRACK", "1")  # evidently's telemetry is UI-only; be sure anyway
    from evidently import DataDefinition, Dataset, Report
    from evidently.metrics import MissingValueCount
    from evidently.presets import DataDriftPreset

    columns = [*numerical, *categorical]
    definition = DataDefinition(
        numerical_columns=list(numerical), categorical_columns=list(categorical)
    )
    preset: dict[str, Any] = {"columns": columns, "drift_share": drift_share}
    if settings.method:
        preset["method"] = settings.method
    if settings.column_methods:
        preset["per_column_method"] = dict(settings.column_methods)
    if settings.column_thresholds:
        preset["per_column_threshold"] = dict(settings.column_thresholds)
    report = Report(
        [DataDriftPreset(**preset), *(MissingValueCount(column=c) for c in columns)],
        include_tests=True,
    )
    try:
        snapshot = report.run(
            current_data=Dataset.from_pandas(current[columns], data_definition=definition),
            reference_data=Dataset.from_pandas(reference[columns], data_definition=definition),
        )
    except (ValueError, KeyError, TypeError) as exc:
        # evidently raises these for an unknown method name or data it cannot compare.
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise InputError(
            f"collectors.evidently: evidently rejected the data or settings: {first}"
        ) from None
    text = snapshot.json()
    json_path.write_text(text, encoding="utf-8")
    if html_path is not None:
        snapshot.save_html(str(html_path))
    return text
