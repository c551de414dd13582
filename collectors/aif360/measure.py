"""Run mode: disparate impact and statistical parity difference computed by aif360 itself.

Imported only in run mode (aif360 imports pandas, scipy and scikit-learn). The CSV is reduced to
a numeric frame aif360 accepts: the outcome as 1 (favourable) / 0, each protected column as
1 (privileged value) / 0; rows with a missing outcome or attribute are refused, not dropped,
because silently dropping rows can hide exactly the group a fairness check is about.

Labels and codes are mapped first (``label_map``, ``prediction_map``, a protected column's
``groups``), with fairlearn's rules (``aima_ci_collectors._mapping``). With ``prediction`` the
metrics are aif360's ``ClassificationMetric`` of the decisions against the labels; without, the
``BinaryLabelDatasetMetric`` of the labels. An intersection (``[sex, age_band]``) compares each
combination of sides against the rows privileged in every feature (``male & old``), one metrics
row per combination, so a gap that only young women see is not averaged away.
"""

from __future__ import annotations

import itertools
import json
import logging
import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aima_ci.models import Subject
from aima_ci.plugin import CollectorContext, InputError

from .. import _mapping, _predict, _tabular
from .._reportjson import load_json, open_report
from .settings import Protected, RunSettings, Settings

MAX_CSV_BYTES = 512 << 20
PREFIX = "collectors.aif360"


@dataclass(frozen=True)
class Measured:
    """The metrics JSON to judge, where it came from (for messages), the artefact kept, and what
    the findings are about (the dataset in run mode, the report in report mode)."""

    data: Any
    where: str
    report: Path
    subjects: list[Subject]


def measure(ctx: CollectorContext, settings: Settings) -> Measured:
    """Read the team's report, or compute the metrics with aif360 and keep them as the artefact
    (then re-read, so run mode judges exactly what report mode would read)."""
    if settings.run is None:
        assert settings.report is not None  # report mode: the spec requires it
        source = open_report(ctx, settings.report)
        report = source.keep(ctx, "aif360-metrics.json")
        return Measured(source.data, source.where, report, [ctx.subject("report", source.path)])
    data_path = ctx.path(settings.run.data, "data")
    subjects = [ctx.subject("dataset", data_path)]
    predicted = None
    if settings.run.model is not None:
        predicted, model = _predicted(ctx, settings.run, data_path)
        subjects.append(model)
    ctx.progress("computing group fairness metrics", None)
    data = compute(data_path, settings.run, display=settings.run.data, predicted=predicted)
    if predicted is not None:
        data["model"] = model.to_dict()
    report = ctx.artefact("aif360-metrics.json")
    report.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    where = f"aif360 metrics {ctx.rel_artefact(report)}"
    return Measured(load_json(report, where), where, report, subjects)


def _predicted(
    ctx: CollectorContext, settings: RunSettings, data_path: Path
) -> tuple[Any, Subject]:
    """The model's raw decisions on every row (any declared format; ``_predict`` decides trust)."""
    import pandas as pd

    assert settings.model is not None
    ctx.progress("loading the model", 0.2)
    model, subject = _predict.load(ctx, settings.model, "aif360")
    shown = subject.path or subject.name
    frame = _tabular.read_table(data_path, f"{PREFIX}.data: {settings.data}")
    features = _predict.feature_columns(model, settings.features, shown, "aif360")
    missing = [c for c in features if c not in frame.columns]
    if missing:
        raise InputError(
            f"{PREFIX}.features: {settings.data}: no column(s) {', '.join(map(repr, missing))}"
        )
    ctx.progress("predicting", 0.3)
    decisions = _predict.predict(model, frame, features, shown, "aif360")
    return pd.Series(decisions, name=f"{shown} predictions").reset_index(drop=True), subject


@dataclass(frozen=True)
class Attribute:
    """A protected column reduced to 1 (privileged) / 0, with the names of both sides."""

    name: str
    privileged: Any  # 0/1 float Series
    sides: tuple[str, str]  # (unprivileged, privileged) values, e.g. ("female", "male")
    absent: tuple[str, ...]  # named or expected groups no row falls in


def _matches(series: Any, values: Sequence[Any]) -> Any:
    """Equality on the CSV's text as well as its parsed value: 1 matches "1" and 1.0."""
    wanted = {str(v) for v in values} | {str(v).lower() for v in values if isinstance(v, bool)}
    as_text = series.astype(str)
    numeric = {float(v) for v in values if _is_number(v)}
    hit = as_text.isin(wanted)
    if numeric:
        import pandas as pd

        hit = hit | pd.to_numeric(series, errors="coerce").isin(numeric)
    return hit


