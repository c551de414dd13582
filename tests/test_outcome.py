"""The outcome policy: failing outcome checks gate whatever the maturity target (issue 13)."""

from __future__ import annotations

import pytest

from aima_ci.assess.catalogue import load_catalogue
from aima_ci.assess.gate import effective_target, evaluate
from aima_ci.assess.outcome import evaluate_outcomes, gates
from aima_ci.assess.scoring import score
from aima_ci.config import Target
from aima_ci.models import Finding, Link, Severity, Status, Waiver

CAT = load_catalogue()
FAIRNESS_LINKS = (
    Link("RAI-FB-A1", "performed", "direct", "the tool measured the groups"),
    Link("RAI-FB-A2", "performed", "direct", "a configured policy in CI"),
    Link("RAI-FB-B1", "effective", "partial", "within policy"),
)


def fairness(status: Status, severity: Severity = Severity.HIGH) -> Finding:
    return Finding(
        check="fairlearn.demographic_parity_ratio",
        collector="fairlearn",
        status=status,
        message="demographic parity ratio for sex 0.56 < 0.8",
        questions=tuple(x.question for x in FAIRNESS_LINKS),
        severity=severity,
        links=FAIRNESS_LINKS,
        kind="outcome",
    )


def gate_at_level_0(findings: list[Finding], waivers: list[Waiver] = ()):  # type: ignore[assignment]
    scored = score(CAT, findings, (), waivers)
    assessment = {
        "overall": {"score": scored.score, "level": scored.level, "plus": scored.plus},
        "domains": [d.to_dict() for d in scored.domains],
    }
    target = effective_target(Target(level=0), __import__("datetime").date(2026, 1, 1))
    outcomes = evaluate_outcomes(findings, "high", waivers)
    return scored, evaluate(assessment, target, outcomes=outcomes)


def test_a_failing_fairness_check_credits_the_process_and_fails_the_gate_at_level_0() -> None:
    scored, result = gate_at_level_0([fairness(Status.FAIL)])
    q = scored.questions()
    assert q["RAI-FB-A1"].satisfied and q["RAI-FB-A2"].satisfied  # the process ran
    assert q["RAI-FB-B1"].value == 0.0  # the outcome question is not credited
    assert result.passed is False
    assert [f.kind for f in result.failures] == ["finding"]
    assert result.to_dict()["verdicts"] == {"maturity": "passed", "findings": "failed"}


def test_a_waiver_on_the_check_lifts_the_finding() -> None:
    waiver = Waiver("fairlearn.demographic_parity_ratio", "CREDIT-142", "ml@x", "2026-02-01")
    _, result = gate_at_level_0([fairness(Status.FAIL)], [waiver])
    assert result.passed is True


@pytest.mark.parametrize(
    ("status", "severity", "gating"),
    [
        (Status.FAIL, Severity.HIGH, True),
        (Status.FAIL, Severity.CRITICAL, True),
        (Status.FAIL, Severity.MEDIUM, False),  # below the default fail_on: reported only
        (Status.INCONCLUSIVE, Severity.HIGH, False),  # not enough data is not a finding
        (Status.ERROR, Severity.HIGH, False),  # errors: maturity (no credit), --fail-on-error
        (Status.PASS, Severity.HIGH, False),
    ],
)
def test_only_failing_outcome_checks_at_or_above_fail_on_gate(status, severity, gating) -> None:
    out = evaluate_outcomes([fairness(status, severity)])
    assert out["passed"] is (not gating)


def test_process_checks_are_not_findings() -> None:
    f = fairness(Status.FAIL)
    process = Finding(**{**f.__dict__, "kind": "process", "check": "model_card.sections"})
    assert evaluate_outcomes([process])["passed"] is True


def test_fail_on_levels() -> None:
    assert gates("medium", "medium") and not gates("low", "medium")
    assert not gates("critical", "never")
    out = evaluate_outcomes([fairness(Status.FAIL, Severity.MEDIUM)], "medium")
    assert out["failing"][0]["check"] == "fairlearn.demographic_parity_ratio"
    with pytest.raises(ValueError):
        evaluate_outcomes([], "sometimes")


def test_bad_fail_on_in_config_is_exit_2_naming_the_key(tmp_path) -> None:
    from aima_ci.config import ConfigError, load_config

    path = tmp_path / "aima.yaml"
    path.write_text("version: 1\nfail_on: sometimes\n")
    with pytest.raises(ConfigError, match="fail_on"):
        load_config(path)
