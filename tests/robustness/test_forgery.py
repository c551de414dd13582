"""Class 3 of issue 12, forgery: whoever opens the pull request controls every file in the
checkout, evidence directory included, and can hash whatever they like.

Each test is a forger's move with the real CLI: edit summary.json and re-hash it into the
manifest; flip findings, delete the manifest and let ``aima-ci score`` make everything
consistent again; commit evidence produced elsewhere. None of it may end in a passing gate, an
"intact" verify, or a signature from ``aima-ci attest``.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest
import yaml

from aima_ci.assess.catalogue import load_catalogue

CAT = load_catalogue()
DAY = {"AIMA_CI_TODAY": "2026-11-26"}


@pytest.fixture
def failing(repo: Path, cli) -> Path:
    """A real run that fails the gate: testplugin's failing checks pull VER-ST below level 1."""
    entries = [
        {
            "question": f"{p}-{s}1",
            "answer": "yes",
            "owner": "qa@example.com",
            "date": "2026-11-01",
            "expires": "2027-11-01",
        }
        for p in CAT.practices
        for s in "AB"
    ]
    (repo / "attestations.yaml").write_text(yaml.safe_dump({"attestations": entries}))
    config = {
        "target": {"level": 1},
        "attestations": "attestations.yaml",
        "collectors": {"testplugin": {"behaviour": "fail"}},
    }
    (repo / "aima.yaml").write_text(yaml.safe_dump(config))
    res = cli("run", cwd=repo, env=DAY)
    assert res.returncode == 1, res.stdout + res.stderr
    return repo


def _rehash(evidence: Path) -> None:
    """What a forger does after editing: make manifest.json agree with every file again."""
    manifest = json.loads((evidence / "manifest.json").read_text())
    for entry in manifest["files"]:
        data = (evidence / entry["path"]).read_bytes()
        entry["sha256"] = hashlib.sha256(data).hexdigest()
        entry["size"] = len(data)
    (evidence / "manifest.json").write_text(json.dumps(manifest, indent=2))


def _flip_findings(evidence: Path) -> None:
    path = evidence / "findings.jsonl"
    path.write_text(path.read_text().replace('"status": "fail"', '"status": "pass"'))


def test_an_edited_and_rehashed_summary_neither_passes_nor_verifies(failing: Path, cli):
    evidence = failing / ".aima"
    summary = json.loads((evidence / "summary.json").read_text())
    for domain in summary["domains"]:
        domain["level"] = max(domain["level"], 1)
        for practice in domain["practices"]:
            practice["level"] = max(practice["level"], 1)
    summary["overall"]["level"] = 1
    (evidence / "summary.json").write_text(json.dumps(summary))
    _rehash(evidence)
    gate = cli("gate", cwd=failing, env=DAY)
    assert gate.returncode != 0, gate.stdout + gate.stderr
    verify = cli("verify", ".aima", cwd=failing)
    assert verify.returncode == 1 and "summary.json" in verify.stdout


def test_flipped_findings_rescored_without_a_manifest_never_pass(failing: Path, cli):
    evidence = failing / ".aima"
    _flip_findings(evidence)
    (evidence / "manifest.json").unlink()
    assert cli("score", cwd=failing, env=DAY).returncode == 0  # scoring it is allowed...
    gate = cli("gate", cwd=failing, env=DAY)
    assert gate.returncode != 0, gate.stdout  # ...gating it is not
    assert "not sealed" in gate.stderr
    verify = cli("verify", ".aima", cwd=failing)
    assert "intact" not in verify.stdout, verify.stdout
    assert "NOT signature-checked" in verify.stdout and "consistency" in verify.stdout


def test_attest_refuses_to_sign_a_forgery(failing: Path, cli):
    assert cli("attest", "--generate-key", "k", cwd=failing).returncode == 0
    evidence = failing / ".aima"
    _flip_findings(evidence)
    (evidence / "manifest.json").unlink()
    assert cli("score", cwd=failing, env=DAY).returncode == 0
    signed = cli("attest", "--key", "k", cwd=failing)
    assert signed.returncode == 2, signed.stdout + signed.stderr
    assert not (evidence / "attestation.intoto.jsonl").exists()


def test_attest_refuses_evidence_that_does_not_verify(failing: Path, cli):
    assert cli("attest", "--generate-key", "k", cwd=failing).returncode == 0
    evidence = failing / ".aima"
    summary = json.loads((evidence / "summary.json").read_text())
    summary["overall"]["level"] = 3
    (evidence / "summary.json").write_text(json.dumps(summary))
    _rehash(evidence)
    signed = cli("attest", "--key", "k", cwd=failing)
    assert signed.returncode == 2 and "does not verify" in signed.stderr


def test_evidence_committed_from_another_machine_is_refused(failing: Path, cli, tmp_path: Path):
    """A passing directory made elsewhere (another seal key), committed into the checkout."""
    config = yaml.safe_load((failing / "aima.yaml").read_text())
    config["collectors"]["testplugin"]["behaviour"] = "pass"
    (failing / "aima.yaml").write_text(yaml.safe_dump(config))
    elsewhere = {**DAY, "XDG_CACHE_HOME": str(tmp_path / "forger-home")}
    assert cli("run", cwd=failing, env=elsewhere).returncode == 0
    gate = cli("gate", cwd=failing, env=DAY)  # the CI machine: its own key
    assert gate.returncode == 2, gate.stdout + gate.stderr
    assert "another key" in gate.stderr


def test_a_committed_seal_key_in_the_checkout_is_never_used(failing: Path, cli):
    """HOME inside the checkout would put the key where the pull request can commit one."""
    env = {**DAY, "XDG_CACHE_HOME": str(failing / ".cache")}
    res = cli("run", cwd=failing, env=env)
    assert res.returncode == 1
    gate = cli("gate", cwd=failing, env=env)
    assert gate.returncode == 2 and "inside the checkout" in gate.stderr


def test_with_a_public_key_only_signed_evidence_verifies(failing: Path, cli):
    assert cli("attest", "--generate-key", "k", cwd=failing).returncode == 0
    unsigned = cli("verify", ".aima", "--public-key", "k.pub", cwd=failing)
    assert unsigned.returncode == 1
    assert cli("attest", "--key", "k", cwd=failing).returncode == 0
    signed = cli("verify", ".aima", "--public-key", "k.pub", cwd=failing)
    assert signed.returncode == 0 and "intact and signed" in signed.stdout
    shutil.copy(failing / ".aima/summary.json", failing / "summary.bak")
    summary = json.loads((failing / ".aima/summary.json").read_text())
    summary["overall"]["level"] = 3
    (failing / ".aima/summary.json").write_text(json.dumps(summary))
    _rehash(failing / ".aima")
    forged = cli("verify", ".aima", "--public-key", "k.pub", cwd=failing)
    assert forged.returncode == 1
