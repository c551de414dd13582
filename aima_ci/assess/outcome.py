"""The outcome policy: failing findings gate the build whatever the maturity target.

Maturity asks whether a practice's process exists; a bias, drift or attack finding is a fact
about the system being shipped. A fairness check that fails proves the assessment process works
(it earns its ``performed`` credit) and, at the same time, is a finding that must stop the build
when it is severe enough, as every scanner does: a failing ``outcome`` check with severity at or
above ``fail_on`` (config, default ``high``) fails the gate even at target level 0. Check
waivers apply (a waived finding does not gate); question waivers do not, since they waive a
maturity answer, not a finding.

Pure functions over plain data: the verdict is stored in ``assessment.json`` (``outcomes``) so
that ``aima-ci gate`` decides from the stored assessment without re-reading findings.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from aima_ci.models import SEVERITY_ORDER, Finding, Severity, Status, Waiver, weight

DEFAULT_FAIL_ON = "high"
# ``never``: findings are reported but never gate (maturity alone decides).
FAIL_ON_CHOICES = ("low", "medium", "high", "critical", "never")


@dataclass(frozen=True)
class OutcomeFinding:
    """One failing outcome check at or above the policy's severity."""

    check: str
    collector: str
    severity: str
    message: str
    findings: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "check": self.check,
            "collector": self.collector,
            "severity": self.severity,
            "message": self.message,
            "findings": self.findings,
        }


def gates(severity: Severity | str, fail_on: str) -> bool:
    """True when a finding of this severity fails the gate under ``fail_on``."""
    if fail_on == "never":
        return False
    return SEVERITY_ORDER[Severity(severity)] >= SEVERITY_ORDER[Severity(fail_on)]


def evaluate_outcomes(
    findings: Iterable[Finding],
    fail_on: str = DEFAULT_FAIL_ON,
    waivers: Iterable[Waiver] = (),
) -> dict[str, Any]:
    """The findings verdict: which failing outcome checks gate, and whether the build passes.

    Only ``fail`` counts: ``inconclusive`` is not a finding, and ``error``/``not_run`` are
    handled by the maturity score (no credit) and ``--fail-on-error``.
    """
    if fail_on not in FAIL_ON_CHOICES:
        raise ValueError(f"fail_on must be one of {', '.join(FAIL_ON_CHOICES)}")
    waived = {w.target for w in waivers}
    failing: dict[str, list[Finding]] = {}
    below: dict[str, int] = {}
    for f in findings:
        if f.kind != "outcome" or f.status is not Status.FAIL or f.check in waived:
            continue
        if gates(f.severity, fail_on):
            failing.setdefault(f.check, []).append(f)
        else:
            below[f.check] = below.get(f.check, 0) + weight(f)
    gating = [
        OutcomeFinding(
            check=check,
            collector=fs[0].collector,
            severity=str(max((f.severity for f in fs), key=SEVERITY_ORDER.__getitem__)),
            message=fs[0].message,
            findings=sum(weight(f) for f in fs),
        )
        for check, fs in sorted(failing.items())
    ]
    return {
        "fail_on": fail_on,
        "passed": not gating,
        "failing": [g.to_dict() for g in gating],
        "below_policy": dict(sorted(below.items())),
    }


def findings_passed(outcomes: Mapping[str, Any] | None) -> bool:
    """The stored verdict (assessments written before the policy existed have none: pass)."""
    return not outcomes or bool(outcomes.get("passed", True))
