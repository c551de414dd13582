"""The ``collectors.shap`` keys (public contract: docs/collectors/shap.md), declared once in ``SPEC``.

The runner parses the block with it before any collector starts and hands the collector a
``ShapSettings``; the same declaration gives the JSON Schema of aima.yaml and the docs table.
"""

from __future__ import annotations

from dataclasses import dataclass

from aima_ci.options import Bool, FilePath, Int, ListOf, Option, Spec, Text, Values

from .._modelio import ModelRef, parse_ref
from .._modelio._option import device_option, labels_option, model_option

PREFIX = "collectors.shap"
PATH = "a path relative to the config file"


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


def _build(values: Values) -> ShapSettings:
    """Data is needed unless an existing explanation is verified; trust goes with a path model."""
    if values["data"] is None and values["explanation"] is None:
        raise values.error("data", "is required (or give 'explanation' to verify an existing one)")
    return ShapSettings(
        model=parse_ref(values["model"], values["trust_model"], f"{PREFIX}.model"),
        data=values["data"],
        features=values["features"],
        sample_size=values["sample_size"],
        background_size=values["background_size"],
        top_k=values["top_k"],
        seed=values["seed"],
        explanation=values["explanation"],
        labels=values["labels"],
        device=values["device"],
    )


SPEC = Spec(
    options=(
        model_option(f"is required ({PATH})"),
        Option(
            "data",
            FilePath("any"),
            doc="The rows to explain: a CSV/Parquet table, an .npz, an .npy or an image folder"
            " (required unless `explanation` is given).",
        ),
        Option(
            "features",
            ListOf(Text(what="a column name"), min_items=1, unique=True),
            doc="The model's input columns (default: the model's `feature_names_in_`).",
        ),
        Option(
            "sample_size",
            Int(minimum=1, maximum=100_000),
            default=200,
            doc="Rows explained (a seeded sample).",
        ),
        Option(
            "background_size",
            Int(minimum=1, maximum=10_000),
            default=50,
            doc="Background rows for the model-agnostic explainers.",
        ),
        Option(
            "top_k",
            Int(minimum=1, maximum=10_000),
            default=10,
            doc="Features listed in the importance table and plot.",
        ),
        Option("seed", Int(minimum=0, maximum=2**32 - 1), default=0, doc="Sampling seed."),
        Option(
            "trust_model",
            Bool(),
            default=False,
            doc="For a model given by path only: allow a pickle (runs code from the file).",
        ),
        Option(
            "explanation",
            FilePath("file"),
            doc="Verify this explanation.json against the current model instead of computing one.",
        ),
        labels_option(),
        device_option(),
    ),
    build=_build,
)
