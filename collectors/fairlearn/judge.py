"""Judging fairlearn's numbers: one verdict per (check, sensitive feature), the evidence kept
beside it (the fairness report and a chart per feature), and the findings.

A passing verdict on the groups that could be measured keeps its credit: excluding a tiny group
is a note, never a reason to score lower than not having looked at that feature.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aima_ci.models import Check, Finding, Status
from aima_ci.plugin import CollectorContext

from . import _artefacts, _metrics
from .measure import Measurement
from .settings import FAMILY, Settings

LABELS = {
    "demographic_parity_ratio": "demographic parity ratio",
    "demographic_parity_difference": "demographic parity difference",
    "equalized_odds_difference": "equalized odds difference",
    "equalized_odds_ratio": "equalized odds ratio",
}


@dataclass(frozen=True)
class Verdict:
    status: Status
    value: float | None
    message: str
    notes: tuple[str, ...] = ()


def _spread(result: _metrics.FeatureResult, metric: str, groups: Sequence[str]) -> str:
    """Which groups the metric compares, e.g. 'female 0.31 vs male 0.50'."""
    rates = ["selection_rate"]
    if FAMILY[metric] == "equalized_odds":
        rates = ["true_positive_rate", "false_positive_rate"]
    best: tuple[float, str] | None = None
    for rate in rates:
        values = [(result.groups[g][rate], g) for g in groups]
        known = [(v, g) for v, g in values if v is not None]
        if len(known) < 2:
            continue
        lo, hi = min(known), max(known)
        gap = hi[0] - lo[0]
        name = rate.replace("_", " ")
        text = f"{name} {lo[1]} {lo[0]:.2f} vs {hi[1]} {hi[0]:.2f}"
        if best is None or gap > best[0]:
            best = (gap, text)
    if best is None:
        return ""
    return best[1] if FAMILY[metric] == "equalized_odds" else best[1].replace("selection rate ", "")


def judge(
    metric: str,
    result: _metrics.FeatureResult,
    threshold: float,
    comparison: str,
    absent: Sequence[str],
) -> Verdict:
    """Pass (with notes naming the groups too small or absent to judge), fail, or inconclusive
    when fewer than two groups can be compared.

    A passing verdict on the groups that could be measured keeps its credit: excluding a tiny
    group is a note, never a reason to score lower than not having looked at that feature."""
    family = FAMILY[metric]
    label = f"{LABELS[metric]} for {result.feature}"
    judged = list(result.judged_groups[family])
    excluded = result.excluded[family]
    notes = [f"{g} ({why})" for g, why in excluded.items()]
    notes += [f"{g} (expected, no rows)" for g in absent]
    if len(judged) < 2:
        return Verdict(
            Status.INCONCLUSIVE,
            result.all_groups.get(metric),
            f"{label} cannot be judged: fewer than two groups fit to compare"
            + (f"; not judged: {', '.join(notes)}" if notes else ""),
        )
    value = result.judged.get(metric)
    if value is None:
        return Verdict(
            Status.ERROR,
            None,
            f"{label} is undefined ({_spread(result, metric, judged) or 'rates are 0'}): the"
            " model's decisions give no basis for the ratio",
        )
    ok = value >= threshold if comparison == ">=" else value <= threshold
    op = (">=" if ok else "<") if comparison == ">=" else ("<=" if ok else ">")
    spread = _spread(result, metric, judged)
    message = f"{label} {value:.2f}" + (f" ({spread})" if spread else "") + f" {op} {threshold:g}"
    if not ok:
        return Verdict(Status.FAIL, value, message)
    if notes:
        return Verdict(
            Status.PASS,
            value,
            message + f"; too small to judge: {', '.join(notes)}",
            tuple(f"{result.feature}: {n} not judged (group size)" for n in notes),
        )
    return Verdict(Status.PASS, value, message)


def findings(
    ctx: CollectorContext,
    checks: Sequence[Check],
    settings: Settings,
    measurement: Measurement,
) -> Iterator[Finding]:
    """Verdicts for the enabled ``checks``, the report and charts written first (every finding
    points at them)."""
    report_path = ctx.artefact("fairness-report.json")
    results: list[dict[str, Any]] = []
    pending: list[tuple[str, Verdict, float, dict[str, Any], Path]] = []
    for grouping in measurement.groupings:
        result, absent = grouping.result, list(grouping.absent)
        plot = ctx.artefact(f"fairness-{_safe(result.feature)}.svg")
        dp_threshold = ctx.threshold("fairlearn.demographic_parity_ratio")
        _artefacts.write_plot(plot, result, dp_threshold)
        data = _metrics.to_jsonable(result)
        data["expected_groups_absent"] = absent
        data["verdicts"] = {}
        for check in checks:
            metric = check.id.split(".", 1)[1]
            threshold = ctx.threshold(check.id)
            assert threshold is not None and check.comparison is not None
            verdict = judge(metric, result, threshold, check.comparison, absent)
            data["verdicts"][metric] = {
                "status": str(verdict.status),
                "value": verdict.value,
                "threshold": threshold,
                "message": verdict.message,
            }
            pending.append((check.id, verdict, threshold, data, plot))
        results.append(data)

    model_subject = measurement.model
    _artefacts.write_report(
        report_path,
        {
            "tool": "fairlearn",
            "tool_version": measurement.tool_version,
            "data": measurement.display,
            "rows": measurement.rows,
            "label": settings.label,
            "prediction": settings.prediction,
            "model": model_subject.to_dict() if model_subject else None,
            "label_map": settings.label_map,
            "prediction_map": settings.prediction_map,
            "intersections": [list(c) for c in settings.intersections],
            "positive_label": settings.positive_label,
            "min_group_size": settings.min_group_size,
            "thresholds": {c.id: ctx.threshold(c.id) for c in checks},
            "subjects": [s.to_dict() for s in measurement.subjects],
            "features": results,
        },
    )
    for check_id, verdict, threshold, data, plot in pending:
        yield ctx.finding(
            check_id,
            verdict.status,
            value=None if verdict.value is None else round(verdict.value, 4),
            threshold=threshold,
            message=verdict.message,
            notes=verdict.notes,
            subjects=measurement.subjects,
            artefacts=[report_path, plot],
            details={
                "sensitive_feature": data["feature"],
                "rows": measurement.rows,
                "min_group_size": settings.min_group_size,
                "groups": data["groups"],
                "positive_labels": data["positive_labels"],
                "metrics_all_groups": data["metrics_all_groups"],
                "metrics_judged": data["metrics_judged"],
                "excluded_groups": data["excluded_groups"],
                "expected_groups_absent": data["expected_groups_absent"],
            },
        )


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in name) or "feature"
