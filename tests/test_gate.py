"""Gate decisions over an assessment dict: domain/practice/score targets, schedules, collectors."""

from __future__ import annotations

import datetime as dt

import pytest

from aima_ci.assess.catalogue import load_catalogue
from aima_ci.assess.gate import effective_target, evaluate
from aima_ci.assess.scoring import score
from aima_ci.config import Target
from aima_ci.models import Attestation

CAT = load_catalogue()
TODAY = dt.date(2026, 11, 26)


def assessment_with_levels(levels: dict[str, int]) -> dict:
    """A real scored assessment where each listed practice is answered yes up to its level."""
    atts = []
    for pid, level in levels.items():
        for s in "AB":
            for lvl in range(1, level + 1):
                atts.append(
                    Attestation(f"{pid}-{s}{lvl}", 1.0, "yes", "o", "2026-11-01", "2027-11-01")
                )
    scored = score(CAT, [], atts)
    return {
        "overall": {"score": scored.score, "level": scored.level, "plus": scored.plus},
        "domains": [d.to_dict() for d in scored.domains],
    }


ALL_ONE = {p: 1 for p in CAT.practices}


def test_all_practices_at_target_passes():
    result = evaluate(assessment_with_levels(ALL_ONE), effective_target(Target(level=1), TODAY))
    assert result.passed and result.failures == ()


def test_one_practice_below_fails_its_domain_and_names_the_practice():
    levels = {**ALL_ONE, "VER-ST": 0}
    result = evaluate(assessment_with_levels(levels), effective_target(Target(level=1), TODAY))
    assert not result.passed
    (failure,) = result.failures
    assert (failure.kind, failure.id, failure.expected, failure.actual) == (
        "domain_level",
        "VER",
        1,
        0,
    )
    assert "VER-ST" in failure.message


def test_domain_override_lowers_and_raises_the_bar():
    levels = {**ALL_ONE, "GOV-SM": 0}
    relaxed = Target(level=1, domains={"GOV": {"level": 0}})
    assert evaluate(assessment_with_levels(levels), effective_target(relaxed, TODAY)).passed
    strict = Target(level=1, domains={"VER": {"level": 2}})
    result = evaluate(assessment_with_levels(ALL_ONE), effective_target(strict, TODAY))
    assert [f.id for f in result.failures] == ["VER"]


def test_practice_target_and_scores():
    target = Target(level=1, practices={"VER-ST": {"level": 2, "score": 2.0}}, score=2.5)
    result = evaluate(assessment_with_levels(ALL_ONE), effective_target(target, TODAY))
    kinds = sorted(f.kind for f in result.failures)
    assert kinds == ["overall_score", "practice_level", "practice_score"]


def test_schedule_raises_level_on_its_date():
    target = Target(level=1, schedule=({"date": "2027-03-01", "level": 2},))
    before = effective_target(target, dt.date(2027, 2, 28))
    after = effective_target(target, dt.date(2027, 3, 1))
    assert (before.level, after.level) == (1, 2)
    assert after.schedule_entry == "2027-03-01"
    assert evaluate(assessment_with_levels(ALL_ONE), before).passed
    assert not evaluate(assessment_with_levels(ALL_ONE), after).passed


def test_cli_level_override_beats_config_and_schedule():
    target = Target(level=2, schedule=({"date": "2020-01-01", "level": 3},))
    assert effective_target(target, TODAY, level_override=0).level == 0


@pytest.mark.parametrize(
    ("runs", "passed"),
    [
        ({"fair": {"status": "ok"}}, True),
        ({"fair": {"status": "reused"}}, True),
        ({"fair": {"status": "error", "message": "boom"}}, False),
        ({"fair": {"status": "timeout"}}, False),
        ({"fair": {"status": "not_installed"}}, False),
        ({}, False),
    ],
)
def test_required_collector_must_have_run(runs, passed):
    result = evaluate(
        assessment_with_levels(ALL_ONE),
        effective_target(Target(level=1), TODAY),
        required_collectors=["fair"],
        collector_runs=runs,
    )
    assert result.passed is passed
    if not passed:
        assert result.failures[0].kind == "required_collector"


def test_no_regression_against_baseline():
    baseline = assessment_with_levels({**ALL_ONE, "VER-ST": 2})
    now = assessment_with_levels(ALL_ONE)
    target = Target(level=1, no_regression=True)
    result = evaluate(now, effective_target(target, TODAY), baseline=baseline)
    assert [(f.kind, f.id, f.expected, f.actual) for f in result.failures] == [
        ("regression", "VER-ST", 2, 1)
    ]
    # without no_regression the same drop is fine while above target
    assert evaluate(now, effective_target(Target(level=1), TODAY), baseline=baseline).passed