def _is_number(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    try:
        return math.isfinite(float(value))
    except (TypeError, ValueError):
        return False


def _import() -> tuple[Any, Any, Any, Any]:
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)  # aif360 logs a hint per optional extra it lacks, on import
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            import aif360
            from aif360.datasets import BinaryLabelDataset
            from aif360.metrics import BinaryLabelDatasetMetric, ClassificationMetric
    finally:
        root.setLevel(level)
    return aif360, BinaryLabelDataset, BinaryLabelDatasetMetric, ClassificationMetric


def _read(path: Path, columns: Sequence[str], where: str) -> Any:
    import pandas as pd

    if path.stat().st_size > MAX_CSV_BYTES:
        raise InputError(f"{where}: larger than {MAX_CSV_BYTES} bytes")
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=True)
    except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise InputError(f"{where}: not a readable CSV ({type(exc).__name__}: {exc})") from None
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise InputError(f"{where}: no column(s) {', '.join(map(repr, missing))}")
    if frame.empty:
        raise InputError(f"{where}: no rows")
    blanks = {c: int(frame[c].isna().sum()) for c in columns if frame[c].isna().any()}
    if blanks:
        raise InputError(
            f"{where}: empty values in {', '.join(f'{c} ({n} rows)' for c, n in blanks.items())}"
        )
    return frame


def _outcome(series: Any, mapping: Any, key: str, fav: Any, display: str) -> Any:
    values = _mapping.map_values(series, mapping, f"{PREFIX}.{key}: {display}", key)
    return _matches(values, [fav]).astype(float)


def _attribute(frame: Any, p: Protected, where: str, display: str) -> Attribute:
    at = f"{PREFIX}.protected.{p.name}.groups: {display}"
    values, absent = _mapping.map_groups(frame[p.name], p.mapping, at)
    if p.mapping is None and p.groups is not None:
        absent = _mapping.check_expected(values, p.groups, at)
    hit = _matches(values, list(p.privileged))
    n_priv = int(hit.sum())
    if n_priv == 0 or n_priv == len(hit):
        side = "privileged" if n_priv == 0 else "unprivileged"
        raise InputError(
            f"{where}: column {p.name!r} has no {side} rows (privileged: {list(p.privileged)})"
        )
    sides = ("/".join(sorted(set(values[~hit]))), "/".join(sorted(set(values[hit]))))
    return Attribute(p.name, hit.astype(float), sides, tuple(absent))


def _num(value: Any) -> float | None:
    number = float(value)
    return round(number, 6) if math.isfinite(number) else None


class _Measure:
    """aif360's metrics between two groups (lists of attribute conditions), as one JSON row."""

    def __init__(self, dataset: Any, predicted: Any, binary: Any, classification: Any) -> None:
        self.dataset, self.predicted = dataset, predicted
        self.binary, self.classification = binary, classification

    def row(self, unprivileged: dict[str, float], privileged: dict[str, float]) -> dict[str, Any]:
        groups = {"unprivileged_groups": [unprivileged], "privileged_groups": [privileged]}
        if self.predicted is None:
            metric = self.binary(self.dataset, **groups)
        else:
            metric = self.classification(self.dataset, self.predicted, **groups)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            row = {
                "disparate_impact": _num(metric.disparate_impact()),
                "statistical_parity_difference": _num(metric.statistical_parity_difference()),
                "base_rate_privileged": _num(metric.base_rate(privileged=True)),
                "base_rate_unprivileged": _num(metric.base_rate(privileged=False)),
                "instances_privileged": int(metric.num_instances(privileged=True)),
                "instances_unprivileged": int(metric.num_instances(privileged=False)),
            }
            if self.predicted is not None:  # decisions against the labels: context, not judged
                row |= {
                    "selection_rate_privileged": _num(metric.selection_rate(privileged=True)),
                    "selection_rate_unprivileged": _num(metric.selection_rate(privileged=False)),
                    "equal_opportunity_difference": _num(metric.equal_opportunity_difference()),
                    "average_odds_difference": _num(metric.average_odds_difference()),
                }
        return row


