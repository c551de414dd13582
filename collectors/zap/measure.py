"""Measure: read ZAP's traditional JSON report (``-J``) into sites and alerts, keep a copy.

Raw results only; judge.py counts and judges them. Every malformed shape is an InputError
naming the JSON path, so a damaged report is ``error``, never a clean scan.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aima_ci_collectors._reportjson import need, open_report

from aima_ci.plugin import CollectorContext, InputError

from .settings import ZapSettings

RISKS = {0: "Informational", 1: "Low", 2: "Medium", 3: "High"}
CONFIDENCES = {"false_positive": 0, "low": 1, "medium": 2, "high": 3, "confirmed": 4}


@dataclass(frozen=True)
class Alert:
    site: str
    name: str
    plugin: str
    risk: int
    confidence: int
    instances: int


@dataclass(frozen=True)
class Scan:
    """What the report says, and where the judged bytes are kept."""

    report: Path  # the file as configured
    copy: Path  # the copy in the artefact folder
    version: str
    sites: list[str]
    alerts: list[Alert]


def measure(ctx: CollectorContext, settings: ZapSettings) -> Scan:
    report = open_report(ctx, settings.report)
    version, sites, alerts = parse_report(report.data, report.where)
    copy = report.keep(ctx, "zap-report.json")
    return Scan(report.path, copy, version, sites, alerts)


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
