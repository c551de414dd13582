"""Question coverage: computed from declared checks, third-party plugins included."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from aima_ci.assess import coverage
from aima_ci.assess.catalogue import load_catalogue
from aima_ci.cli.main import cli
from aima_ci.models import Check

ROOT = Path(__file__).resolve().parents[1]
CHECKS = {
    "alpha": (
        Check("alpha.one", "One", ("VER-ST-A1", "VER-ST-A2")),
        Check("alpha.two", "Two", ("VER-ST-A1",)),
    ),
    "beta": (Check("beta.x", "X", ("OPS-IM-A1", "NOPE-XX-A9")),),
}


def test_compute_maps_checks_to_questions() -> None:
    cov = coverage.compute(load_catalogue(), CHECKS)
    rows = {q.id: q for q in cov.questions}
    assert len(rows) == 144
    assert rows["VER-ST-A1"].checks == ("alpha.one", "alpha.two")
    assert rows["VER-ST-A1"].collectors == ("alpha",)
    assert rows["VER-ST-A1"].answerable_by == "both"
    assert rows["GOV-EA-A1"].answerable_by == "attestation" and rows["GOV-EA-A1"].checks == ()
    assert cov.automated == 3
    assert cov.unknown_questions == {"beta.x": ("NOPE-XX-A9",)}
    s = cov.summary()
    assert s["with_automated_checks"] == 3 and s["attestation_only"] == 141
    assert s["by_collector"] == {"alpha": 2, "beta": 1}
    assert s["by_domain"]["VER"] == {"direct": 2, "partial": 0, "total": 18}
    assert s["meets_target"] is False


def test_enabled_restricts_to_one_configuration() -> None:
    cov = coverage.compute(load_catalogue(), CHECKS, enabled=["beta"])
    assert [q.id for q in cov.questions if q.checks] == ["OPS-IM-A1"]
    assert "VER-ST-A1" in coverage.uncovered(cov)


def test_restrict_to_a_practice_drops_the_target() -> None:
    cov = coverage.compute(load_catalogue(), CHECKS)
    part = coverage.restrict(cov, [q.id for q in cov.questions if q.practice == "VER-ST"])
    assert len(part.questions) == 6
    assert part.summary()["target"] is None
    assert "(target" not in coverage.render_text(part)
    assert (
        coverage.restrict(cov, [q.id for q in cov.questions]).summary()["target"] == coverage.TARGET
    )


def test_renderers() -> None:
    cov = coverage.compute(load_catalogue(), CHECKS)
    text = coverage.render_text(cov)
    assert text.startswith(
        f"3 of 144 AIMA questions have direct automated checks (target {coverage.TARGET})"
    )
    assert "  VER-ST-A1  both        alpha.one, alpha.two" in text
    assert "NOPE-XX-A9" in text  # a plugin naming an unknown question is called out
    md = coverage.render_markdown(cov)
    assert "| VER-ST-A1 | 1 | A |" in md and "`alpha.one`<br>`alpha.two`" in md
    assert md.count("\n| ") >= 144
    data = json.loads(coverage.render_json(cov))
    assert data["summary"]["with_automated_checks"] == 3
    assert {q["answerable_by"] for q in data["questions"]} == {"both", "attestation"}


def test_first_party_collectors_reach_the_target() -> None:
    """Direct coverage may only grow: a link lost or weakened must be a reviewed change here."""
    cov = coverage.installed_coverage(load_catalogue(), first_party_only=True)
    assert not cov.broken
    assert not cov.unknown_questions
    mine = {"supply_chain", "privacy", "ops_readiness", "pipeline"}
    assert mine <= set(cov.collectors)
    assert cov.automated >= coverage.TARGET, coverage.render_text(cov)
    # organisation-scope questions are never counted as answerable by one repository's checks
    scoped = {q.id for q in load_catalogue().questions.values() if q.org_scope}
    assert all(q.answerable_by == "attestation" for q in cov.questions if q.id in scoped)
    # nothing can satisfy VER-AA-A3, so it is not counted (issue 13)
    assert next(q for q in cov.questions if q.id == "VER-AA-A3").answerable_by == "attestation"


def test_partial_links_are_counted_apart() -> None:
    from aima_ci.models import Link

    checks = {
        "gamma": (
            Check(
                "gamma.p",
                "P",
                ("VER-ST-A1", "VER-ST-A2"),
                links=(
                    Link("VER-ST-A1", "performed", "direct", "ran"),
                    Link("VER-ST-A2", "performed", "partial", "part of it"),
                ),
            ),
        )
    }
    cov = coverage.compute(load_catalogue(), checks)
    rows = {q.id: q for q in cov.questions}
    assert rows["VER-ST-A1"].answerable_by == "both"
    assert rows["VER-ST-A2"].answerable_by == "partial"
    assert cov.summary()["by_domain"]["VER"] == {"direct": 1, "partial": 1, "total": 18}
    assert "gamma.p (partial)" in coverage.render_text(cov)


def test_third_party_plugins_count_in_the_cli() -> None:
    pytest.importorskip("aima_ci_testplugin")  # installed from tests/plugins, not part of aima-ci
    result = CliRunner().invoke(cli, ["controls", "--coverage", "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert "testplugin" in data["summary"]["collectors"]
    ver = next(q for q in data["questions"] if q["id"] == "VER-ST-A1")
    assert "testplugin.alpha" in ver["checks"]


def test_cli_text_markdown_and_domain() -> None:
    runner = CliRunner()
    result = runner.invoke(cli, ["controls", "--coverage", "--domain", "OPS-IM"])
    assert result.exit_code == 0
    assert result.output.startswith(
        "1 of 6 AIMA questions have direct automated checks; 1 more have partial ones only;"
    )
    assert "OPS-IM-A1  both        ops_readiness.incident_playbook" in result.output
    assert "OPS-IM-A2  partial     ops_readiness.incident_playbook (partial)" in result.output
    md = runner.invoke(cli, ["controls", "--coverage", "-f", "markdown", "--domain", "PRV-DM"])
    assert md.exit_code == 0 and "| PRV-DM-B3 | 3 | B |" in md.output
    plain = runner.invoke(cli, ["controls", "-f", "markdown", "--domain", "OPS-IM"])
    assert plain.output.splitlines()[:3] == [
        "| Question | Level | Stream | Text |",
        "|---|---|---|---|",
        "| OPS-IM-A1 | 1 | A | Are there basic informal procedures or ad hoc responses for managing AI incidents? |",
    ]


def _gen_module():
    spec = importlib.util.spec_from_file_location(
        "gen_coverage_doc", ROOT / "scripts" / "gen_coverage_doc.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["gen_coverage_doc"] = module
    spec.loader.exec_module(module)
    return module


def test_regenerating_the_doc_works(tmp_path: Path) -> None:
    gen = _gen_module()
    out = tmp_path / "coverage.md"
    assert gen.main(["--output", str(out)]) == 0
    text = out.read_text()
    cov = coverage.installed_coverage(load_catalogue(), first_party_only=True)
    assert f"**{cov.automated} of 144**" in text
    assert (
        sum(
            1
            for line in text.splitlines()
            if line.startswith("| ") and line[2:5].isupper() and "-" in line[5:8]
        )
        == 144
    )
    assert gen.main(["--output", str(out), "--check"]) == 0
    out.write_text(text.replace("**", "", 1))
    assert gen.main(["--output", str(out), "--check"]) == 1


def test_committed_doc_has_every_question() -> None:
    text = (ROOT / "docs" / "coverage.md").read_text()
    for qid in load_catalogue().questions:
        assert f"| {qid} |" in text
