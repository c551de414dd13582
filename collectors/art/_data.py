"""The label column as indices into the model's classes, checked before any attack runs.

Every problem becomes an InputError that names the config key, the file and the column, so a CI
log says what to fix instead of showing a scikit-learn traceback. Reading the table and picking
the feature columns is ``aima_ci_collectors._tabular``'s job (shared with shap and fairlearn).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from aima_ci.plugin import InputError

from .._modelio import LabelMismatch

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd


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
            raise LabelMismatch(
                f"{where}: {file}: label column {label!r} has value {value!r} (row {row + 1}) "
                f"that is not one of the model's classes {[_plain(c) for c in classes]}; "
                "map the file's labels to them with label_map"
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
