"""The ``collectors.modelscan`` keys (public contract: docs/collectors/modelscan.md), declared once.

``mode`` follows the rule every collector with a report mode shares: an explicit ``mode``, else
report mode when ``report`` is set. Each mode needs its own path; ``min_severity`` must be one
modelscan knows, or a typo would quietly count nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from aima_ci.options import FilePath, Int, Option, Spec, Text, Values

NAME = "modelscan"
SEVERITIES = ("LOW", "MEDIUM", "HIGH", "CRITICAL")
COUNT = Int(minimum=0, what="a whole number (0 or more)")


@dataclass(frozen=True)
class Settings:
    mode: str  # run or report
    report: str | None = None  # report mode: modelscan's JSON as a CI step wrote it
    path: str | None = None  # run mode: the model file or folder to scan
    min_severity: str = "LOW"  # issues below it are listed, not counted


def _build(values: Values) -> Settings:
    # Each mode's path is required in that mode; the other mode's key is tolerated (as before
    # the spec), so a block that names both keeps working when its mode is switched.
    if values.mode == "report" and values["report"] is None:
        raise values.error("report", "required in report mode: modelscan's JSON report")
    if values.mode == "run" and values["path"] is None:
        raise values.error("path", "required in run mode: the model file or folder to scan")
    severity = values["min_severity"].upper()
    if severity not in SEVERITIES:
        raise values.error("min_severity", "must be low, medium, high or critical")
    return Settings(
        mode=values.mode or "run",
        report=values["report"],
        path=values["path"],
        min_severity=severity,
    )


SPEC = Spec(
    options=(
        Option(
            "report",
            FilePath("file"),
            doc="Required in report mode: the JSON a CI step wrote (`modelscan -p models -r json -o out.json`).",
        ),
        Option(
            "path",
            FilePath("any"),
            doc="Required in run mode: the model file or folder modelscan scans (in a child process; nothing is loaded).",
        ),
        Option(
            "min_severity",
            Text(what="low, medium, high or critical"),
            default="low",
            doc="Issues below this severity are listed but not counted (`low` .. `critical`).",
        ),
    ),
    thresholds={"unsafe_operators": COUNT, "scan_errors": COUNT},
    modes=("run", "report"),
    build=_build,
)
