"""The measurement -> findings: each deny message a failure, silence a pass only when the
policies could have spoken."""

from __future__ import annotations

from collections.abc import Iterator

from aima_ci.models import Finding, Status
from aima_ci.plugin import CollectorContext

from .measure import Measurement


def judge(ctx: CollectorContext, m: Measurement) -> Iterator[Finding]:
    subjects = list(m.subjects)
    if m.error is not None:
        yield ctx.finding("policy.deny", Status.ERROR, message=m.error, subjects=subjects)
        return
    artefacts = [m.artefact] if m.artefact is not None else []
    details = {"query": m.query, "input": m.input_display, "policies": list(m.policies)}
    if not m.violations and not m.can_fire:
        # evidence minimums: a deny rule that stays silent even when every field is missing
        # checks nothing this input could lack, so its silence proves nothing
        yield ctx.finding(
            "policy.deny",
            Status.INCONCLUSIVE,
            message=(
                f"{m.input_display}: no deny rule fired, and none fires even on an empty input:"
                " the policy cannot catch missing or wrong metadata (write rules that deny"
                " when a required field is absent)"
            ),
            subjects=subjects,
            artefacts=artefacts,
            details={**details, "vacuous": True},
        )
        return
    if not m.violations:
        yield ctx.finding(
            "policy.deny",
            Status.PASS,
            value=0,
            message=(
                f"{m.input_display}: no deny rule fired"
                f" ({len(m.policies)} policy file(s), {m.query})"
            ),
            subjects=subjects,
            artefacts=artefacts,
            details=details,
        )
        return
    for v in m.violations:
        yield ctx.finding(
            "policy.deny",
            Status.FAIL,
            value=len(m.violations),
            message=f"{m.input_display}: {v.message}",
            subjects=subjects,
            artefacts=artefacts,
            details={**details, "violation": v.raw},
        )
