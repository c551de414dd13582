"""The pre-commit verdict (``run --light``): exit 1 only when a light check fails, errors or did
not run, each check on one line, failing ones first with their next step."""

from __future__ import annotations

from typing import Any

from aima_ci.reports.light import light_verdict


def assessment(*checks: tuple[str, str, str]) -> dict[str, Any]:
    """One practice whose question is answered by the given (check, status, next step)."""
    question = {
        "id": "GOV-PC-A1",
        "satisfied": False,
        "checks": [
            {
                "check": c,
                "collector": c.split(".")[0],
                "status": s,
                "message": f"{c} said {s}",
                "next_step": n,
                "credit": s == "pass",
            }
            for c, s, n in checks
        ],
    }
    practice = {"id": "GOV-PC", "streams": [{"questions": [question]}]}
    return {"domains": [{"id": "GOV", "practices": [practice]}]}


def test_a_failing_light_check_exits_1_and_comes_first() -> None:
    code, lines = light_verdict(
        assessment(
            ("model_card.present", "pass", ""),
            ("policy.deny", "fail", "fix the model card front-matter"),
            ("provenance.sha256", "not_run", ""),
        )
    )
    assert code == 1
    assert lines[0] == "✗ policy.deny: fail (policy.deny said fail)"
    assert lines[1] == "    next: fix the model card front-matter"
    assert lines[2] == "✗ provenance.sha256: not_run (provenance.sha256 said not_run)"
    assert lines[3] == "    next: make provenance.sha256 run (provenance.sha256 said not_run)"
    assert lines[4] == "✓ model_card.present: pass (model_card.present said pass)"
    assert lines[-1] == (
        "aima-ci --light: 2 of 3 light checks failing (the maturity gate runs in CI)"
    )


def test_warnings_do_not_block_a_commit() -> None:
    code, lines = light_verdict(
        assessment(("model_card.present", "pass", ""), ("threat_model.current", "warn", "x"))
    )
    assert code == 0 and lines[-1].endswith("all light checks pass (the maturity gate runs in CI)")


def test_no_light_collector_is_said_so() -> None:
    code, lines = light_verdict({"domains": []})
    assert code == 0
    assert lines == [
        "aima-ci --light: the configuration is valid; no light collector is configured"
    ]
