"""The ``collectors.art`` config keys (a public contract, see docs/collectors/art.md), checked early.

Parsing is pure Python with no tool import, so ``validate_config`` can reject a typo before any
collector starts and the message names the exact key.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from aima_ci.plugin import CollectorConfigError

from .._modelio import ModelRef, parse_device, parse_ref
from .._options import KeyCheck, Options

OPTIONS = Options("art")
PREFIX = OPTIONS.prefix
PATH = "a path relative to the config file"
KEYS = {
    "model",
    "data",
    "label",
    "features",
    "attacks",
    "sample_size",
    "seed",
    "trust_model",
    "thresholds",
    "clip_values",
    "eps_units",
    "labels",
    "device",
    "label_map",
}
THRESHOLD_KEYS = {"robustness_ratio", "min_samples"}
EPS_UNITS = ("std", "absolute")

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


def parse(config: Mapping[str, Any], check_keys: KeyCheck) -> ArtSettings:
    """The settings, or a CollectorConfigError naming the key; ``check_keys`` refuses typos."""
    OPTIONS.refuse_mode(config)
    check_keys(config, KEYS)
    attacks_raw = config.get("attacks")
    attacks: tuple[AttackSpec, ...] | None = None
    if attacks_raw is not None:
        if not isinstance(attacks_raw, list) or not attacks_raw:
            raise CollectorConfigError(f"{PREFIX}.attacks", "must be a non-empty list of attacks")
        attacks = tuple(_attack(a, f"{PREFIX}.attacks[{i}]") for i, a in enumerate(attacks_raw))
    _thresholds(config.get("thresholds"))
    eps_units = config.get("eps_units")
    if eps_units is not None and eps_units not in EPS_UNITS:
        raise CollectorConfigError(f"{PREFIX}.eps_units", f"must be one of {', '.join(EPS_UNITS)}")
    features = config.get("features")
    if "model" not in config:
        raise OPTIONS.error("model", f"is required (a name from models: or {PATH})")
    data = OPTIONS.required(config, "data", PATH)
    label = OPTIONS.text(config, "label", "a column name")
    if label is None and data.lower().endswith((".csv", ".tsv", ".txt", ".parquet", ".pq")):
        raise OPTIONS.error("label", "is required for a table (the column with the true class)")
    return ArtSettings(
        model=parse_ref(config["model"], OPTIONS.flag(config, "trust_model"), f"{PREFIX}.model"),
        data=data,
        label=label,
        features=None if features is None else OPTIONS.columns(features, "features"),
        attacks=attacks,
        sample_size=OPTIONS.whole(
            config, "sample_size", DEFAULT_SAMPLE_SIZE, minimum=1, maximum=MAX_ROWS
        ),
        # numpy's seed range
        seed=OPTIONS.whole(config, "seed", DEFAULT_SEED, minimum=0, maximum=2**32 - 1),
        eps_units=None if eps_units is None else str(eps_units),
        clip_values=_clip(config.get("clip_values")),
        labels=OPTIONS.text(config, "labels", PATH),
        device=parse_device(config, f"{PREFIX}.device"),
        label_map=_label_map(config.get("label_map")),
    )


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


def _thresholds(raw: Any) -> None:
    if raw is None:
        return
    if not isinstance(raw, Mapping):
        raise CollectorConfigError(f"{PREFIX}.thresholds", "must be a mapping")
    for name, value in raw.items():
        if name not in THRESHOLD_KEYS:
            raise CollectorConfigError(
                f"{PREFIX}.thresholds.{name}",
                f"unknown threshold; expected {', '.join(sorted(THRESHOLD_KEYS))}",
            )
        if (
            isinstance(value, bool)
            or not isinstance(value, (int, float))
            or not 0 <= value <= MAX_PARAM  # also refuses NaN and infinities
        ):
            raise CollectorConfigError(
                f"{PREFIX}.thresholds.{name}", "must be a non-negative finite number"
            )


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
