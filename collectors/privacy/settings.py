"""The privacy collector's config keys, parsed once into a typed value.

A sample that is too small, a detector name that does not exist, or a purpose given as a number
would each make the scan quietly weaker than its config claims, so each is refused by key here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from aima_ci.plugin import CollectorConfigError

from . import detectors

NAME = "privacy"
KEYS = {"data", "sample_rows", "sample", "seed", "pii_types", "purpose"}
PREFIX = f"collectors.{NAME}"


@dataclass(frozen=True)
class Settings:
    data: tuple[str, ...]  # paths, folders or globs of data files
    sample_rows: int = 1000
    sample: str = "random"  # random (seeded reservoir) or head
    seed: int = 0
    pii_types: tuple[str, ...] = detectors.PII_TYPES
    purpose: str | Mapping[str, Any] | None = None  # inline, a file, or data-purpose.yaml


def parse(config: Mapping[str, Any]) -> Settings:
    """The settings, or a CollectorConfigError naming the key."""
    data = config.get("data")
    items = [data] if isinstance(data, str) else data
    if not items or not isinstance(items, list) or not all(isinstance(d, str) and d for d in items):
        raise CollectorConfigError(
            f"{PREFIX}.data", "required: a path, glob or list of them (CSV, JSONL, Parquet)"
        )
    n = config.get("sample_rows", 1000)
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise CollectorConfigError(f"{PREFIX}.sample_rows", "must be a positive whole number")
    sample = config.get("sample", "random")
    if sample not in ("random", "head"):
        raise CollectorConfigError(f"{PREFIX}.sample", "must be random or head")
    seed = config.get("seed", 0)
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise CollectorConfigError(f"{PREFIX}.seed", "must be a whole number")
    types = config.get("pii_types")
    if types is not None and (
        not isinstance(types, list) or not types or any(t not in detectors.PII_TYPES for t in types)
    ):
        raise CollectorConfigError(
            f"{PREFIX}.pii_types", f"a list of: {', '.join(detectors.PII_TYPES)}"
        )
    purpose = config.get("purpose")
    if purpose is not None and not isinstance(purpose, (str, Mapping)):
        raise CollectorConfigError(f"{PREFIX}.purpose", "a mapping or a path to a purpose file")
    return Settings(
        data=tuple(items),
        sample_rows=n,
        sample=sample,
        seed=seed,
        pii_types=tuple(types or detectors.PII_TYPES),
        purpose=purpose,
    )
