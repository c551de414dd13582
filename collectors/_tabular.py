"""Reading a data table (CSV, TSV or Parquet) and picking a model's columns from it, failing closed.

Shared by the tabular-ML collectors (fairlearn, evidently, art, shap) so that the same file is
accepted or refused the same way by each of them. Every refusal is an InputError that starts with
the caller's ``where`` (the config key and the file), because the person reading a red CI job
needs to know which of their files to fix, not read a pandas traceback.

pandas and numpy are imported inside the functions: the runner imports collector packages to list
them, and that must stay cheap.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from aima_ci.plugin import InputError

from ._modelio import LoadedModel, require_classifier

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

PARQUET_SUFFIXES = (".parquet", ".pq")
CSV_SUFFIXES = (".csv", ".tsv", ".txt")


def read_table(path: Path, where: str) -> pd.DataFrame:
    """The file as a DataFrame with at least one row; ``where`` prefixes every error message.

    The format comes from the suffix and anything else is refused rather than guessed: reading an
    unknown file as CSV tends to succeed with one garbage column and fail later, far from the cause.
    """
    import pandas as pd

    suffix = path.suffix.lower()
    if not path.is_file():  # a folder or a FIFO (which would block the read) is no table
        raise InputError(f"{where}: not a file")
    if suffix not in PARQUET_SUFFIXES + CSV_SUFFIXES:
        raise InputError(f"{where}: unsupported file type '{suffix}' (use .csv or .parquet)")
    try:
        if suffix in PARQUET_SUFFIXES:
            frame = pd.read_parquet(path)
        else:
            frame = pd.read_csv(path, sep="\t" if suffix == ".tsv" else ",")
    except pd.errors.EmptyDataError:
        raise InputError(f"{where}: the file is empty") from None
    except ImportError as exc:
        raise InputError(f"{where}: cannot read Parquet ({exc}); pip install pyarrow") from None
    except (pd.errors.ParserError, UnicodeDecodeError, ValueError, OSError) as exc:
        raise InputError(f"{where}: cannot be parsed: {_first_line(exc)}") from None
    except Exception as exc:  # the Parquet engine's own errors: still a problem with the file
        raise InputError(
            f"{where}: unreadable ({type(exc).__name__}: {_first_line(exc)})"
        ) from None
    if frame.shape[0] == 0:
        raise InputError(f"{where}: the file has no data rows (a header but no rows of values)")
    return frame


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


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


class ClassifierTable(NamedTuple):
    """A fitted classifier, the table it is measured on, and the columns it reads from it."""

    model: LoadedModel
    frame: pd.DataFrame
    features: list[str]


def load_classifier_table(
    loaded: LoadedModel,
    data_path: Path,
    *,
    prefix: str,
    proba: bool,
    configured: Sequence[str] | None,
    exclude: Sequence[str] = (),
) -> ClassifierTable:
    """Check the loaded model (``<prefix>.model``), then read the data (``<prefix>.data``).

    The model comes first: its ``feature_names_in_`` decides which columns the data must have.
    ``proba`` asks for ``predict_proba`` (see ``require_classifier``).
    """
    require_classifier(loaded.estimator, f"{prefix}.model", proba=proba)
    frame = read_table(data_path, f"{prefix}.data: {data_path.name}")
    features = resolve_features(
        loaded.estimator,
        frame,
        configured,
        exclude=exclude,
        where=f"{prefix}.data",
        file=data_path.name,
    )
    return ClassifierTable(loaded, frame, features)


def missing_value_summary(frame: pd.DataFrame, columns: Sequence[str]) -> str:
    """'income (3), age (1)': the columns with missing values, for error messages."""
    counts = frame[list(columns)].isna().sum()
    parts = [f"{col!r} ({int(n)})" for col, n in counts.items() if n]
    return ", ".join(parts)


def sample_indices(n_rows: int, size: int, seed: int) -> np.ndarray:
    """A reproducible random subset of row positions (all rows, in order, when size >= n_rows)."""
    import numpy as np

    if size >= n_rows:
        return np.arange(n_rows)
    rng = np.random.default_rng(seed)
    return np.sort(rng.choice(n_rows, size=size, replace=False))
