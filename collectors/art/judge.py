"""Raw attack outcomes -> findings: one ratio finding per attack, and one for the metrics.

The ratio (adversarial / clean accuracy) passes at the threshold (0.7 unless the config says);
an attack that could not run is an ``error``, or ``not_applicable`` when another one ran; a
black-box figure is flagged as an upper bound.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from aima_ci.models import Finding, Status, Subject
from aima_ci.plugin import CollectorContext

from ._attacks import AttackOutcome
from .measure import RATIO, Measured
from .settings import BLACK_BOX_ATTACKS

METRICS = "art.robustness_metrics"


def judge(ctx: CollectorContext, measured: Measured, subjects: Sequence[Subject]) -> list[Finding]:
    threshold = ctx.threshold(RATIO)
    findings = ratio_findings(
        ctx,
        measured.outcomes,
        threshold,
        subjects,
        measured.report,
        measured.eps_units,
        measured.label,
    )
    metrics = metrics_finding(ctx, measured.outcomes, subjects, measured.report)
    if measured.strongest is not None:
        metrics = replace(
            metrics, details={**metrics.details, "strongest_by_eps": measured.strongest}
        )
    return [*findings, metrics]


def ratio_findings(
    ctx: CollectorContext,
    outcomes: Sequence[AttackOutcome],
    threshold: float | None,
    subjects: Sequence[Subject],
    report: Path,
    eps_units: str,
    label: str | None,
) -> list[Finding]:
    limit = 0.7 if threshold is None else threshold
    any_ran = any(o.status == "ok" for o in outcomes)
    findings = []
    for o in outcomes:
        details = {**o.to_dict(), "eps_units": eps_units}
        details.pop("examples", None)
        common: dict[str, Any] = {
            "threshold": limit,
            "subjects": subjects,
            "artefacts": [report],
            "details": details,
        }
        if o.status == "not_applicable" and any_ran:
            findings.append(ctx.finding(RATIO, Status.NOT_APPLICABLE, message=o.message, **common))
        elif o.status == "not_applicable":
            message = f"{o.message}; no configured attack could run on this model"
            findings.append(ctx.finding(RATIO, Status.ERROR, message=message, **common))
        elif o.status == "error":
            findings.append(ctx.finding(RATIO, Status.ERROR, message=o.message, **common))
        elif o.ratio is None:
            what = f"the label column '{label}'" if label else "the labels"
            message = (
                f"{o.spec.label()}: clean accuracy is 0 on {o.n} rows, so robustness cannot be "
                f"measured; check {what} and the model"
            )
            findings.append(ctx.finding(RATIO, Status.ERROR, message=message, **common))
        else:
            ok = o.ratio >= limit
            message = (
                f"{o.spec.label()} [{eps_units}]: adversarial accuracy "
                f"{o.adversarial_accuracy:.3f} vs clean {o.clean_accuracy:.3f} on {o.n} rows, "
                f"ratio {o.ratio:.3f} {'>=' if ok else '<'} {limit:g}"
                + (
                    " (black-box: an upper bound, a white-box attacker may do better)"
                    if o.spec.name in BLACK_BOX_ATTACKS
                    else ""
                )
            )
            findings.append(
                ctx.finding(
                    RATIO,
                    Status.PASS if ok else Status.FAIL,
                    value=round(o.ratio, 4),
                    message=message,
                    **common,
                )
            )
    return findings


def metrics_finding(
    ctx: CollectorContext,
    outcomes: Sequence[AttackOutcome],
    subjects: Sequence[Subject],
    report: Path,
) -> Finding:
    minimum = ctx.threshold(METRICS, "min_samples") or 0.0
    measured = [o for o in outcomes if o.status == "ok" and o.ratio is not None]
    failed = [o for o in outcomes if o.status == "error" or (o.status == "ok" and o.ratio is None)]
    summary = [
        {"attack": o.spec.label(), "status": o.status, "samples": o.n, "ratio": o.ratio}
        for o in outcomes
    ]
    common: dict[str, Any] = {
        "threshold": minimum,
        "subjects": subjects,
        "artefacts": [report],
        "details": {"attacks": summary},
    }
    if failed or not measured:
        names = ", ".join(o.spec.label() for o in failed) or "every configured attack"
        return ctx.finding(
            METRICS,
            Status.ERROR,
            message=f"no robustness metric for {names}: see the art.robustness_ratio findings",
            **common,
        )
    fewest = min(o.n for o in measured)
    ok = fewest >= minimum
    return ctx.finding(
        METRICS,
        Status.PASS if ok else Status.FAIL,
        value=fewest,
        message=(
            f"{len(measured)} attack(s) measured, the smallest sample {fewest} rows "
            f"{'>=' if ok else '<'} {minimum:g}; recorded in {ctx.rel_artefact(report)}"
        ),
        **common,
    )
