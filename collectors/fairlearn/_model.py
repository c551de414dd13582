"""Loading a model without executing untrusted code, and predicting with it.

Unpickling runs arbitrary code, so a model file is loaded with skops and only its default-trusted
(scikit-learn) types unless ``trust_model: true`` says a person reviewed the rest; pickle and joblib
files are refused unless trusted the same way.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aima_ci.plugin import InputError

if TYPE_CHECKING:
    import pandas as pd

PREFIX = "collectors.fairlearn.model"
PICKLE_SUFFIXES = (".pkl", ".pickle", ".joblib")


def load_model(path: Path, display: str, *, trust: bool) -> Any:
    """The model object, which must have a predict() method."""
    model = _load(path, display, trust=trust)
    if not hasattr(model, "predict"):
        raise InputError(f"{PREFIX}: {display}: the loaded object has no predict() method")
    return model


def _load(path: Path, display: str, *, trust: bool) -> Any:
    suffix = path.suffix.lower()
    where = f"{PREFIX}: {display}"
    if suffix == ".skops":
        return _load_skops(path, where, trust=trust)
    if suffix in PICKLE_SUFFIXES:
        if not trust:
            raise InputError(
                f"{where}: refusing to unpickle (loading a pickle runs arbitrary code); save the"
                " model with skops, or set trust_model: true if you trust this file"
            )
        import joblib

        try:
            return joblib.load(path)
        except Exception as exc:
            raise InputError(f"{where}: cannot be loaded: {type(exc).__name__}: {exc}") from None
    raise InputError(f"{where}: unsupported model format '{suffix}' (use .skops)")


def _load_skops(path: Path, where: str, *, trust: bool) -> Any:
    import skops.io as sio

    try:
        untrusted = sio.get_untrusted_types(file=path)
    except Exception as exc:
        raise InputError(
            f"{where}: cannot be loaded (not a valid skops file): {type(exc).__name__}: {exc}"
        ) from None
    if untrusted and not trust:
        raise InputError(
            f"{where}: contains types that are not trusted by default ({', '.join(untrusted)});"
            " review them and set trust_model: true to load it"
        )
    try:
        return sio.load(path, trusted=untrusted or None)
    except Exception as exc:
        raise InputError(f"{where}: cannot be loaded: {type(exc).__name__}: {exc}") from None


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
