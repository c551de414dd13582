"""The fairlearn collector's config keys (public contract: docs/collectors/fairlearn.md), declared
once.

The runner parses the block with ``SPEC`` in the gate process before any collector starts, so a
typo in ``aima.yaml`` fails fast with exit 2 and the exact key, instead of after a slow tool
import; the collector gets the typed ``Settings`` as ``ctx.settings``. The label and group keys
are ``aima_ci_collectors._mapping``'s, shared with aif360.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from aima_ci.options import FilePath, Float, Int, ListOf, Obj, OneOf, Option, Spec, Text, Values

from .. import _mapping, _predict
from .._modelio import ModelRef

COLUMN = "a column name"
# metric -> ("ratio" | "difference"): ratios must be in (0, 1], differences in [0, 1).
METRICS = {
    "demographic_parity_ratio": "ratio",
    "demographic_parity_difference": "difference",
    "equalized_odds_difference": "difference",
    "equalized_odds_ratio": "ratio",
}
DEFAULT_MIN_GROUP_SIZE = 30
# metric -> the group of rates it compares (selection rates, or TPR and FPR)
FAMILY = {
    "demographic_parity_ratio": "demographic_parity",
    "demographic_parity_difference": "demographic_parity",
    "equalized_odds_difference": "equalized_odds",
    "equalized_odds_ratio": "equalized_odds",
}


@dataclass(frozen=True)
class SensitiveFeature:
    name: str
    groups: tuple[str, ...] | None = None  # expected values; anything else is bad input
    # raw code -> named group (A91/A93/A94 -> male); a code outside the mapping is bad input
    mapping: tuple[tuple[str, str], ...] | None = None


@dataclass(frozen=True)
class Settings:
    data: str
    label: str
    prediction: str | None
    model: ModelRef | None
    features: tuple[str, ...] | None
    sensitive: tuple[SensitiveFeature, ...]
    thresholds: Mapping[str, float] = field(default_factory=dict)
    min_group_size: int = DEFAULT_MIN_GROUP_SIZE
    positive_label: Any = 1
    label_map: Mapping[str, Any] | None = None  # raw label value -> outcome value
    prediction_map: Mapping[str, Any] | None = None  # raw prediction -> outcome value
    intersections: tuple[tuple[str, ...], ...] = ()  # measured in addition to each feature

    @property
    def trust_model(self) -> bool:
        return self.model is not None and self.model.trust


def _feature(value: Any) -> SensitiveFeature:
    """A column name, or ``{name, groups}`` parsed by the Obj kind below."""
    if isinstance(value, str):
        return SensitiveFeature(value)
    groups: _mapping.Groups | None = value["groups"]
    if groups is None:
        return SensitiveFeature(value["name"])
    return SensitiveFeature(value["name"], groups.expected, groups.mapping)


FEATURE = OneOf(
    Text(what=COLUMN),
    Obj(
        Option("name", Text(what=COLUMN), required=True, doc="The column."),
        Option("groups", _mapping.GROUPS, doc="Expected values, or named groups of raw codes."),
        what="{name: COLUMN, groups: [...]}",
    ),
    what="a column name or {name: COLUMN, groups: [...]}",
)


def _build(values: Values) -> Settings:
    """Rules across keys: a prediction column or a model, columns used once."""
    model, features = _predict.parse_model(values)
    prediction = values["prediction"]
    if (prediction is None) == (model is None):
        raise values.error(
            "prediction", "set exactly one of 'prediction' (a column) or 'model' (a file)"
        )
    sensitive = tuple(_feature(v) for v in values["sensitive_features"])
    names = [s.name for s in sensitive]
    if len(set(names)) != len(names):
        raise values.error("sensitive_features", "lists a column twice")
    used = {values["label"], prediction} - {None}
    for s in sensitive:
        if s.name in used:
            raise values.error(
                "sensitive_features", f"'{s.name}' is also the label or prediction column"
            )
    return Settings(
        data=values["data"],
        label=values["label"],
        prediction=prediction,
        model=model,
        features=features,
        sensitive=sensitive,
        thresholds={k: v for k, v in (values["thresholds"] or {}).items() if v is not None},
        min_group_size=values["min_group_size"],
        positive_label=values["positive_label"],
        label_map=values["label_map"],
        prediction_map=values["prediction_map"],
        intersections=_mapping.intersections(
            values["intersections"], names, values.error, "sensitive_features"
        ),
    )


def _threshold(kind: str) -> Float:
    if kind == "ratio":
        return Float(minimum=0, maximum=1, exclusive_minimum=True)
    return Float(minimum=0, maximum=1, exclusive_maximum=True)


SPEC = Spec(
    options=(
        Option(
            "data",
            FilePath("any", what="a path relative to the config file"),
            required=True,
            doc="The evaluation table (CSV, TSV or Parquet), one row per decision.",
        ),
        Option("label", Text(what=COLUMN), required=True, doc="The true outcome column."),
        Option(
            "prediction",
            Text(what=COLUMN),
            doc="The model's decision column (binary); or set `model`.",
        ),
        *_predict.MODEL_OPTIONS,
        Option(
            "sensitive_features",
            ListOf(FEATURE, min_items=1, what="a non-empty list of columns"),
            required=True,
            missing="is required (a list of columns such as [sex, age_band])",
            doc="One result per feature: column names, or `{name, groups}` to declare the"
            " expected values or map raw codes to named groups.",
        ),
        Option(
            "positive_label",
            _mapping.POSITIVE_LABEL,
            default=1,
            doc="The favourable outcome value in the label and the decisions (after the maps).",
        ),
        Option(
            "label_map",
            _mapping.VALUE_MAP,
            doc="Raw label -> outcome value, e.g. `{good: 1, bad: 0}`.",
        ),
        Option(
            "prediction_map",
            _mapping.VALUE_MAP,
            doc="Raw decision -> outcome value, e.g. `{approve: 1, reject: 0}`.",
        ),
        Option(
            "intersections",
            _mapping.INTERSECTIONS,
            doc="Lists of sensitive features measured together, in addition to each alone.",
        ),
        Option(
            "min_group_size",
            Int(minimum=1),
            default=DEFAULT_MIN_GROUP_SIZE,
            doc="Groups with fewer rows are not judged (listed as notes of a passing result).",
        ),
    ),
    thresholds={name: _threshold(kind) for name, kind in METRICS.items()},
    build=_build,
)
