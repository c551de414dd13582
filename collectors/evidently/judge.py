"""Judging an evidently drift result: the dataset's drift share, each column, missing values.

Whether a column drifted comes only from evidently's own test status (see ``_result``); this
module decides what that means for the build: the share against ``drift_share``, each drifted
column at the severity ``column_drift`` asks for, and the worst column's missing share against
``missing_share``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from aima_ci.models import Finding, Severity, Status
from aima_ci.plugin import CollectorContext

from . import _result
from .measure import Measured
from .settings import Settings


def judge(
    ctx: CollectorContext,
    measured: Measured,
    settings: Settings,
    drift_share: float,
    missing_share: float,
) -> Iterator[Finding]:
    """The share finding, one finding per column, then the missing-values finding."""
    result = measured.result
    common: dict[str, Any] = {"subjects": measured.subjects, "artefacts": measured.artefacts}
    yield _share_finding(ctx, result, drift_share, settings, common)
    yield from _column_findings(ctx, result, settings, common)
    yield _missing_finding(ctx, result, missing_share, settings, common)


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