def _intersection(
    measure: _Measure, combo: Sequence[str], attrs: dict[str, Attribute], where: str
) -> tuple[list[dict[str, Any]], list[str]]:
    """One row per combination of sides other than all-privileged, which is the reference;
    and the combinations no row falls in."""
    name = _mapping.intersection_name(combo)
    counts = {}
    for sides in itertools.product((1.0, 0.0), repeat=len(combo)):
        mask = None
        for col, side in zip(combo, sides, strict=True):
            hit = attrs[col].privileged == side
            mask = hit if mask is None else mask & hit
        counts[sides] = int(mask.sum()) if mask is not None else 0

    def label(sides: Sequence[float]) -> str:
        return _mapping.JOINER.join(
            attrs[c].sides[int(s)] for c, s in zip(combo, sides, strict=True)
        )

    top = (1.0,) * len(combo)
    if counts[top] == 0:
        raise InputError(
            f"{where}: no row is privileged in every one of {', '.join(combo)} ({label(top)}):"
            " nothing to compare the combinations against"
        )
    rows, empty = [], []
    for sides, n in counts.items():
        if sides == top:
            continue
        if n == 0:
            empty.append(f"{name}: {label(sides)}")
            continue
        row = measure.row(dict(zip(combo, sides, strict=True)), dict.fromkeys(combo, 1.0))
        rows.append(
            {
                "protected_attribute": f"{name}: {label(sides)}",
                "intersection": list(combo),
                "privileged": [label(top)],
                "unprivileged": label(sides),
                **row,
            }
        )
    return rows, empty


def compute(
    path: Path, settings: RunSettings, *, display: str, predicted: Any = None
) -> dict[str, Any]:
    """The metrics JSON (the shape report mode reads) for one CSV; ``predicted``: a model's raw
    decisions per row (model mode), judged like a ``prediction`` column."""
    aif360, dataset_cls, binary, classification = _import()
    import pandas as pd

    where = f"{PREFIX}.data: {display}"
    label, fav = settings.label, settings.positive_label
    columns = [label, *([settings.prediction] if settings.prediction else [])]
    frame = _read(path, [*columns, *(p.name for p in settings.protected)], where)
    numeric = pd.DataFrame(
        {label: _outcome(frame[label], settings.label_map, "label_map", fav, display)}
    )
    measured = label
    decisions = None
    if settings.prediction is not None:
        measured = settings.prediction
        decisions = _outcome(
            frame[measured], settings.prediction_map, "prediction_map", fav, display
        )
    elif predicted is not None:
        measured = str(predicted.name)
        if len(predicted) != len(frame):
            raise InputError(
                f"{where}: the model gave {len(predicted)} decisions for {len(frame)} rows"
            )
        decisions = _outcome(predicted, settings.prediction_map, "prediction_map", fav, display)
    if (numeric[label] if decisions is None else decisions).sum() == 0:
        raise InputError(f"{where}: no row has {measured} == {fav!r} (the favourable outcome)")
    attrs = {p.name: _attribute(frame, p, where, display) for p in settings.protected}
    for name, attr in attrs.items():
        numeric[name] = attr.privileged
    dataset = dataset_cls(
        df=numeric,
        label_names=[label],
        protected_attribute_names=list(attrs),
        favorable_label=1.0,
        unfavorable_label=0.0,
    )
    predicted = None
    if decisions is not None:
        predicted = dataset.copy(deepcopy=True)
        predicted.labels = decisions.to_numpy().reshape(-1, 1)
    measure = _Measure(dataset, predicted, binary, classification)
    rows = []
    for p in settings.protected:
        attr = attrs[p.name]
        row: dict[str, Any] = {
            "protected_attribute": p.name,
            "privileged": [str(v) for v in p.privileged],
            **measure.row({p.name: 0.0}, {p.name: 1.0}),
        }
        if p.mapping is not None:
            row["groups"] = {g: [c for c, n in p.mapping if n == g] for _, g in p.mapping}
        if attr.absent:
            row["groups_absent"] = list(attr.absent)
        rows.append(row)
    empty: list[str] = []
    for i, combo in enumerate(settings.intersections):
        more, none = _intersection(measure, combo, attrs, f"{PREFIX}.intersections[{i}]: {display}")
        rows += more
        empty += none
    out: dict[str, Any] = {
        "tool": "aif360",
        "tool_version": getattr(aif360, "__version__", ""),
        "dataset": display,
        "label": label,
        "favorable_label": fav,
        "metrics": rows,
    }
    if settings.prediction is not None:
        out["prediction"] = settings.prediction
    if settings.label_map is not None:
        out["label_map"] = dict(settings.label_map)
    if settings.prediction_map is not None:
        out["prediction_map"] = dict(settings.prediction_map)
    if settings.intersections:
        out["intersections"] = [list(c) for c in settings.intersections]
        out["empty_intersection_groups"] = empty
    return out
