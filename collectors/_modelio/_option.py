"""The ``model`` option of the collectors that attack or explain a classifier (art, shap).

Both take the same value (a name the config loader has already expanded into its ``models:``
declaration, or a path) and read it with the ``trust_model`` beside it in their ``build``; one
definition keeps the type, schema and message the same in both.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aima_ci.options import Option, Raw

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
