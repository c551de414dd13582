"""Import ART without letting it write into the user's home, and wrap models for it.

ART 1.20.1 creates ``~/.art/config.json`` and ``~/.art/data/`` when imported (it reads ``~`` once,
at import). CI runners may have a read-only or shared home, so the import runs with HOME pointed
at a throw-away folder inside the artefact directory, removed right after.
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from ._space import ModelSpace


@contextlib.contextmanager
def _home(base: Path) -> Iterator[None]:
    base.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".art-home-", dir=base) as home:
        previous = os.environ.get("HOME")
        os.environ["HOME"] = home
        try:
            yield
        finally:
            if previous is None:
                os.environ.pop("HOME", None)
            else:
                os.environ["HOME"] = previous


def import_art(scratch: Path) -> SimpleNamespace:
    """The ART classes the collector uses; the first import happens with HOME under ``scratch``."""
    with contextlib.ExitStack() as stack:
        if "art" not in sys.modules:
            stack.enter_context(_home(scratch))
        import art
        from art.attacks.evasion import (
            CarliniLInfMethod,
            FastGradientMethod,
            HopSkipJump,
            ProjectedGradientDescent,
            SquareAttack,
        )
        from art.estimators.classification import BlackBoxClassifier
        from art.estimators.classification.blackbox import BlackBoxClassifierNeuralNetwork
        from art.estimators.classification.scikitlearn import SklearnClassifier
        from art.estimators.estimator import LossGradientsMixin

    return SimpleNamespace(
        version=getattr(art, "__version__", "unknown"),
        FastGradientMethod=FastGradientMethod,
        ProjectedGradientDescent=ProjectedGradientDescent,
        HopSkipJump=HopSkipJump,
        BlackBoxClassifier=BlackBoxClassifier,
        SklearnClassifier=SklearnClassifier,
        LossGradientsMixin=LossGradientsMixin,
        CarliniLInfMethod=CarliniLInfMethod,
        SquareAttack=SquareAttack,
        BlackBoxClassifierNeuralNetwork=BlackBoxClassifierNeuralNetwork,
        PyTorchClassifier=_pytorch_classifier,
    )


def _pytorch_classifier(**kwargs: Any) -> Any:
    """ART's PyTorchClassifier, imported on first use (torch is only needed for torch models)."""
    from art.estimators.classification import PyTorchClassifier

    return PyTorchClassifier(**kwargs)


def gradient_classifier(art: SimpleNamespace, space: ModelSpace) -> tuple[Any | None, str]:
    """ART's white-box wrapper for the final estimator, or (None, why) when it has no gradients.

    ``SklearnClassifier`` picks ART's class for the estimator type; only some (logistic
    regression, SVC/LinearSVC) implement loss gradients. Trees and ensembles do not.
    """
    name = type(space.final).__name__
    try:
        wrapped = art.SklearnClassifier(
            model=space.final, clip_values=(space.clip_min, space.clip_max)
        )
    except TypeError as exc:  # not a scikit-learn estimator
        return None, f"{name} is not a scikit-learn estimator ART can differentiate ({exc})"
    if not isinstance(wrapped, art.LossGradientsMixin):
        return None, f"ART has no loss gradients for {name} (wrapped as {type(wrapped).__name__})"
    return wrapped, ""


def blackbox_classifier(art: SimpleNamespace, space: ModelSpace) -> Any:
    """A query-only view of the model in standardised units (u = (z - center) / scale).

    Working in these units makes HopSkipJump's L-inf minimisation treat every feature alike, so
    the perturbation it finds is measured in the same units as ``eps``.
    """
    import numpy as np

    scale, center = space.scale, space.center

    def predict(u: np.ndarray) -> np.ndarray:
        return space.scores(np.asarray(u, dtype=np.float64) * scale + center)

    return art.BlackBoxClassifier(
        predict_fn=predict,
        input_shape=(len(space.names),),
        nb_classes=len(space.classes),
        clip_values=((space.clip_min - center) / scale, (space.clip_max - center) / scale),
    )
