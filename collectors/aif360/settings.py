"""The aif360 collector's config keys, parsed once into a typed value.

Validation runs in the gate process before any collector starts (``validate_config``), so a typo in
``aima.yaml`` fails fast with exit 2 and the exact key, instead of after aif360's slow import.
Labels and groups are mapped with the same keys, rules and wording as fairlearn's
(``aima_ci_collectors._mapping``): a user moving a config block between the two collectors
should not meet a second dialect.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .. import _mapping
from .._modelio import ModelRef, parse_ref
from .._options import KeyCheck, Options
from .._reportmode import check_thresholds, mode_of, require_path

NAME = "aif360"
OPTIONS = Options(NAME)
RUN_KEYS = {
    "data",
    "label",
    "favorable",
    "positive_label",
    "protected",
    "label_map",
    "prediction",
    "prediction_map",
    "intersections",
    "model",
    "features",
    "trust_model",
}
REPORT_KEYS = {"report"}
METRICS = ("disparate_impact", "statistical_parity_difference")
PROTECTED_KEYS = ("privileged", "groups")

_err = OPTIONS.error


@dataclass(frozen=True)
class Protected:
    """One protected attribute: its column, the privileged value(s), and how to read its codes."""

    name: str
    privileged: tuple[Any, ...]  # raw values, or named groups when ``mapping`` is set
    mapping: tuple[tuple[str, str], ...] | None = None  # raw code -> named group
    groups: tuple[str, ...] | None = None  # the values the column may take, if declared


@dataclass(frozen=True)
class RunSettings:
    data: str
    label: str
    positive_label: Any
    protected: tuple[Protected, ...]
    label_map: Mapping[str, Any] | None = None
    prediction: str | None = None  # the model's decisions: measured instead of the label
    prediction_map: Mapping[str, Any] | None = None
    intersections: tuple[tuple[str, ...], ...] = ()
    model: ModelRef | None = None  # or the decisions predicted by this model
    features: tuple[str, ...] | None = None  # with model: the columns it predicts from


@dataclass(frozen=True)
class Settings:
    report: str | None  # report mode: the metrics JSON to read
    run: RunSettings | None  # run mode


def _privileged(values: Any, key: str) -> tuple[Any, ...]:
    if (
        not isinstance(values, list)
        or not values
        or any(isinstance(v, (list, dict)) or v is None for v in values)
    ):
        raise _err(key, "must be a non-empty list of privileged values")
    return tuple(values)


def _protected(value: Any) -> tuple[Protected, ...]:
    if not isinstance(value, Mapping) or not value:
        raise _err(
            "protected",
            "must map each protected column to its privileged value(s), e.g. {sex: [male]}",
        )
    out = []
    for col, item in value.items():
        key = f"protected.{col}"
        if not isinstance(item, Mapping):
            out.append(Protected(str(col), _privileged(item, key)))
            continue
        unknown = sorted(set(map(str, item)) - set(PROTECTED_KEYS))
        if unknown:
            raise _err(f"{key}.{unknown[0]}", f"unknown key (use {', '.join(PROTECTED_KEYS)})")
        if "privileged" not in item:
            raise _err(f"{key}.privileged", "is required (the privileged value(s), e.g. [male])")
        privileged = _privileged(item["privileged"], f"{key}.privileged")
        groups = item.get("groups")
        if groups is None:
            out.append(Protected(str(col), privileged))
            continue
        if isinstance(groups, Mapping):
            mapping = _mapping.group_map(groups, f"{key}.groups", _err)
            names = tuple(dict.fromkeys(g for _, g in mapping))
            declared: tuple[str, ...] = names
        else:
            mapping = None
            declared = _mapping.expected_groups(groups, f"{key}.groups", _err)
        outside = [str(v) for v in privileged if str(v) not in declared]
        if outside:
            raise _err(
                f"{key}.privileged",
                f"{outside[0]!r} is not one of its groups ({', '.join(declared)})",
            )
        if {str(v) for v in privileged} >= set(declared):
            raise _err(f"{key}.privileged", "names every group: nobody would be unprivileged")
        out.append(Protected(str(col), privileged, mapping, declared))
    return tuple(out)


def _outcome_value(config: Mapping[str, Any]) -> Any:
    """``positive_label`` (fairlearn's name) or ``favorable`` (aif360's): one meaning, one key."""
    if "positive_label" in config and "favorable" in config:
        raise _err("positive_label", "set one of 'positive_label' or 'favorable' (the same value)")
    key = "positive_label" if "positive_label" in config else "favorable"
    if key == "positive_label":
        return _mapping.positive_label(config[key], key, _err)
    value = config.get(key, 1)
    if isinstance(value, (list, dict)) or value is None:  # a YAML true matches "true"/"True"
        raise _err(key, "must be the favourable outcome value")
    return value


def _run(config: Mapping[str, Any]) -> RunSettings:
    require_path(config, NAME, "data", "required in run mode")
    for key in ("label", "protected"):
        if key not in config:
            raise _err(key, "required in run mode")
    if not isinstance(config["label"], str) or not config["label"]:
        raise _err("label", "must be a column name")
    label = config["label"]
    prediction = OPTIONS.text(config, "prediction", "a column name")
    raw_model = config.get("model")
    model = None
    if raw_model is not None:
        model = parse_ref(raw_model, OPTIONS.flag(config, "trust_model"), f"{OPTIONS.prefix}.model")
    elif "trust_model" in config:
        OPTIONS.flag(config, "trust_model")
    if prediction is not None and model is not None:
        raise _err("prediction", "set at most one of 'prediction' (a column) or 'model' (a file)")
    if config.get("prediction_map") is not None and prediction is None and model is None:
        raise _err("prediction_map", "only applies with 'prediction' or 'model'")
    features = None
    if config.get("features") is not None:
        if model is None:
            raise _err("features", "only applies with 'model'")
        features = OPTIONS.columns(config["features"], "features")
    protected = _protected(config["protected"])
    for p in protected:
        if p.name in {label, prediction}:
            raise _err(f"protected.{p.name}", "is also the label or prediction column")
    return RunSettings(
        data=str(config["data"]),
        label=label,
        positive_label=_outcome_value(config),
        protected=protected,
        label_map=_mapping.value_map(config.get("label_map"), "label_map", _err),
        prediction=prediction,
        prediction_map=_mapping.value_map(config.get("prediction_map"), "prediction_map", _err),
        intersections=_mapping.intersections(
            config.get("intersections"), [p.name for p in protected], _err, "protected"
        ),
        model=model,
        features=features,
    )


def parse(config: Mapping[str, Any], check_keys: KeyCheck) -> Settings:
    """The settings, or a CollectorConfigError naming the key; ``check_keys`` refuses typos
    (including the other mode's keys)."""
    report_mode = mode_of(config) == "report"
    check_keys(config, REPORT_KEYS if report_mode else RUN_KEYS)
    if report_mode:
        require_path(config, NAME, "report", "required in report mode")
        settings = Settings(report=str(config["report"]), run=None)
    else:
        settings = Settings(report=None, run=_run(config))
    check_thresholds(config, NAME, METRICS, "rate")
    return settings
