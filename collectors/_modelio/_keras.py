"""Keras 3 ``.keras`` files, loaded with ``safe_mode=True`` (Lambda layers' bytecode is refused).

Keras runs on the torch backend unless ``KERAS_BACKEND`` says otherwise, so no TensorFlow is
needed; a Keras model on that backend is a ``torch.nn.Module`` and gets white-box attacks through
ART's PyTorchClassifier like any torch network. Inputs are channels-last, as Keras expects.
"""

from __future__ import annotations

import os
from pathlib import Path

from aima_ci.plugin import InputError

from ._loaded import DeepModel, LoadedModel


def load_keras(path: Path, where: str, shape: tuple[int, ...] | None, device: str) -> LoadedModel:
    os.environ.setdefault("KERAS_BACKEND", "torch")
    import numpy as np

    try:
        import keras

        model = keras.saving.load_model(str(path), compile=False, safe_mode=True)
    except Exception as exc:
        raise InputError(f"{where}: keras cannot load it ({type(exc).__name__}: {exc})") from exc
    if shape is None:
        try:
            shape = tuple(int(d) for d in model.input_shape[1:])
        except Exception:
            shape = None
    backend = keras.backend.backend()
    if backend == "torch":
        from ._torch import wrap_module

        deep = wrap_module(model, shape, device, "keras/torch")
        deep.channels_first = False
        return LoadedModel(deep, "keras")

    def run(x: np.ndarray) -> np.ndarray:
        return np.asarray(model.predict(x, verbose=0))

    return LoadedModel(
        DeepModel(run, shape, channels_first=False, runtime=f"keras/{backend}"), "keras"
    )
