"""Damaged evidence files never make the gate pass, and never crash score, gate or verify.

The evidence directory is the hand-off between CI jobs (collect, score, gate, verify), so every
file in it may arrive damaged: a truncated copy, a flipped bit, an edited level. The rules:

- with manifest.json present (aima-ci always writes one), a gate that failed on the intact
  evidence exits 1 or 2 on damaged evidence, never 0: score and gate check findings.jsonl,
  run.json and summary.json against the manifest before trusting them (evidence.check_listed);
- without a manifest (hand-made evidence), damage ends in a verdict or a one-line error, never a
  traceback or exit 3, and the shapes that used to pass every target (no domains, NaN levels,
  inconsistent levels) are refused (gate.check_assessment);
- ``verify`` reports damage as differences (exit 1), never crashes.

tests/test_evidence.py, tests/test_verify.py and tests/test_cli.py cover one hand-made case each;
this file damages real evidence written by ``aima-ci run`` at random.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st
from rb_support import (
    assert_clean_failure,
    budget,
    damaged,
    dumps_loose,
    make_repo,
    mutated_json,
    run_cli,
)

from aima_ci.cli.main import cli
from aima_ci.errors import EvidenceError
from aima_ci.evidence.directory import iter_findings, read_json, verify_manifest, write_manifest
from aima_ci.evidence.seal import seal

ENV = {"AIMA_CI_TODAY": "2026-12-01", "AIMA_CI_NO_CACHE": "1", "NO_COLOR": "1"}
EVIDENCE_FILES = ["findings.jsonl", "run.json", "summary.json", "assessment.json", "manifest.json"]


def build(base: Path, name: str, behaviour: str) -> Path:
    """A repository whose gate depends on one practice: VER-ST must reach level 1, and the
    test plugin's two checks (VER-ST-A1, VER-ST-B1) decide it; testplugin is required."""
    root = make_repo(base, name)
    config = {
        "target": {"level": 0, "practices": {"VER-ST": 1}},
        "collectors": {"testplugin": {"behaviour": behaviour}},
        "required_collectors": ["testplugin"],
    }
    (root / "aima.yaml").write_text(yaml.safe_dump(config))
    result = run_cli("run", cwd=root, env=ENV)
    assert result.returncode == (0 if behaviour == "pass" else 1), result.stdout + result.stderr
    return root


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("evidence")
    return {b: build(base, b, b) for b in ("fail", "pass", "crash")}


def gate(root: Path, evidence: Path | None = None) -> Any:
    args = ["gate", "--config", str(root / "aima.yaml")]
    if evidence is not None:
        args += ["--evidence", str(evidence)]
    return CliRunner().invoke(cli, args, env=ENV)


def copy_evidence(root: Path, dest: Path) -> Path:
    shutil.rmtree(dest, ignore_errors=True)
    shutil.copytree(root / ".aima", dest)
    return dest


def test_the_intact_evidence_fails_and_passes_as_built(built):
    """The control: the same setup can pass, so exit 1 below is the evidence, not the setup."""
    assert gate(built["pass"]).exit_code == 0
    assert gate(built["fail"]).exit_code == 1
    result = gate(built["crash"])
    assert result.exit_code == 1 and "required collector 'testplugin' error" in result.output


@pytest.mark.parametrize("name", EVIDENCE_FILES)
@pytest.mark.parametrize("behaviour", ["fail", "crash"])
@budget(25)
@given(data=st.data())
def test_damaged_evidence_never_passes_the_gate(tmp_path, built, behaviour, name, data):
    root = built[behaviour]
    evidence = copy_evidence(root, tmp_path / "ev")
    intact = (evidence / name).read_bytes()
    raw = data.draw(damaged(intact))
    (evidence / name).write_bytes(raw)
    result = gate(root, evidence)
    assert_clean_failure(result, allowed=(1, 2))
    if raw != intact and name in ("summary.json", "run.json"):
        # whatever changed in what the gate reads, the manifest catches it first
        assert result.exit_code == 2 and "does not match manifest.json" in result.output, (
            result.output
        )


