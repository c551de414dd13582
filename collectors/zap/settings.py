"""The ``collectors.zap`` keys (public contract: docs/collectors/zap.md), declared once.

The runner parses the block with ``SPEC`` before any collector starts (a typo is exit 2 naming
the key) and hands the collector a ``ZapSettings``; the same declaration gives the JSON Schema
of aima.yaml and the table in the docs.
"""

from __future__ import annotations

from dataclasses import dataclass

from aima_ci.options import Choice, FilePath, Int, Option, Spec, Values


@dataclass(frozen=True)
class ZapSettings:
    report: str  # ZAP's traditional JSON report (-J), as configured
    min_confidence: str  # low | medium | high | confirmed: alerts below it are ignored


def _build(values: Values) -> ZapSettings:
    return ZapSettings(report=values["report"], min_confidence=values["min_confidence"])


SPEC = Spec(
    options=(
        Option(
            "report",
            FilePath("file"),
            required=True,
            missing="required: path to ZAP's JSON report (-J)",
            doc="ZAP's traditional JSON report (`-J report.json`, or the automation framework's"
            " `traditional-json` report).",
        ),
        Option(
            "min_confidence",
            Choice("low", "medium", "high", "confirmed", what="low, medium, high or confirmed"),
            default="low",
            doc="Alerts below this confidence are ignored (false positives always are).",
        ),
    ),
    thresholds={
        "high": Int(minimum=0, what="a whole number (0 or more)"),
        "medium": Int(minimum=0, what="a whole number (0 or more)"),
        "low": Int(minimum=0, what="a whole number (0 or more)"),
    },
    modes=("report",),
    build=_build,
)
