"""scikit-learn models from skops (an allow-list, no code runs) or pickle/joblib (only with trust).

A skops file is a zip of JSON that skops rebuilds from an allow-list; any type outside that list
(even scikit-learn's own tree node storage, which a crafted file can use to read out of bounds) is
refused unless the model is trusted, and the refusal names the types so the user can review them.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from aima_ci.plugin import InputError

from ._loaded import LoadedModel


def import_skops() -> Any:
    """``skops.io``, imported without importing torch on the way (when torch is not loaded yet).

    skops builds its allow-list at import from scikit-learn's ``all_estimators()``, which walks
    every scikit-learn package with ``pkgutil.walk_packages``, and walking imports each package:
    ``sklearn.externals.array_api_compat.torch`` imports torch, seconds of a CI job's time for
    a forest that never touches it. The walk ignores packages whose import fails, and
    ``all_estimators`` skips ``externals`` anyway, so while torch is marked unimportable the
    allow-list comes out the same (tests/collectors/test_modelio.py compares both) and torch is
    importable again right after. (Marking it None in ``sys.modules`` instead breaks scipy, which
    reads ``sys.modules["torch"]``.)
    """
    if "skops.io" in sys.modules or "torch" in sys.modules:
        import skops.io

        return skops.io
    blocker = _NoTorch()
    sys.meta_path.insert(0, blocker)
    try:
        import skops.io
    finally:
        sys.meta_path.remove(blocker)
    return skops.io


class _NoTorch:
    """A meta path finder that makes ``import torch`` fail (and nothing else) while installed."""

    def find_spec(self, name: str, path: Any = None, target: Any = None) -> None:
        if name == "torch" or name.startswith("torch."):
            raise ModuleNotFoundError(f"{name} is not imported while skops builds its allow-list")
        return None


def load_skops(path: Path, where: str, trust: bool) -> LoadedModel:
    sio = import_skops()

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
