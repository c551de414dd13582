"""Read a tabular data file and check it against the model before any tool sees it.

Every problem becomes an InputError that names the config key, the file and the column, so a CI
log says what to fix instead of showing a scikit-learn traceback. Shared by ``art`` and ``shap``.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aima_ci.plugin import InputError

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd


def read_table(path: Path, where: str) -> pd.DataFrame:
    """A CSV (or Parquet) file as a DataFrame; empty or unreadable files are refused."""
    import pandas as pd

    try:
        if path.suffix.lower() in (".parquet", ".pq"):
            frame = pd.read_parquet(path)
        else:
            frame = pd.read_csv(path)
    except pd.errors.EmptyDataError as exc:
        raise InputError(f"{where}: {path.name}: the file is empty") from exc
    except Exception as exc:
        raise InputError(f"{where}: {path.name}: unreadable ({type(exc).__name__}: {exc})") from exc
    if frame.shape[0] == 0:
        raise InputError(f"{where}: {path.name}: has a header but no rows")
    return frame


def resolve_features(
    estimator: Any,
    frame: pd.DataFrame,
    configured: Sequence[str] | None,
    *,
    exclude: Sequence[str],
    where: str,
    file: str,
) -> list[str]:
    """The model's input columns: configured, else what the model was fitted on, else the rest.

    ``feature_names_in_`` is set by scikit-learn when a model was fitted on a DataFrame; using it
    keeps the column order the model expects even when the file orders columns differently.
    """
    if configured:
        features = [str(c) for c in configured]
        source = "features"
    elif getattr(estimator, "feature_names_in_", None) is not None:
        features = [str(c) for c in estimator.feature_names_in_]
        source = "the model's feature_names_in_"
    else:
        features = [str(c) for c in frame.columns if c not in set(exclude)]
        source = "the data columns"
    missing = [c for c in features if c not in frame.columns]
    if missing:
        raise InputError(
            f"{where}: {file}: no column {', '.join(repr(c) for c in missing)} "
            f"(needed by {source}); the file has {', '.join(map(str, frame.columns))}"
        )
    expected = getattr(estimator, "n_features_in_", None)
    if isinstance(expected, int) and expected != len(features):
        raise InputError(
            f"{where}: {file}: the model expects {expected} features but {len(features)} were "
            f"selected ({source}); set 'features' to the model's input columns"
        )
    empty = [c for c in features if frame[c].isna().all()]
    if empty:
        raise InputError(
            f"{where}: {file}: column {', '.join(repr(c) for c in empty)} has no values (all NaN)"
        )
    return features


def missing_value_summary(frame: pd.DataFrame, columns: Sequence[str]) -> str:
    """'income (3), age (1)': the columns with missing values, for error messages."""
    counts = frame[list(columns)].isna().sum()
    parts = [f"{col!r} ({int(n)})" for col, n in counts.items() if n]
    return ", ".join(parts)


def label_indices(
    frame: pd.DataFrame, label: str, classes: Sequence[Any], *, where: str, file: str
) -> np.ndarray:
    """Each row's label as an index into the model's ``classes_`` (the order its outputs use).

    Labels are matched as the model's classes, and as text when the file's type differs (a CSV of
    "1"/"0" against integer classes); anything else is an error naming the column and the value.
    """
    import numpy as np

    if label not in frame.columns:
        raise InputError(
            f"{where}: {file}: no label column {label!r}; the file has {', '.join(map(str, frame.columns))}"
        )
    column = frame[label]
    if column.isna().any():
        raise InputError(
            f"{where}: {file}: label column {label!r} has {int(column.isna().sum())} missing value(s)"
        )
    lookup = {_key(c): i for i, c in enumerate(classes)}
    indices = np.empty(len(column), dtype=np.int64)
    for row, value in enumerate(column.tolist()):
        index = lookup.get(_key(value))
        if index is None:
            raise InputError(
                f"{where}: {file}: label column {label!r} has value {value!r} (row {row + 1}) "
                f"that is not one of the model's classes {[_plain(c) for c in classes]}"
            )
        indices[row] = index
    return indices


def _key(value: Any) -> str:
    """Compare 1, 1.0, np.int64(1) and "1" equal; keep "yes" distinct from 1."""
    plain = _plain(value)
    if isinstance(plain, float) and plain.is_integer():
        plain = int(plain)
    return str(plain)


def _plain(value: Any) -> Any:
    return value.item() if hasattr(value, "item") else value


def sample_indices(n_rows: int, size: int, seed: int) -> np.ndarray:
    """A reproducible random subset of row positions (all rows, in order, when size >= n_rows)."""
    import numpy as np

    if size >= n_rows:
        return np.arange(n_rows)
    rng = np.random.default_rng(seed)
    return np.sort(rng.choice(n_rows, size=size, replace=False))
