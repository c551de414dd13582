"""Turn the pipeline reading into findings: is there a blocking gate, and what does it integrate?

The verdict rules: a gate counts only when a failing verdict fails the build (``ci``/``scripts``
decide per step); a level-3 integration question passes when a collector the gate runs declares
checks for its practices, is an error while a gate's configuration cannot be read, and is
otherwise not applicable (answer it by attestation, or enable a collector that covers it).
"""

from __future__ import annotations

from pathlib import Path

from aima_ci.models import Finding, Status
from aima_ci.plugin import CollectorContext

from .integrations import Integration
from .measure import PipelineReading
from .settings import NAME


def gate(ctx: CollectorContext, reading: PipelineReading, out: Path) -> Finding:
    """``pipeline.gate``: some CI step runs aima-ci so that a failed gate fails the build."""
    cid = f"{NAME}.gate"
    scan, gates = reading.scan, reading.gates
    details = {"ci_files": scan.files, "problems": scan.problems[:20], "notes": scan.notes[:20]}
    if gates:
        where = ", ".join(f"{g.where} ({g.kind} {g.command})" for g in gates[:5])
        return ctx.finding(
            cid,
            Status.PASS,
            value=len(gates),
            message=f"blocking aima-ci gate in {where}",
            artefacts=[out],
            details=details,
        )
    if scan.problems and not scan.steps:
        return ctx.finding(
            cid,
            Status.ERROR,
            message="; ".join(scan.problems[:3]),
            artefacts=[out],
            details=details,
        )
    soft = [s for s in scan.steps if not s.blocking]
    if soft:
        why = "; ".join(f"{s.where}: {s.reason}" for s in soft[:3])
        return ctx.finding(
            cid,
            Status.FAIL,
            value=0,
            message=f"aima-ci runs in CI but not as a gate: {why}",
            artefacts=[out],
            details=details,
        )
    if not scan.files:
        msg = "no CI configuration found (.github/workflows/*.yml, .gitlab-ci.yml)"
    else:
        msg = f"no step runs aima-ci in {', '.join(scan.files[:5])}"
    return ctx.finding(cid, Status.FAIL, value=0, message=msg, artefacts=[out], details=details)


def integration(
    ctx: CollectorContext,
    integ: Integration,
    reading: PipelineReading,
    practices: dict[str, set[str] | None],
    out: Path,
) -> Finding:
    """``pipeline.<integ.short>``: the gate runs a collector with checks for its practices."""
    cid = f"{NAME}.{integ.short}"
    if not reading.gates:
        return ctx.finding(
            cid,
            Status.FAIL,
            message="no blocking aima-ci gate in CI, so nothing is integrated",
            artefacts=[out],
        )
    running = reading.running
    covering = sorted(
        c for c in running if (owned := practices.get(c)) and owned & set(integ.practices)
    )
    if covering:
        return ctx.finding(
            cid,
            Status.PASS,
            message=f"the CI gate runs {', '.join(covering)} ({', '.join(integ.practices)})",
            artefacts=[out],
            details={"collectors": covering},
        )
    if problems := reading.config_problems:
        return ctx.finding(cid, Status.ERROR, message="; ".join(problems[:3]), artefacts=[out])
    unknown = sorted(c for c in running if practices.get(c) is None)
    note = (
        f"; collectors not installed here, so not counted: {', '.join(unknown)}" if unknown else ""
    )
    questions = ", ".join(ctx.collector.check(cid).questions) or "its questions"
    return ctx.finding(
        cid,
        Status.NOT_APPLICABLE,
        message=f"the CI gate runs no collector with {'/'.join(integ.practices)} checks"
        f" (runs: {', '.join(running) or 'none'}){note}; enable {integ.hint} or answer"
        f" {questions} by attestation",
        artefacts=[out],
        details={"collectors_run": running, "not_installed": unknown},
    )