@pytest.mark.parametrize("name", ["summary.json", "run.json"])
@budget(60)
@given(data=st.data())
def test_edited_fields_never_pass_the_gate(tmp_path, built, name, data):
    """Structural damage (a level raised, a status rewritten, a list emptied) with the manifest
    in place: refused, because the file no longer matches what aima-ci wrote."""
    root = built["fail"] if name == "summary.json" else built["crash"]
    evidence = copy_evidence(root, tmp_path / "ev")
    doc = data.draw(mutated_json(read_json(evidence / name), max_edits=3))
    (evidence / name).write_text(dumps_loose(doc))
    assert_clean_failure(gate(root, evidence), allowed=(1, 2))


@budget(60)
@given(data=st.data())
def test_without_a_manifest_edits_end_cleanly(tmp_path, built, data):
    """Hand-made evidence (no manifest): nothing can tell an edit from the truth, so the gate
    refuses it with a one-line error (exit 2), never a traceback."""
    root = built["fail"]
    evidence = copy_evidence(root, tmp_path / "ev")
    (evidence / "manifest.json").unlink()
    doc = data.draw(mutated_json(read_json(evidence / "summary.json"), max_edits=3))
    (evidence / "summary.json").write_text(dumps_loose(doc))
    assert_clean_failure(gate(root, evidence), allowed=(2,))


def _summary(built: dict[str, Path]) -> dict[str, Any]:
    return read_json(built["fail"] / ".aima" / "summary.json")


def _set_level(doc: dict[str, Any], value: Any) -> dict[str, Any]:
    for d in doc["domains"]:
        d["level"] = value
        for p in d["practices"]:
            p["level"] = value
    doc["overall"]["level"] = value
    return doc


@pytest.mark.parametrize(
    ("edit", "reason"),
    [
        (
            lambda s: {**s, "domains": []},
            "domain(s) RAI, GOV, DAT, PRV, DES, IMP, VER, OPS missing",
        ),
        (lambda s: {**s, "domains": s["domains"][:-1]}, "domain(s) OPS missing"),
        (lambda s: {**s, "domains": s["domains"] + s["domains"][:1]}, "repeated id"),
        (lambda s: _set_level(s, float("nan")), "is not a whole number from 0 to 3"),
        (lambda s: _set_level(s, "3"), "is not a whole number from 0 to 3"),
        (lambda s: _set_level(s, True), "is not a whole number from 0 to 3"),
        (lambda s: _set_level(s, 9), "is not a whole number from 0 to 3"),
        (lambda s: {**s, "overall": 1}, "overall is not an object"),
        (lambda s: [s], "not a JSON object"),
        (lambda s: {k: v for k, v in s.items() if k != "domains"}, "'domains' is missing"),
        (
            lambda s: {
                **s,
                "domains": [{**d, "level": 3} if d["id"] == "VER" else d for d in s["domains"]],
            },
            "domain VER is at level 3 but its lowest practice is at 0",
        ),
        (lambda s: {**s, "errors": ["x"]}, "'errors' must map check ids to messages"),
        (lambda s: {**s, "overall": {"level": 0, "score": 0.0}}, "overall: plus must be"),
    ],
    ids=[
        "empty-domains",
        "a-domain-missing",
        "a-domain-twice",
        "nan-levels",
        "string-levels",
        "bool-levels",
        "level-9",
        "overall-not-object",
        "not-an-object",
        "no-domains-key",
        "domain-above-its-practices",
        "errors-not-a-map",
        "no-plus",  # found by the deep run: KeyError 'plus' in the verdict line, exit 3
    ],
)
def test_summaries_that_used_to_pass_every_target_are_refused(tmp_path, built, edit, reason):
    """Before check_assessment, ``domains: []`` and NaN levels PASSED a level-3 target (nothing
    compared below target), and a list or missing key crashed the gate with exit 3.

    The manifest is re-hashed and re-sealed with this machine's key after the edit, as if
    aima-ci itself had written the malformed summary: the structural check alone must refuse it
    (hand-made evidence, unsealed, is refused before any of this: test_forgery.py)."""
    root = built["fail"]
    evidence = copy_evidence(root, tmp_path / "ev")
    (evidence / "summary.json").write_text(dumps_loose(edit(_summary(built))))
    subjects = read_json(evidence / "manifest.json")["subjects"]
    write_manifest(evidence, subjects)
    seal(evidence, root)
    result = gate(root, evidence)
    assert_clean_failure(result, allowed=(2,))
    assert reason in result.output, result.output


