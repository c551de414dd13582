"""SHAP for networks and array data: gradients where the model has them, sampling where it has not.

- A torch module (TorchScript, torch.export, state_dict, Keras on torch): SHAP's GradientExplainer
  (expected gradients) on the network's own outputs, background drawn from the data.
- A model that only answers queries (ONNX, a pyfunc, a scikit-learn model on arrays): SHAP's
  model-agnostic permutation explainer on the class probabilities.

Every input element (a pixel) is a feature; the importance table and plot name them by position.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aima_ci.plugin import InputError

from .._arrays import is_array_data, label_indices, load_arrays
from .._modelio import DeepModel, LoadedModel, fit_samples, settle_classes
from .._tabular import read_table, sample_indices
from ._explain import Explanation, import_shap
from .settings import PREFIX, ShapSettings

GRADIENT_SAMPLES = 50  # expected-gradient draws per row (SHAP's default 200 is 4x the time)


def deep_inputs(
    loaded: LoadedModel, data_path: Path, labels: Path | None, settings: ShapSettings
) -> tuple[DeepModel, Any]:
    """The network and its samples in its input shape, after one forward pass that settles the
    class count and proves the shape fits; array labels, when present, must be its classes.
    Also run by ``ShapCollector.preflight``: a mismatch is exit 2 before any collector runs."""
    import numpy as np

    model = loaded.estimator if loaded.is_deep else _wrap(loaded.estimator)
    where = f"{PREFIX}.data: {data_path.name}"
    if is_array_data(data_path):
        x, y = load_arrays(
            data_path,
            where,
            labels=labels,
            shape=model.input_shape,
            clip=settings.model.clip_values,
            channels_first=model.channels_first,
        )
    else:
        frame = read_table(data_path, where)
        columns = list(settings.features or frame.columns)
        x = frame[columns].to_numpy(dtype=np.float32)
        y = None
    x = fit_samples(model, x, settings.model, f"{PREFIX}.model")
    settle_classes(model, x, f"{PREFIX}.model: {settings.model.shown}")
    assert model.nb_classes is not None
    if y is not None:  # the labels must be the model's classes, as for art
        label_indices(y, model.labels, model.nb_classes, where)
    return model, x


def explain_deep(
    loaded: LoadedModel, data_path: Path, labels: Path | None, settings: ShapSettings
) -> Explanation:
    import numpy as np

    model, x = deep_inputs(loaded, data_path, labels, settings)
    assert model.input_shape is not None and model.nb_classes is not None
    rows = sample_indices(len(x), settings.sample_size, settings.seed)
    background_rows = sample_indices(len(x), settings.background_size, settings.seed + 1)
    sample, background = x[rows], x[background_rows]
    shap = import_shap()
    flat = int(np.prod(model.input_shape))
    names = _names(model.input_shape)
    if model.torch_module is not None:
        values, base, expected, method = _gradient(shap, model, sample, background, settings.seed)
    else:
        values, base, method, expected = _permutation(
            shap, model, sample, background, flat, settings.seed
        )
    values = values.reshape(len(sample), flat, -1)
    additivity = float(np.abs(values.sum(axis=1) + base - expected.reshape(len(sample), -1)).max())
    classes = list(model.labels) if model.labels is not None else list(range(model.nb_classes))
    return Explanation(
        features=names,
        classes=classes,
        importance=np.abs(values).mean(axis=(0, 2)),
        values=values,
        data=sample.reshape(len(sample), flat).astype(np.float64),
        explainer=method,
        additivity_error=additivity,
        sample_size=len(sample),
        background_size=len(background),
        max_evals=0 if model.torch_module is not None else 2 * flat + 2,
        output=(
            "the network's output for each row's predicted class"
            if model.torch_module is not None
            else "predict_proba (every class)"
        ),
    )


def _gradient(
    shap: Any, model: DeepModel, sample: Any, background: Any, seed: int
) -> tuple[Any, Any, Any, str]:
    """Expected gradients for the predicted class of each row (``ranked_outputs=1``).

    Explaining all ten digit classes took 97 s for 20 rows; the predicted class alone is a tenth
    of the work and is the output a reviewer asks about. Returns (values, base, expected, name):
    base is the mean background output of that class, expected the row's own output for it.
    """
    import numpy as np
    import torch

    module = model.torch_module
    device = model.device
    bg = torch.from_numpy(np.ascontiguousarray(background)).to(device)
    xs = torch.from_numpy(np.ascontiguousarray(sample)).to(device)
    try:
        explainer = shap.GradientExplainer(module, bg, batch_size=50)
        raw, ranked = explainer.shap_values(
            xs, nsamples=GRADIENT_SAMPLES, ranked_outputs=1, rseed=seed
        )
    except Exception as exc:
        raise InputError(
            f"{PREFIX}.model: SHAP's GradientExplainer failed on the network ({type(exc).__name__}: {exc})"
        ) from exc
    values = np.asarray(raw[0] if isinstance(raw, list) else raw, dtype=np.float64)
    index = np.asarray(ranked.cpu() if hasattr(ranked, "cpu") else ranked).reshape(-1)
    rows = np.arange(len(sample))
    base = model.outputs(background).mean(axis=0)[index].reshape(-1, 1)
    expected = model.outputs(sample)[rows, index].reshape(-1, 1)
    return values.reshape(len(sample), -1, 1), base, expected, "GradientExplainer"


def _permutation(
    shap: Any, model: DeepModel, sample: Any, background: Any, flat: int, seed: int
) -> tuple[Any, Any, str, Any]:
    import numpy as np

    shape = model.input_shape
    assert shape is not None  # prepare() sets it from the data before any explainer runs

    def predict(z: np.ndarray) -> np.ndarray:
        return model.predict_proba(np.asarray(z, dtype=np.float32).reshape((len(z), *shape)))

    masker = shap.maskers.Independent(background.reshape(len(background), flat))
    explainer = shap.Explainer(predict, masker, algorithm="permutation", seed=seed)
    result = explainer(sample.reshape(len(sample), flat), max_evals=2 * flat + 2, silent=True)
    values = np.asarray(result.values, dtype=np.float64)
    base = np.asarray(result.base_values, dtype=np.float64).reshape(len(sample), -1)
    return values, base, "PermutationExplainer", predict(sample.reshape(len(sample), flat))


def _names(shape: tuple[int, ...]) -> list[str]:
    import numpy as np

    return ["x[" + ",".join(str(i) for i in idx) + "]" for idx in np.ndindex(*shape)]


def _wrap(estimator: Any) -> DeepModel:
    import numpy as np

    def run(x: np.ndarray) -> np.ndarray:
        return np.asarray(estimator.predict_proba(x.reshape(len(x), -1)), dtype=np.float64)

    classes = list(estimator.classes_)
    return DeepModel(run, None, nb_classes=len(classes), labels=classes, runtime="scikit-learn")
