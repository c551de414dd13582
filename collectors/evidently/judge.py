"""One evidently collector run: get a drift result (run it, or read it), judge it, keep evidence."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from aima_ci.models import Finding, Severity, Status, Subject
from aima_ci.plugin import Collector, CollectorContext, InputError
from aima_ci.safety.safeio import rel

from . import _result
from ._settings import Settings


def _display(ctx: CollectorContext, path: Path) -> str:
    return rel(ctx.root, path)


def _from_run(
    ctx: CollectorContext, settings: Settings, drift_share: float
) -> tuple[Any, list[Subject], list[Path]]:
    from .. import _tabular
    from . import _engine, _tables

    assert settings.reference is not None and settings.current is not None
    ref_path = ctx.path(settings.reference, "reference")
    cur_path = ctx.path(settings.current, "current")
    displays = (_display(ctx, ref_path), _display(ctx, cur_path))
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
    text = _engine.run_report(
        reference, current, numerical, categorical, settings, drift_share, json_path, html_path
    )
    import json

    artefacts = [json_path] + ([html_path] if html_path else [])
    return json.loads(text), subjects, artefacts


def _from_report(
    ctx: CollectorContext, settings: Settings
) -> tuple[Any, list[Subject], list[Path]]:
    assert settings.report is not None
    path = ctx.path(settings.report, "report")
    display = _display(ctx, path)
    if not path.is_file():
        raise InputError(f"collectors.evidently.report: {display}: not a file")
    try:
        data = _result.load(path)
    except _result.ResultError as exc:
        raise InputError(f"collectors.evidently.report: {display}: {exc}") from None
    copy = ctx.artefact("drift-report.json")
    shutil.copyfile(path, copy)
    return data, [ctx.subject("report", path)], [copy]


def run(collector: Collector, ctx: CollectorContext, settings: Settings) -> Iterator[Finding]:
    drift_share = ctx.threshold("evidently.drift_share")
    missing_share = ctx.threshold("evidently.missing_values", "missing_share")
    assert drift_share is not None and missing_share is not None
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
    ctx.progress("judging", 0.9)
    common: dict[str, Any] = {"subjects": subjects, "artefacts": artefacts}
    yield _share_finding(ctx, result, drift_share, settings, common)
    yield from _column_findings(ctx, result, settings, common)
    yield _missing_finding(ctx, result, missing_share, settings, common)
    ctx.progress("done", 1.0)


def _column_details(result: _result.DriftResult) -> dict[str, Any]:
    return {
        c.column: {
            "method": c.method,
            "threshold": c.threshold,
            "score": c.score,
            "test_status": c.status or None,
            "drifted": c.drifted,
        }
        for c in result.columns.values()
    }


def _share_finding(
    ctx: CollectorContext,
    result: _result.DriftResult,
    threshold: float,
    settings: Settings,
    common: dict[str, Any],
) -> Finding:
    drifted = [c.column for c in result.columns.values() if c.drifted]
    unknown = [c.column for c in result.columns.values() if c.status not in _result.DECIDED]
    total = len(result.columns) or None
    details = {
        "share": result.share,
        "drifted_columns": drifted,
        "columns": _column_details(result),
        "share_from": result.share_from,
        "report_drift_share": result.report_drift_share,
        "mode": settings.mode,
    }
    if unknown:
        return ctx.finding(
            "evidently.drift_share",
            Status.ERROR,
            value=round(result.share, 4),
            threshold=threshold,
            message=f"drift of column(s) {', '.join(unknown)} could not be determined"
            " (no test result, or ERROR/SKIPPED), so the share of drifted columns is not trustworthy",
            details=details,
            **common,
        )
    ok = result.share < threshold
    of = f"{result.count} of {total}" if total else f"{result.count}"
    named = f" ({', '.join(drifted)})" if drifted else ""
    message = (
        f"{of} columns drifted{named}: share {result.share:.2f} {'<' if ok else '>='} {threshold:g}"
    )
    return ctx.finding(
        "evidently.drift_share",
        Status.PASS if ok else Status.FAIL,
        value=round(result.share, 4),
        threshold=threshold,
        message=message,
        details=details,
        **common,
    )


def _column_findings(
    ctx: CollectorContext, result: _result.DriftResult, settings: Settings, common: dict[str, Any]
) -> Iterator[Finding]:
    if not result.columns:
        yield ctx.finding(
            "evidently.column_drift",
            Status.NOT_RUN,
            message="the result has no per-column drift metrics (ValueDrift)",
            **common,
        )
        return
    # A drifted column is a finding either way (the drift test ran, so OPS-EM's process questions
    # keep their credit); ``column_drift`` decides only whether the outcome policy gates on it:
    # ``fail`` reports it at high severity, ``warn`` at low (below the default ``fail_on``).
    drifted_status = Status.FAIL
    drifted_severity = Severity.HIGH if settings.column_drift == "fail" else Severity.LOW
    for column in result.columns.values():
        score = "n/a" if column.score is None else f"{column.score:.3g}"
        limit = "" if column.threshold is None else f", threshold {column.threshold:g}"
        measured = f"{column.method} = {score}{limit}"
        severity = None
        if column.status == "SUCCESS":
            status, message = Status.PASS, f"{column.column}: no drift ({measured})"
        elif column.drifted:
            status, message = drifted_status, f"{column.column}: drift detected ({measured})"
            severity = drifted_severity
        else:
            status = Status.ERROR
            message = (
                f"{column.column}: evidently's drift test "
                + (f"reported {column.status}" if column.status else "is missing from the result")
                + f" ({measured})"
            )
        yield ctx.finding(
            "evidently.column_drift",
            status,
            severity=severity,
            value=column.score,
            threshold=column.threshold,
            message=message,
            details={
                "column": column.column,
                "method": column.method,
                "test_status": column.status or None,
                "description": column.description,
            },
            **common,
        )


def _missing_finding(
    ctx: CollectorContext,
    result: _result.DriftResult,
    threshold: float,
    settings: Settings,
    common: dict[str, Any],
) -> Finding:
    if not result.missing:
        return ctx.finding(
            "evidently.missing_values",
            Status.NOT_RUN,
            threshold=threshold,
            message="the result has no MissingValueCount metrics (add them or DataSummaryPreset"
            " to the report, or use mode: run)",
            **common,
        )
    worst_column, (worst_count, worst_share) = max(
        result.missing.items(), key=lambda item: (item[1][1], item[0])
    )
    over = [c for c, (_, share) in result.missing.items() if share > threshold]
    ok = not over
    if worst_share == 0:
        message = f"no missing values in the {len(result.missing)} compared column(s)"
    elif ok:
        message = (
            f"no column has more than {threshold:g} missing values"
            f" (largest: {worst_column} {worst_share:.3f})"
        )
    else:
        message = f"{len(over)} column(s) exceed {threshold:g} missing values: " + ", ".join(
            f"{c} {result.missing[c][1]:.3f}" for c in over
        )
    return ctx.finding(
        "evidently.missing_values",
        Status.PASS if ok else Status.FAIL,
        value=round(worst_share, 4),
        threshold=threshold,
        message=message,
        details={
            "columns": {c: {"missing": n, "share": s} for c, (n, s) in result.missing.items()},
            "worst_column": worst_column,
            "worst_count": worst_count,
            "mode": settings.mode,
        },
        **common,
    )
