"""Framework views: item status from the mapped evidence, the precedence rules, the renderers, and
``aima-ci report --view`` end to end."""

from __future__ import annotations

import json
from typing import Any

import pytest

from aima_ci import reports
from aima_ci.assess.catalogue import load_catalogue
from aima_ci.assess.crosswalk import FRAMEWORKS, load_crosswalk
from aima_ci.errors import UserError
from aima_ci.reports import ReportContext
from aima_ci.reports.views import (
    ITEM_STATUSES,
    framework_view,
    framework_views,
    item_status,
)


def render_view(view: dict[str, Any], fmt: str, ctx: ReportContext) -> str:
    """A view through the format's own ``render_view``, as ``report --view`` renders it."""
    render = reports.get(fmt).render_view
    assert render is not None, fmt
    return render(view, ctx)


def blank_assessment() -> dict[str, Any]:
    """Every AIMA question, with no evidence: the shape assessment.json has."""
    cat = load_catalogue()
    domains = []
    for d in cat.domains:
        practices = []
        for p in d.practices:
            streams = [
                {
                    "id": s.id,
                    "letter": s.letter,
                    "title": s.title,
                    "score": 0.0,
                    "level": 0,
                    "questions": [
                        {
                            "id": q.id,
                            "level": q.level,
                            "stream": s.letter,
                            "value": 0.0,
                            "satisfied": False,
                            "basis": "none",
                            "checks": [],
                            "attestation": None,
                            "waiver": None,
                        }
                        for q in s.questions
                    ],
                }
                for s in p.streams
            ]
            practices.append(
                {
                    "id": p.id,
                    "name": p.name,
                    "score": 0.0,
                    "level": 0,
                    "plus": False,
                    "streams": streams,
                }
            )
        domains.append(
            {
                "id": d.id,
                "name": d.name,
                "score": 0.0,
                "level": 0,
                "plus": False,
                "practices": practices,
            }
        )
    return {"overall": {"score": 0, "level": 0, "plus": False}, "domains": domains}


def question(a: dict[str, Any], qid: str) -> dict[str, Any]:
    for d in a["domains"]:
        for p in d["practices"]:
            for s in p["streams"]:
                for q in s["questions"]:
                    if q["id"] == qid:
                        return q
    raise KeyError(qid)


def automated(a: dict[str, Any], qid: str, check: str, status: str, message: str = "") -> None:
    q = question(a, qid)
    credit = status in ("pass", "waived")
    q["checks"].append(
        {
            "check": check,
            "status": status,
            "credit": credit,
            "message": message,
            "collector": check.split(".")[0],
        }
    )
    passing = sum(1 for c in q["checks"] if c["credit"]) / len(q["checks"])
    q.update(basis="automated", value=passing, satisfied=passing == 1)


def attest(a: dict[str, Any], qid: str, answer: str) -> None:
    q = question(a, qid)
    value = 1.0 if answer == "yes" else 0.0
    q.update(
        basis="attestation",
        value=value,
        satisfied=value == 1.0,
        attestation={
            "answer": answer,
            "owner": "ciso@example.org",
            "date": "2025-01-01",
            "expires": "2026-01-01",
        },
    )


def item(view: dict[str, Any], iid: str) -> dict[str, Any]:
    return next(i for i in view["items"] if i["id"] == iid)


def test_blank_assessment_has_no_evidence_anywhere() -> None:
    views = framework_views(blank_assessment())
    assert list(views) == list(FRAMEWORKS)
    for fid, view in views.items():
        # no LLM collector ran: the LLM Top 10 does not apply (and so fails nothing)
        expect = "not_applicable" if fid == "owasp-llm-2025" else "none"
        assert view["summary"][expect] == view["summary"]["total"] == len(load_crosswalk(fid).items)
        assert all(m["status"] == "none" for i in view["items"] for m in i["mappings"])


def test_failing_automated_evidence_makes_the_item_failing() -> None:
    a = blank_assessment()
    automated(a, "VER-ST-A2", "zap.high_risk", "fail", "2 High alerts")
    automated(a, "VER-ST-A1", "zap.high_risk", "fail", "2 High alerts")
    view = framework_view(a, "nist-ai-rmf")
    m27 = item(view, "MEASURE 2.7")
    assert m27["status"] == "failing"
    direct = next(m for m in m27["mappings"] if m["ref"] == "VER-ST-A2")
    assert direct["status"] == "fail" and "automated" in direct["detail"]
    zap = next(m for m in m27["mappings"] if m["ref"] == "zap.high_risk")
    assert zap["status"] == "fail" and "2 High alerts" in zap["detail"]


