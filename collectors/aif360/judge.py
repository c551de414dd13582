"""The metrics JSON (run mode's or the team's own) -> the two findings.

Both modes are judged by this code on the same JSON shape (docs/collectors/aif360.md), so the run
mode's artefact is exactly what report mode accepts. Disparate impact is judged on min(DI, 1/DI):
DI 2.0 is as far from parity as DI 0.5 (the four-fifths rule, both directions).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aima_ci_collectors._reportjson import need

from aima_ci.models import Finding, Status, Subject
from aima_ci.plugin import CollectorContext, InputError


@dataclass(frozen=True)
class GroupMetric:
    attribute: str
    disparate_impact: (
        float | None
    )  # None: undefined (no favourable outcome in the privileged group)
    statistical_parity_difference: float
    raw: Mapping[str, Any]

    @property
    def di_ratio(self) -> float | None:
        """min(DI, 1/DI): 1 is parity, lower is worse in either direction."""
        di = self.disparate_impact
        if di is None:
            return None
        return 0.0 if di == 0 else min(di, 1 / di)


def _number(raw: Mapping[str, Any], key: str, at: str, *, nullable: bool = False) -> float | None:
    if key not in raw:
        raise InputError(f"{at}: missing key '{key}'")
    value = raw[key]
    if value is None and nullable:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise InputError(f"{at}: '{key}' must be a finite number, not {value!r}")
    return float(value)


def parse_metrics(data: Any, where: str) -> list[GroupMetric]:
    """The per-attribute metrics of an aif360 metrics JSON (docs/collectors/aif360.md)."""
    rows = need(data, "metrics", list, where)
    if not rows:
        raise InputError(f"{where}: 'metrics' is empty: no protected attribute was measured")
    out = []
    seen: set[str] = set()
    for i, raw in enumerate(rows):
        at = f"{where}: metrics[{i}]"
        attr = need(raw, "protected_attribute", str, at)
        if attr in seen:
            raise InputError(f"{at}: protected_attribute {attr!r} appears twice")
        seen.add(attr)
        di = _number(raw, "disparate_impact", at, nullable=True)
        spd = _number(raw, "statistical_parity_difference", at) or 0.0
        if di is not None and di < 0:
            raise InputError(f"{at}: disparate_impact cannot be negative ({di})")
        if not -1 <= spd <= 1:
            raise InputError(f"{at}: statistical_parity_difference must be within [-1, 1] ({spd})")
        out.append(GroupMetric(attr, di, spd, raw))
    return out


def _limit(ctx: CollectorContext, check: str) -> float:
    """The configured threshold, else the check's default (both checks declare one)."""
    value = ctx.threshold(check)
    return float(ctx.collector.check(check).threshold or 0.0) if value is None else value


def _di_key(m: GroupMetric) -> float:
    return -1.0 if m.di_ratio is None else m.di_ratio


def _fmt(value: float | None) -> str:
    return "undefined" if value is None else f"{value:.3f}"


@dataclass(frozen=True)
class Verdict:
    check: str
    value: float  # the worst attribute's value
    threshold: float
    message: str
    failing: tuple[str, ...]  # the attributes that break the threshold


def disparate_impact(metrics: Sequence[GroupMetric], limit: float) -> Verdict:
    ratios = {m.attribute: m.di_ratio for m in metrics}
    undefined = [a for a, r in ratios.items() if r is None]
    worst = min((r for r in ratios.values() if r is not None), default=0.0)
    bad = [m for m in metrics if m.di_ratio is None or m.di_ratio < limit]
    parts = [f"{m.attribute} DI {_fmt(m.disparate_impact)}" for m in sorted(metrics, key=_di_key)]
    note = f"; undefined for {', '.join(undefined)}" if undefined else ""
    return Verdict(
        "aif360.disparate_impact",
        worst,
        limit,
        f"worst min(DI, 1/DI) {worst:.3f} (needs >= {limit:g}): {', '.join(parts)}{note}",
        tuple(m.attribute for m in bad),
    )


def statistical_parity(metrics: Sequence[GroupMetric], limit: float) -> Verdict:
    worst = max(abs(m.statistical_parity_difference) for m in metrics)
    bad = [m for m in metrics if abs(m.statistical_parity_difference) > limit + 1e-12]
    parts = [
        f"{m.attribute} SPD {m.statistical_parity_difference:+.3f}"
        for m in sorted(metrics, key=lambda m: -abs(m.statistical_parity_difference))
    ]
    return Verdict(
        "aif360.statistical_parity_difference",
        worst,
        limit,
        f"largest |SPD| {worst:.3f} (needs <= {limit:g}): {', '.join(parts)}",
        tuple(m.attribute for m in bad),
    )


def findings(
    ctx: CollectorContext, data: Any, where: str, subjects: list[Subject], report: Path
) -> list[Finding]:
    """Both checks' findings for one metrics JSON."""
    metrics = parse_metrics(data, where)
    common = {
        "label": data.get("label"),
        "favorable_label": data.get("favorable_label"),
        "aif360_version": data.get("tool_version"),
        "metrics": [dict(m.raw) for m in metrics],
    }
    verdicts = [
        disparate_impact(metrics, _limit(ctx, "aif360.disparate_impact")),
        statistical_parity(metrics, _limit(ctx, "aif360.statistical_parity_difference")),
    ]
    return [
        ctx.finding(
            v.check,
            Status.FAIL if v.failing else Status.PASS,
            value=round(v.value, 4),
            threshold=v.threshold,
            message=v.message,
            subjects=subjects,
            artefacts=[report],
            details={**common, "failing_attributes": list(v.failing)},
        )
        for v in verdicts
    ]
