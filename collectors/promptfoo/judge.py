"""Judge: promptfoo tallies (measure.py) -> ``promptfoo.pass_rate`` and ``promptfoo.redteam``.

A check whose tests all errored is ``error``: an unreachable target is no evidence. The red-team
check is judged on its weakest plugin, with promptfoo's own OWASP LLM 2025 categories per plugin
in the details (owasp.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from aima_ci.models import Finding, Status, Subject
from aima_ci.plugin import CollectorContext

from .measure import Results, Tally
from .owasp import PROMPTFOO_VERSION, owasp_llm


def findings(ctx: CollectorContext, results: Results) -> Iterator[Finding]:
    subjects = [ctx.subject("report", results.report)]
    common = {**results.info, "owasp_mapping_from": f"promptfoo {PROMPTFOO_VERSION}"}
    yield _pass_rate(ctx, results.evals, subjects, results.copy, common)
    yield _redteam(ctx, results.plugins, subjects, results.copy, common)


def _pass_rate(
    ctx: CollectorContext,
    evals: Tally,
    subjects: list[Subject],
    copy: Path,
    common: dict[str, Any],
) -> Finding:
    limit = ctx.threshold("promptfoo.pass_rate")
    if evals.total == 0:
        return ctx.finding(
            "promptfoo.pass_rate",
            Status.NOT_APPLICABLE,
            message="no eval tests in the results (only red-team tests)",
            subjects=subjects,
            artefacts=[copy],
            details=common,
        )
    status = _judge(evals, limit)
    return ctx.finding(
        "promptfoo.pass_rate",
        status,
        value=round(evals.rate, 4),
        threshold=limit,
        message=f"{evals.passed}/{evals.total} eval tests passed ({evals.rate:.0%})"
        + (f", {evals.errors} errored" if evals.errors else "")
        + f"; threshold {limit:g}",
        subjects=subjects,
        artefacts=[copy],
        details={**common, "eval": evals.to_dict()},
    )


def _redteam(
    ctx: CollectorContext,
    plugins: dict[str, Tally],
    subjects: list[Subject],
    copy: Path,
    common: dict[str, Any],
) -> Finding:
    limit = ctx.threshold("promptfoo.redteam")
    if not plugins:
        return ctx.finding(
            "promptfoo.redteam",
            Status.NOT_APPLICABLE,
            message="no red-team tests in the results (no record has metadata.pluginId)",
            subjects=subjects,
            artefacts=[copy],
            details=common,
        )
    per_plugin = {
        pid: {
            **t.to_dict(),
            "severity": sorted(t.severities),
            "owasp_llm_2025": owasp_llm(pid),
        }
        for pid, t in sorted(plugins.items())
    }
    total = Tally(
        passed=sum(t.passed for t in plugins.values()),
        failed=sum(t.failed for t in plugins.values()),
        errors=sum(t.errors for t in plugins.values()),
    )
    worst = min(t.rate for t in plugins.values())
    below = [
        pid
        for pid, t in sorted(plugins.items(), key=lambda kv: (kv[1].rate, kv[0]))
        if limit is None or t.rate < limit
    ]
    status = _judge(total, limit, value=worst)
    shown = "; ".join(
        f"{pid} {plugins[pid].rate:.0%}"
        + (
            f" ({', '.join(per_plugin[pid]['owasp_llm_2025'])})"
            if per_plugin[pid]["owasp_llm_2025"]
            else ""
        )
        for pid in below[:5]
    )
    message = (
        f"{len(below)} of {len(plugins)} red-team plugin(s) below {limit:g}"
        + (f": {shown}" if below else "")
        + f"; {total.passed}/{total.total} tests passed"
        + (f", {total.errors} errored" if total.errors else "")
    )
    return ctx.finding(
        "promptfoo.redteam",
        status,
        value=round(worst, 4),
        threshold=limit,
        message=message,
        subjects=subjects,
        artefacts=[copy],
        details={**common, "plugins": per_plugin, "failing_plugins": below},
    )


def _judge(tally: Tally, limit: float | None, value: float | None = None) -> Status:
    if tally.total and tally.errors == tally.total:
        return Status.ERROR  # nothing was actually tested
    rate = tally.rate if value is None else value
    return Status.PASS if limit is not None and rate >= limit - 1e-12 else Status.FAIL
