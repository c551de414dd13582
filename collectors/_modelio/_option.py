"""The options shared by the collectors that attack or explain a classifier (art, shap):
``model``, ``labels`` and ``device``.

Both take the same value (a name the config loader has already expanded into its ``models:``
declaration, or a path) and read it with the ``trust_model`` beside it in their ``build``; one
definition keeps the type, schema and message the same in both.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aima_ci.options import Choice, FilePath, Option, Raw

from . import DEVICES

PATH = "a path relative to the config file"


def _model(raw: Any) -> Any:
    if isinstance(raw, Mapping) or (isinstance(raw, str) and raw.strip()):
        return raw
    raise ValueError(f"must be a declared model name (models:) or {PATH}")


def model_option(missing: str) -> Option:
    """The required ``model`` key; ``missing`` is the reason given when it is absent."""
    return Option(
        "model",
        Raw(
            schema={"type": ["string", "object"]},
            check=_model,
            what="a model name or path",
            type_name="string",
        ),
        required=True,
        missing=missing,
        doc="A name from `models:`, or a model file (.skops, .onnx, .pt, .keras ...).",
    )


def labels_option() -> Option:
    """``labels``: the .npy of labels that goes with an .npy of samples."""
    return Option("labels", FilePath("file"), doc="An .npy of labels beside an .npy of samples.")


def device_option() -> Option:
    """``device``: where torch runs the model."""
    return Option(
        "device",
        Choice(*DEVICES),
        default="auto",
        doc="Where torch runs the model (auto: CUDA when torch sees a GPU).",
    )
