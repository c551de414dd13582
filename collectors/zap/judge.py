"""Judge: ZAP alerts (measure.py) -> one finding per gated risk level.

Alerts below ``min_confidence`` are ignored (false positives always are); each level passes
while its count stays within ``thresholds.<level>``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from aima_ci.models import Check, Finding, Status, Subject
from aima_ci.plugin import CollectorContext

from .measure import CONFIDENCES, RISKS, Scan
from .settings import ZapSettings

# check -> (riskcode, threshold key)
GATED = {
    "zap.high_risk": (3, "high"),
    "zap.medium_risk": (2, "medium"),
    "zap.low_risk": (1, "low"),
}


def findings(
    ctx: CollectorContext, settings: ZapSettings, scan: Scan, checks: Iterable[Check]
) -> Iterator[Finding]:
    version, sites, alerts, copy = scan.version, scan.sites, scan.alerts, scan.copy
    min_conf = CONFIDENCES[settings.min_confidence]
    kept = [a for a in alerts if a.confidence >= min_conf]
    subjects = [ctx.subject("report", scan.report)] + [
        Subject(kind="endpoint", name=site) for site in sites
    ]
    counts = {RISKS[r]: sum(1 for a in kept if a.risk == r) for r in sorted(RISKS, reverse=True)}
    details = {
        "zap_version": version,
        "sites": sites,
        "alerts_by_risk": counts,
        "ignored_below_confidence": len(alerts) - len(kept),
    }
    for check in checks:
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
