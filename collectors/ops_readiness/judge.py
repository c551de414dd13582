"""Turn operations readiness readings into findings: alerts watch, playbook covers, rollback exists.

The verdict rules: every required watch category needs a valid alert, and one invalid rule
fails the file set (promtool would refuse to load it); the playbook needs every required step as
a heading with text under it; a rollback path needs at least one registry version or earlier
tag to return to.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence

from aima_ci.models import Finding, Status
from aima_ci.plugin import CollectorContext

from . import playbook, promrules
from .measure import AlertReading, PlaybookReading, RollbackReading


def alerts(
    ctx: CollectorContext,
    reading: AlertReading,
    watch: Mapping[str, Sequence[str]],
    required: Sequence[str],
) -> Iterator[Finding]:
    """``ops_readiness.alert_rules``: an error per unusable file, then one verdict."""
    cid = "ops_readiness.alert_rules"
    for message in reading.problems:
        yield ctx.finding(cid, Status.ERROR, message=message)
    for subject, message in reading.unreadable:
        yield ctx.finding(cid, Status.ERROR, message=message, subjects=[subject])
    if not reading.used and not reading.problems and not reading.unreadable:
        yield ctx.finding(
            cid,
            Status.FAIL,
            message="no Prometheus alert rule files found (collectors.ops_readiness.alert_rules)",
        )
        return
    if not reading.used:
        return
    found, structural = reading.alerts, reading.structural
    coverage = promrules.watched(found, {k: watch[k] for k in watch})
    unwatched = [cat for cat in required if not coverage.get(cat)]
    subjects = [ctx.subject("alert_rules", p) for p in reading.used]
    details = {
        "alerts": [
            {
                "name": a.name,
                "file": a.file,
                "line": a.line,
                "metrics": list(a.metrics),
                "severity": a.severity,
            }
            for a in found[:200]
        ],
        "watched": coverage,
        "problems": structural[:100],
        "validator": "aima-ci structural check (promtool not available)",
    }
    if structural or unwatched:
        parts = []
        if structural:
            parts.append(f"{len(structural)} invalid rule(s): " + "; ".join(structural[:3]))
        if unwatched:
            parts.append("no valid alert watches " + ", ".join(unwatched))
        yield ctx.finding(
            cid,
            Status.FAIL,
            value=len(found),
            message=" | ".join(parts),
            subjects=subjects,
            details=details,
        )
        return
    yield ctx.finding(
        cid,
        Status.PASS,
        value=len(found),
        message=f"{len(found)} valid alert(s) in {len(reading.used)} file(s) watch "
        + ", ".join(f"{c} ({len(coverage[c])})" for c in required),
        subjects=subjects,
        details=details,
    )


def incident_playbook(
    ctx: CollectorContext,
    reading: PlaybookReading,
    required: Sequence[str],
    synonyms: Mapping[str, Sequence[str]],
) -> Finding:
    """``ops_readiness.incident_playbook``: every ``required`` step is a written section."""
    cid = "ops_readiness.incident_playbook"
    if reading.none_found:
        return ctx.finding(
            cid,
            Status.FAIL,
            message="no incident-response playbook found (collectors.ops_readiness.playbook)",
        )
    if reading.error:
        return ctx.finding(cid, Status.ERROR, message=reading.error)
    assert reading.subject is not None
    display = reading.display
    missing, where = playbook.missing_sections(reading.text, required, synonyms)
    details = {"sections": {k: f"{display}:{v}" for k, v in where.items()}, "missing": missing}
    if missing:
        return ctx.finding(
            cid,
            Status.FAIL,
            value=len(missing),
            message=f"{display}: missing section(s): {', '.join(missing)}",
            subjects=[reading.subject],
            details=details,
        )
    return ctx.finding(
        cid,
        Status.PASS,
        value=0,
        message=f"{display}: covers {', '.join(required)}",
        subjects=[reading.subject],
        details=details,
    )


def rollback_path(ctx: CollectorContext, reading: RollbackReading) -> Finding:
    """``ops_readiness.rollback_path``: any configured source offers a version to return to."""
    cid = "ops_readiness.rollback_path"
    if not reading.configured:
        return ctx.finding(
            cid,
            Status.FAIL,
            message="no rollback path recorded (collectors.ops_readiness.rollback: registry_file or git_tag_pattern)",
        )
    if reading.error:
        return ctx.finding(cid, Status.ERROR, message=reading.error)
    results = reading.results
    good = [r for r in results if r.ok]
    details = {"results": [{"ok": r.ok, "message": r.message, **r.details} for r in results]}
    return ctx.finding(
        cid,
        Status.PASS if good else Status.FAIL,
        message="; ".join(r.message for r in (good or results)),
        subjects=reading.subjects,
        details=details,
    )
