"""Scoring rules: the toolkit formula, the worksheet level rule and '+', and fail-closed credit."""

from __future__ import annotations

import pytest

from aima_ci.assess.catalogue import load_catalogue
from aima_ci.assess.scoring import aggregate_check, practice_level, practice_score, score
from aima_ci.models import Attestation, Finding, Status, Waiver

CAT = load_catalogue()


def att(qid: str, answer: str, value: float, date: str = "2026-11-01") -> Attestation:
    return Attestation(
        question=qid,
        value=value,
        answer=answer,
        owner="o",
        date=date,
        expires="2027-11-01",
        source=f"a.yaml#{qid}",
    )


def yes(qid: str) -> Attestation:
    return att(qid, "yes", 1.0)


def finding(check: str, status: Status, *questions: str) -> Finding:
    return Finding(
        check=check, collector="t", status=status, questions=questions, message=str(status)
    )


def values(**cells: float) -> dict[tuple[str, int], float]:
    """values(A1=1, B1=1, ...) with unspecified cells 0."""
    out = {(s, lvl): 0.0 for s in "AB" for lvl in (1, 2, 3)}
    for key, v in cells.items():
        out[(key[0], int(key[1]))] = v
    return out


# --- the pure practice rules, against hand-computed toolkit sums -------------------------------
@pytest.mark.parametrize(
    ("cells", "toolkit_answers", "level", "plus"),
    [
        ({}, [0, 0, 0, 0, 0, 0], 0, False),
        ({"A1": 1, "B1": 1, "A2": 1, "B2": 1, "A3": 1, "B3": 1}, [3, 3, 3, 3, 3, 3], 3, False),
        ({"A1": 1, "B1": 1, "A2": 1, "A3": 1}, [3, 3, 3, 0, 3, 0], 1, True),
        ({"A1": 1, "B1": 2 / 3, "A2": 1 / 3}, [3, 2, 1, 0, 0, 0], 0, True),
        ({"A1": 1, "B1": 1, "A2": 1, "B2": 1}, [3, 3, 3, 3, 0, 0], 2, False),
        # "+" follows the source: a question of the NEXT level (1) fully met; level-2/3
        # answers without any level-1 one are not partial progress towards level 1.
        ({"A2": 1, "B2": 1, "A3": 1, "B3": 1}, [0, 0, 3, 3, 3, 3], 0, False),
        # fractional credit shows in the score, never in the "+"
        ({"A1": 2 / 3, "B1": 2 / 3}, [2, 2, 0, 0, 0, 0], 0, False),
        ({"A1": 1, "B1": 1, "A2": 2 / 3, "B2": 1 / 3}, [3, 3, 2, 1, 0, 0], 1, False),
    ],
)
def test_practice_score_equals_toolkit_formula_and_level_rule(cells, toolkit_answers, level, plus):
    v = values(**cells)
    # OWASP AIMA toolkit V1.0.1: SUM(six answers on 0-3) / 6
    assert practice_score(v) == pytest.approx(sum(toolkit_answers) / 6)
    # ... which equals the sum over levels of mean(stream A, stream B)
    assert practice_score(v) == pytest.approx(
        sum((v[("A", lv)] + v[("B", lv)]) / 2 for lv in (1, 2, 3))
    )
    assert practice_level(v) == (level, plus)


def test_attestations_only_give_hand_computed_practice_domain_and_overall():
    # GOV-SM: L1 both yes, L2 A yes -> level 1+, score (3+3+3)/6 = 1.5
    # GOV-PC: all six yes -> level 3, score 3
    # GOV-EA: toolkit answers 3,3 at L1 -> level 1, score 1.0
    atts = [yes("GOV-SM-A1"), yes("GOV-SM-B1"), yes("GOV-SM-A2")]
    atts += [yes(f"GOV-PC-{s}{lv}") for s in "AB" for lv in (1, 2, 3)]
    atts += [att("GOV-EA-A1", "3", 1.0), att("GOV-EA-B1", "3", 1.0)]
    result = score(CAT, [], atts)
    gov = result.domain("GOV")
    sm, pc, ea = (result.practice(p) for p in ("GOV-SM", "GOV-PC", "GOV-EA"))
    assert (sm.level, sm.plus, sm.score) == (1, True, pytest.approx(1.5))
    assert (pc.level, pc.plus, pc.score) == (3, False, pytest.approx(3.0))
    assert (ea.level, ea.plus, ea.score) == (1, False, pytest.approx(1.0))
    assert gov.level == 1 and gov.plus is True
    assert gov.score == pytest.approx((1.5 + 3.0 + 1.0) / 3)
    assert result.level == 0  # other domains have nothing
    assert result.score == pytest.approx(gov.score / 8)
    assert result.plus is True


def test_question_value_is_fraction_of_passing_checks():
    fs = [
        finding("c.one", Status.PASS, "VER-ST-A1"),
        finding("c.two", Status.FAIL, "VER-ST-A1"),
        finding("c.three", Status.PASS, "VER-ST-A1"),
        finding("c.three", Status.PASS, "VER-ST-A1"),
    ]
    q = score(CAT, fs).questions()["VER-ST-A1"]
    assert q.basis == "automated"
    assert q.value == pytest.approx(2 / 3)
    assert not q.satisfied