def test_a_dropped_failing_finding_is_caught_by_the_manifest(tmp_path, built):
    """Scoring trusts findings.jsonl; a line lost in transit would drop a failure silently."""
    root = built["fail"]
    evidence = copy_evidence(root, tmp_path / "ev")
    for name in ("assessment.json", "summary.json"):
        (evidence / name).unlink()
    lines = (evidence / "findings.jsonl").read_text().splitlines(keepends=True)
    (evidence / "findings.jsonl").write_text("".join(lines[1:]))
    result = gate(root, evidence)
    assert result.exit_code == 2, result.output
    assert "findings.jsonl: does not match manifest.json" in result.output


def test_a_required_collector_rewritten_as_ok_is_caught(tmp_path, built):
    root = built["crash"]
    evidence = copy_evidence(root, tmp_path / "ev")
    run = read_json(evidence / "run.json")
    for entry in run["collectors"]:
        entry["status"] = "ok"
    (evidence / "run.json").write_text(json.dumps(run))
    result = gate(root, evidence)
    assert result.exit_code == 2 and "run.json: does not match manifest.json" in result.output


def test_a_truncated_baseline_cannot_hide_a_regression(tmp_path, built):
    """A no_regression baseline without a practice could never show that practice dropping."""
    root = built["fail"]
    baseline = read_json(root / ".aima" / "assessment.json")
    baseline["domains"] = baseline["domains"][:2]
    (tmp_path / "baseline.json").write_text(json.dumps(baseline))
    config = yaml.safe_load((root / "aima.yaml").read_text())
    config["target"]["no_regression"] = True
    repo = make_repo(tmp_path, "ratchet")
    (repo / "aima.yaml").write_text(yaml.safe_dump(config))
    shutil.copytree(root / ".aima", repo / ".aima")
    result = CliRunner().invoke(
        cli,
        [
            "gate",
            "--config",
            str(repo / "aima.yaml"),
            "--baseline",
            str(tmp_path / "baseline.json"),
        ],
        env=ENV,
    )
    assert_clean_failure(result, allowed=(2,))
    assert "baseline: practice" in result.output and "no level from 0 to 3" in result.output


# --------------------------------------------------------------------------- the readers alone
@budget(150)
@given(data=st.data())
def test_findings_reader_raises_only_evidence_errors(tmp_path, built, data):
    raw = data.draw(damaged((built["fail"] / ".aima" / "findings.jsonl").read_bytes()))
    path = tmp_path / "findings.jsonl"
    path.write_bytes(raw)
    try:
        findings = list(iter_findings(path))
    except EvidenceError as exc:
        assert str(exc).startswith("findings.jsonl:"), exc
    else:
        assert all(f.check and f.collector for f in findings)


@pytest.mark.parametrize(
    "line",
    [
        b"[" * 100_000,
        b'{"check": ' + b"9" * 5000 + b"}",
        b'{"check": "a", "collector": "b", "status": "pass", "details": ' + b"[" * 5000 + b"}",
        b'{"check": "a", "collector": "b", "status": "pass", "value": NaN, "threshold": Infinity}',
    ],
    ids=["deep", "int-limit", "deep-details", "nan"],
)
def test_hostile_finding_lines(tmp_path, line):
    """Deep nesting raised RecursionError out of the findings reader (exit 3) before the fix."""
    path = tmp_path / "findings.jsonl"
    path.write_bytes(line + b"\n")
    try:
        (finding,) = iter_findings(path)
    except EvidenceError as exc:
        assert str(exc).startswith("findings.jsonl:1: "), exc
    else:  # NaN is read as a float; it never decides a status, which is a separate field
        assert finding.status == "pass"


