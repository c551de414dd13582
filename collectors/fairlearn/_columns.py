"""Turning the evaluation table's columns into clean binary outcomes, failing closed.

Every rejection names the config key, the file and the column, because the person reading a red CI
job needs to know which of their files to fix; a silently dropped row would bias the very metric
the gate is about.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aima_ci.plugin import InputError

if TYPE_CHECKING:
    import pandas as pd

PREFIX = "collectors.fairlearn"
MAX_SHOWN = 5


def require_column(frame: pd.DataFrame, column: str, key: str, display: str) -> pd.Series:
    """The column, which must exist and have no missing values."""
    if column not in frame.columns:
        shown = ", ".join(map(str, list(frame.columns)[:20]))
        raise InputError(f"{PREFIX}.{key}: {display}: no column '{column}' (columns: {shown})")
    series = frame[column]
    missing = series.isna()
    if missing.all():
        raise InputError(
            f"{PREFIX}.{key}: {display}: column '{column}' has no values (all missing)"
        )
    if missing.any():
        lines = ", ".join(str(i + 2) for i in missing[missing].index[:MAX_SHOWN])
        raise InputError(
            f"{PREFIX}.{key}: {display}: column '{column}' has {int(missing.sum())} missing"
            f" value(s) (first on line(s) {lines}); fill or drop those rows before the check"
        )
    return series


def _shown(values: Any) -> str:
    values = list(values)
    text = ", ".join(repr(v.item() if hasattr(v, "item") else v) for v in values[:MAX_SHOWN])
    return text + (", ..." if len(values) > MAX_SHOWN else "")


def binarize(series: pd.Series, positive: Any, key: str, display: str) -> Any:
    """0/1 int array: 1 where the value equals ``positive``; the column must be binary."""
    import numpy as np
    import pandas as pd

    column = series.name
    where = f"{PREFIX}.{key}: {display}: column '{column}'"
    values = pd.unique(series)
    numeric_column = pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series)
    if isinstance(positive, (int, float)) and not numeric_column:
        raise InputError(
            f"{where} is not numeric (values {_shown(values)}); set positive_label to the value"
            " that means a positive outcome"
        )
    if len(values) > 2:
        raise InputError(
            f"{where} is not binary: {len(values)} distinct values ({_shown(sorted(values, key=str))});"
            " a score or probability must be thresholded into a decision first"
        )
    if numeric_column and not isinstance(positive, (int, float)):
        raise InputError(f"{where} is numeric but positive_label is {positive!r}")
    hits = series.to_numpy() == positive
    if len(values) == 2 and not hits.any():
        raise InputError(
            f"{where}: positive_label {positive!r} is not one of its values ({_shown(values)})"
        )
    return np.asarray(hits, dtype=int)