def test_covered_only_when_every_direct_link_is_satisfied() -> None:
    """Issue 13: one passing link among unmet direct ones is partial, never covered."""
    a = blank_assessment()
    automated(a, "RAI-FB-A2", "aif360.disparate_impact", "pass")
    attest(a, "RAI-FB-A3", "yes")
    # MEASURE 2.11's direct question link RAI-FB-A2 is met; checks of a tool not used (fairlearn
    # here) are left out: covered
    assert item(framework_view(a, "nist-ai-rmf"), "MEASURE 2.11")["status"] == "covered"
    # EU AI Act Art. 10 is not covered by one passing data check while its other direct
    # questions (governance, training data, bias) are unmet
    b = blank_assessment()
    automated(b, "DAT-QI-A2", "evidently.missing_values", "pass")
    assert item(framework_view(b, "eu-ai-act"), "Art. 10")["status"] == "partial"


def test_warnings_and_inconclusive_checks_are_not_failures() -> None:
    for status in ("warn", "inconclusive"):
        a = blank_assessment()
        automated(a, "RAI-FB-A2", "aif360.disparate_impact", status)
        mapping = next(
            m
            for m in item(framework_view(a, "nist-ai-rmf"), "MEASURE 2.11")["mappings"]
            if m["ref"] == "aif360.disparate_impact"
        )
        assert mapping["status"] == "none", status


def test_llm_view_of_a_tabular_only_run_fails_nothing() -> None:
    """A failing fairness check must not reach the LLM Top 10 when no LLM collector ran."""
    a = blank_assessment()
    for qid in ("RAI-FB-A2", "DES-SR-A2", "VER-ST-A2"):
        automated(a, qid, "fairlearn.demographic_parity_ratio", "fail", "ratio 0.56")
    a["collectors"] = [{"name": "fairlearn", "status": "ok"}, {"name": "evidently", "status": "ok"}]
    view = framework_view(a, "owasp-llm-2025")
    assert view["applicable"] is False and view["summary"]["failing"] == 0
    assert {i["status"] for i in view["items"]} == {"not_applicable"}
    text = render_view(view, "text", ReportContext())
    assert "not applicable to this run" in text and "garak, promptfoo, retrieval" in text
    # as soon as an LLM collector ran, the same evidence is judged
    a["collectors"].append({"name": "garak", "status": "ok"})
    automated(a, "VER-ST-A1", "garak.scan", "pass")
    assert framework_view(a, "owasp-llm-2025")["applicable"] is True


def test_attestation_only_is_attested_and_a_no_is_failing() -> None:
    a = blank_assessment()
    attest(a, "GOV-EA-A2", "yes")
    assert item(framework_view(a, "eu-ai-act"), "Art. 4")["status"] == "attested"
    attest(a, "GOV-EA-A1", "no")
    assert item(framework_view(a, "eu-ai-act"), "Art. 4")["status"] == "failing"


def test_supporting_mappings_are_shown_but_never_decide() -> None:
    a = blank_assessment()
    attest(a, "GOV-EA-A2", "yes")
    attest(a, "GOV-EA-A3", "no")  # a level-3 aspiration mapped as supporting
    art4 = item(framework_view(a, "eu-ai-act"), "Art. 4")
    assert art4["status"] == "attested"
    assert next(m for m in art4["mappings"] if m["ref"] == "GOV-EA-A3")["status"] == "fail"
    b = blank_assessment()
    attest(b, "GOV-EA-A3", "yes")  # supporting evidence alone covers nothing
    assert item(framework_view(b, "eu-ai-act"), "Art. 4")["status"] == "none"


