"""Judging the privacy measurements: is a purpose declared, is PII confined to the columns
declared personal, and does the data hold only the columns its purpose needs."""

from __future__ import annotations

from collections.abc import Iterator

from aima_ci.models import Finding, Status, Subject
from aima_ci.plugin import CollectorContext

from . import purpose
from .measure import FileScan, Measured
from .settings import NAME

SCAN_CHECKS = ("privacy.pii_scan", "privacy.minimisation")


def judge(ctx: CollectorContext, measured: Measured) -> Iterator[Finding]:
    """The purpose finding first, then both data checks per file (or why they could not run)."""
    yield _purpose_finding(ctx, measured.declared, measured.purpose_error)
    for message in measured.problems:
        for cid in SCAN_CHECKS:
            yield ctx.finding(cid, Status.ERROR, message=message)
    if not measured.files and not measured.problems:
        for cid in SCAN_CHECKS:
            yield ctx.finding(
                cid, Status.ERROR, message="collectors.privacy.data matched no data files"
            )
        return
    for scan in measured.files:
        yield from _file_findings(ctx, scan, measured)


def _purpose_finding(
    ctx: CollectorContext, declared: purpose.Purpose | None, error: str | None
) -> Finding:
    cid = "privacy.purpose_declared"
    if error:
        return ctx.finding(cid, Status.ERROR, message=error)
    if declared is None:
        return ctx.finding(
            cid,
            Status.FAIL,
            message=f"no purpose declared: no collectors.{NAME}.purpose and no {purpose.DEFAULT_FILE}",
        )
    problems = declared.problems()
    if problems:
        return ctx.finding(cid, Status.FAIL, message="; ".join(problems))
    return ctx.finding(
        cid,
        Status.PASS,
        message=f"purpose declared in {declared.source}: {len(declared.needed_columns)} needed column(s), {len(declared.personal_data)} personal-data column(s)",
        details={
            "needed_columns": list(declared.needed_columns),
            "personal_data": list(declared.personal_data),
            **declared.extra,
        },
    )


def _file_findings(ctx: CollectorContext, scan: FileScan, measured: Measured) -> Iterator[Finding]:
    display = scan.display
    if scan.error is not None:
        for cid in SCAN_CHECKS:
            yield ctx.finding(cid, Status.ERROR, message=scan.error)
        return
    if scan.not_run is not None:
        for cid in SCAN_CHECKS:
            yield ctx.finding(cid, Status.NOT_RUN, message=f"{display}: {scan.not_run}")
        return
    sample, subject, counts = scan.sample, scan.subject, scan.counts
    assert sample is not None and subject is not None and measured.report is not None
    if not sample.rows:
        # An empty (or header-only) file has no PII because it has no data: that proves nothing
        # about the data the model sees, so it earns no pass.
        yield ctx.finding(
            "privacy.pii_scan",
            Status.NOT_RUN,
            message=f"{display}: no rows to scan (empty dataset); point `data` at the real data",
            subjects=[subject],
            details={"rows_sampled": 0},
        )
        yield _minimisation(ctx, scan, measured, subject)
        return
    declared = measured.declared
    personal = set(declared.personal_data) if declared else set()
    undeclared = {c: dict(v) for c, v in counts.items() if c not in personal}
    cells = sum(sum(v.values()) for v in undeclared.values())
    limit = ctx.threshold("privacy.pii_scan", "pii_cells") or 0
    summary = ", ".join(
        f"{c} ({', '.join(f'{k} {n}' for k, n in v.items())})" for c, v in undeclared.items()
    )
    if cells > limit:
        status, message = (
            Status.FAIL,
            f"{display}: PII in undeclared columns: {summary} in {len(sample.rows)} sampled rows",
        )
    else:
        declared_hits = sorted(c for c in counts if c in personal)
        status = Status.PASS
        message = (
            f"{display}: no PII outside declared columns in {len(sample.rows)} sampled rows"
            + (
                f" (declared personal data found in {', '.join(declared_hits)})"
                if declared_hits
                else ""
            )
        )
    yield ctx.finding(
        "privacy.pii_scan",
        status,
        value=cells,
        threshold=limit,
        message=message,
        subjects=[subject],
        artefacts=[measured.report],
        details={
            "pii_counts": {c: dict(v) for c, v in counts.items()},
            "rows_sampled": len(sample.rows),
        },
    )
    yield _minimisation(ctx, scan, measured, subject)


def _minimisation(
    ctx: CollectorContext, scan: FileScan, measured: Measured, subject: Subject
) -> Finding:
    cid = "privacy.minimisation"
    display, declared = scan.display, measured.declared
    assert scan.sample is not None
    columns = scan.sample.columns
    if measured.purpose_error:
        return ctx.finding(cid, Status.ERROR, message=measured.purpose_error, subjects=[subject])
    if declared is None or not declared.needed_columns:
        return ctx.finding(
            cid,
            Status.FAIL,
            message=f"{display}: no declared purpose with needed_columns to check {len(columns)} column(s) against",
            subjects=[subject],
        )
    if any("description" in problem for problem in declared.problems()):
        # a purpose that says nothing ("x") is no policy to minimise against
        return ctx.finding(
            cid,
            Status.INCONCLUSIVE,
            message=f"{display}: the declared purpose has no real description, so the data"
            " cannot be judged against it",
            subjects=[subject],
        )
    needed = set(declared.needed_columns)
    extra = [c for c in columns if c not in needed]
    missing = [c for c in declared.needed_columns if c not in columns]
    limit = ctx.threshold(cid, "extra_columns") or 0
    details = {"extra_columns": extra, "needed_but_absent": missing}
    if len(extra) > limit:
        return ctx.finding(
            cid,
            Status.FAIL,
            value=len(extra),
            threshold=limit,
            message=f"{display}: {len(extra)} column(s) not needed by the declared purpose: {', '.join(extra[:20])}",
            subjects=[subject],
            details=details,
        )
    return ctx.finding(
        cid,
        Status.PASS,
        value=len(extra),
        threshold=limit,
        message=f"{display}: all {len(columns)} column(s) are needed by the declared purpose",
        subjects=[subject],
        details=details,
    )
