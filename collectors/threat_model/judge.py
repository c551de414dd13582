"""Turn threat model readings into findings: present, current, LLM risks named, threats mitigated.

The verdict rules live here: a YAML model whose every threat is a placeholder identifies
nothing; a watched path changed after the model makes it stale, and a shallow clone cannot tell;
every YAML threat, and every pytm finding at or above ``fail_on_severity``, needs a mitigation.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial

from aima_ci_collectors._substance import substantive

from aima_ci.models import Finding, Status, Subject
from aima_ci.plugin import CollectorContext

from . import owasp_llm
from .measure import Freshness, RiskNames
from .readers import ThreatModel
from .settings import SEVERITY_RANK

MAX_LISTED = 15


def _short(items: list[str]) -> str:
    more = f" (+{len(items) - MAX_LISTED} more)" if len(items) > MAX_LISTED else ""
    return ", ".join(items[:MAX_LISTED]) + more


def present(ctx: CollectorContext, model: ThreatModel, subjects: Sequence[Subject]) -> Finding:
    """``threat_model.present``: real threats identified, not a template."""
    stubs = [t for t in model.threats if t.placeholder]
    if model.kind == "yaml" and len(stubs) == len(model.threats):
        # evidence minimums: threats titled "x" identify nothing
        return ctx.finding(
            "threat_model.present",
            Status.FAIL,
            value=0,
            message=(
                f"{model.display}: every threat is a placeholder ("
                + _short([f"{t.id}: {t.placeholder}" for t in stubs])
                + "): name and describe the real threats"
            ),
            subjects=subjects,
            details={"placeholders": [t.id for t in stubs]},
        )
    if model.kind == "markdown" and not substantive(model.text, 8):
        return ctx.finding(
            "threat_model.present",
            Status.FAIL,
            message=f"{model.display}: too little text to identify any threat",
            subjects=subjects,
        )
    if model.kind == "pytm" and model.pytm_findings is None:
        how = "a pytm model (pytm not installed, so it was parsed, not run)"
    elif model.kind == "pytm":
        how = f"a pytm model identifying {len(model.threats)} threat(s)"
    elif model.kind == "yaml":
        how = f"{len(model.threats)} documented threat(s)"
    else:
        how = "a written threat model"
    return ctx.finding(
        "threat_model.present",
        Status.PASS,
        value=len(model.threats) or None,
        message=f"{model.display}: {how}",
        subjects=subjects,
    )


def current(ctx: CollectorContext, fresh: Freshness, subjects: Sequence[Subject]) -> Finding:
    """``threat_model.current``: no watched path changed after the threat model did."""
    verdict = partial(ctx.finding, "threat_model.current", subjects=subjects)
    if not fresh.watched:
        return verdict(
            Status.NOT_APPLICABLE,
            message="no 'watch' paths configured (e.g. [model/, prompts/])",
        )
    if fresh.shallow:
        return verdict(
            Status.INCONCLUSIVE,
            message=(
                "shallow git clone: every file shows the same commit, so freshness cannot be"
                " judged (check out with full history, e.g. fetch-depth: 0)"
            ),
        )
    tm, changes = fresh.model, fresh.changes
    assert tm is not None
    newer = [c for c in changes if c.time is not None and tm.time is not None and c.time > tm.time]
    absent = [c.path for c in changes if c.time is None]
    details = {
        "threat_model_changed": tm.time,
        "source": tm.how,
        "watch": {c.path: {"changed": c.time, "source": c.how} for c in changes},
        "absent": absent,
    }
    if newer:
        return verdict(
            Status.FAIL,
            message=(
                f"{tm.path} ({tm.how}) is older than the last change of "
                + _short([f"{c.path} ({c.how})" for c in newer])
            ),
            details=details,
        )
    if len(absent) == len(changes):
        return verdict(
            Status.FAIL,
            message=f"none of the watched paths exist: {_short(absent)}",
            details=details,
        )
    return verdict(
        Status.PASS,
        message=f"{tm.path} is at least as recent as {_short([c.path for c in changes if c.time])}"
        + (" (by git history)" if fresh.use_git else " (by file times: not a git work tree)"),
        details=details,
    )


def llm_risks(
    ctx: CollectorContext,
    model: ThreatModel,
    names: RiskNames,
    required: list[str] | None,
    subjects: Sequence[Subject],
) -> Finding:
    """``threat_model.llm_risks``: the ``required`` ids named (None: any named one passes)."""
    found = names.found
    details: dict[str, object] = {
        "named": sorted(names.named),
        "from_pytm_findings": sorted(names.from_pytm),
    }
    verdict = partial(ctx.finding, "threat_model.llm_risks", subjects=subjects)
    if required is None:
        if not found:
            return verdict(
                Status.NOT_APPLICABLE,
                message=(
                    "names no OWASP LLM Top 10 risk; for an LLM system set"
                    " required_llm_risks (e.g. all)"
                ),
                details=details,
            )
        return verdict(
            Status.PASS,
            value=len(found),
            message=f"{model.display} covers {', '.join(found)}",
            details=details,
        )
    missing = [r for r in required if r not in found]
    details["required"] = required
    details["missing"] = missing
    if missing:
        return verdict(
            Status.FAIL,
            value=len(required) - len(missing),
            message=f"{model.display} does not name "
            + ", ".join(f"{r} ({owasp_llm.LLM_TOP10_2025[r]})" for r in missing),
            details=details,
        )
    return verdict(
        Status.PASS,
        value=len(required),
        message=f"{model.display} names all {len(required)} required LLM risks",
        details=details,
    )


def mitigations(
    ctx: CollectorContext,
    model: ThreatModel,
    fail_on_severity: str,
    floor: int,
    subjects: Sequence[Subject],
) -> tuple[Finding, list[str] | None]:
    """``threat_model.mitigations``, and the open threats listed (None: not read threat by
    threat)."""
    verdict = partial(ctx.finding, "threat_model.mitigations", subjects=subjects)
    if model.kind == "markdown":
        return verdict(
            Status.NOT_APPLICABLE,
            message="a Markdown threat model cannot be read threat by threat (use YAML or pytm)",
        ), None
    if model.kind == "pytm" and model.pytm_findings is None:
        return verdict(
            Status.NOT_RUN,
            message="pytm is not installed, so the model was not run: "
            + ctx.collector.install_hint(),
        ), None
    if model.kind == "yaml":
        gating = model.threats  # every documented threat needs a mitigation
    else:
        # pytm: an overridden finding with no severity is unknown, so it gates (fail closed)
        gating = [t for t in model.threats if SEVERITY_RANK.get(t.severity.lower(), 4) >= floor]
    open_ = [t for t in gating if not t.mitigated]
    listed = [
        f"{t.id}"
        + (f" on {t.target}" if t.target else "")
        + (f" ({t.severity})" if t.severity else "")
        + (f" [mitigation {t.mitigation_placeholder}]" if t.mitigation_placeholder else "")
        for t in open_
    ]
    details = {
        "threats": len(model.threats),
        "gating": len(gating),
        "open": listed,
        "fail_on_severity": fail_on_severity,
    }
    artefacts = [ctx.artefact("pytm.json")] if model.kind == "pytm" else []
    if open_:
        return verdict(
            Status.FAIL,
            value=len(open_),
            message=f"{len(open_)} threat(s) without a documented mitigation: {_short(listed)}",
            artefacts=artefacts,
            details=details,
        ), listed
    return verdict(
        Status.PASS,
        value=0,
        message=f"all {len(gating)} gating threat(s) have a documented mitigation or response",
        artefacts=artefacts,
        details=details,
    ), listed
