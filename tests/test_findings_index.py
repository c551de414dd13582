"""The findings index (aima_ci/evidence/index.py): scoring from it gives exactly the assessment
scoring every line of findings.jsonl gives, and a damaged, forged or foreign index is refused or
reported, never scored silently.

The equality is checked on the credit example's real findings (benchmarks/fixtures, as collected
by the example's collectors) and, as a property, on generated findings that mix every status,
severity, kind, link and note, with check waivers.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from aima_ci.assess.assessment import score_assessment
from aima_ci.assess.catalogue import load_catalogue
from aima_ci.assess.outcome import evaluate_outcomes
from aima_ci.assess.scoring import score
from aima_ci.config import load_config
from aima_ci.errors import EvidenceError
from aima_ci.evidence.directory import FINDINGS_INDEX, write_findings, write_manifest
from aima_ci.evidence.freshness import evaluate_freshness
from aima_ci.evidence.index import build_index, index_differences, parse_index
from aima_ci.models import Finding, Link, Status, Waiver, weight

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = ROOT / "benchmarks" / "fixtures" / "credit-findings.jsonl"
TODAY = dt.date(2026, 12, 1)
NOW = dt.datetime(2026, 12, 1, 12, 0, tzinfo=dt.UTC)
STAMP = "2026-12-01T10:00:00Z"
CONFIG = """\
version: 1
target: {level: 1, practices: {RAI-FB: 2}}
waivers:
  - id: fairlearn.equalized_odds_difference
    reason: mitigation in progress
    owner: risk@example.com
    expires: 2026-12-20
