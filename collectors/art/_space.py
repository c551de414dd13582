"""The space the attacks work in: the features the model's final estimator sees.

A scikit-learn Pipeline is split into its preprocessing steps and its final estimator, and the
attacks perturb the preprocessed features. Why not attack the raw columns through ART's own
``preprocessing=(mean, std)``? Two reasons:

- ART 1.20.1's ``ScikitlearnLogisticRegression.loss_gradient`` applies the preprocessing a second
  time (it calls ``self.predict`` on already-preprocessed input), so its gradients are wrong for
  any non-identity preprocessing; attacking the preprocessed features avoids that bug.
- Pipelines may contain steps ART cannot differentiate (one-hot encoders, imputers); the final
  estimator's inputs are always numeric.

The budget ``eps`` is measured in standard deviations of each feature (``eps_units: std``), so an
L-inf ball in this space is exactly the same ball in the raw columns whenever the preprocessing is
an element-wise affine scaler (StandardScaler, MinMaxScaler, RobustScaler, MaxAbsScaler). For
non-invertible steps (one-hot) the adversary may move encoded columns freely: a stronger adversary
than one who edits raw records, so the measured robustness is a lower bound.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aima_ci.plugin import InputError

from .settings import PREFIX

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

TINY = 1e-9  # keeps ART's clip (min < max) and step (> 0) checks happy for constant features


@dataclass
class ModelSpace:
    """The data in the final estimator's input space, with the scale and bounds of each feature."""

    prefix: Any | None  # the fitted preprocessing (a Pipeline slice) or None
    final: Any  # the fitted final estimator
    names: list[str]  # feature names in this space
    raw_names: list[str]  # the model's input columns (before preprocessing)
    z: np.ndarray  # every data row, float64, in this space
    scale: np.ndarray  # per-feature unit for eps: std (or 1 for eps_units: absolute)
    center: np.ndarray  # per-feature mean (0 for absolute), for the standardised black-box view
    clip_min: np.ndarray
    clip_max: np.ndarray
    classes: list[Any]

    @property
    def steps(self) -> list[str]:
        if self.prefix is None:
            return [type(self.final).__name__]
        return [type(step).__name__ for _, step in self.prefix.steps] + [type(self.final).__name__]

    def scores(self, z: np.ndarray) -> np.ndarray:
        """Class scores of the final estimator (probabilities, or one-hot votes without them).

        Called thousands of times by HopSkipJump, so it passes a bare array even to an estimator
        fitted on a DataFrame (building a DataFrame per call tripled the attack's run time) and
        silences scikit-learn's feature-name warning for exactly that case.
        """
        import numpy as np

        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="X does not have valid feature names")
            if callable(getattr(self.final, "predict_proba", None)):
                return np.asarray(self.final.predict_proba(z), dtype=np.float64)
            predicted = self.final.predict(z)
        index = {c: i for i, c in enumerate(self.final.classes_)}
        onehot = np.zeros((len(z), len(self.classes)))
        onehot[np.arange(len(z)), [index[p] for p in predicted]] = 1.0
        return onehot

    def predict_index(self, z: np.ndarray) -> np.ndarray:
        return self.scores(z).argmax(axis=1)

    def to_raw(self, z: np.ndarray) -> np.ndarray | None:
        """Map points back to raw columns when every preprocessing step can be inverted."""
        if self.prefix is None:
            return z
        try:
            return self.prefix.inverse_transform(z)
        except Exception:  # one-hot, imputers, custom steps: no inverse
            return None


def split_model(model: Any) -> tuple[Any | None, Any]:
    """(preprocessing, final estimator) of a Pipeline; (None, model) for a bare estimator."""
    steps = getattr(model, "steps", None)
    if isinstance(steps, list) and len(steps) > 1 and hasattr(model, "__getitem__"):
        return model[:-1], model[-1]
    if isinstance(steps, list) and len(steps) == 1:
        return None, steps[0][1]
    return None, model


