"""The modelscan collector's config keys, parsed once into a typed value.

``mode`` is decided as the runner decides it (``run_mode``): an explicit ``mode``, else report
mode when ``report`` is set. Each mode needs its own path; ``min_severity`` must be one
modelscan knows, or a typo would quietly count nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from aima_ci_collectors._reportmode import check_thresholds, mode_of, require_path

from aima_ci.plugin import CollectorConfigError

NAME = "modelscan"
SEVERITIES = ("LOW", "MEDIUM", "HIGH", "CRITICAL")
KEYS = {"report", "path", "min_severity"}


@dataclass(frozen=True)
class Settings:
    mode: str  # run or report
    report: str | None = None  # report mode: modelscan's JSON as a CI step wrote it
    path: str | None = None  # run mode: the model file or folder to scan
    min_severity: str = "LOW"  # issues below it are listed, not counted


def parse(
    config: Mapping[str, Any], check_keys: Callable[[Mapping[str, Any], Iterable[str]], None]
) -> Settings:
    """The settings, or a CollectorConfigError naming the key; ``check_keys`` refuses typos."""
    check_keys(config, KEYS)
    mode = mode_of(config)
    if mode == "report":
        require_path(config, NAME, "report", "required in report mode: modelscan's JSON report")
    else:
        require_path(config, NAME, "path", "required in run mode: the model file or folder to scan")
    sev = config.get("min_severity", "low")
    if not isinstance(sev, str) or sev.upper() not in SEVERITIES:
        raise CollectorConfigError(
            f"collectors.{NAME}.min_severity",
            "must be low, medium, high or critical",
        )
    check_thresholds(config, NAME, ("unsafe_operators", "scan_errors"), "count")
    return Settings(
        mode=mode,
        report=config.get("report") if mode == "report" else None,
        path=config.get("path") if mode == "run" else None,
        min_severity=sev.upper(),
    )