@pytest.mark.parametrize("name", ["run.json", "assessment.json", "manifest.json"])
@pytest.mark.parametrize(
    "payload", [b"[" * 100_000, b'{"a": ' + b"9" * 5000 + b"}"], ids=["deep", "int"]
)
def test_hostile_json_files_are_evidence_errors(tmp_path, name, payload):
    (tmp_path / name).write_bytes(payload)
    with pytest.raises(EvidenceError, match="not valid JSON"):
        read_json(tmp_path / name)


MANIFEST_ENTRY = st.fixed_dictionaries(
    {
        "path": st.one_of(
            st.sampled_from(
                [
                    "findings.jsonl",
                    "../outside",
                    "/etc/passwd",
                    "a" * 300,
                    "x/" * 200 + "y",
                    "findings.jsonl/x",
                    ".",
                    "a\x00b",
                    "a\\b",
                    "",
                    "artefacts//x",
                ]
            ),
            st.text(max_size=30),
            st.integers(),
            st.none(),
        ),
        "sha256": st.one_of(st.text(max_size=64), st.none(), st.integers()),
    }
)


@budget(150)
@given(entries=st.lists(st.one_of(MANIFEST_ENTRY, st.integers(), st.text()), max_size=6))
def test_verify_manifest_reports_any_manifest(tmp_path, built, entries):
    """A long name made Path.is_symlink() raise ENAMETOOLONG out of verify_manifest (exit 3)."""
    evidence = copy_evidence(built["fail"], tmp_path / "ev")
    (evidence / "manifest.json").write_text(json.dumps({"files": entries}))
    problems = verify_manifest(evidence)
    assert problems and all(isinstance(p, str) for p in problems)


def test_a_temp_file_left_by_a_killed_writer_is_not_a_difference(tmp_path, built):
    """build_manifest skips atomic_write's temp files, verify_manifest reported them as added."""
    evidence = copy_evidence(built["fail"], tmp_path / "ev")
    (evidence / ".findings.jsonl.k9x2.tmp").write_text("half a file")
    assert verify_manifest(evidence) == []
    result = run_cli("verify", str(evidence), cwd=tmp_path, env=ENV)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("name", EVIDENCE_FILES)
def test_verify_names_every_damaged_file(tmp_path, built, name):
    evidence = copy_evidence(built["fail"], tmp_path / "ev")
    path = evidence / name
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x20
    path.write_bytes(bytes(data))
    result = run_cli("verify", str(evidence), cwd=tmp_path, env=ENV)
    assert result.returncode in (1, 2), result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    if name != "manifest.json":
        assert f"{name}: changed (SHA-256 differs)" in result.stdout, result.stdout


@pytest.mark.parametrize(
    "command",
    [["report", "-f", "text"], ["report", "-f", "html"], ["report", "-f", "sarif"], ["export"]],
)
@pytest.mark.parametrize(
    "doc", ["{}", "[]", '{"overall": 1, "domains": []}'], ids=["empty", "list", "no-levels"]
)
def test_report_and_export_refuse_a_malformed_assessment(tmp_path, built, command, doc):
    """Renderers read many fields: on a hand-made or damaged assessment they died with
    KeyError/TypeError (exit 3). Now: exit 2 naming the file."""
    root = built["fail"]
    evidence = copy_evidence(root, tmp_path / "ev")
    (evidence / "manifest.json").unlink()
    (evidence / "assessment.json").write_text(doc)
    args = [*command, "--config", str(root / "aima.yaml"), "--evidence", str(evidence)]
    result = CliRunner().invoke(cli, args, env=ENV)
    assert_clean_failure(result, allowed=(2,))
    assert f"{evidence / 'assessment.json'}: " in result.output, result.output
