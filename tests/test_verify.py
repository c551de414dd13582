"""verify: every kind of tampering is caught and named; intact evidence passes; usage errors exit 2."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from aima_ci.evidence.directory import read_json, write_json, write_manifest
from aima_ci.trust.verify import differences, render, verify_evidence

_TODAY = dt.datetime.now(dt.UTC).date()
CONFIG = {
    "target": 1,
    "waivers": [
        {
            "id": "testplugin.beta",
            "reason": "accepted for the pilot",
            "owner": "sec@example.com",
            # a waiver that really applies today (created in the future it would not)
            "expires": (_TODAY + dt.timedelta(days=60)).isoformat(),
            "created": _TODAY.isoformat(),
        }
    ],
    "collectors": {
        "testwork": {"model": "model.bin"},
        "testplugin": {"behaviour": "fail"},
        "testsplit": {"items": ["a", "b"]},
    },
}


@pytest.fixture(scope="module")
def signed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A repository with collected, scored and signed evidence (made once, through the CLI)."""
    root = tmp_path_factory.mktemp("verify") / "repo"
    (root / ".git").mkdir(parents=True)
    (root / "model.bin").write_bytes(b"weights")
    (root / "aima.yaml").write_text(json.dumps(CONFIG))
    for args in (
        ("collect", "--no-cache"),
        ("score",),
        ("attest", "--generate-key", "keys/signing"),
        ("attest", "--key", "keys/signing"),
    ):
        done = subprocess.run(
            [sys.executable, "-m", "aima_ci", *args],
            cwd=root,
            env={**os.environ, "NO_COLOR": "1"},
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, (args, done.stderr)
    return root


@pytest.fixture
def repo_copy(signed: Path, tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    shutil.copytree(signed, root)
    return root


def _key(root: Path):
    from aima_ci.trust.sign import load_public_key

    return load_public_key((root / "keys/signing.pub").read_bytes(), "pub")


def _verify(root: Path, **kwargs):
    return verify_evidence(root / ".aima", public_key=_key(root), **kwargs)


def test_intact_evidence_verifies_every_way(repo_copy: Path):
    report = _verify(repo_copy)
    assert report.ok, report.problems
    assert any("signature verifies" in c for c in report.checked)
    assert any("re-scored" in c for c in report.checked)
    # the fixture is not trivial: waivers, a failure and bound subjects took part
    assessment = read_json(repo_copy / ".aima/assessment.json")
    assert assessment["waivers"]["applied"] and assessment["findings"]["by_status"]["fail"]


def test_one_changed_byte_is_named(repo_copy: Path):
    path = repo_copy / ".aima/artefacts/testwork/work.txt"
    data = bytearray(path.read_bytes())
    data[0] ^= 1
    path.write_bytes(bytes(data))
    report = _verify(repo_copy)
    assert report.problems == ["artefacts/testwork/work.txt: changed (SHA-256 differs)"]


def test_a_removed_file_is_named(repo_copy: Path):
    (repo_copy / ".aima/artefacts/testsplit/a.txt").unlink()
    assert "artefacts/testsplit/a.txt: missing" in _verify(repo_copy).problems


def test_an_added_file_is_named(repo_copy: Path):
    (repo_copy / ".aima/artefacts/notes.txt").write_text("slipped in")
    assert "artefacts/notes.txt: not in the manifest (added)" in _verify(repo_copy).problems


def test_a_swapped_signature_fails(repo_copy: Path):
    from aima_ci.trust.sign import generate_keypair, key_from, read_envelopes, sign_envelope

    envelope_path = repo_copy / ".aima/attestation.intoto.jsonl"
    (envelope,) = read_envelopes(envelope_path)
    private, _ = generate_keypair(repo_copy / "keys/other")
    forged = sign_envelope(
        json.loads(__import__("base64").b64decode(envelope["payload"])), key_from(private, None)
    )
    envelope["signatures"] = forged["signatures"]
    envelope_path.write_text(json.dumps(envelope) + "\n")
    report = _verify(repo_copy)
    assert len(report.problems) == 1 and "no signature verifies" in report.problems[0]


def _edit_finding_and_rehash(root: Path) -> None:
    """What a forger without the key would do: flip a failure to a pass, fix up the manifest."""
    evidence = root / ".aima"
    path = evidence / "findings.jsonl"
    lines = path.read_text().splitlines()
    edited = []
    for line in lines:
        data = json.loads(line)
        if data["check"] == "testplugin.alpha":
            data["status"] = "pass"
        edited.append(json.dumps(data, sort_keys=True))
    path.write_text("\n".join(edited) + "\n")
    write_manifest(evidence, read_json(evidence / "manifest.json")["subjects"])


def test_an_edited_finding_with_a_rehashed_manifest_is_caught_by_the_signature(repo_copy: Path):
    _edit_finding_and_rehash(repo_copy)
    problems = _verify(repo_copy).problems
    assert any("signed for manifest" in p for p in problems)
    assert any(p.startswith("re-scoring differs") for p in problems)


def test_an_edited_finding_is_caught_by_re_scoring_alone(repo_copy: Path):
    (repo_copy / ".aima/attestation.intoto.jsonl").unlink()
    (repo_copy / ".aima/seal.json").unlink()  # this machine's seal would catch it too
    _edit_finding_and_rehash(repo_copy)
    report = verify_evidence(repo_copy / ".aima")  # no key, no envelope: only re-scoring is left
    # ...and the findings index, which no longer follows from the edited findings
    index, *rest = report.problems
    assert index.startswith("findings.index.json: does not follow from findings.jsonl")
    assert rest and all(p.startswith("re-scoring differs") for p in rest)
    assert any("VER-ST" in p for p in rest)


def test_an_edited_assessment_is_caught_by_re_scoring(repo_copy: Path):
    (repo_copy / ".aima/attestation.intoto.jsonl").unlink()
    evidence = repo_copy / ".aima"
    assessment = read_json(evidence / "assessment.json")
    assessment["gate"]["passed"] = True
    assessment["gate"]["failures"] = []
    write_json(evidence / "assessment.json", assessment)
    write_manifest(evidence, read_json(evidence / "manifest.json")["subjects"])
    problems = verify_evidence(evidence).problems
    assert any("gate.passed: recorded true, re-scored false" in p for p in problems)


def test_an_edited_freshness_record_is_caught(repo_copy: Path):
    (repo_copy / ".aima/attestation.intoto.jsonl").unlink()
    evidence = repo_copy / ".aima"
    assessment = read_json(evidence / "assessment.json")
    assessment["freshness"]["evaluated_at"] = "2099-01-01T00:00:00Z"  # makes testwork stale
    write_json(evidence / "assessment.json", assessment)
    write_manifest(evidence, read_json(evidence / "manifest.json")["subjects"])
    problems = verify_evidence(evidence).problems
    assert any("freshness.stale" in p for p in problems)


def test_verify_replays_freshness_without_the_current_repository(repo_copy: Path):
    (repo_copy / "model.bin").write_bytes(b"a newer model")  # the repository moved on
    assert _verify(repo_copy).ok


def test_a_subject_missing_from_the_manifest_is_named(repo_copy: Path):
    (repo_copy / ".aima/attestation.intoto.jsonl").unlink()
    evidence = repo_copy / ".aima"
    write_manifest(evidence, [])
    problems = verify_evidence(evidence).problems
    assert any("model.bin" in p and "not listed" in p for p in problems)


def test_differences_match_lists_by_id_and_name_paths():
    recorded = {"domains": [{"id": "VER", "level": 1}, {"id": "OPS", "level": 0}]}
    rescored = {"domains": [{"id": "OPS", "level": 0}, {"id": "VER", "level": 2}]}
    assert list(differences(recorded, rescored)) == ["domains[VER].level: recorded 1, re-scored 2"]
    assert list(differences({"a": [1, 2]}, {"a": [1]})) == ["a: recorded 2 item(s), re-scored 1"]


def test_render_lists_the_first_differences():
    from aima_ci.trust.verify import VerifyReport

    report = VerifyReport(problems=[f"p{i}" for i in range(15)])
    text = render(report, Path("ev"))
    assert "FAILED: 15 difference(s)" in text and "p9" in text and "p10" not in text
    assert "and 5 more" in text


# --------------------------------------------------------------------------- the command
def test_cli_exit_codes(repo_copy: Path, cli):
    ok = cli("verify", ".aima", "--public-key", "keys/signing.pub", cwd=repo_copy)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "intact" in ok.stdout
    as_json = cli("verify", ".aima", "-f", "json", cwd=repo_copy)
    assert as_json.returncode == 0 and json.loads(as_json.stdout)["ok"] is True
    assert cli("verify", "missing-dir", cwd=repo_copy).returncode == 2
    assert cli("verify", ".aima", "--public-key", "nope.pub", cwd=repo_copy).returncode == 2
    assert cli("verify", ".aima", "--envelope", "nope.jsonl", cwd=repo_copy).returncode == 2
    (repo_copy / "bad.pub").write_text("not a key")
    assert cli("verify", ".aima", "--public-key", "bad.pub", cwd=repo_copy).returncode == 2
    (repo_copy / ".aima/run.json").write_text("{}\n")
    tampered = cli("verify", ".aima", cwd=repo_copy)
    assert tampered.returncode == 1 and "run.json: changed" in tampered.stdout


def test_cli_key_without_an_envelope_fails(repo_copy: Path, cli):
    (repo_copy / ".aima/attestation.intoto.jsonl").unlink()
    done = cli("verify", ".aima", "--public-key", "keys/signing.pub", cwd=repo_copy)
    assert done.returncode == 1 and "no signed attestation" in done.stdout