def build_space(
    model: Any,
    frame: pd.DataFrame,
    features: Sequence[str],
    *,
    eps_units: str,
    clip_values: tuple[float, float] | None,
    where: str,
    file: str,
) -> ModelSpace:
    import numpy as np

    prefix, final = split_model(model)
    x = model_input(model, frame, features)
    if prefix is None:
        z = _numeric(frame[list(features)], where, file)
        names = [str(c) for c in features]
    else:
        try:
            z_raw = prefix.transform(x)
        except Exception as exc:
            raise InputError(
                f"{where}: {file}: the model's preprocessing failed on the data "
                f"({type(exc).__name__}: {exc})"
            ) from exc
        if hasattr(z_raw, "toarray"):
            z_raw = z_raw.toarray()
        names = _names(prefix, np.shape(z_raw)[1])
        try:
            z = np.asarray(z_raw, dtype=np.float64)
        except (TypeError, ValueError) as exc:
            raise InputError(
                f"{where}: {file}: the model's preprocessing does not output numbers ({exc})"
            ) from exc
    bad = [names[j] for j in range(z.shape[1]) if not np.isfinite(z[:, j]).all()]
    if bad:
        raise InputError(
            f"{where}: {file}: feature {', '.join(repr(b) for b in bad)} has missing or "
            "infinite values in the model's input (impute them or drop those rows)"
        )
    lo, hi = z.min(axis=0), z.max(axis=0)
    if clip_values is None:
        clip_min, clip_max = lo, np.maximum(hi, lo + TINY)
    else:
        clip_min = np.full(z.shape[1], clip_values[0])
        clip_max = np.full(z.shape[1], clip_values[1])
        outside = [
            names[j] for j in range(z.shape[1]) if lo[j] < clip_min[j] or hi[j] > clip_max[j]
        ]
        if outside:
            raise InputError(
                f"{PREFIX}.clip_values: {list(clip_values)} does not contain the "
                f"data: feature {', '.join(repr(o) for o in outside[:5])} lies outside it in the "
                "model's input space"
            )
    if eps_units == "std":
        scale = np.maximum(z.std(axis=0), TINY)
        center = z.mean(axis=0)
    else:
        scale = np.ones(z.shape[1])
        center = np.zeros(z.shape[1])
    space = ModelSpace(
        prefix=prefix,
        final=final,
        names=names,
        raw_names=[str(f) for f in features],
        z=z,
        scale=scale,
        center=center,
        clip_min=clip_min,
        clip_max=clip_max,
        classes=list(model.classes_),
    )
    _check_split(model, x, space, where, file)
    return space


def model_input(model: Any, frame: pd.DataFrame, features: Sequence[str]) -> Any:
    """The columns as the model was fitted: a DataFrame if it knows feature names, else an array.

    Passing the kind the model was fitted on avoids scikit-learn's feature-name warnings.
    """
    x = frame[list(features)]
    return x if getattr(model, "feature_names_in_", None) is not None else x.to_numpy()


def _numeric(x: pd.DataFrame, where: str, file: str) -> np.ndarray:
    import numpy as np
    import pandas as pd

    for column in x.columns:
        converted = pd.to_numeric(x[column], errors="coerce")
        bad = converted.isna() & x[column].notna()
        if bad.any():
            value = x[column][bad].iloc[0]
            raise InputError(
                f"{where}: {file}: column {column!r} is not numeric (e.g. {value!r}) and the "
                "model has no preprocessing step to encode it"
            )
    return np.asarray(x.apply(pd.to_numeric), dtype=np.float64)


def _names(prefix: Any, width: int) -> list[str]:
    try:
        names = [str(n) for n in prefix.get_feature_names_out()]
    except Exception:  # a step without get_feature_names_out
        names = []
    return names if len(names) == width else [f"x{i}" for i in range(width)]


def _check_split(model: Any, x: Any, space: ModelSpace, where: str, file: str) -> None:
    """The split must score exactly as the whole model does, or the attack is meaningless."""
    import numpy as np

    probe = min(len(x), 200)
    try:
        if callable(getattr(model, "predict_proba", None)):
            whole = np.asarray(model.predict_proba(x[:probe]), dtype=np.float64)
            same = np.allclose(whole, space.scores(space.z[:probe]), rtol=1e-6, atol=1e-9)
        else:
            whole = np.asarray(model.predict(x[:probe]))
            split = np.asarray(space.classes, dtype=object)[space.predict_index(space.z[:probe])]
            same = whole.tolist() == split.tolist()
    except Exception as exc:
        raise InputError(
            f"{where}: {file}: the model cannot predict on the data ({type(exc).__name__}: {exc})"
        ) from exc
    if not same:
        raise InputError(
            f"{where}: {file}: the model could not be split into preprocessing and estimator "
            f"({' -> '.join(space.steps)}): the parts predict differently from the whole"
        )
