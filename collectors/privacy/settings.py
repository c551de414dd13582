"""The ``collectors.privacy`` keys (public contract: docs/collectors/privacy.md), declared once.

A sample that is too small, a detector name that does not exist, or a purpose given as a number
would each make the scan quietly weaker than its config claims, so each is refused by key before
any collector runs. An inline purpose is checked by the collector, not here: a purpose that is
not usable is the ``privacy.purpose_declared`` finding (an error), not a config error.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from aima_ci.options import Choice, FilePath, Float, Int, ListOf, OneOf, Option, Raw, Spec, Values

from . import detectors

NAME = "privacy"


@dataclass(frozen=True)
class Settings:
    data: tuple[str, ...]  # paths, folders or globs of data files
    sample_rows: int = 1000
    sample: str = "random"  # random (seeded reservoir) or head
    seed: int = 0
    pii_types: tuple[str, ...] = detectors.PII_TYPES
    purpose: str | Mapping[str, Any] | None = None  # inline, a file, or data-purpose.yaml


def _build(values: Values) -> Settings:
    return Settings(
        data=values["data"],
        sample_rows=values["sample_rows"],
        sample=values["sample"],
        seed=values["seed"],
        pii_types=values["pii_types"] or detectors.PII_TYPES,
        purpose=values["purpose"],
    )


SPEC = Spec(
    options=(
        Option(
            "data",
            ListOf(
                FilePath("any"),
                min_items=1,
                single=True,
                what="a path, glob or list of them (CSV, JSONL, Parquet)",
            ),
            required=True,
            missing="required: a path, glob or list of them (CSV, JSONL, Parquet)",
            doc="Data files, folders (their CSV, TSV, JSONL and Parquet files) or globs.",
        ),
        Option(
            "sample_rows",
            Int(minimum=1, what="a positive whole number"),
            default=1000,
            doc="Rows sampled per file.",
        ),
        Option(
            "sample",
            Choice("random", "head", what="random or head"),
            default="random",
            doc="`random`: a seeded reservoir over the whole file; `head`: the first rows.",
        ),
        Option("seed", Int(what="a whole number"), default=0, doc="Seed of the random sample."),
        Option(
            "pii_types",
            ListOf(
                Choice(*detectors.PII_TYPES),
                min_items=1,
                what=f"a list of: {', '.join(detectors.PII_TYPES)}",
            ),
            doc="Detectors to run (default: all).",
        ),
        Option(
            "purpose",
            OneOf(
                FilePath("file"),
                Raw(schema={"type": "object"}, what="a mapping", type_name="mapping"),
                what="a mapping or a path to a purpose file",
            ),
            doc="The data's declared purpose (description, needed_columns, personal_data), inline"
            " or in a file; default: data-purpose.yaml beside the config, if present.",
        ),
    ),
    thresholds={
        "pii_cells": Float(minimum=0, what="a number (0 or more)"),
        "extra_columns": Float(minimum=0, what="a number (0 or more)"),
    },
    build=_build,
)
