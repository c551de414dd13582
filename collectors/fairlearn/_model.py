"""Loading the model to judge and predicting with it.

Unpickling runs arbitrary code, so the file is loaded by ``aima_ci_collectors._modelio``: with
skops and only its default-trusted (scikit-learn) types unless the model's ``trust: true`` (or
``trust_model: true`` for a path) says a person reviewed the rest; pickle and joblib files are
refused unless trusted the same way. Any declared format predicts (ONNX, TorchScript, MLflow ...). fairlearn only
needs predictions, so any object with predict() will do (not necessarily a classifier with
``classes_``, which art and shap require).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from aima_ci.models import Subject
from aima_ci.plugin import CollectorContext, InputError

from .. import _modelio

if TYPE_CHECKING:
    import pandas as pd

PREFIX = "collectors.fairlearn.model"


def load(ctx: CollectorContext, ref: _modelio.ModelRef) -> tuple[Any, Subject]:
    """The model (any declared format) and its subject; it must have a predict() method."""
    loaded, subject = _modelio.load_ref(ref, ctx, f"{PREFIX}: {ref.shown}")
    model = loaded.estimator
    if not hasattr(model, "predict"):
        raise InputError(f"{PREFIX}: {ref.shown}: the loaded object has no predict() method")
    return model, subject


def feature_columns(model: Any, configured: Sequence[str] | None, display: str) -> list[str]:
    """The columns to predict from: configured, else the names the model was fitted on."""
    if configured:
        return list(configured)
    names = getattr(model, "feature_names_in_", None)
    if names is None:
        raise InputError(
            f"collectors.fairlearn.features: the model in {display} does not record its feature"
            " names; list them under 'features'"
        )
    return [str(n) for n in names]


def predict(model: Any, frame: pd.DataFrame, features: Sequence[str], display: str) -> Any:
    try:
        return model.predict(frame[list(features)])
    except Exception as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        raise InputError(
            f"{PREFIX}: {display}: predict() failed on the data: {type(exc).__name__}: {first}"
        ) from None
