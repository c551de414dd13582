"""The samples a network is attacked on, with labels as output indices and the adversary's box.

Shape, clip values and classes come from the model declaration where given; otherwise the shape
and value range come from the data and the number of classes from one forward pass (which also
proves the declared input shape fits the model).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aima_ci.plugin import InputError

from .._arrays import apply_label_map, is_array_data, label_indices, load_arrays
from .._modelio import DeepModel, LoadedModel, fit_samples, settle_classes
from .._tabular import read_table
from ._deep import DeepSpace
from .settings import PREFIX, ArtSettings


def deep_space(
    loaded: LoadedModel,
    data_path: Path,
    labels: Path | None,
    settings: ArtSettings,
    config_dir: Path,
) -> DeepSpace:
    import numpy as np

    ref = settings.model
    model = loaded.estimator if loaded.is_deep else _wrap_estimator(loaded.estimator)
    where = f"{PREFIX}.data: {data_path.name}"
    clip = settings.clip_values or ref.clip_values
    if is_array_data(data_path):
        x, y = load_arrays(
            data_path,
            where,
            labels=labels,
            shape=model.input_shape,
            clip=clip,
            channels_first=model.channels_first,
        )
    else:
        frame = read_table(data_path, where)
        if settings.label is None or settings.label not in frame.columns:
            raise InputError(f"{PREFIX}.label: the table needs its label column named under label:")
        features = list(settings.features or [c for c in frame.columns if c != settings.label])
        try:
            x = frame[features].to_numpy(dtype=np.float32)
        except (KeyError, ValueError) as exc:
            raise InputError(f"{where}: the feature columns are not all numeric ({exc})") from None
        y = frame[settings.label].to_numpy()
    x = fit_samples(model, x, ref, f"{PREFIX}.model")
    settle_classes(model, x, f"{PREFIX}.model: {ref.shown}")
    assert model.nb_classes is not None
    y = apply_label_map(y, settings.label_map, f"{PREFIX}.label_map: {data_path.name}")
    y_index, classes = label_indices(
        y, model.labels, model.nb_classes, f"{PREFIX}.data: {data_path.name}"
    )
    lo, hi = float(x.min()), float(x.max())
    if clip is None:
        clip = (lo, hi if hi > lo else lo + 1e-9)
    elif lo < clip[0] - 1e-6 or hi > clip[1] + 1e-6:
        raise InputError(
            f"{PREFIX}.clip_values: {list(clip)} does not contain the data (values from "
            f"{lo:g} to {hi:g}); declare the model's real input range"
        )
    scale = 1.0 if (settings.eps_units or "absolute") == "absolute" else max(float(x.std()), 1e-9)
    return DeepSpace(model=model, x=x, y=y_index, clip=clip, scale=scale, classes=classes)


def _wrap_estimator(estimator: Any) -> DeepModel:
    """A scikit-learn classifier on array data: queried as a black box on flattened samples."""
    import numpy as np

    def run(x: np.ndarray) -> np.ndarray:
        return np.asarray(estimator.predict_proba(x.reshape(len(x), -1)), dtype=np.float64)

    classes = list(estimator.classes_)
    return DeepModel(run, None, nb_classes=len(classes), labels=classes, runtime="scikit-learn")
