"""Measuring a fairlearn run: read the table, map labels and groups, predict if asked, and compute
fairlearn's per-group rates for each sensitive feature and intersection. Raw results only: the
verdicts are judge.py's.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aima_ci.models import Subject
from aima_ci.plugin import CollectorContext
from aima_ci.safety.safeio import rel

from .. import _mapping, _predict, _tabular
from . import _columns, _metrics
from .settings import Settings

NAME = "fairlearn"
PREFIX = f"collectors.{NAME}"


@dataclass(frozen=True)
class Grouping:
    """One sensitive feature (or intersection) measured: fairlearn's numbers, and the expected
    groups that had no rows (named in a passing verdict's notes)."""

    result: _metrics.FeatureResult
    absent: tuple[str, ...]


@dataclass(frozen=True)
class Measurement:
    display: str  # the data file as shown in messages
    rows: int
    subjects: list[Subject]  # the dataset, and the model in model mode
    model: Subject | None
    groupings: list[Grouping]
    tool_version: str | None


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
    model, subject = _predict.load(ctx, settings.model, NAME)
    model_display = subject.path or subject.name
    features = _predict.feature_columns(model, settings.features, model_display, NAME)
    for feature in features:
        _columns.require_column(frame, feature, "features", display)
    ctx.progress("predicting", 0.3)
    predicted = pd.Series(
        _predict.predict(model, frame, features, model_display, NAME),
        name=f"{model_display} predictions",
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


def measure(ctx: CollectorContext, settings: Settings) -> Measurement:
    """Every grouping's fairlearn metrics; bad input raises InputError naming key, file, column."""
    import fairlearn

    data_path = ctx.path(settings.data, "data")
    display = rel(ctx.root, data_path)
    subjects: list[Subject] = [ctx.subject("dataset", data_path)]
    ctx.progress("reading data", 0.05)
    frame = _tabular.read_table(data_path, f"{PREFIX}.data: {display}")
    y, y_pred, model_subject = _outcomes(ctx, settings, frame, display)
    if model_subject is not None:
        subjects.append(model_subject)
    measured = _measured(frame, settings, display)
    groupings = []
    for i, (name, groups, absent) in enumerate(measured):
        ctx.progress(f"measuring {name}", 0.4 + 0.5 * i / len(measured))
        result = _metrics.compute(name, y, y_pred, groups, settings.min_group_size)
        groupings.append(Grouping(result, tuple(absent)))
    return Measurement(
        display=display,
        rows=len(frame),
        subjects=subjects,
        model=model_subject,
        groupings=groupings,
        tool_version=getattr(fairlearn, "__version__", None),
    )
