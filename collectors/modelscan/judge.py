"""Judging a modelscan result: unsafe operators at or above ``min_severity``, and files it could
not scan (an unparseable model is not known to be safe), each against its count threshold."""

from __future__ import annotations

from collections.abc import Iterator

from aima_ci.models import Finding, Status
from aima_ci.plugin import CollectorContext

from .measure import Measured
from .settings import SEVERITIES, Settings


def judge(ctx: CollectorContext, measured: Measured, settings: Settings) -> Iterator[Finding]:
    scan, report, subjects = measured.scan, measured.report, measured.subjects
    floor = SEVERITIES.index(settings.min_severity)
    counted = [i for i in scan.issues if SEVERITIES.index(i.severity) >= floor]
    by_sev = {s: sum(1 for i in scan.issues if i.severity == s) for s in reversed(SEVERITIES)}
    common = {
        "modelscan_version": scan.version,
        "scanned_files": len(scan.scanned),
        "skipped_files": scan.skipped,
        "issues_by_severity": by_sev,
        "min_severity": SEVERITIES[floor],
    }
    limit = ctx.threshold("modelscan.unsafe_operators")
    files = sorted({i.source for i in counted})
    listed = ", ".join(
        f"{i.source} ({i.severity}: {i.module}.{i.operator})"
        for i in sorted(counted, key=lambda i: (-SEVERITIES.index(i.severity), i.source))[:5]
    )
    yield ctx.finding(
        "modelscan.unsafe_operators",
        Status.PASS if limit is not None and len(counted) <= limit else Status.FAIL,
        value=len(counted),
        threshold=limit,
        message=(
            f"{len(counted)} unsafe operator(s) at {SEVERITIES[floor]} or above in"
            f" {len(files)} of {len(scan.scanned)} scanned file(s)"
            + (f": {listed}" if counted else "")
        ),
        subjects=subjects,
        artefacts=[report],
        details={
            **common,
            "issues": [i.__dict__ for i in counted[:100]],
        },
    )
    err_limit = ctx.threshold("modelscan.scan_errors")
    failed = [e.get("source", "?") for e in scan.errors]
    yield ctx.finding(
        "modelscan.scan_errors",
        Status.PASS if err_limit is not None and len(failed) <= err_limit else Status.FAIL,
        value=len(failed),
        threshold=err_limit,
        message=(
            f"{len(failed)} file(s) modelscan could not scan"
            + (": " + ", ".join(failed[:5]) if failed else "")
        ),
        subjects=subjects,
        artefacts=[report],
        details={**common, "errors": scan.errors[:100]},
    )
