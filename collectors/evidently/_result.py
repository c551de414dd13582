"""Reading an evidently 0.7 result (``Snapshot.json()``) with the standard library only.

Both modes go through this parser, so a report produced elsewhere is judged exactly like one
produced here. Whether a drift score means drift depends on the method (a p-value drifts when
low, a distance when high), so a column's verdict comes only from its test status, never from the
raw score; a result without tests is rejected rather than guessed at.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DRIFT_COUNT = "evidently:metric_v2:DriftedColumnsCount"
VALUE_DRIFT = "evidently:metric_v2:ValueDrift"
MISSING = "evidently:metric_v2:MissingValueCount"
DRIFTED = frozenset({"FAIL", "WARNING"})
DECIDED = DRIFTED | {"SUCCESS"}  # statuses that say whether the column drifted
KNOWN_STATUSES = frozenset({"SUCCESS", "FAIL", "WARNING", "ERROR", "SKIPPED"})
MAX_BYTES = 64 << 20


class ResultError(ValueError):
    """The file is not a usable evidently 0.7 result; the message says what is wrong."""


@dataclass(frozen=True)
class ColumnDrift:
    column: str
    method: str
    threshold: float | None
    score: float | None
    status: str  # the test status: SUCCESS, FAIL, WARNING, ERROR, SKIPPED, or "" for no test
    description: str = ""

    @property
    def drifted(self) -> bool:
        return self.status in DRIFTED


@dataclass(frozen=True)
class DriftResult:
    share: float
    count: int
    columns: Mapping[str, ColumnDrift]
    share_from: str  # "DriftedColumnsCount" or "column tests"
    report_drift_share: float | None = None
    missing: Mapping[str, tuple[int, float]] = field(default_factory=dict)  # column -> count, share


def _number(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ResultError(f"{where} is not a finite number ({value!r})")
    return float(value)


def load(path: Path) -> Any:
    if path.stat().st_size > MAX_BYTES:
        raise ResultError(f"larger than {MAX_BYTES >> 20} MiB")
    raw = path.read_bytes()
    if not raw.strip():
        raise ResultError("the file is empty")
    try:
        return json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise ResultError(f"not UTF-8 text (byte {exc.start})") from None
    except json.JSONDecodeError as exc:
        raise ResultError(f"not valid JSON (line {exc.lineno}: {exc.msg}); truncated?") from None
    except (ValueError, RecursionError) as exc:  # an overlong integer, nesting too deep
        raise ResultError(f"not valid JSON ({type(exc).__name__}: {exc})") from None


def _config(metric: Mapping[str, Any], i: int) -> Mapping[str, Any]:
    config = metric.get("config")
    if not isinstance(config, Mapping) or not isinstance(config.get("type"), str):
        raise ResultError(f"metrics[{i}] has no config.type: not an evidently 0.7 result")
    return config


def _test_statuses(data: Mapping[str, Any]) -> dict[str, list[tuple[str, str]]]:
    """metric id -> [(status, description)] from the 'tests' list."""
    tests = data.get("tests")
    if tests is None:
        return {}
    if not isinstance(tests, list):
        raise ResultError("'tests' is not a list")
    out: dict[str, list[tuple[str, str]]] = {}
    for i, test in enumerate(tests):
        if not isinstance(test, Mapping):
            raise ResultError(f"tests[{i}] is not an object")
        mc = test.get("metric_config")
        metric_id = mc.get("metric_id") if isinstance(mc, Mapping) else None
        status = test.get("status")
        if not isinstance(metric_id, str) or not isinstance(status, str):
            raise ResultError(f"tests[{i}] has no metric_config.metric_id or status")
        status = status.removeprefix("TestStatus.").upper()
        description = test.get("description")
        out.setdefault(metric_id, []).append(
            (status, description if isinstance(description, str) else "")
        )
    return out


def _worst(statuses: list[tuple[str, str]]) -> tuple[str, str]:
    order = ["ERROR", "FAIL", "WARNING", "SKIPPED", "SUCCESS"]
    return min(statuses, key=lambda s: order.index(s[0]) if s[0] in order else -1)


def restrict(result: DriftResult, wanted: Sequence[str]) -> DriftResult:
    """Only the wanted columns, each of which the result must cover; the share is recomputed."""
    absent = [c for c in wanted if c not in result.columns]
    if absent:
        covered = ", ".join(result.columns) or "none"
        raise ResultError(
            f"no drift result for column '{absent[0]}'"
            + (f" (and {len(absent) - 1} more)" if len(absent) > 1 else "")
            + f"; the report covers: {covered}"
        )
    columns = {c: result.columns[c] for c in wanted}
    count = sum(1 for c in columns.values() if c.drifted)
    return DriftResult(
        share=count / len(columns),
        count=count,
        columns=columns,
        share_from="column tests",
        report_drift_share=result.report_drift_share,
        missing={c: v for c, v in result.missing.items() if c in wanted},
    )


def _check_count(
    share: float, count: float, config: Any, columns: Mapping[str, ColumnDrift]
) -> None:
    """share must be count / compared columns: the two numbers vouch for each other, so one
    damaged digit (0.75 -> 0.05 with 3 of 4 drifted) is refused instead of passing the policy.

    The compared columns are the metric's own ``columns`` list, else the per-column ValueDrift
    metrics (DataDriftPreset emits one per column it counts); with neither, nothing to check.
    """
    listed = config.get("columns") if isinstance(config, Mapping) else None
    total = len(listed) if isinstance(listed, list) and listed else len(columns)
    if total and abs(share * total - count) > 1e-6 * max(1.0, count):
        raise ResultError(
            f"DriftedColumnsCount is inconsistent: {count:g} drifted but share {share:g} of"
            f" {total} compared columns; the result is damaged or was edited"
        )


def parse(data: Any) -> DriftResult:
    if not isinstance(data, Mapping) or not isinstance(data.get("metrics"), list):
        raise ResultError(
            "no top-level 'metrics' list: not an evidently 0.7 result (Snapshot.json())"
        )
    tests = _test_statuses(data)
    count_metric: Mapping[str, Any] | None = None
    columns: dict[str, ColumnDrift] = {}
    missing: dict[str, tuple[int, float]] = {}
    for i, metric in enumerate(data["metrics"]):
        if not isinstance(metric, Mapping):
            raise ResultError(f"metrics[{i}] is not an object")
        config = _config(metric, i)
        kind = config["type"]
        if kind == DRIFT_COUNT:
            count_metric = metric
        elif kind == VALUE_DRIFT:
            column = config.get("column")
            if not isinstance(column, str) or not column:
                raise ResultError(f"metrics[{i}] (ValueDrift) names no column")
            metric_id = metric.get("id")
            found = tests.get(metric_id) if isinstance(metric_id, str) else None
            status, description = _worst(found) if found else ("", "")
            if status and status not in KNOWN_STATUSES:
                raise ResultError(f"test for column '{column}' has unknown status {status!r}")
            threshold = config.get("threshold")
            columns[column] = ColumnDrift(
                column=column,
                method=str(config.get("method") or "default"),
                threshold=_number(threshold, f"metrics[{i}].config.threshold")
                if threshold is not None
                else None,
                score=_number(metric.get("value"), f"metrics[{i}].value (column '{column}')"),
                status=status,
                description=description,
            )
        elif kind == MISSING:
            column = config.get("column")
            value = metric.get("value")
            if not isinstance(column, str) or not isinstance(value, Mapping):
                raise ResultError(f"metrics[{i}] (MissingValueCount) has no column or value")
            share = _number(value.get("share"), f"metrics[{i}].value.share")
            count = _number(value.get("count"), f"metrics[{i}].value.count")
            if not 0 <= share <= 1 or count < 0:
                raise ResultError(f"metrics[{i}] (MissingValueCount) has an impossible value")
            missing[column] = (int(count), share)
    if count_metric is None and not columns:
        raise ResultError(
            "no DriftedColumnsCount or ValueDrift metrics: not a data-drift result"
            " (use DataDriftPreset)"
        )
    if columns and not tests:
        raise ResultError(
            "the result has no test statuses (run the Report with include_tests=True); drift is"
            " never inferred from raw scores"
        )
    report_share = None
    if count_metric is not None:
        value = count_metric.get("value")
        if not isinstance(value, Mapping):
            raise ResultError("DriftedColumnsCount has no value object")
        share = _number(value.get("share"), "DriftedColumnsCount.value.share")
        count = _number(value.get("count"), "DriftedColumnsCount.value.count")
        if not 0 <= share <= 1 or count < 0:
            raise ResultError(f"DriftedColumnsCount has an impossible share {share}")
        config = count_metric.get("config") or {}
        ds = config.get("drift_share") if isinstance(config, Mapping) else None
        report_share = float(ds) if isinstance(ds, (int, float)) else None
        share_from = "DriftedColumnsCount"
        _check_count(share, count, config, columns)
    else:
        count = sum(1 for c in columns.values() if c.drifted)
        share = count / len(columns)
        share_from = "column tests"
    return DriftResult(
        share=share,
        count=int(count),
        columns=columns,
        share_from=share_from,
        report_drift_share=report_share,
        missing=missing,
    )
