"""OWASP ZAP: a DAST scan of the model's HTTP API as AIMA security-testing evidence.

Report mode only: teams already run ``zap-baseline.py``/``zap-api-scan.py``/the automation
framework in CI; this reads the "traditional JSON" report they write (``-J report.json``) and
counts alerts per risk (High / Medium / Low / Informational). A clean scan is a pass only if the
scan reached a site: a report with no site means ZAP scanned nothing, which must never read as
"no vulnerabilities". False-positive alerts (confidence 0) are ignored; ``min_confidence`` raises
the bar. Format: docs/collectors/zap.md.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from aima_ci_collectors._reportjson import need, read_report
from aima_ci_collectors._reportmode import check_thresholds, report_only, require_path

from aima_ci.models import Check, Finding, Status, Subject
from aima_ci.plugin import (
    Collector,
    CollectorConfigError,
    CollectorContext,
    InputError,
    load_checks,
)

NAME = "zap"
RISKS = {0: "Informational", 1: "Low", 2: "Medium", 3: "High"}
CONFIDENCES = {"false_positive": 0, "low": 1, "medium": 2, "high": 3, "confirmed": 4}
# check -> (riskcode, threshold key)
GATED = {
    "zap.high_risk": (3, "high"),
    "zap.medium_risk": (2, "medium"),
    "zap.low_risk": (1, "low"),
}


@dataclass(frozen=True)
class Alert:
    site: str
    name: str
    plugin: str
    risk: int
    confidence: int
    instances: int


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
        report = read_report(ctx)
        version, sites, alerts = parse_report(report.data, report.where)
        min_conf = CONFIDENCES[ctx.config.get("min_confidence", "low")]
        kept = [a for a in alerts if a.confidence >= min_conf]
        copy = report.keep(ctx, "zap-report.json")
        subjects = [ctx.subject("report", report.path)] + [
            Subject(kind="endpoint", name=site) for site in sites
        ]
        counts = {
            RISKS[r]: sum(1 for a in kept if a.risk == r) for r in sorted(RISKS, reverse=True)
        }
        details = {
            "zap_version": version,
            "sites": sites,
            "alerts_by_risk": counts,
            "ignored_below_confidence": len(alerts) - len(kept),
        }
        for check in self.enabled_checks(ctx.config):
            risk, key = GATED[check.id]
            limit = ctx.threshold(check.id, key)
            hits = sorted(
                (a for a in kept if a.risk == risk),
                key=lambda a: (-a.instances, a.name),
            )
            status = Status.PASS if limit is not None and len(hits) <= limit else Status.FAIL
            names = ", ".join(f"{a.name} [{a.instances}]" for a in hits[:5])
            more = f" and {len(hits) - 5} more" if len(hits) > 5 else ""
            message = (
                f"{len(hits)} {RISKS[risk]}-risk alert(s) across {len(sites)} site(s)"
                f" (allowed {limit:g})" + (f": {names}{more}" if hits else "")
            )
            yield ctx.finding(
                check.id,
                status,
                value=len(hits),
                threshold=limit,
                message=message,
                subjects=subjects,
                artefacts=[copy],
                details={
                    **details,
                    "alerts": [
                        {
                            "site": a.site,
                            "name": a.name,
                            "pluginid": a.plugin,
                            "instances": a.instances,
                        }
                        for a in hits[:50]
                    ],
                },
            )


def _code(value: Any, allowed: range, field: str, where: str) -> int:
    """ZAP writes riskcode/confidence as strings ("3"); accept ints too, refuse anything else."""
    if isinstance(value, bool):
        raise InputError(f"{where}: '{field}' must be a number, not a boolean")
    try:
        code = int(value)
    except (TypeError, ValueError):
        raise InputError(f"{where}: '{field}' is {value!r}, not a ZAP code") from None
    if code not in allowed:
        raise InputError(
            f"{where}: '{field}' is {code}, outside {allowed.start}-{allowed.stop - 1}"
        )
    return code


def parse_report(data: Any, where: str) -> tuple[str, list[str], list[Alert]]:
    """(ZAP version, site names, alerts) from a traditional JSON report; InputError on bad shape."""
    raw_sites = need(data, "site", (list, dict), where)
    if isinstance(raw_sites, dict):  # older reports held a single site as an object
        raw_sites = [raw_sites]
    if not raw_sites:
        raise InputError(
            f"{where}: the report lists no site: ZAP scanned nothing (is the target reachable?)"
        )
    version = str(data.get("@version") or "")
    sites: list[str] = []
    alerts: list[Alert] = []
    for i, site in enumerate(raw_sites):
        at = f"{where}: site[{i}]"
        name = need(site, "@name", str, at)
        sites.append(name)
        for j, alert in enumerate(need(site, "alerts", list, at)):
            here = f"{at}.alerts[{j}]"
            title = alert.get("name") or alert.get("alert") if isinstance(alert, Mapping) else None
            if not isinstance(title, str) or not title:
                raise InputError(f"{here}: missing the alert's 'name'")
            instances = alert.get("instances")
            count = (
                len(instances)
                if isinstance(instances, list)
                else _code(alert.get("count", 1), range(10**9), "count", here)
            )
            alerts.append(
                Alert(
                    site=name,
                    name=title,
                    plugin=str(alert.get("pluginid", "")),
                    risk=_code(
                        need(alert, "riskcode", (str, int), here),
                        range(4),
                        "riskcode",
                        here,
                    ),
                    confidence=_code(alert.get("confidence", "2"), range(5), "confidence", here),
                    instances=max(count, 1),
                )
            )
    return version, sites, alerts
