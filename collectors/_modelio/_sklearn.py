"""scikit-learn models from skops (an allow-list, no code runs) or pickle/joblib (only with trust).

A skops file is a zip of JSON that skops rebuilds from an allow-list; any type outside that list
(even scikit-learn's own tree node storage, which a crafted file can use to read out of bounds) is
refused unless the model is trusted, and the refusal names the types so the user can review them.
"""

from __future__ import annotations

from pathlib import Path

from aima_ci.plugin import InputError

from ._loaded import LoadedModel


def load_skops(path: Path, where: str, trust: bool) -> LoadedModel:
    import skops.io as sio

    try:
        untrusted = sorted(str(t) for t in sio.get_untrusted_types(file=path))
    except Exception as exc:  # a zip/JSON error: the file is not a skops archive
        raise InputError(
            f"{where}: cannot be loaded: not a readable skops file ({type(exc).__name__}: {exc})"
        ) from exc
    if untrusted and not trust:
        raise InputError(
            f"{where}: contains types that are not trusted by default (outside skops' trusted"
            f" list): {', '.join(untrusted)}; review them and set trust: true (or trust_model:"
            " true for a model given by path) to load it"
        )
    try:
        estimator = sio.load(path, trusted=untrusted or None)
    except Exception as exc:
        raise InputError(f"{where}: cannot be loaded ({type(exc).__name__}: {exc})") from exc
    return LoadedModel(estimator, "skops", tuple(untrusted))


def load_pickle(path: Path, where: str) -> LoadedModel:
    """Only called after the trust check in ``load``: unpickling runs code from the file."""
    import joblib

    try:
        estimator = joblib.load(path)
    except Exception as exc:
        raise InputError(f"{where}: cannot be loaded ({type(exc).__name__}: {exc})") from exc
    return LoadedModel(estimator, "pickle")
