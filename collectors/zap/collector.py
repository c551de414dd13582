"""The zap collector class: OWASP ZAP, a DAST scan of the model's HTTP API as AIMA security-testing evidence.

Report mode only: teams already run ``zap-baseline.py``/``zap-api-scan.py``/the automation
framework in CI; this reads the "traditional JSON" report they write (``-J report.json``) and
counts alerts per risk (High / Medium / Low / Informational). A clean scan is a pass only if the
scan reached a site: a report with no site means ZAP scanned nothing, which must never read as
"no vulnerabilities". False-positive alerts (confidence 0) are ignored; ``min_confidence`` raises
the bar. measure.py reads the report, judge.py counts and judges. Format: docs/collectors/zap.md.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, ClassVar

from aima_ci_collectors._reportmode import check_thresholds, report_only, require_path

from aima_ci.models import Check, Finding
from aima_ci.plugin import (
    Collector,
    CollectorConfigError,
    CollectorContext,
    load_checks,
)

from .measure import CONFIDENCES

NAME = "zap"


class ZapCollector(Collector):
    name = NAME
    # Config paths preflight() checks before any collector runs.
    input_paths: ClassVar[Mapping[str, str]] = {"report": "file"}
    version = "0.1.0"
    description = "OWASP ZAP scan of the model's HTTP API (reads ZAP's traditional JSON report)"
    light = True  # reads one report file
    checks = load_checks(__file__)

    def validate_config(self, config: Mapping[str, Any]) -> None:
        self.check_keys(config, {"report", "min_confidence"})
        report_only(config, NAME, "run ZAP in CI, then point report: at its JSON")
        require_path(config, NAME, "report", "required: path to ZAP's JSON report (-J)")
        conf = config.get("min_confidence", "low")
        if not isinstance(conf, str) or conf not in CONFIDENCES or conf == "false_positive":
            raise CollectorConfigError(
                f"collectors.{NAME}.min_confidence",
                "must be low, medium, high or confirmed",
            )
        check_thresholds(config, NAME, ("high", "medium", "low"), "count")

    def enabled_checks(self, config: Mapping[str, Any]) -> tuple[Check, ...]:
        low_gated = "low" in (config.get("thresholds") or {})
        return tuple(c for c in self.checks if c.id != "zap.low_risk" or low_gated)

    def collect(self, ctx: CollectorContext) -> Iterator[Finding]:
        from .judge import findings
        from .measure import measure

        yield from findings(ctx, measure(ctx), self.enabled_checks(ctx.config))
