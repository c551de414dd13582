"""Loading the model whose decisions a fairness collector judges, and predicting with it.

Unpickling runs arbitrary code, so the file is loaded by ``aima_ci_collectors._modelio``: with
skops and only its default-trusted (scikit-learn) types unless the model's ``trust: true`` (or
``trust_model: true`` for a path) says a person reviewed the rest; pickle and joblib files are
refused unless trusted the same way. Any declared format predicts (ONNX, TorchScript, MLflow ...).
fairlearn and aif360 only need decisions, so any object with predict() will do (not necessarily a
classifier with ``classes_``, which art and shap require). Shared by both, so a model that works
in one works in the other with the same messages; ``collector`` names the config block.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from aima_ci.models import Subject
from aima_ci.options import Bool, FilePath, ListOf, OneOf, Option, Raw, Text, Values
from aima_ci.plugin import CollectorContext, InputError

from . import _modelio

if TYPE_CHECKING:
    import pandas as pd

# The keys a collector that predicts declares, with the same meaning in fairlearn and aif360.
MODEL_OPTIONS = (
    Option(
        "model",
        OneOf(
            FilePath("any"),
            Raw(schema={"type": "object"}, what="a declared model"),
            what="a declared model name (models:) or a path to the model file",
        ),
        schema={"type": "string", "minLength": 1},  # what users write: a name or a path
        doc="A model declared under `models:` (any format), or a path; its decisions are judged.",
    ),
    Option(
        "features",
        ListOf(Text(what="a column name"), min_items=1, unique=True),
        doc="With `model`: the columns it predicts from (default: the names it was fitted on).",
    ),
    Option(
        "trust_model",
        Bool(),
        default=False,
        doc="For a model given by path: allow pickle/joblib, or skops types not trusted by"
        " default. A declared model's `trust:` decides instead.",
    ),
)


def parse_model(values: Values) -> tuple[_modelio.ModelRef | None, tuple[str, ...] | None]:
    """``model`` (checked without touching the file) and ``features``, which needs it."""
    raw = values["model"]
    ref = None
    if raw is not None:
        ref = _modelio.parse_ref(raw, values["trust_model"], f"{values.at}.model")
    if values["features"] is not None and ref is None:
        raise values.error("features", "only applies with 'model'")
    return ref, values["features"]


def load(ctx: CollectorContext, ref: _modelio.ModelRef, collector: str) -> tuple[Any, Subject]:
    """The model (any declared format) and its subject; it must have a predict() method."""
    where = f"collectors.{collector}.model: {ref.shown}"
    loaded, subject = _modelio.load_ref(ref, ctx, where)
    model = loaded.estimator
    if not hasattr(model, "predict"):
        raise InputError(f"{where}: the loaded object has no predict() method")
    return model, subject


def feature_columns(
    model: Any, configured: Sequence[str] | None, display: str, collector: str
) -> list[str]:
    """The columns to predict from: configured, else the names the model was fitted on."""
    if configured:
        return list(configured)
    names = getattr(model, "feature_names_in_", None)
    if names is None:
        raise InputError(
            f"collectors.{collector}.features: the model in {display} does not record its feature"
            " names; list them under 'features'"
        )
    return [str(n) for n in names]


def predict(
    model: Any, frame: pd.DataFrame, features: Sequence[str], display: str, collector: str
) -> Any:
    try:
        return model.predict(frame[list(features)])
    except Exception as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        raise InputError(
            f"collectors.{collector}.model: {display}: predict() failed on the data:"
            f" {type(exc).__name__}: {first}"
        ) from None
