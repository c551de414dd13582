"""The aif360 collector's config keys (public contract: docs/collectors/aif360.md), declared once.

The runner parses the block with ``SPEC`` in the gate process before any collector starts, so a
typo in ``aima.yaml`` fails fast with exit 2 and the exact key, instead of after aif360's slow
import. Labels and groups are mapped with the same keys, rules and wording as fairlearn's
(``aima_ci_collectors._mapping``), and a model predicts through the same loader
(``aima_ci_collectors._predict``): a user moving a config block between the two collectors
should not meet a second dialect.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from aima_ci.options import (
    FilePath,
    Float,
    Invalid,
    ListOf,
    MapOf,
    Obj,
    OneOf,
    Option,
    Raw,
    Spec,
    Text,
    Values,
)

from .. import _mapping, _predict
from .._modelio import ModelRef

NAME = "aif360"
METRICS = ("disparate_impact", "statistical_parity_difference")
COLUMN = "a column name"
RUN = ("run",)


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


def _scalar(value: Any) -> Any:
    if isinstance(value, (list, dict)) or value is None:
        raise Invalid("must be a non-empty list of privileged values")
    return value


def _favorable(value: Any) -> Any:
    if isinstance(value, (list, dict)) or value is None:  # a YAML true matches "true"/"True"
        raise Invalid("must be the favourable outcome value")
    return value


PRIVILEGED = ListOf(
    Raw(
        schema={"type": ["string", "number", "boolean"]},
        check=_scalar,
        what="a value",
        type_name="value",
    ),
    min_items=1,
    what="a non-empty list of privileged values",
)


def _detailed(values: Values) -> Protected:
    """``{privileged: [male], groups: {...}}``: privileged values must be declared groups, and
    leave at least one group unprivileged."""
    privileged, groups = values["privileged"], values["groups"]
    if groups is None:
        return Protected("", privileged)
    declared = groups.names
    outside = [str(v) for v in privileged if str(v) not in declared]
    if outside:
        raise Invalid(
            f"{outside[0]!r} is not one of its groups ({', '.join(declared)})", ".privileged"
        )
    if {str(v) for v in privileged} >= set(declared):
        raise Invalid("names every group: nobody would be unprivileged", ".privileged")
    return Protected("", privileged, groups.mapping, declared)


PROTECTED = MapOf(
    OneOf(
        PRIVILEGED,
        Obj(
            Option(
                "privileged",
                PRIVILEGED,
                required=True,
                missing="is required (the privileged value(s), e.g. [male])",
            ),
            Option("groups", _mapping.GROUPS, doc="Expected values, or named groups of raw codes."),
            build=_detailed,
            what="{privileged: [...], groups: ...}",
        ),
        what="a non-empty list of privileged values, or {privileged: [...], groups: ...}",
    ),
    min_items=1,
    what="a mapping of each protected column to its privileged value(s), e.g. {sex: [male]}",
)


def _outcome_value(values: Values) -> Any:
    """``positive_label`` (fairlearn's name) or ``favorable`` (aif360's): one meaning, one key."""
    if values["positive_label"] is not None and values["favorable"] is not None:
        raise values.error(
            "positive_label", "set one of 'positive_label' or 'favorable' (the same value)"
        )
    if values["positive_label"] is not None:
        return values["positive_label"]
    return 1 if values["favorable"] is None else values["favorable"]


def _run(values: Values) -> RunSettings:
    label, prediction = values["label"], values["prediction"]
    model, features = _predict.parse_model(values)
    if prediction is not None and model is not None:
        raise values.error(
            "prediction", "set at most one of 'prediction' (a column) or 'model' (a file)"
        )
    if values["prediction_map"] is not None and prediction is None and model is None:
        raise values.error("prediction_map", "only applies with 'prediction' or 'model'")
    protected = []
    for col, item in values["protected"].items():
        if isinstance(item, Protected):
            protected.append(Protected(col, item.privileged, item.mapping, item.groups))
        else:
            protected.append(Protected(col, tuple(item)))
        if col in {label, prediction}:
            raise values.error(f"protected.{col}", "is also the label or prediction column")
    return RunSettings(
        data=values["data"],
        label=label,
        positive_label=_outcome_value(values),
        protected=tuple(protected),
        label_map=values["label_map"],
        prediction=prediction,
        prediction_map=values["prediction_map"],
        intersections=_mapping.intersections(
            values["intersections"], [p.name for p in protected], values.error, "protected"
        ),
        model=model,
        features=features,
    )


def _build(values: Values) -> Settings:
    if values.mode == "report":
        return Settings(report=values["report"], run=None)
    return Settings(report=None, run=_run(values))


def _run_option(key: str, kind: Any, doc: str, **extra: Any) -> Option:
    return Option(key, kind, doc=doc, modes=RUN, **extra)


SPEC = Spec(
    options=(
        _run_option(
            "data",
            FilePath("any"),
            "The CSV, one row per person or decision.",
            required=True,
            missing="required in run mode",
        ),
        _run_option(
            "label",
            Text(what=COLUMN),
            "The outcome column; measured unless `prediction` or `model` is set.",
            required=True,
            missing="required in run mode",
        ),
        _run_option(
            "protected",
            PROTECTED,
            "Protected column -> its privileged value(s) (every other value is unprivileged),"
            " or `{privileged, groups}` to map raw codes to named groups.",
            required=True,
            missing="required in run mode",
        ),
        _run_option(
            "positive_label",
            _mapping.POSITIVE_LABEL,
            "The favourable outcome value (after the maps; default 1); `favorable` is its older"
            " name: set one of the two.",
        ),
        _run_option(
            "favorable",
            Raw(
                schema={"type": ["string", "number", "boolean"]},
                check=_favorable,
                what="the favourable outcome value",
                type_name="value",
            ),
            "The older name of `positive_label`.",
        ),
        _run_option(
            "label_map", _mapping.VALUE_MAP, "Raw label -> outcome value, e.g. `{good: 1, bad: 0}`."
        ),
        _run_option(
            "prediction",
            Text(what=COLUMN),
            "The model's decision column: its metrics are measured (aif360's"
            " ClassificationMetric, against the label).",
        ),
        _run_option(
            "prediction_map",
            _mapping.VALUE_MAP,
            "Raw decision -> outcome value, e.g. `{approve: 1, reject: 0}`.",
        ),
        *(replace(o, modes=RUN) for o in _predict.MODEL_OPTIONS),
        _run_option(
            "intersections",
            _mapping.INTERSECTIONS,
            "Lists of protected columns measured together, in addition to each alone.",
        ),
        Option(
            "report",
            FilePath("file"),
            required=True,
            missing="required in report mode",
            modes=("report",),
            doc="The metrics JSON your own aif360 job wrote (format in the docs).",
        ),
    ),
    thresholds={m: Float(minimum=0, maximum=1) for m in METRICS},
    modes=("run", "report"),
    build=_build,
)
