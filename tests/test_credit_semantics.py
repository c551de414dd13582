"""Credit semantics of issue 13 that cut across scoring and explanations."""

from __future__ import annotations

from aima_ci.assess.catalogue import load_catalogue
from aima_ci.assess.explain import question_next_step, question_reason
from aima_ci.assess.scoring import score
from aima_ci.models import Finding, Link, Status

CAT = load_catalogue()
FAIR = (
    Link("RAI-FB-A1", "performed", "direct", "measured per group"),
    Link("RAI-FB-B1", "effective", "partial", "within policy"),
)


def fairness(status: Status, notes: tuple[str, ...] = (), message: str = "") -> Finding:
    return Finding(
        check="fairlearn.demographic_parity_ratio",
        collector="fairlearn",
        status=status,
        message=message,
        questions=("RAI-FB-A1", "RAI-FB-B1"),
        links=FAIR,
        kind="outcome",
        notes=notes,
        next_step="mitigate the bias (reweighing ...)",
    )


def _q(findings: list[Finding], qid: str) -> dict:
    return score(CAT, findings).questions()[qid].to_dict()


def test_a_group_size_note_keeps_credit_and_gets_no_mitigation_advice() -> None:
    note = "region: tiny (5 rows < min_group_size 30) not judged (group size)"
    q = _q([fairness(Status.PASS, (note,))], "RAI-FB-A1")
    assert q["satisfied"] and question_next_step(q) == ""
    assert note in question_reason(q)


def test_inconclusive_asks_for_data_not_mitigation() -> None:
    q = _q([fairness(Status.INCONCLUSIVE, message="fewer than two groups")], "RAI-FB-A1")
    assert q["value"] == 0.0
    step = question_next_step(q)
    assert "enough data" in step and "mitigate" not in step


def test_partial_links_alone_never_give_full_credit() -> None:
    q = _q([fairness(Status.PASS)], "RAI-FB-B1")
    assert q["basis"] == "partial" and q["value"] == 0.5 and not q["satisfied"]
    assert "partial" in question_reason(q) and "attestation" in question_next_step(q)


def test_org_scope_questions_are_answered_by_attestation_only() -> None:
    assert CAT.questions["RAI-TE-A3"].org_scope
    f = Finding(
        check="pipeline.explainability_checks",
        collector="pipeline",
        status=Status.PASS,
        questions=("RAI-TE-A3",),  # an old-style (or third-party) link to an org-scope question
    )
    q = _q([f], "RAI-TE-A3")
    assert q["value"] == 0.0 and q["basis"] == "none" and q["org_scope"] is True
    assert "organisation-scope" in question_reason(q)
    assert "attestation" in question_next_step(q)


def test_old_evidence_without_links_reads_as_before() -> None:
    """Findings written before links existed: every question an effective, direct link."""
    old = {
        "check": "zap.high_risk",
        "collector": "zap",
        "status": "warn",
        "questions": ["VER-ST-A1"],
        "severity": "high",
    }
    f = Finding.from_dict(old)
    assert f.kind == "process" and f.links == () and f.notes == ()
    assert [(x.question, x.shows, x.strength) for x in f.question_links] == [
        ("VER-ST-A1", "effective", "direct")
    ]
    q = _q([f], "VER-ST-A1")
    assert q["value"] == 0.0 and q["checks"][0]["status"] == "warn"  # legacy warn: no credit
    roundtrip = Finding.from_dict(fairness(Status.PASS, ("n",)).to_dict())
    assert roundtrip.links == FAIR and roundtrip.notes == ("n",) and roundtrip.kind == "outcome"


def test_performed_credits_a_verdict_either_way_but_never_error_or_stale() -> None:
    assert _q([fairness(Status.PASS)], "RAI-FB-A1")["satisfied"]
    assert _q([fairness(Status.FAIL)], "RAI-FB-A1")["satisfied"]  # the process ran
    for nothing in (Status.ERROR, Status.NOT_RUN, Status.INCONCLUSIVE):  # not_run = stale too
        assert _q([fairness(nothing)], "RAI-FB-A1")["value"] == 0.0, nothing
    # one part erroring beside a verdict is still an error: no credit (fail closed)
    assert _q([fairness(Status.FAIL), fairness(Status.ERROR)], "RAI-FB-A1")["value"] == 0.0
