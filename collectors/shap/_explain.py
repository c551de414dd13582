"""Compute a global SHAP explanation of a classifier's predicted probabilities.

The whole model (a Pipeline included) is explained as a black box: SHAP's permutation explainer
calls ``predict_proba`` on rows whose features are partly replaced by background rows. That is
model-agnostic and exact in one useful sense: for every row, the SHAP values plus the base value
add up to the model's output (the "additivity error" recorded below checks it). Explaining the
raw columns, not the pipeline's encoded ones, gives importances a reviewer can read.

SHAP's tabular masker compares values numerically, so text columns (a category such as ``sex``)
are handed to SHAP as integer codes and decoded back before the model sees them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aima_ci.plugin import InputError

from .._tabular import missing_value_summary, sample_indices
from ._parallel import split_rows

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

MIN_EVALS = 500  # SHAP's own default budget per row (permutation explainer)
EXACT_MAX_FEATURES = 8  # 2**8 coalitions per row: exact Shapley values stay cheaper than sampling


@dataclass
class Explanation:
    features: list[str]
    classes: list[Any]
    importance: np.ndarray  # per feature: mean |SHAP| over rows and classes
    values: np.ndarray  # (rows, features, classes)
    data: np.ndarray  # the explained rows, encoded (for the summary plot)
    explainer: str
    additivity_error: float
    sample_size: int
    background_size: int
    max_evals: int
    output: str = "predict_proba (every class)"  # what the SHAP values add up to


def import_shap() -> Any:
    """Import shap with numba's JIT off (unless shap is already loaded).

    shap compiles its masking helpers with numba on first use: 8-25 s per process on a 2-core
    runner, more than the explanation itself at CI sample sizes, where the interpreted helpers take
    well under a second. The collector runs in its own worker process, so this stays local to it.
    """
    import sys
    import warnings

    if "shap" not in sys.modules:
        import numba

        numba.config.DISABLE_JIT = True  # type: ignore[attr-defined]
    with warnings.catch_warnings():
        # shap's colour maps use matplotlib calls deprecated upstream: noise, not our problem.
        warnings.simplefilter("ignore", category=PendingDeprecationWarning)
        import shap

    return shap


class _Codec:
    """Text columns <-> integer codes, so SHAP's numeric masker can mix rows safely."""

    def __init__(self, frame: pd.DataFrame) -> None:
        import pandas as pd

        self.columns = list(frame.columns)
        self.dtypes = frame.dtypes.to_dict()
        self.categories: dict[str, list[Any]] = {}
        for column in self.columns:
            if not pd.api.types.is_numeric_dtype(frame[column]):
                self.categories[column] = sorted(frame[column].dropna().unique().tolist(), key=str)

    def encode(self, frame: pd.DataFrame) -> np.ndarray:
        import numpy as np

        out = np.empty(frame.shape, dtype=np.float64)
        for j, column in enumerate(self.columns):
            if column in self.categories:
                index = {v: i for i, v in enumerate(self.categories[column])}
                out[:, j] = [index.get(v, np.nan) for v in frame[column].tolist()]
            else:
                out[:, j] = frame[column].to_numpy(dtype=np.float64)
        return out

    def decode(self, x: np.ndarray) -> pd.DataFrame:
        import numpy as np
        import pandas as pd

        data: dict[str, Any] = {}
        for j, column in enumerate(self.columns):
            dtype = self.dtypes[column]
            if column in self.categories:
                cats = np.asarray(self.categories[column], dtype=object)
                codes = x[:, j]
                missing = np.isnan(codes)
                values = cats[np.rint(np.where(missing, 0, codes)).astype(np.int64)]
                values[missing] = None
                data[column] = pd.Series(values, dtype=dtype)
            elif isinstance(dtype, np.dtype):  # plain numpy column: a cheap cast, no pandas astype
                data[column] = x[:, j].astype(dtype)
            else:
                data[column] = pd.Series(x[:, j]).astype(dtype)
        return pd.DataFrame(data)


TREE_MODULES = ("sklearn.ensemble", "sklearn.tree", "xgboost", "lightgbm", "catboost")
TREE_SKIP = ("HistGradientBoosting", "AdaBoost", "Bagging", "Voting", "Stacking", "IsolationForest")


def tree_model(model: Any) -> tuple[Any | None, Any] | None:
    """(preprocessing or None, tree ensemble) when SHAP's TreeExplainer can explain the model.

    The permutation explainer took 75 s for a 100-tree forest in a Pipeline on 200 rows: every
    coalition is a call through the whole pipeline. TreeExplainer reads the trees and computes
    exact SHAP values in milliseconds, so a Pipeline ending in a forest is transformed once and
    its final estimator explained directly.
    """
    steps = getattr(model, "steps", None)
    prefix, final = (
        (model[:-1], model[-1]) if isinstance(steps, list) and len(steps) > 1 else (None, model)
    )
    if isinstance(steps, list) and len(steps) == 1:
        final = steps[0][1]
    kind = type(final)
    if not kind.__module__.startswith(TREE_MODULES) or kind.__name__.startswith(TREE_SKIP):
        return None
    if not callable(getattr(final, "predict_proba", None)):
        return None
    return prefix, final


