"""Checking that the reference and current tables can be compared, failing closed.

evidently itself would silently skip an all-empty column or coerce a column whose type changed;
both hide exactly the data problems this collector exists to report, so they are refused here with
the file and column named. Reading the files is ``aima_ci_collectors._tabular``'s job.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from aima_ci.plugin import InputError

if TYPE_CHECKING:
    import pandas as pd

PREFIX = "collectors.evidently"


def choose_columns(
    reference: pd.DataFrame,
    current: pd.DataFrame,
    wanted: Sequence[str] | None,
    displays: tuple[str, str],
) -> list[str]:
    """The columns to compare: the configured ones, else every reference column."""
    columns = list(wanted) if wanted else [str(c) for c in reference.columns]
    for frame, display, key in (
        (reference, displays[0], "reference"),
        (current, displays[1], "current"),
    ):
        absent = [c for c in columns if c not in frame.columns]
        if absent:
            hint = "" if wanted else " (list the columns to compare under 'columns')"
            raise InputError(
                f"{PREFIX}.{key}: {display}: no column '{absent[0]}'"
                + (f" (and {len(absent) - 1} more)" if len(absent) > 1 else "")
                + hint
            )
    return columns


def check_columns(
    reference: pd.DataFrame,
    current: pd.DataFrame,
    columns: Sequence[str],
    categorical: Sequence[str],
    displays: tuple[str, str],
) -> tuple[list[str], list[str]]:
    """(numerical, categorical) columns; rejects empty columns and type changes."""
    import pandas as pd

    numerical: list[str] = []
    categories: list[str] = []
    for column in columns:
        for frame, display, key in (
            (reference, displays[0], "reference"),
            (current, displays[1], "current"),
        ):
            if frame[column].isna().all():
                raise InputError(
                    f"{PREFIX}.{key}: {display}: column '{column}' has no values (all missing)"
                )
        ref_num = _numeric(reference[column], pd)
        cur_num = _numeric(current[column], pd)
        if column in categorical:
            categories.append(column)
        elif ref_num and cur_num:
            numerical.append(column)
        elif ref_num != cur_num:
            numeric_in, other = ("reference", "current") if ref_num else ("current", "reference")
            frame = current if ref_num else reference
            display = displays[1] if ref_num else displays[0]
            bad = _first_non_numeric(frame[column], pd)
            raise InputError(
                f"{PREFIX}.{other}: {display}: column '{column}' is numeric in the {numeric_in}"
                f" data but not here (e.g. {bad!r}); fix the data or list it under 'categorical'"
            )
        else:
            categories.append(column)
    return numerical, categories


def _numeric(series: pd.Series, pd: object) -> bool:
    types = pd.api.types  # type: ignore[attr-defined]
    return bool(types.is_numeric_dtype(series) and not types.is_bool_dtype(series))


def _first_non_numeric(series: pd.Series, pd: object) -> object:
    coerced = pd.to_numeric(series, errors="coerce")  # type: ignore[attr-defined]
    bad = series[coerced.isna() & series.notna()]
    return bad.iloc[0] if len(bad) else None
