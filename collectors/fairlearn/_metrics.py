"""Group-fairness metrics for one sensitive feature, computed with fairlearn.

The judged value of each disparity metric is computed only over groups large enough to estimate a
rate (``min_group_size``), and, for equalized odds, only over groups that have both positive and
negative labels: fairlearn reports a true-positive rate of 0.0 for a group with no positives, which
would otherwise look like a huge (and fake) disparity.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

GROUP_METRICS = (
    "count",
    "selection_rate",
    "accuracy",
    "true_positive_rate",
    "false_positive_rate",
    "false_negative_rate",
)


@dataclass(frozen=True)
class FeatureResult:
    feature: str
    groups: Mapping[str, Mapping[str, float | None]]  # group -> metric -> value
    positives: Mapping[str, int]  # group -> number of positive labels
    overall: Mapping[str, float | None]
    all_groups: Mapping[str, float | None]  # the four disparity metrics over every group
    judged: Mapping[str, float | None]  # the same over the groups fit to judge
    judged_groups: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # per metric family
    excluded: Mapping[str, Mapping[str, str]] = field(
        default_factory=dict
    )  # family -> group -> why


def _num(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _metric_frame(y: Any, y_pred: Any, groups: Any) -> Any:
    from fairlearn.metrics import (
        MetricFrame,
        count,
        false_negative_rate,
        false_positive_rate,
        selection_rate,
        true_positive_rate,
    )
    from sklearn.metrics import accuracy_score

    return MetricFrame(
        metrics={
            "count": count,
            "selection_rate": selection_rate,
            "accuracy": accuracy_score,
            "true_positive_rate": true_positive_rate,
            "false_positive_rate": false_positive_rate,
            "false_negative_rate": false_negative_rate,
        },
        y_true=y,
        y_pred=y_pred,
        sensitive_features=groups,
    )


def _worst(values: list[float | None], pick: Any) -> float | None:
    known = [v for v in values if v is not None]
    return pick(known) if len(known) == len(values) else None


def _disparities(frame: Any) -> dict[str, float | None]:
    """fairlearn's definitions, from one MetricFrame: demographic parity compares selection rates;
    equalized odds takes the worse of the TPR and FPR between-group gaps (difference: the larger,
    ratio: the smaller), as ``fairlearn.metrics.equalized_odds_*`` do with agg="worst_case"."""
    diff = frame.difference(method="between_groups")
    ratio = frame.ratio(method="between_groups")
    rates = ("true_positive_rate", "false_positive_rate")
    return {
        "demographic_parity_difference": _num(diff["selection_rate"]),
        "demographic_parity_ratio": _num(ratio["selection_rate"]),
        "equalized_odds_difference": _worst([_num(diff[r]) for r in rates], max),
        "equalized_odds_ratio": _worst([_num(ratio[r]) for r in rates], min),
    }


def compute(feature: str, y: Any, y_pred: Any, groups: Any, min_group_size: int) -> FeatureResult:
    """Per-group rates and the disparity metrics for ``groups`` (a string Series named ``feature``)."""
    frame = _metric_frame(y, y_pred, groups)
    by_group: dict[str, dict[str, float | None]] = {}
    for name, row in frame.by_group.iterrows():
        by_group[str(name)] = {m: _num(row[m]) for m in GROUP_METRICS}
    positives = {g: int(y[(groups == g).to_numpy()].sum()) for g in by_group}
    overall = {m: _num(frame.overall[m]) for m in GROUP_METRICS}
    all_groups = _disparities(frame)

    excluded: dict[str, dict[str, str]] = {"demographic_parity": {}, "equalized_odds": {}}
    for g, metrics in by_group.items():
        n = int(metrics["count"] or 0)
        if n < min_group_size:
            why = f"{n} rows < min_group_size {min_group_size}"
            excluded["demographic_parity"][g] = why
            excluded["equalized_odds"][g] = why
        elif positives[g] == 0 or positives[g] == n:
            kind = "positive" if positives[g] == 0 else "negative"
            excluded["equalized_odds"][g] = f"no {kind} labels: its error rates are undefined"
    judged: dict[str, float | None] = {}
    judged_groups: dict[str, tuple[str, ...]] = {}
    for family in ("demographic_parity", "equalized_odds"):
        keep = tuple(g for g in by_group if g not in excluded[family])
        judged_groups[family] = keep
        values: dict[str, float | None]
        if len(keep) == len(by_group) and len(keep) >= 2:
            values = all_groups
        elif len(keep) >= 2:
            mask = groups.isin(keep).to_numpy()
            values = _disparities(_metric_frame(y[mask], y_pred[mask], groups[mask]))
        else:
            values = dict.fromkeys(
                (f"{family}_difference", f"{family}_ratio")
            )  # nothing to compare
        judged.update({k: v for k, v in values.items() if k.startswith(family)})
    return FeatureResult(
        feature=feature,
        groups=by_group,
        positives=positives,
        overall=overall,
        all_groups=all_groups,
        judged=judged,
        judged_groups=judged_groups,
        excluded={k: dict(v) for k, v in excluded.items()},
    )


def to_jsonable(result: FeatureResult) -> dict[str, Any]:
    return {
        "feature": result.feature,
        "groups": {g: dict(m) for g, m in result.groups.items()},
        "positive_labels": dict(result.positives),
        "overall": dict(result.overall),
        "metrics_all_groups": dict(result.all_groups),
        "metrics_judged": dict(result.judged),
        "judged_groups": {k: list(v) for k, v in result.judged_groups.items()},
        "excluded_groups": {k: dict(v) for k, v in result.excluded.items()},
    }


__all__ = ["GROUP_METRICS", "FeatureResult", "compute", "to_jsonable"]
