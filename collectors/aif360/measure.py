"""Run mode: disparate impact and statistical parity difference computed by aif360 itself.

Imported only in run mode (aif360 imports pandas, scipy and scikit-learn). The CSV is reduced to
a numeric frame aif360 accepts: the outcome as 1 (favourable) / 0, each protected column as
1 (privileged value) / 0; rows with a missing outcome or attribute are refused, not dropped,
because silently dropping rows can hide exactly the group a fairness check is about.
"""

from __future__ import annotations

import logging
import math
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from aima_ci.plugin import InputError

MAX_CSV_BYTES = 512 << 20


def _matches(series: Any, values: Sequence[Any]) -> Any:
    """Equality on the CSV's text as well as its parsed value: 1 matches "1" and 1.0."""
    wanted = {str(v) for v in values} | {str(v).lower() for v in values if isinstance(v, bool)}
    as_text = series.astype(str)
    numeric = {float(v) for v in values if _is_number(v)}
    hit = as_text.isin(wanted)
    if numeric:
        import pandas as pd

        hit = hit | pd.to_numeric(series, errors="coerce").isin(numeric)
    return hit


def _is_number(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    try:
        return math.isfinite(float(value))
    except (TypeError, ValueError):
        return False


def compute(
    path: Path,
    *,
    label: str,
    favorable: Any,
    protected: Mapping[str, Sequence[Any]],
    display: str,
) -> dict[str, Any]:
    """The metrics JSON (the shape report mode reads) for one CSV."""
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)  # aif360 logs a hint per optional extra it lacks, on import
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            import aif360
            import pandas as pd
            from aif360.datasets import BinaryLabelDataset
            from aif360.metrics import BinaryLabelDatasetMetric
    finally:
        root.setLevel(level)

    where = f"collectors.aif360.data: {display}"
    if path.stat().st_size > MAX_CSV_BYTES:
        raise InputError(f"{where}: larger than {MAX_CSV_BYTES} bytes")
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=True)
    except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise InputError(f"{where}: not a readable CSV ({type(exc).__name__}: {exc})") from None
    columns = [label, *protected]
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise InputError(f"{where}: no column(s) {', '.join(map(repr, missing))}")
    if frame.empty:
        raise InputError(f"{where}: no rows")
    blanks = {c: int(frame[c].isna().sum()) for c in columns if frame[c].isna().any()}
    if blanks:
        raise InputError(
            f"{where}: empty values in {', '.join(f'{c} ({n} rows)' for c, n in blanks.items())}"
        )
    numeric = pd.DataFrame({label: _matches(frame[label], [favorable]).astype(float)})
    if numeric[label].sum() == 0:
        raise InputError(f"{where}: no row has {label} == {favorable!r} (the favourable outcome)")
    rows = []
    for col, privileged in protected.items():
        numeric[col] = _matches(frame[col], list(privileged)).astype(float)
        n_priv = int(numeric[col].sum())
        if n_priv == 0 or n_priv == len(numeric):
            side = "privileged" if n_priv == 0 else "unprivileged"
            raise InputError(
                f"{where}: column {col!r} has no {side} rows (privileged: {privileged})"
            )
    dataset = BinaryLabelDataset(
        df=numeric,
        label_names=[label],
        protected_attribute_names=list(protected),
        favorable_label=1.0,
        unfavorable_label=0.0,
    )
    for col, privileged in protected.items():
        metric = BinaryLabelDatasetMetric(
            dataset, unprivileged_groups=[{col: 0.0}], privileged_groups=[{col: 1.0}]
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            di = float(metric.disparate_impact())
        rows.append(
            {
                "protected_attribute": col,
                "privileged": [str(v) for v in privileged],
                "disparate_impact": round(di, 6) if math.isfinite(di) else None,
                "statistical_parity_difference": round(
                    float(metric.statistical_parity_difference()), 6
                ),
                "base_rate_privileged": round(float(metric.base_rate(privileged=True)), 6),
                "base_rate_unprivileged": round(float(metric.base_rate(privileged=False)), 6),
                "instances_privileged": int(metric.num_instances(privileged=True)),
                "instances_unprivileged": int(metric.num_instances(privileged=False)),
            }
        )
    return {
        "tool": "aif360",
        "tool_version": getattr(aif360, "__version__", ""),
        "dataset": display,
        "label": label,
        "favorable_label": favorable,
        "metrics": rows,
    }