"""


def credit_findings(copies: int) -> list[Finding]:
    """The example's real findings, ``copies`` times, each copy with its own message (so a
    group's members differ), stamped today; subject paths dropped (the example's files are not
    in the test repository, and a missing subject file makes a finding stale)."""
    real = [json.loads(line) for line in FIXTURE.read_text().splitlines() if line.strip()]
    out = []
    for copy in range(copies):
        for raw in real:
            data = json.loads(json.dumps(raw))
            data["started_at"] = data["finished_at"] = STAMP
            data["message"] = f"{data.get('message', '')} (copy {copy})"
            for subject in data.get("subjects") or []:
                subject.pop("path", None)
            data["subject"] = (data.get("subjects") or [None])[0]
            out.append(Finding.from_dict(data))
    return out


def evidence(tmp_path: Path, findings: list[Finding]) -> tuple[Any, Path]:
    root = tmp_path / "repo"
    (root / ".git").mkdir(parents=True)
    (root / "aima.yaml").write_text(CONFIG)
    out = root / ".aima"
    out.mkdir()
    write_findings(out, findings)
    (out / "run.json").write_text(json.dumps({"collectors": []}))
    write_manifest(out)
    return load_config(cwd=root), out


def without_index(out: Path) -> None:
    """Evidence as written before the index existed: scored from every line."""
    (out / FINDINGS_INDEX).unlink()
    write_manifest(out)


def test_the_credit_examples_findings_score_the_same_from_the_index(tmp_path, monkeypatch):
    findings = credit_findings(copies=5)
    config, out = evidence(tmp_path, findings)
    index = json.loads((out / FINDINGS_INDEX).read_text())
    assert index["total"] == len(findings)
    assert len(index["groups"]) < len(findings) // 4  # the copies collapse into groups

    def no_lines(directory: Path) -> Any:
        raise AssertionError("the index path read findings.jsonl")

    with monkeypatch.context() as patch:
        patch.setattr("aima_ci.assess.assessment.read_findings", no_lines)
        lean = score_assessment(config, out, today=TODAY, now=NOW)
    without_index(out)
    full = score_assessment(config, out, today=TODAY, now=NOW)
    assert lean == full
    assert lean["findings"]["total"] == len(findings)
    assert lean["waivers"]["applied"], "the waiver case is exercised"
    assert lean["outcomes"]["failing"], "the outcome policy case is exercised"


def test_a_stale_finding_is_scored_from_every_line(tmp_path, monkeypatch):
    """The freshness record lists each stale finding in file order: the index's groups cannot,
    so scoring reads findings.jsonl, and gives what it always gave."""
    findings = credit_findings(copies=2)
    findings[3] = Finding.from_dict(
        {
            **findings[3].to_dict(),
            "finished_at": "2020-01-01T00:00:00Z",
            "details": {"ttl_days": 30},
        }
    )
    config, out = evidence(tmp_path, findings)
    calls = []
    real = score_assessment.__globals__["read_findings"]
    monkeypatch.setattr(
        "aima_ci.assess.assessment.read_findings", lambda d: calls.append(d) or real(d)
    )
    lean = score_assessment(config, out, today=TODAY, now=NOW)
    assert calls, "stale evidence falls back to findings.jsonl"
    without_index(out)
    assert lean == score_assessment(config, out, today=TODAY, now=NOW)
    assert len(lean["freshness"]["stale"]) == 1


# --------------------------------------------------------------------------- the property
QUESTIONS = sorted(load_catalogue().questions)[:6]
finding_data = st.fixed_dictionaries(
    {
        "check": st.sampled_from(["a.one", "b.two"]),
        "collector": st.sampled_from(["a", "b"]),
        "status": st.sampled_from([str(s) for s in Status]),
        "severity": st.sampled_from(["low", "medium", "high", "critical"]),
        "kind": st.sampled_from(["process", "outcome"]),
        "questions": st.lists(st.sampled_from(QUESTIONS[:3]), max_size=2),
        "links": st.lists(
            st.builds(
                lambda q, shows, strength: Link(q, shows, strength, "why").to_dict(),
                st.sampled_from(QUESTIONS),
                st.sampled_from(["performed", "effective"]),
                st.sampled_from(["direct", "partial"]),
            ),
            max_size=2,
        ),
        "notes": st.lists(st.sampled_from(["n1", "n2"]), max_size=2),
        "started_at": st.just(STAMP),
        "finished_at": st.just(STAMP),
    }
)
# Findings are drawn from a few templates with their own messages, so that findings equal in
# everything scoring compares (one group) but for their messages are common.
messages = st.tuples(st.sampled_from(["", "m1", "m2", "m3"]), st.sampled_from(["", "do x"]))


def outputs(findings: list[Finding], waivers: list[Waiver]) -> dict[str, Any]:
    """What assessment.json holds that depends on the findings."""
    fresh, record = evaluate_freshness(findings, NOW, {}, lambda rel: None)
    scored = score(load_catalogue(), fresh, [], waivers)
    counts: dict[str, int] = {}
    for f in fresh:
        counts[str(f.status)] = counts.get(str(f.status), 0) + weight(f)
    return {
        "domains": [d.to_dict() for d in scored.domains],
        "overall": (scored.score, scored.level, scored.plus),
        "applied": [w.to_dict() for w in scored.waivers_applied],
        "outcomes": evaluate_outcomes(fresh, "medium", waivers),
        "counts": dict(sorted(counts.items())),
        "stale": record["stale"],
    }


def _template(status: str) -> dict[str, Any]:
    return {"check": "a.one", "collector": "a", "status": status, "questions": QUESTIONS[:1]}


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@example(  # two undecided messages beside a verdict: both reach the check's notes
    templates=[_template("pass"), _template("inconclusive")],
    rows=[(0, ("", "")), (1, ("m1", "")), (1, ("m2", ""))],
    waive=False,
)
@given(
    templates=st.lists(finding_data, min_size=1, max_size=5),
    rows=st.lists(st.tuples(st.integers(0, 4), messages), min_size=1, max_size=40),
    waive=st.booleans(),
)
def test_scoring_the_index_equals_scoring_every_finding(templates, rows, waive):
    findings = [
        Finding.from_dict({**templates[i % len(templates)], "message": m, "next_step": n})
        for i, (m, n) in rows
    ]
    waivers = [Waiver("a.one", "r", "o", "2026-12-20")] if waive else []
    index = build_index([f.to_dict() for f in findings], "d" * 64)
    groups = parse_index(json.loads(json.dumps(index)), "d" * 64, "index").findings
    assert sum(weight(g) for g in groups) == len(findings)
    assert outputs(groups, waivers) == outputs(findings, waivers)


# --------------------------------------------------------------------------- refusals
@pytest.fixture
def scored_evidence(tmp_path: Path) -> tuple[Any, Path]:
    return evidence(tmp_path, credit_findings(copies=2))


def _edit_index(out: Path, edit: Any) -> None:
    data = json.loads((out / FINDINGS_INDEX).read_text())
    edit(data)
    (out / FINDINGS_INDEX).write_text(json.dumps(data))


def test_an_index_changed_after_writing_is_refused(scored_evidence):
    config, out = scored_evidence
    _edit_index(out, lambda d: d["groups"][0].update(status="pass"))
    with pytest.raises(EvidenceError, match=r"findings\.index\.json: does not match manifest"):
        score_assessment(config, out, today=TODAY, now=NOW)


def test_an_index_whose_counts_do_not_add_up_is_refused_even_rehashed(scored_evidence):
    config, out = scored_evidence
    _edit_index(out, lambda d: d["groups"][0].update(count=d["groups"][0]["count"] + 1))
    write_manifest(out)  # a forger re-hashes the manifest
    with pytest.raises(EvidenceError, match="do not add up"):
        score_assessment(config, out, today=TODAY, now=NOW)


def test_an_index_of_other_findings_is_refused(scored_evidence):
    config, out = scored_evidence
    lines = (out / "findings.jsonl").read_text().splitlines(keepends=True)
    (out / "findings.jsonl").write_text("".join(lines[1:]))
    write_manifest(out)
    with pytest.raises(EvidenceError, match="indexes other findings"):
        score_assessment(config, out, today=TODAY, now=NOW)


def test_verify_reports_an_index_that_does_not_follow_from_the_findings(scored_evidence):
    _, out = scored_evidence
    assert index_differences(out) == []

    def flip(data: dict[str, Any]) -> None:
        for group in data["groups"]:
            if group["status"] == "fail":
                group["status"] = "pass"

    _edit_index(out, flip)
    write_manifest(out)
    assert index_differences(out) == [
        "findings.index.json: does not follow from findings.jsonl (scoring reads it in their place)"
    ]


def test_score_refuses_a_damaged_index_with_exit_2_naming_it(scored_evidence):
    from aima_ci.cli.main import cli

    config, out = scored_evidence
    raw = (out / FINDINGS_INDEX).read_bytes()
    (out / FINDINGS_INDEX).write_bytes(raw[: len(raw) // 2])
    result = CliRunner().invoke(
        cli, ["score", "--config", str(config.path)], env={"AIMA_CI_TODAY": TODAY.isoformat()}
    )
    assert result.exit_code == 2, result.output
    assert "findings.index.json" in result.output and "Traceback" not in result.output


def test_score_hashes_each_evidence_file_once(scored_evidence, monkeypatch, tmp_path):
    """findings.jsonl is checked against the manifest, recorded in the scoring inputs and
    listed in the new manifest: one hash serves all three."""
    from aima_ci import api
    from aima_ci.evidence.seal import seal
    from aima_ci.safety import hashing

    config, out = scored_evidence
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("AIMA_CI_TODAY", TODAY.isoformat())
    seal(out, config.root)
    hashed: list[str] = []
    real = hashing.sha256_file

    def counting(path: Path, *args: Any) -> str:
        hashed.append(Path(path).name)
        return real(path, *args)

    monkeypatch.setattr(hashing, "sha256_file", counting)
    api.assess(config, out)
    assert hashed.count("findings.jsonl") == 1, hashed
    assert hashed.count(FINDINGS_INDEX) == 1, hashed
    manifest = json.loads((out / "manifest.json").read_text())
    assert FINDINGS_INDEX in {f["path"] for f in manifest["files"]}


def test_scoring_every_line_leaves_the_index_those_lines_give(scored_evidence, monkeypatch):
    """Findings rescored without a manifest (edited by hand, or from an older aima-ci): score
    reads every line and writes the index they give, so verify finds the directory consistent
    and the next score reads the index (tests/robustness/test_forgery.py: the forgery still
    never passes the gate, which refuses the unsealed result)."""
    from aima_ci import api

    config, out = scored_evidence
    monkeypatch.setenv("AIMA_CI_TODAY", TODAY.isoformat())
    text = (out / "findings.jsonl").read_text().replace('"status": "fail"', '"status": "pass"')
    (out / "findings.jsonl").write_text(text)
    (out / "manifest.json").unlink()
    assert index_differences(out)  # the old index no longer follows
    api.assess(config, out)
    assert index_differences(out) == []
    manifest = json.loads((out / "manifest.json").read_text())
    assert FINDINGS_INDEX in {f["path"] for f in manifest["files"]}


def test_findings_edited_after_writing_are_refused_though_scoring_reads_the_index(
    scored_evidence, monkeypatch, tmp_path
):
    """score scores from the index while findings.jsonl is hashed in a thread, and checks
    findings.jsonl against the manifest afterwards: a finding turned from fail to pass (the
    index untouched) is still refused, and nothing is written from it."""
    from aima_ci import api
    from aima_ci.evidence.seal import seal

    config, out = scored_evidence
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("AIMA_CI_TODAY", TODAY.isoformat())
    seal(out, config.root)
    text = (out / "findings.jsonl").read_text()
    (out / "findings.jsonl").write_text(text.replace('"status": "fail"', '"status": "pass"'))
    with pytest.raises(EvidenceError, match=r"findings\.jsonl: does not match manifest"):
        api.assess(config, out)
    assert not (out / "assessment.json").exists() and not (out / "summary.json").exists()
    with pytest.raises(EvidenceError, match=r"findings\.jsonl: does not match manifest"):
        score_assessment(config, out, today=TODAY, now=NOW)
