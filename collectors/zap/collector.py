"""The zap collector class: OWASP ZAP, a DAST scan of the model's HTTP API, as AIMA
security-testing evidence.

Report mode only: teams already run ``zap-baseline.py``/``zap-api-scan.py``/the automation
framework in CI; this reads the "traditional JSON" report they write (``-J report.json``) and
counts alerts per risk (High / Medium / Low / Informational). A clean scan is a pass only if the
scan reached a site: a report with no site means ZAP scanned nothing, which must never read as
"no vulnerabilities". False-positive alerts (confidence 0) are ignored; ``min_confidence`` raises
the bar. settings.py declares the keys, measure.py reads the report, judge.py counts and judges.
Format: docs/collectors/zap.md.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from aima_ci.models import Check, Finding
from aima_ci.plugin import Collector, CollectorContext, load_checks

from .settings import SPEC, ZapSettings

NAME = "zap"


class ZapCollector(Collector):
    name = NAME
    version = "0.1.0"
    description = "OWASP ZAP scan of the model's HTTP API (reads ZAP's traditional JSON report)"
    light = True  # reads one report file
    checks = load_checks(__file__)
    spec = SPEC  # the keys, parsed once into ctx.settings; preflight checks its report path

    def enabled_checks(self, config: Mapping[str, Any]) -> tuple[Check, ...]:
        low_gated = "low" in (config.get("thresholds") or {})
        return tuple(c for c in self.checks if c.id != "zap.low_risk" or low_gated)

    def collect(self, ctx: CollectorContext) -> Iterator[Finding]:
        from .judge import findings
        from .measure import measure

        settings: ZapSettings = ctx.settings
        yield from findings(ctx, settings, measure(ctx, settings), self.enabled_checks(ctx.config))
