"""GitLab Code Quality report (``artifacts:reports:codequality``): the merge-request widget and
the pipeline's Code Quality tab.

GitLab's format is a JSON array of CodeClimate-style issues; the fields it documents as required
are description, check_name, fingerprint, severity and location.path + location.lines.begin.
The issues are the same as SARIF's (see issues.py), anchored to the config line.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from .format import ReportContext, ReportFormat
from .issues import Issue, anchor_line, collect_issues, config_uri

# GitLab: info, minor, major, critical, blocker.
SEVERITIES = ("info", "minor", "major", "critical", "blocker")
_BY_SEVERITY = {"low": "minor", "medium": "major", "high": "critical", "critical": "blocker"}


def severity(issue: Issue) -> str:
    """A check keeps its own severity; anything that blocks the gate is at least major."""
    if issue.kind != "check":
        return "critical" if issue.kind == "gate" else "major"
    sev = _BY_SEVERITY.get(issue.severity, "major")
    if issue.status == "error":
        sev = max(sev, "critical", key=SEVERITIES.index)
    elif issue.status in ("warn", "inconclusive") and not issue.blocking:
        sev = "minor" if issue.severity in ("low", "medium") else sev
    if issue.blocking:
        sev = max(sev, "major", key=SEVERITIES.index)
    return sev


def build(assessment: Mapping[str, Any], ctx: ReportContext) -> list[dict[str, Any]]:
    issues, _checks = collect_issues(assessment, ctx)
    path = config_uri(assessment)
    out = []
    for issue in issues:
        entry: dict[str, Any] = {
            "type": "issue",
            "description": issue.message,
            "check_name": issue.rule_id,
            "fingerprint": issue.fingerprint,
            "severity": severity(issue),
            "categories": ["Security"],  # CodeClimate's list has nothing closer to "maturity"
            "location": {
                "path": path,
                "lines": {"begin": anchor_line(ctx.config_lines, issue.anchor)},
            },
        }
        out.append(entry)
    return out


def render(assessment: Mapping[str, Any], ctx: ReportContext) -> str:
    return json.dumps(build(assessment, ctx), indent=2, ensure_ascii=False) + "\n"


FORMAT = ReportFormat(
    name="codequality",
    filename="report.codequality.json",
    media_type="application/json",
    render=render,
)
