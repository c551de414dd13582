"""The ``collectors.shap`` config keys (a public contract, see docs/collectors/shap.md)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from aima_ci.plugin import CollectorConfigError

PREFIX = "collectors.shap"
COMMON_KEYS = {"enabled", "timeout"}
KEYS = {
    "model",
    "data",
    "features",
    "sample_size",
    "background_size",
    "top_k",
    "seed",
    "trust_model",
    "explanation",
}


@dataclass(frozen=True)
class ShapSettings:
    model: str
    data: str | None  # required unless ``explanation`` is given
    features: tuple[str, ...] | None
    sample_size: int
    background_size: int
    top_k: int
    seed: int
    trust_model: bool
    explanation: str | None  # verify this artefact instead of computing

    @property
    def verify_only(self) -> bool:
        return self.explanation is not None


def parse(config: Mapping[str, Any]) -> ShapSettings:
    unknown = sorted(set(config) - KEYS - COMMON_KEYS)
    if unknown:
        raise CollectorConfigError(
            f"{PREFIX}.{unknown[0]}", f"unknown key; expected one of {', '.join(sorted(KEYS))}"
        )
    explanation = _opt_str(config, "explanation")
    data = _opt_str(config, "data")
    if data is None and explanation is None:
        raise CollectorConfigError(
            f"{PREFIX}.data", "is required (or give 'explanation' to verify an existing one)"
        )
    model = _opt_str(config, "model")
    if model is None:
        raise CollectorConfigError(f"{PREFIX}.model", "is required (a non-empty string)")
    return ShapSettings(
        model=model,
        data=data,
        features=_features(config.get("features")),
        sample_size=_int(config, "sample_size", 200, minimum=1, maximum=100_000),
        background_size=_int(config, "background_size", 50, minimum=1, maximum=10_000),
        top_k=_int(config, "top_k", 10, minimum=1, maximum=10_000),
        seed=_int(config, "seed", 0, minimum=0, maximum=2**32 - 1),
        trust_model=_bool(config, "trust_model"),
        explanation=explanation,
    )


def _opt_str(config: Mapping[str, Any], key: str) -> str | None:
    if key not in config or config[key] is None:
        return None
    value = config[key]
    if not isinstance(value, str) or not value.strip():
        raise CollectorConfigError(f"{PREFIX}.{key}", "must be a non-empty path")
    return value


def _int(config: Mapping[str, Any], key: str, default: int, *, minimum: int, maximum: int) -> int:
    value = config.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or not minimum <= value <= maximum:
        raise CollectorConfigError(
            f"{PREFIX}.{key}", f"must be a whole number from {minimum} to {maximum}"
        )
    return value


def _bool(config: Mapping[str, Any], key: str) -> bool:
    value = config.get(key, False)
    if not isinstance(value, bool):
        raise CollectorConfigError(f"{PREFIX}.{key}", "must be true or false")
    return value


def _features(raw: Any) -> tuple[str, ...] | None:
    if raw is None:
        return None
    if (
        not isinstance(raw, Sequence)
        or isinstance(raw, str)
        or not raw
        or not all(isinstance(c, str) and c for c in raw)
    ):
        raise CollectorConfigError(f"{PREFIX}.features", "must be a non-empty list of column names")
    if len(set(raw)) != len(raw):
        raise CollectorConfigError(f"{PREFIX}.features", "lists a column twice")
    return tuple(raw)
