"""The ``collectors.art`` keys (public contract: docs/collectors/art.md), declared once in ``SPEC``.

The runner parses the block with it before any collector starts (a typo or a bad value is exit 2
naming the key) and hands the collector an ``ArtSettings``; the same declaration gives the JSON
Schema of aima.yaml and the table in the docs. Parsing is pure Python with no tool import.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from aima_ci.options import (
    Bool,
    Choice,
    FilePath,
    Float,
    Int,
    ListOf,
    Option,
    Raw,
    Spec,
    Text,
    Values,
)
from aima_ci.plugin import CollectorConfigError

from .._modelio import ModelRef, parse_ref
from .._modelio._option import device_option, labels_option, model_option

PREFIX = "collectors.art"
PATH = "a path relative to the config file"
EPS_UNITS = ("std", "absolute")
TABLE_SUFFIXES = (".csv", ".tsv", ".txt", ".parquet", ".pq")

# Per attack: parameter -> (type, default); ``eps`` defaults to DEFAULT_EPS.
ATTACK_PARAMS: dict[str, dict[str, tuple[type, Any]]] = {
    "FastGradientMethod": {"eps": (float, None), "sample_size": (int, None)},
    "ProjectedGradientDescent": {
        "eps": (float, None),
        "eps_step": (float, None),  # default: eps / 10
        "max_iter": (int, 20),
        "num_random_init": (int, 0),
        "sample_size": (int, None),
    },
    "HopSkipJump": {
        "eps": (float, None),
        "max_iter": (int, 10),
        "max_eval": (int, 1000),
        "init_eval": (int, 10),
        "init_size": (int, 100),
        "sample_size": (int, 50),
    },
    # Minimal-perturbation white-box attack: a row counts as broken only within eps.
    "CarliniLInfMethod": {
        "eps": (float, None),
        "max_iter": (int, 10),
        "learning_rate": (float, 0.01),
        "sample_size": (int, 50),
    },
    # Query-efficient black-box attack within eps (random square updates, no gradients).
    "SquareAttack": {
        "eps": (float, None),
        "max_iter": (int, 100),
        "p_init": (float, 0.8),
        "nb_restarts": (int, 1),
        "sample_size": (int, 100),
    },
}
ZERO_OK = frozenset({"num_random_init"})  # integer parameters that may be 0
GRADIENT_ATTACKS = frozenset(
    {"FastGradientMethod", "ProjectedGradientDescent", "CarliniLInfMethod"}
)
BLACK_BOX_ATTACKS = frozenset({"HopSkipJump", "SquareAttack"})
MINIMAL_ATTACKS = frozenset({"HopSkipJump", "CarliniLInfMethod"})  # not bounded by eps themselves
DEFAULT_SAMPLE_SIZE = 500
MAX_ROWS = 10_000_000
MAX_PARAM = 1e9  # no attack parameter is sensibly larger; bigger numbers are typos or hostile
DEFAULT_EPS = 0.1  # a tenth of each feature's standard deviation (eps_units: std)
DEFAULT_SEED = 0


@dataclass(frozen=True)
class AttackSpec:
    """One configured evasion attack with every parameter filled in."""

    name: str
    eps: float
    params: Mapping[str, float | int] = field(default_factory=dict)
    sample_size: int | None = None

    @property
    def needs_gradients(self) -> bool:
        return self.name in GRADIENT_ATTACKS

    def label(self) -> str:
        return f"{self.name}(eps={self.eps:g})"

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "eps": self.eps,
            "sample_size": self.sample_size,
            **dict(self.params),
        }


@dataclass(frozen=True)
class ArtSettings:
    model: ModelRef
    data: str
    label: str | None  # a column of a table; arrays and image folders carry their labels
    features: tuple[str, ...] | None
    attacks: tuple[AttackSpec, ...] | None  # None: choose by model (gradients or not)
    sample_size: int
    seed: int
    eps_units: str | None  # None: std for tables, absolute for arrays and images
    clip_values: tuple[float, float] | None
    labels: str | None = None  # an .npy of labels beside an .npy of samples
    device: str = "auto"
    label_map: Mapping[str, Any] | None = None  # raw label -> the model's class

    @property
    def trust_model(self) -> bool:
        return self.model.trust


def default_attacks(has_gradients: bool, *, deep: bool = False) -> tuple[AttackSpec, ...]:
    """White-box gradient attacks where the model has gradients, else a black-box one.

    eps 0.1 in std units lets every feature move by a tenth of its spread: a small, plausible
    manipulation of a tabular record rather than a worst case.
    """
    if has_gradients:
        raw: list[Mapping[str, Any]] = [
            {"name": "FastGradientMethod", "eps": 0.1},
            {"name": "ProjectedGradientDescent", "eps": 0.1, "eps_step": 0.01, "max_iter": 20},
        ]
    elif deep:  # a network without gradients (ONNX): two black-box attacks, the stronger counts
        raw = [{"name": "SquareAttack", "eps": 0.1}, {"name": "HopSkipJump", "eps": 0.1}]
    else:
        raw = [{"name": "HopSkipJump", "eps": 0.1}]
    return tuple(_attack(item, f"{PREFIX}.attacks[default {i}]") for i, item in enumerate(raw))


def _build(values: Values) -> ArtSettings:
    """Rules across keys: a table needs its label column; trust comes with a path model."""
    data = values["data"]
    if values["label"] is None and data.lower().endswith(TABLE_SUFFIXES):
        raise values.error("label", "is required for a table (the column with the true class)")
    return ArtSettings(
        model=parse_ref(values["model"], values["trust_model"], f"{PREFIX}.model"),
        data=data,
        label=values["label"],
        features=values["features"],
        attacks=values["attacks"],
        sample_size=values["sample_size"],
        seed=values["seed"],
        eps_units=values["eps_units"],
        clip_values=values["clip_values"],
        labels=values["labels"],
        device=values["device"],
        label_map=values["label_map"],
    )


def _attacks(raw: Any) -> tuple[AttackSpec, ...]:
    if not isinstance(raw, list) or not raw:
        raise CollectorConfigError(f"{PREFIX}.attacks", "must be a non-empty list of attacks")
    return tuple(_attack(a, f"{PREFIX}.attacks[{i}]") for i, a in enumerate(raw))


def _label_map(raw: Any) -> dict[str, Any] | None:
    """``{good: 1, bad: 0}``: the data's labels as the model's classes (keys compared as text)."""
    if raw is None:
        return None
    if not isinstance(raw, Mapping) or not raw:
        raise CollectorConfigError(f"{PREFIX}.label_map", "must map raw labels to model classes")
    for key, value in raw.items():
        if isinstance(value, bool) or not isinstance(value, (int, float, str)):
            raise CollectorConfigError(
                f"{PREFIX}.label_map.{key}", "must be a class (number or text)"
            )
    return {str(k): v for k, v in raw.items()}


def _attack(item: Any, key: str) -> AttackSpec:
    if isinstance(item, str):
        item = {"name": item}
    if not isinstance(item, Mapping):
        raise CollectorConfigError(
            key, "must be a mapping like {name: FastGradientMethod, eps: 0.1}"
        )
    name = item.get("name")
    if not isinstance(name, str) or name not in ATTACK_PARAMS:
        raise CollectorConfigError(
            f"{key}.name", f"{name!r} is not supported; use one of {', '.join(ATTACK_PARAMS)}"
        )
    schema = ATTACK_PARAMS[name]
    unknown = sorted(set(item) - set(schema) - {"name"})
    if unknown:
        raise CollectorConfigError(
            f"{key}.{unknown[0]}", f"not a parameter of {name}; expected {', '.join(schema)}"
        )
    values: dict[str, float | int] = {}
    for param, (kind, default) in schema.items():
        raw = item.get(param, default)
        if raw is None:
            continue
        values[param] = _number(raw, f"{key}.{param}", kind, zero_ok=param in ZERO_OK)
    eps = float(values.pop("eps", DEFAULT_EPS))
    if name == "ProjectedGradientDescent":
        values.setdefault("eps_step", eps / 10)
        if values["eps_step"] > eps:
            raise CollectorConfigError(f"{key}.eps_step", "must not be larger than eps")
    sample = values.pop("sample_size", None)
    return AttackSpec(
        name=name, eps=eps, params=values, sample_size=int(sample) if sample else None
    )


def _number(raw: Any, key: str, kind: type, *, zero_ok: bool = False) -> float | int:
    """A finite number within MAX_PARAM (an int where ``kind`` is int); anything else names ``key``."""
    if isinstance(raw, bool) or not isinstance(raw, (int, float)):
        raise CollectorConfigError(key, "must be a number")
    if raw != raw or not -MAX_PARAM <= raw <= MAX_PARAM:  # NaN, infinities, absurd sizes
        raise CollectorConfigError(key, f"must be a finite number up to {MAX_PARAM:g}")
    if kind is int:
        if isinstance(raw, float) and not raw.is_integer():
            raise CollectorConfigError(key, "must be a whole number")
        value: float | int = int(raw)
        if value < 0 or (value == 0 and not zero_ok):
            raise CollectorConfigError(key, "must be positive" if not zero_ok else "must be >= 0")
        return value
    if not raw > 0:
        raise CollectorConfigError(key, "must be a positive finite number")
    return float(raw)


def _clip(raw: Any) -> tuple[float, float] | None:
    if raw is None:
        return None
    if (
        not isinstance(raw, Sequence)
        or isinstance(raw, str)
        or len(raw) != 2
        or not all(
            isinstance(v, (int, float)) and not isinstance(v, bool) and -MAX_PARAM <= v <= MAX_PARAM
            for v in raw
        )
        or not raw[0] < raw[1]
    ):
        raise CollectorConfigError(
            f"{PREFIX}.clip_values", "must be [min, max]: finite numbers with min < max"
        )
    return (float(raw[0]), float(raw[1]))


_THRESHOLD = Float(minimum=0, maximum=MAX_PARAM, what="a non-negative finite number")

SPEC = Spec(
    options=(
        model_option(f"is required (a name from models: or {PATH})"),
        Option(
            "data",
            FilePath("any"),
            required=True,
            missing=f"is required ({PATH})",
            doc="Evaluation data: a CSV/Parquet table, an .npz (x, y), an .npy of samples, or a"
            " folder of images with one subfolder per class.",
        ),
        Option("label", Text(what="a column name"), doc="The true-class column of a table."),
        Option(
            "features",
            ListOf(Text(what="a column name"), min_items=1, unique=True),
            doc="The model's input columns (default: the model's `feature_names_in_`, else the"
            " other columns).",
        ),
        Option(
            "attacks",
            Raw(
                schema={"type": "array", "items": {"type": ["string", "object"]}, "minItems": 1},
                check=_attacks,
                what="a list of attacks",
                type_name="list of attacks",
            ),
            doc="Attacks with their parameters, e.g. `{name: FastGradientMethod, eps: 0.1}`"
            f" ({', '.join(ATTACK_PARAMS)}); default: white-box FGSM and PGD when the model has"
            " gradients, else black-box.",
        ),
        Option(
            "sample_size",
            Int(minimum=1, maximum=MAX_ROWS),
            default=DEFAULT_SAMPLE_SIZE,
            doc="Rows attacked (a seeded sample; an attack's own sample_size wins).",
        ),
        Option(
            "seed", Int(minimum=0, maximum=2**32 - 1), default=DEFAULT_SEED, doc="Sampling seed."
        ),
        Option(
            "trust_model",
            Bool(),
            default=False,
            doc="For a model given by path only: allow a pickle (runs code from the file).",
        ),
        Option(
            "clip_values",
            Raw(
                schema={"type": "array", "items": {"type": "number"}, "minItems": 2, "maxItems": 2},
                check=_clip,
                what="[min, max]",
                type_name="[min, max]",
            ),
            doc="The valid input range (default: the model declaration's, else the data's).",
        ),
        Option(
            "eps_units",
            Choice(*EPS_UNITS),
            doc="What eps is measured in (default: std for tables, absolute for arrays and images).",
        ),
        labels_option(),
        device_option(),
        Option(
            "label_map",
            Raw(
                schema={"type": "object", "additionalProperties": {"type": ["number", "string"]}},
                check=_label_map,
                what="a mapping of labels",
                type_name="mapping",
            ),
            doc="The data's labels as the model's classes, e.g. `{good: 1, bad: 0}`.",
        ),
    ),
    thresholds={"robustness_ratio": _THRESHOLD, "min_samples": _THRESHOLD},
    build=_build,
)
