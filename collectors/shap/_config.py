"""The ``collectors.shap`` config keys (a public contract, see docs/collectors/shap.md)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .._modelio import ModelRef, parse_device, parse_ref
from .._options import KeyCheck, Options

OPTIONS = Options("shap")
PREFIX = OPTIONS.prefix
PATH = "a path relative to the config file"
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
    "labels",
    "device",
}


@dataclass(frozen=True)
class ShapSettings:
    model: ModelRef
    data: str | None  # required unless ``explanation`` is given
    features: tuple[str, ...] | None
    sample_size: int
    background_size: int
    top_k: int
    seed: int
    explanation: str | None  # verify this artefact instead of computing
    labels: str | None = None
    device: str = "auto"

    @property
    def trust_model(self) -> bool:
        return self.model.trust

    @property
    def verify_only(self) -> bool:
        return self.explanation is not None


def parse(config: Mapping[str, Any], check_keys: KeyCheck) -> ShapSettings:
    """The settings, or a CollectorConfigError naming the key; ``check_keys`` refuses typos."""
    OPTIONS.refuse_mode(config)
    if "thresholds" in config:  # a runner key, but no shap check has a threshold to set
        raise OPTIONS.error("thresholds", "the shap collector has no thresholds; remove the key")
    check_keys(config, KEYS)
    explanation = OPTIONS.text(config, "explanation", PATH)
    data = OPTIONS.text(config, "data", PATH)
    if data is None and explanation is None:
        raise OPTIONS.error("data", "is required (or give 'explanation' to verify an existing one)")
    features = config.get("features")
    return ShapSettings(
        model=parse_ref(
            OPTIONS.required(config, "model", PATH)
            if not isinstance(config.get("model"), dict)
            else config["model"],
            OPTIONS.flag(config, "trust_model"),
            f"{PREFIX}.model",
        ),
        data=data,
        features=None if features is None else OPTIONS.columns(features, "features"),
        sample_size=OPTIONS.whole(config, "sample_size", 200, minimum=1, maximum=100_000),
        background_size=OPTIONS.whole(config, "background_size", 50, minimum=1, maximum=10_000),
        top_k=OPTIONS.whole(config, "top_k", 10, minimum=1, maximum=10_000),
        seed=OPTIONS.whole(config, "seed", 0, minimum=0, maximum=2**32 - 1),
        explanation=explanation,
        labels=OPTIONS.text(config, "labels", PATH),
        device=parse_device(config, f"{PREFIX}.device"),
    )