def test_check_mappings_use_the_worst_result_and_not_run_is_no_evidence() -> None:
    a = blank_assessment()
    automated(a, "VER-ST-A1", "promptfoo.redteam", "pass")
    automated(a, "VER-ST-A2", "promptfoo.redteam", "error", "report truncated")
    t51 = item(framework_view(a, "atlas"), "AML.T0051")
    assert t51["status"] == "failing"
    assert "report truncated" in t51["mappings"][0]["detail"]
    b = blank_assessment()
    automated(b, "IMP-SB-B1", "modelscan.unsafe_operators", "not_run", "stale")
    assert item(framework_view(b, "atlas"), "AML.T0011.000")["status"] == "none"
    automated(b, "IMP-SB-B2", "modelscan.unsafe_operators", "pass")
    # the worst of the two results (not_run) still decides: no fresh evidence
    assert item(framework_view(b, "atlas"), "AML.T0011.000")["status"] == "none"


def test_a_glob_mapping_takes_the_worst_check_of_the_family() -> None:
    a = blank_assessment()
    automated(a, "DES-TA-B1", "garak.dan", "pass")
    automated(a, "DES-SA-A2", "garak.encoding", "fail", "12% of encoded injections got through")
    art15 = item(framework_view(a, "eu-ai-act"), "Art. 15")
    family = next(m for m in art15["mappings"] if m["ref"] == "garak.*")
    assert family["status"] == "fail"
    assert family["detail"].startswith("garak.encoding (worst of 2): fail")
    assert art15["status"] == "failing"


def test_waived_question_shows_as_waived() -> None:
    a = blank_assessment()
    question(a, "OPS-IM-A2").update(
        basis="waived",
        value=1.0,
        satisfied=True,
        waiver={"expires": "2030-01-01", "owner": "x", "reason": "y"},
    )
    assert item(framework_view(a, "eu-ai-act"), "Art. 73")["status"] == "waived"


@pytest.mark.parametrize(
    ("statuses", "expected"),
    [
        ([("pass", "direct"), ("fail", "partial")], "failing"),
        ([("pass", "direct"), ("attested", "partial")], "covered"),
        ([("attested", "partial"), ("waived", "direct")], "waived"),
        ([("none", "direct"), ("fail", "supporting")], "none"),
        ([("waived", "partial"), ("none", "direct")], "partial"),
        ([("pass", "direct"), ("none", "direct")], "partial"),  # not every direct link met
        ([("pass", "partial")], "partial"),  # partial links alone never cover
        ([("pass", "direct"), ("attested", "direct")], "covered"),
    ],
)
def test_item_status_precedence(statuses: list[tuple[str, str]], expected: str) -> None:
    assert item_status([{"status": s, "strength": k} for s, k in statuses]) == expected
    assert expected in ITEM_STATUSES


def test_renderers_escape_and_carry_the_notice() -> None:
    a = blank_assessment()
    automated(a, "VER-ST-A2", "zap.high_risk", "fail", "alert | with <b>pipe</b>\nnewline")
    view = framework_view(a, "owasp-llm-2025")
    ctx = ReportContext()
    text = render_view(view, "text", ctx)
    assert view["notice"] in text and "LLM01" in text and "Prompt Injection" in text
    md = render_view(view, "markdown", ctx)
    assert "not part of OWASP AIMA" in md
    table_rows = [line for line in md.splitlines() if line.startswith("| **LLM")]
    assert len(table_rows) == 10
    assert all(line.count(" | ") == 3 for line in table_rows)  # no cell broke the table
    assert json.loads(render_view(view, "json", ctx)) == view
    assert reports.get("sarif").render_view is None
    with pytest.raises(UserError, match="renders as text, markdown or json, not sarif"):
        reports.render("sarif", a, ctx, view="owasp-llm-2025")


def test_report_view_cli_end_to_end(repo, write_config, cli) -> None:
    write_config({"collectors": {"testplugin": {}}})
    assert cli("run", cwd=repo).returncode in (0, 1)
    res = cli("report", "--view", "eu-ai-act", cwd=repo)
    assert res.returncode == 0, res.stderr
    assert "EU Artificial Intelligence Act" in res.stdout and "Art. 15" in res.stdout
    assert "not part of OWASP AIMA" in res.stdout
    res = cli("report", "--view", "atlas", "--format", "json", cwd=repo)
    assert res.returncode == 0, res.stderr
    assert json.loads(res.stdout)["id"] == "atlas"
    md = cli("report", "--view", "iso-42001", "-f", "markdown", "-o", str(repo / "v.md"), cwd=repo)
    assert md.returncode == 0 and "| **A.2**" in (repo / "v.md").read_text()
    bad = cli("report", "--view", "soc2", cwd=repo)
    assert bad.returncode == 2
