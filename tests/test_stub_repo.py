"""A repository of placeholders earns (almost) nothing (issue 13, evidence minimums).

tests/fixtures/stub_repo holds a model card, threat model, playbook, purpose and policy that say
only "x", a Rego deny rule that cannot fire, alert rules that can never fire, and a CI job that
runs aima-ci. Before issue 13 it earned 31 questions at full credit, 8 of them level 3.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

STUB = Path(__file__).resolve().parent / "fixtures" / "stub_repo"
# The one honest full credit: CI really runs aima-ci as a blocking gate (IMP-SB-B2); the PII scan
# of the (tiny) data really ran (PRV-PD-A1). A handful, not 31.
MAX_FULL_CREDITS = 3


@pytest.fixture(scope="module")
def stub_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], dict[str, Any]]:
    repo = tmp_path_factory.mktemp("stub") / "repo"
    shutil.copytree(STUB, repo)
    git = ["git", "-c", "user.email=t@example.com", "-c", "user.name=t"]
    subprocess.run([*git, "init", "-q"], cwd=repo, check=True)
    subprocess.run([*git, "add", "-A"], cwd=repo, check=True)
    subprocess.run([*git, "commit", "-qm", "stub"], cwd=repo, check=True)
    proc = subprocess.run(
        [sys.executable, "-m", "aima_ci", "run", "--no-cache"],
        cwd=repo,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "NO_COLOR": "1"},
        check=False,
    )
    assert proc.returncode in (0, 1), proc.stdout + proc.stderr
    assessment = json.loads((repo / ".aima" / "assessment.json").read_text())
    findings: dict[str, Any] = {}
    for line in (repo / ".aima" / "findings.jsonl").read_text().splitlines():
        f = json.loads(line)
        findings.setdefault(f["check"], f)
    return assessment, findings


def _questions(assessment: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        q
        for d in assessment["domains"]
        for p in d["practices"]
        for s in p["streams"]
        for q in s["questions"]
    ]


def test_the_stub_earns_no_level_3_and_at_most_a_handful_of_credits(stub_run) -> None:
    assessment, _ = stub_run
    questions = _questions(assessment)
    full = sorted(q["id"] for q in questions if q["satisfied"])
    assert not [q for q in questions if q["level"] == 3 and q["satisfied"]]
    assert len(full) <= MAX_FULL_CREDITS, full
    assert "IMP-SB-B2" in full  # the CI gate is real


@pytest.mark.parametrize(
    ("check", "status", "why"),
    [
        ("model_card.sections", "fail", "placeholder"),
        ("threat_model.present", "fail", "every threat is a placeholder"),
        ("threat_model.mitigations", "fail", "[mitigation trivially short"),
        ("ops_readiness.incident_playbook", "fail", "placeholder text only"),
        ("ops_readiness.alert_rules", "fail", "can never fire"),
        ("ops_readiness.rollback_path", "fail", "not a placeholder"),
        ("privacy.purpose_declared", "fail", "trivially short"),
        ("privacy.minimisation", "inconclusive", "no real description"),
        ("policy.deny", "inconclusive", "none fires even on an empty input"),
    ],
)
def test_each_placeholder_earns_nothing_and_the_finding_says_why(
    stub_run, check: str, status: str, why: str
) -> None:
    _, findings = stub_run
    assert findings[check]["status"] == status, findings[check]["message"]
    assert why in findings[check]["message"]