def explain_tree(
    prefix: Any | None,
    final: Any,
    frame: pd.DataFrame,
    features: Sequence[str],
    *,
    sample_size: int,
    seed: int,
    where: str,
    file: str,
) -> Explanation:
    """Exact tree SHAP on the final estimator's inputs (the pipeline's encoded features).

    The importances then name the encoded columns (``num__age``, ``cat__sex_A92``): what the
    trees split on. ``feature_perturbation="tree_path_dependent"`` needs no background data.
    """
    import numpy as np

    shap = import_shap()
    rows = sample_indices(len(frame), sample_size, seed)
    x = frame[list(features)].iloc[rows]
    named = getattr(prefix if prefix is not None else final, "feature_names_in_", None) is not None
    try:
        z = prefix.transform(x if named else x.to_numpy()) if prefix is not None else x
        if hasattr(z, "toarray"):
            z = z.toarray()
        z = np.asarray(z, dtype=np.float64)
        expected = np.asarray(final.predict_proba(z), dtype=np.float64)
    except Exception as exc:
        raise InputError(
            f"{where}: {file}: the model cannot predict on the data ({type(exc).__name__}: "
            f"{str(exc).strip().splitlines()[0] if str(exc).strip() else ''})"
        ) from exc
    names = list(features) if prefix is None else _encoded_names(prefix, z.shape[1])
    explainer = shap.TreeExplainer(final, feature_perturbation="tree_path_dependent")

    def tree_shap(rows: np.ndarray) -> np.ndarray:
        raw = explainer.shap_values(rows, check_additivity=False)
        if isinstance(raw, list):  # older shap: one (rows, features) array per class
            return np.stack([np.asarray(r, dtype=np.float64) for r in raw], axis=-1)
        out = np.asarray(raw, dtype=np.float64)
        return out[:, :, None] if out.ndim == 2 else out

    values = split_rows(tree_shap, z)  # one C++ TreeSHAP per core (see _parallel)
    base = np.asarray(explainer.expected_value, dtype=np.float64).reshape(1, -1)
    additivity = float(np.abs(values.sum(axis=1) + base - expected.reshape(len(z), -1)).max())
    return Explanation(
        features=names,
        classes=list(final.classes_),
        importance=np.abs(values).mean(axis=(0, 2)),
        values=values,
        data=z,
        explainer=type(explainer).__name__,
        additivity_error=additivity,
        sample_size=len(rows),
        background_size=0,
        max_evals=0,
    )


def _encoded_names(prefix: Any, width: int) -> list[str]:
    try:
        names = [str(n) for n in prefix.get_feature_names_out()]
    except Exception:  # a step without get_feature_names_out
        names = []
    return names if len(names) == width else [f"x{i}" for i in range(width)]


def explain(
    model: Any,
    frame: pd.DataFrame,
    features: Sequence[str],
    *,
    sample_size: int,
    background_size: int,
    seed: int,
    where: str,
    file: str,
) -> Explanation:
    import numpy as np

    tree = tree_model(model)
    if tree is not None:
        return explain_tree(
            tree[0],
            tree[1],
            frame,
            features,
            sample_size=sample_size,
            seed=seed,
            where=where,
            file=file,
        )
    shap = import_shap()
    x = frame[list(features)]
    codec = _Codec(x)
    named = getattr(model, "feature_names_in_", None) is not None

    def predict(encoded: np.ndarray) -> np.ndarray:
        decoded = codec.decode(np.asarray(encoded, dtype=np.float64))
        return np.asarray(model.predict_proba(decoded if named else decoded.to_numpy()))

    rows = sample_indices(len(x), sample_size, seed)
    background_rows = sample_indices(len(x), background_size, seed + 1)
    sample = codec.encode(x.iloc[rows])
    background = codec.encode(x.iloc[background_rows])
    try:
        expected = predict(sample)
    except Exception as exc:
        missing = missing_value_summary(x, features)
        hint = f"; columns with missing values: {missing}" if missing else ""
        raise InputError(
            f"{where}: {file}: the model cannot predict on the data "
            f"({type(exc).__name__}: {str(exc).strip().splitlines()[0] if str(exc).strip() else ''}){hint}"
        ) from exc
    masker = shap.maskers.Independent(background, max_samples=background_size)
    # Exact enumerates every coalition in one model call per row; permutation sampling needs one
    # call per permutation (about 40 per row), so exact is faster while 2**d stays small.
    exact = len(features) <= EXACT_MAX_FEATURES
    max_evals = 2 ** len(features) if exact else max(MIN_EVALS, 2 * len(features) + 2)
    explainer = shap.Explainer(
        predict,
        masker,
        algorithm="exact" if exact else "permutation",
        seed=seed,
        feature_names=list(features),
    )
    kwargs = {} if exact else {"max_evals": max_evals}
    result = explainer(sample, silent=True, **kwargs)
    values = np.asarray(result.values, dtype=np.float64)
    if values.ndim == 2:  # a single output
        values = values[:, :, None]
    base = np.asarray(result.base_values, dtype=np.float64).reshape(len(sample), -1)
    additivity = float(np.abs(values.sum(axis=1) + base - expected.reshape(len(sample), -1)).max())
    return Explanation(
        features=list(features),
        classes=list(model.classes_),
        importance=np.abs(values).mean(axis=(0, 2)),
        values=values,
        data=sample,
        explainer=type(explainer).__name__,
        additivity_error=additivity,
        sample_size=len(rows),
        background_size=len(background_rows),
        max_evals=max_evals,
    )
