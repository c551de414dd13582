"""One fairlearn collector run: load, predict if asked, measure per feature, judge, keep evidence."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aima_ci.models import Finding, Status, Subject
from aima_ci.plugin import Collector, CollectorContext
from aima_ci.safety.safeio import rel

from .. import _mapping, _tabular
from . import _artefacts, _columns, _metrics, _model
from ._settings import FAMILY, Settings

PREFIX = "collectors.fairlearn"
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


def _display(ctx: CollectorContext, path: Path) -> str:
    return rel(ctx.root, path)


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


def _outcomes(
    ctx: CollectorContext, settings: Settings, frame: Any, display: str
) -> tuple[Any, Any, Subject | None]:
    label = _columns.require_column(frame, settings.label, "label", display)
    label = _mapped(label, settings.label_map, "label_map", display)
    y = _columns.binarize(label, settings.positive_label, "label", display)
    if settings.prediction is not None:
        column = _columns.require_column(frame, settings.prediction, "prediction", display)
        column = _mapped(column, settings.prediction_map, "prediction_map", display)
        return y, _columns.binarize(column, settings.positive_label, "prediction", display), None
    assert settings.model is not None
    import pandas as pd

    ctx.progress("loading the model", 0.2)
    model, subject = _model.load(ctx, settings.model)
    model_display = subject.path or subject.name
    features = _model.feature_columns(model, settings.features, model_display)
    for feature in features:
        _columns.require_column(frame, feature, "features", display)
    ctx.progress("predicting", 0.3)
    predicted = pd.Series(
        _model.predict(model, frame, features, model_display), name=f"{model_display} predictions"
    )
    predicted = _mapped(predicted, settings.prediction_map, "prediction_map", model_display)
    return y, _columns.binarize(predicted, settings.positive_label, "model", model_display), subject


def _mapped(series: Any, mapping: Any, key: str, display: str) -> Any:
    """``label_map``/``prediction_map`` applied; a value the map does not name is bad input."""
    return _mapping.map_values(series, mapping, f"{PREFIX}.{key}: {display}", key)


def _groups(frame: Any, feature: Any, display: str) -> tuple[Any, list[str]]:
    """The sensitive column as strings (raw codes mapped to named groups), checked if declared."""
    series = _columns.require_column(frame, feature.name, "sensitive_features", display)
    where = f"{PREFIX}.sensitive_features: {display}"
    values, absent = _mapping.map_groups(series, feature.mapping, where)
    if feature.groups is not None:
        absent = _mapping.check_expected(values, feature.groups, where)
    return values, absent


def _measured(frame: Any, settings: Settings, display: str) -> list[tuple[str, Any, list[str]]]:
    """(name, groups per row, expected groups absent) for each feature, then each intersection.

    An intersection (sex x age_band) is one more grouping whose groups are the combinations, so a
    disparity that only shows for young women is measured, not averaged away.
    """
    single = {}
    out = []
    for feature in settings.sensitive:
        values, absent = _groups(frame, feature, display)
        single[feature.name] = values
        out.append((feature.name, values, absent))
    for combo in settings.intersections:
        name = _mapping.intersection_name(combo)
        out.append((name, _mapping.combine([single[c] for c in combo], name), []))
    return out


def run(collector: Collector, ctx: CollectorContext, settings: Settings) -> Iterator[Finding]:
    import fairlearn

    data_path = ctx.path(settings.data, "data")
    display = _display(ctx, data_path)
    subjects: list[Subject] = [ctx.subject("dataset", data_path)]
    ctx.progress("reading data", 0.05)
    frame = _tabular.read_table(data_path, f"collectors.fairlearn.data: {display}")
    y, y_pred, model_subject = _outcomes(ctx, settings, frame, display)
    if model_subject is not None:
        subjects.append(model_subject)
    measured = _measured(frame, settings, display)

    checks = collector.enabled_checks(ctx.config)
    report_path = ctx.artefact("fairness-report.json")
    results: list[dict[str, Any]] = []
    pending: list[tuple[str, Verdict, float, dict[str, Any], Path]] = []
    for i, (name, groups, absent) in enumerate(measured):
        ctx.progress(f"measuring {name}", 0.4 + 0.5 * i / len(measured))
        result = _metrics.compute(name, y, y_pred, groups, settings.min_group_size)
        plot = ctx.artefact(f"fairness-{_safe(name)}.svg")
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

    _artefacts.write_report(
        report_path,
        {
            "tool": "fairlearn",
            "tool_version": getattr(fairlearn, "__version__", None),
            "data": display,
            "rows": len(frame),
            "label": settings.label,
            "prediction": settings.prediction,
            "model": model_subject.to_dict() if model_subject else None,
            "label_map": settings.label_map,
            "prediction_map": settings.prediction_map,
            "intersections": [list(c) for c in settings.intersections],
            "positive_label": settings.positive_label,
            "min_group_size": settings.min_group_size,
            "thresholds": {c.id: ctx.threshold(c.id) for c in checks},
            "subjects": [s.to_dict() for s in subjects],
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
            subjects=subjects,
            artefacts=[report_path, plot],
            details={
                "sensitive_feature": data["feature"],
                "rows": len(frame),
                "min_group_size": settings.min_group_size,
                "groups": data["groups"],
                "positive_labels": data["positive_labels"],
                "metrics_all_groups": data["metrics_all_groups"],
                "metrics_judged": data["metrics_judged"],
                "excluded_groups": data["excluded_groups"],
                "expected_groups_absent": data["expected_groups_absent"],
            },
        )
    ctx.progress("done", 1.0)


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in name) or "feature"
