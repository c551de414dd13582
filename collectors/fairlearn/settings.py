"""The fairlearn collector's config keys, parsed once into a typed value.

Validation runs in the gate process before any collector starts (``validate_config``), so a typo in
``aima.yaml`` fails fast with exit 2 and the exact key, instead of after a slow tool import.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .. import _mapping
from .._modelio import ModelRef, parse_ref
from .._options import KeyCheck, Options

OPTIONS = Options("fairlearn")
PATH = "a path relative to the config file"
COLUMN = "a column name"
KEYS = {
    "data",
    "label",
    "prediction",
    "model",
    "features",
    "sensitive_features",
    "thresholds",
    "min_group_size",
    "positive_label",
    "trust_model",
    "label_map",
    "prediction_map",
    "intersections",
}
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


_err = OPTIONS.error


def _sensitive(value: Any) -> tuple[SensitiveFeature, ...]:
    key = "sensitive_features"
    if value is None:
        raise _err(key, "is required (a list of columns such as [sex, age_band])")
    if not isinstance(value, list) or not value:
        raise _err(key, "must be a non-empty list of columns")
    out: list[SensitiveFeature] = []
    for i, item in enumerate(value):
        if isinstance(item, str) and item:
            out.append(SensitiveFeature(item))
            continue
        if not isinstance(item, Mapping) or not isinstance(item.get("name"), str):
            raise _err(f"{key}[{i}]", "must be a column name or {name: COLUMN, groups: [...]}")
        unknown = set(item) - {"name", "groups"}
        if unknown:
            raise _err(f"{key}[{i}].{sorted(unknown)[0]}", "unknown key (use name, groups)")
        groups = item.get("groups")
        at = f"{key}[{i}].groups"
        if isinstance(groups, Mapping):
            out.append(SensitiveFeature(item["name"], mapping=_mapping.group_map(groups, at, _err)))
        elif groups is not None:
            out.append(SensitiveFeature(item["name"], _mapping.expected_groups(groups, at, _err)))
        else:
            out.append(SensitiveFeature(item["name"]))
    names = [s.name for s in out]
    if len(set(names)) != len(names):
        raise _err(key, "lists a column twice")
    return tuple(out)


def _thresholds(value: Any) -> dict[str, float]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise _err("thresholds", "must map metric names to numbers")
    out: dict[str, float] = {}
    for name, number in value.items():
        key = f"thresholds.{name}"
        if name not in METRICS:
            raise _err(key, f"unknown metric (one of {', '.join(METRICS)})")
        if isinstance(number, bool) or not isinstance(number, (int, float)):
            raise _err(key, "must be a number")
        number = float(number)
        if not math.isfinite(number):
            raise _err(key, "must be a finite number")
        if METRICS[name] == "ratio" and not 0 < number <= 1:
            raise _err(key, "a ratio threshold must be in (0, 1]")
        if METRICS[name] == "difference" and not 0 <= number < 1:
            raise _err(key, "a difference threshold must be in [0, 1)")
        out[name] = number
    return out


def parse(config: Mapping[str, Any], check_keys: KeyCheck) -> Settings:
    """The settings, or a CollectorConfigError naming the key; ``check_keys`` refuses typos."""
    OPTIONS.refuse_mode(config)
    check_keys(config, KEYS)
    data = OPTIONS.required(config, "data", PATH)
    label = OPTIONS.required(config, "label", COLUMN)
    prediction = OPTIONS.text(config, "prediction", COLUMN)
    raw_model = config.get("model")
    model = (
        None
        if raw_model is None
        else parse_ref(raw_model, OPTIONS.flag(config, "trust_model"), f"{OPTIONS.prefix}.model")
    )
    if (prediction is None) == (model is None):
        raise _err("prediction", "set exactly one of 'prediction' (a column) or 'model' (a file)")
    features = None
    if config.get("features") is not None:
        if model is None:
            raise _err("features", "only applies with 'model'")
        features = OPTIONS.columns(config["features"], "features")
    sensitive = _sensitive(config.get("sensitive_features"))
    names = [s.name for s in sensitive]
    used = {label, prediction} - {None}
    for s in sensitive:
        if s.name in used:
            raise _err("sensitive_features", f"'{s.name}' is also the label or prediction column")
    min_size = config.get("min_group_size", DEFAULT_MIN_GROUP_SIZE)
    if isinstance(min_size, bool) or not isinstance(min_size, int) or min_size < 1:
        raise _err("min_group_size", "must be a positive whole number")
    positive = _mapping.positive_label(config.get("positive_label", 1), "positive_label", _err)
    return Settings(
        data=data,
        label=label,
        prediction=prediction,
        model=model,
        features=features,
        sensitive=sensitive,
        thresholds=_thresholds(config.get("thresholds")),
        min_group_size=min_size,
        positive_label=positive,
        label_map=_mapping.value_map(config.get("label_map"), "label_map", _err),
        prediction_map=_mapping.value_map(config.get("prediction_map"), "prediction_map", _err),
        intersections=_mapping.intersections(
            config.get("intersections"), names, _err, "sensitive_features"
        ),
    )
