"""The pre-commit verdict (``aima-ci run --light``): each light check's result on one line, and
the exit code. Not a report format: it decides an exit code, which no format does, and its
question differs from the gate's (is what could be checked sound, not is the target reached)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .issues import check_summaries

LIGHT_FAILING = ("fail", "error", "not_run")


def light_verdict(assessment: Mapping[str, Any]) -> tuple[int, list[str]]:
    """``aima-ci run --light``: exit 1 when a check the light collectors ran fails or errors.

    Light collectors give evidence for only some questions, so the maturity gate would fail for
    want of the rest; a pre-commit hook instead asks whether what it could check is sound.
    """
    checks = check_summaries(assessment, [])
    bad = [s for s in checks.values() if s.status in LIGHT_FAILING]
    lines = []
    for s in sorted(checks.values(), key=lambda s: (s.status not in LIGHT_FAILING, s.check)):
        mark = "✗" if s.status in LIGHT_FAILING else "✓"
        lines.append(f"{mark} {s.check}: {s.status}" + (f" ({s.message})" if s.message else ""))
        if s.status in LIGHT_FAILING and s.next_step:
            lines.append(f"    next: {s.next_step}")
    if not checks:
        lines.append(
            "aima-ci --light: the configuration is valid; no light collector is configured"
        )
    else:
        verdict = (
            f"{len(bad)} of {len(checks)} light checks failing" if bad else "all light checks pass"
        )
        lines.append(f"aima-ci --light: {verdict} (the maturity gate runs in CI)")
    return (1 if bad else 0), lines
