"""The evidently collector's config keys, parsed once into a typed value.

Run mode compares two data files with evidently; report mode reads a result evidently produced
elsewhere, so keys that only make sense for one mode are rejected in the other rather than
silently ignored.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .._options import KeyCheck, Options

OPTIONS = Options("evidently")
PATH = "a path relative to the config file"
RUN_KEYS = {
    "reference",
    "current",
    "categorical",
    "method",
    "column_methods",
    "html",
}
REPORT_KEYS = {"report"}
BOTH_MODES_KEYS = {"thresholds", "column_drift", "columns"}
THRESHOLD_KEYS = {"drift_share", "missing_share", "columns"}
DEFAULT_DRIFT_SHARE = 0.3
DEFAULT_MISSING_SHARE = 0.05


@dataclass(frozen=True)
class Settings:
    mode: str
    reference: str | None = None
    current: str | None = None
    report: str | None = None
    columns: tuple[str, ...] | None = None
    categorical: tuple[str, ...] = ()
    method: str | None = None
    column_methods: Mapping[str, str] = field(default_factory=dict)
    column_thresholds: Mapping[str, float] = field(default_factory=dict)
    html: bool = True
    column_drift: str = "warn"  # the status of a drifted column: warn or fail


_err = OPTIONS.error


def _number(value: Any, key: str, low: float, high: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise _err(key, "must be a number")
    if not low <= float(value) <= high:
        raise _err(key, f"must be between {low:g} and {high:g}")
    return float(value)


def _thresholds(value: Any, mode: str) -> tuple[dict[str, float], dict[str, float]]:
    """(policy thresholds, per-column drift-detection thresholds)."""
    if value is None:
        return {}, {}
    if not isinstance(value, Mapping):
        raise _err("thresholds", "must be a mapping (drift_share, missing_share, columns)")
    unknown = sorted(set(value) - THRESHOLD_KEYS)
    if unknown:
        raise _err(
            f"thresholds.{unknown[0]}", f"unknown key (known: {', '.join(sorted(THRESHOLD_KEYS))})"
        )
    policy: dict[str, float] = {}
    if "drift_share" in value:
        policy["drift_share"] = _number(value["drift_share"], "thresholds.drift_share", 0.0, 1.0)
        if policy["drift_share"] == 0:
            raise _err("thresholds.drift_share", "must be above 0 (the share must stay below it)")
    if "missing_share" in value:
        policy["missing_share"] = _number(
            value["missing_share"], "thresholds.missing_share", 0.0, 1.0
        )
    columns: dict[str, float] = {}
    if value.get("columns") is not None:
        if mode == "report":
            raise _err(
                "thresholds.columns",
                "applies in run mode only (a stored report already carries its thresholds)",
            )
        raw = value["columns"]
        if not isinstance(raw, Mapping) or not raw:
            raise _err("thresholds.columns", "must map column names to drift thresholds")
        for name, number in raw.items():
            columns[str(name)] = _number(number, f"thresholds.columns.{name}", 0.0, float("inf"))
    return policy, columns


def parse(config: Mapping[str, Any], check_keys: KeyCheck) -> Settings:
    """The settings, or a CollectorConfigError naming the key; ``check_keys`` refuses typos."""
    mode = config.get("mode", "run")
    if mode not in ("run", "report"):
        raise _err("mode", "must be 'run' or 'report'")
    other = REPORT_KEYS if mode == "run" else RUN_KEYS
    misplaced = sorted(k for k in other if k in config)
    if misplaced:
        raise _err(misplaced[0], f"does not apply in mode '{mode}'")
    check_keys(config, BOTH_MODES_KEYS | (RUN_KEYS if mode == "run" else REPORT_KEYS))
    _, column_thresholds = _thresholds(config.get("thresholds"), mode)
    column_drift = config.get("column_drift", "warn")
    if column_drift not in ("warn", "fail"):
        raise _err("column_drift", "must be 'warn' or 'fail' (the status of a drifted column)")
    columns = (
        OPTIONS.columns(config["columns"], "columns") if config.get("columns") is not None else None
    )
    if mode == "report":
        return Settings(
            mode=mode,
            report=OPTIONS.required(config, "report", PATH),
            columns=columns,
            column_drift=column_drift,
        )
    categorical = (
        OPTIONS.columns(config["categorical"], "categorical") if config.get("categorical") else ()
    )
    method = config.get("method")
    if method is not None and (not isinstance(method, str) or not method):
        raise _err("method", "must be an evidently drift method name such as 'wasserstein'")
    methods = config.get("column_methods") or {}
    if not isinstance(methods, Mapping) or not all(
        isinstance(v, str) and v for v in methods.values()
    ):
        raise _err("column_methods", "must map column names to evidently drift method names")
    html = OPTIONS.flag(config, "html", default=True)
    for key, names in (("column_methods", methods), ("thresholds.columns", column_thresholds)):
        if columns is not None:
            outside = [n for n in names if n not in columns]
            if outside:
                raise _err(f"{key}.{outside[0]}", "is not one of the compared 'columns'")
    return Settings(
        mode=mode,
        reference=OPTIONS.required(config, "reference", PATH),
        current=OPTIONS.required(config, "current", PATH),
        columns=columns,
        categorical=categorical,
        method=method,
        column_methods={str(k): v for k, v in methods.items()},
        column_thresholds=column_thresholds,
        html=html,
        column_drift=column_drift,
    )