@pytest.mark.parametrize("bad", [Status.ERROR, Status.NOT_RUN, Status.FAIL])
def test_only_pass_and_waived_earn_credit(bad):
    fs = [finding("c.one", Status.PASS, "VER-ST-A1"), finding("c.one", bad, "VER-ST-A1")]
    q = score(CAT, fs).questions()["VER-ST-A1"]
    assert q.value == 0.0
    assert q.checks[0].status is bad


@pytest.mark.parametrize("undecided", [Status.INCONCLUSIVE, Status.WARN])
def test_an_undecided_part_is_a_note_not_a_verdict(undecided):
    """Looking harder never lowers a score: a part without enough data beside a passing part
    leaves the pass (with a note); alone it earns nothing (legacy ``warn`` reads the same)."""
    both = [finding("c.one", Status.PASS, "VER-ST-A1"), finding("c.one", undecided, "VER-ST-A1")]
    q = score(CAT, both).questions()["VER-ST-A1"]
    assert q.value == 1.0 and q.checks[0].status is Status.PASS
    assert any(n.startswith("not decided") for n in q.checks[0].notes)
    alone = score(CAT, [finding("c.one", undecided, "VER-ST-A1")]).questions()["VER-ST-A1"]
    assert alone.value == 0.0 and alone.checks[0].status is undecided


def test_attestation_cannot_override_failing_check_and_conflict_is_reported():
    fs = [finding("c.one", Status.FAIL, "VER-ST-A1")]
    result = score(CAT, fs, [yes("VER-ST-A1")])
    q = result.questions()["VER-ST-A1"]
    assert q.value == 0.0 and q.basis == "automated"
    conflicts = [p for p in result.problems if p.kind == "conflict"]
    assert len(conflicts) == 1 and conflicts[0].id == "VER-ST-A1"
    assert "c.one" in conflicts[0].message


def test_not_applicable_only_falls_back_to_attestation():
    fs = [finding("c.one", Status.NOT_APPLICABLE, "VER-ST-A1")]
    q = score(CAT, fs, [yes("VER-ST-A1")]).questions()["VER-ST-A1"]
    assert (q.value, q.basis) == (1.0, "attestation")
    q2 = score(CAT, fs).questions()["VER-ST-A1"]
    assert (q2.value, q2.basis) == (0.0, "none")


def test_check_waiver_turns_fail_into_credit_but_never_error():
    waiver = Waiver(target="c.one", reason="r", owner="o", expires="2027-01-01")
    failing = score(CAT, [finding("c.one", Status.FAIL, "VER-ST-A1")], waivers=[waiver])
    q = failing.questions()["VER-ST-A1"]
    assert q.value == 1.0 and q.checks[0].status is Status.WAIVED
    assert failing.waivers_applied == (waiver,)
    erroring = score(CAT, [finding("c.one", Status.ERROR, "VER-ST-A1")], waivers=[waiver])
    assert erroring.questions()["VER-ST-A1"].value == 0.0
    assert erroring.waivers_applied == ()


def test_question_waiver_satisfies_and_is_recorded():
    waiver = Waiver(target="GOV-SM-A1", reason="r", owner="o", expires="2027-01-01")
    result = score(CAT, [], [yes("GOV-SM-B1")], [waiver])
    q = result.questions()["GOV-SM-A1"]
    assert (q.value, q.basis, q.waiver) == (1.0, "waived", waiver)
    assert result.practice("GOV-SM").level == 1


def test_latest_attestation_wins_and_duplicate_is_reported():
    old = att("GOV-SM-A1", "no", 0.0, date="2026-01-01")
    new = att("GOV-SM-A1", "yes", 1.0, date="2026-06-01")
    result = score(CAT, [], [new, old])
    assert result.questions()["GOV-SM-A1"].value == 1.0
    assert any(p.kind == "attestation" and "more than once" in p.message for p in result.problems)


def test_aggregate_check_worst_status_decides():
    fs = [finding("c", Status.PASS), finding("c", Status.NOT_RUN), finding("c", Status.ERROR)]
    agg = aggregate_check("c", fs)
    assert agg.status is Status.ERROR and not agg.credit
    assert agg.counts == {"error": 1, "not_run": 1, "pass": 1}


def test_finding_for_unknown_question_is_ignored_not_crashing():
    result = score(CAT, [finding("c", Status.PASS, "XXX-YY-A1")])
    assert result.score == 0


def test_check_result_carries_the_highest_severity():
    from dataclasses import replace

    from aima_ci.models import Severity

    fs = [
        replace(finding("c", Status.PASS), severity=Severity.LOW),
        replace(finding("c", Status.FAIL), severity=Severity.CRITICAL),
    ]
    assert aggregate_check("c", fs).to_dict()["severity"] == "critical"
