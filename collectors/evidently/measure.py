"""Running evidently 0.7 on two tables and saving its result (JSON) and its HTML report."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aima_ci.plugin import InputError

from ._settings import Settings

if TYPE_CHECKING:
    import pandas as pd


def run_report(
    reference: pd.DataFrame,
    current: pd.DataFrame,
    numerical: Sequence[str],
    categorical: Sequence[str],
    settings: Settings,
    drift_share: float,
    json_path: Path,
    html_path: Path | None,
) -> str:
    """Run the drift preset plus a missing-value count per column; return the result JSON text."""
    os.environ.setdefault("DO_NOT_TRACK", "1")  # evidently's telemetry is UI-only; be sure anyway
    from evidently import DataDefinition, Dataset, Report
    from evidently.metrics import MissingValueCount
    from evidently.presets import DataDriftPreset

    columns = [*numerical, *categorical]
    definition = DataDefinition(
        numerical_columns=list(numerical), categorical_columns=list(categorical)
    )
    preset: dict[str, Any] = {"columns": columns, "drift_share": drift_share}
    if settings.method:
        preset["method"] = settings.method
    if settings.column_methods:
        preset["per_column_method"] = dict(settings.column_methods)
    if settings.column_thresholds:
        preset["per_column_threshold"] = dict(settings.column_thresholds)
    report = Report(
        [DataDriftPreset(**preset), *(MissingValueCount(column=c) for c in columns)],
        include_tests=True,
    )
    try:
        snapshot = report.run(
            current_data=Dataset.from_pandas(current[columns], data_definition=definition),
            reference_data=Dataset.from_pandas(reference[columns], data_definition=definition),
        )
    except (ValueError, KeyError, TypeError) as exc:
        # evidently raises these for an unknown method name or data it cannot compare.
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise InputError(
            f"collectors.evidently: evidently rejected the data or settings: {first}"
        ) from None
    text = snapshot.json()
    json_path.write_text(text, encoding="utf-8")
    if html_path is not None:
        snapshot.save_html(str(html_path))
    return text
