"""Loading a model file without executing code from it, unless the user says they trust the file.

A pickle (``.pkl``/``.pickle``/``.joblib``) runs arbitrary code while it loads, so it is only
opened with ``trust_model: true``. A skops file is a zip of JSON that skops rebuilds from an
allow-list; any type outside that list (even scikit-learn's own tree node storage, which a crafted
file can use to read out of bounds) is refused unless ``trust_model`` is true, and the refusal
names the types so the user can review them.

Shared by the collectors that load a scikit-learn model (fairlearn, art, shap), so the rule about
what may be unpickled lives in one place. skops and joblib are imported inside the functions.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aima_ci.plugin import InputError

SKOPS_SUFFIXES = (".skops",)
PICKLE_SUFFIXES = (".pkl", ".pickle", ".joblib")
ONNX_SUFFIXES = (".onnx",)


@dataclass(frozen=True)
class LoadedModel:
    """A loaded estimator and how it was obtained (recorded in reports)."""

    estimator: Any
    format: str  # "skops" or "pickle"
    trusted_types: tuple[str, ...] = ()  # skops types loaded only because trust_model said so


def load_model(path: Path, where: str, *, trust_model: bool) -> LoadedModel:
    """Load ``path`` by its suffix; every refusal is an InputError starting with ``where``."""
    suffix = path.suffix.lower()
    if suffix in SKOPS_SUFFIXES:
        return _load_skops(path, where, trust_model)
    if suffix in PICKLE_SUFFIXES:
        if not trust_model:
            raise InputError(
                f"{where}: refusing to unpickle: loading a {suffix} file runs code from it; "
                "save the model with skops (skops.io.dump) or set trust_model: true only if "
                "you produced the file yourself"
            )
        return _load_pickle(path, where)
    if suffix in ONNX_SUFFIXES:
        raise InputError(
            f"{where}: ONNX models are not supported yet (the collectors need the scikit-learn "
            "estimator); save the model with skops"
        )
    raise InputError(
        f"{where}: unsupported model format {suffix or '(no suffix)'!r}; "
        "expected .skops (or .pkl/.joblib with trust_model: true)"
    )


def _load_skops(path: Path, where: str, trust_model: bool) -> LoadedModel:
    import skops.io as sio

    try:
        untrusted = sorted(str(t) for t in sio.get_untrusted_types(file=path))
    except Exception as exc:  # a zip/JSON error: the file is not a skops archive
        raise InputError(
            f"{where}: cannot be loaded: not a readable skops file ({type(exc).__name__}: {exc})"
        ) from exc
    if untrusted and not trust_model:
        raise InputError(
            f"{where}: contains types that are not trusted by default (outside skops' trusted"
            f" list): {', '.join(untrusted)}; review them and set trust_model: true to load it"
        )
    try:
        estimator = sio.load(path, trusted=untrusted or None)
    except Exception as exc:
        raise InputError(f"{where}: cannot be loaded ({type(exc).__name__}: {exc})") from exc
    return LoadedModel(estimator, "skops", tuple(untrusted))


def _load_pickle(path: Path, where: str) -> LoadedModel:
    import joblib

    try:
        estimator = joblib.load(path)
    except Exception as exc:
        raise InputError(f"{where}: cannot be loaded ({type(exc).__name__}: {exc})") from exc
    return LoadedModel(estimator, "pickle")


def require_classifier(estimator: Any, where: str, *, proba: bool) -> None:
    """Refuse objects that are not fitted classifiers (a regressor, a transformer, junk).

    ``proba``: class probabilities are required (SHAP explains them); otherwise ``predict`` with
    ``classes_`` is enough (ART turns hard predictions into one-hot scores).
    """
    method = "predict_proba" if proba else "predict"
    if not callable(getattr(estimator, method, None)):
        raise InputError(
            f"{where}: {type(estimator).__name__} has no {method}: a fitted classifier is needed"
        )
    try:
        classes = estimator.classes_
    except AttributeError:
        classes = None
    if classes is None or len(classes) < 2:
        raise InputError(
            f"{where}: {type(estimator).__name__} is not a fitted classifier (no classes_ with "
            "at least two classes)"
        )
