"""Evidence directories to render: a real run with the fault-injecting test plugin, attestations
and waivers; a hand-written evidence directory full of hostile strings (as another CI job could
hand over); and a passing run. Each is built once per session through the real CLI."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

TODAY = "2026-11-26"
ENV = {"AIMA_CI_TODAY": TODAY, "NO_COLOR": "1"}
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
SCHEMAS = FIXTURES / "schemas"

HOSTILE = "<script>console.error('xss')</script><img src=x onerror=\"console.error('xss2')\"> & \"q\" ]]> \x01\x1b[31m ☃"

RICH_CONFIG = """\
version: 1
# a comment so that lines are not trivially 1-based
target:
  level: 1
  domains:
    VER: 2
attestations: aima-attestations.yaml
waivers:
  - id: testplugin.beta
    reason: "Mitigation tracked in TICKET-1 <b>bold</b>"
    owner: ml-team@example.com
    expires: 2026-12-31
collectors:
  testplugin:
    behaviour: fail
required_collectors: [testplugin]
output_dir: .aima
"""


def attestation(question: str, answer: str, **extra: Any) -> dict[str, Any]:
    return {
        "question": question,
        "answer": answer,
        "owner": "owner@example.com",
        "date": "2026-11-01",
        "expires": "2027-11-01",
        **extra,
    }


@dataclass
class Built:
    repo: Path
    config: Path
    evidence: Path
    returncode: int

    @property
    def assessment(self) -> dict[str, Any]:
        return json.loads((self.evidence / "assessment.json").read_text(encoding="utf-8"))

    def report(self, fmt: str, out: Path | None = None) -> str:
        """Render through the real CLI (config line anchors included) and return the text."""
        target = out or (self.evidence / f"test-report.{fmt}")
        res = cli(
            "report", "--config", str(self.config), "-f", fmt, "-o", str(target), cwd=self.repo
        )
        assert res.returncode == 0, res.stderr
        return target.read_text(encoding="utf-8")

    def line_of(self, needle: str) -> int:
        """1-based line of the first config line that contains ``needle``."""
        for n, line in enumerate(self.config.read_text(encoding="utf-8").splitlines(), 1):
            if needle in line:
                return n
        raise AssertionError(f"{needle!r} not in {self.config}")


def cli(*args: str, cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "aima_ci", *args],
        cwd=cwd,
        env={**os.environ, **ENV},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def new_repo(base: Path) -> Path:
    base.mkdir(parents=True)
    (base / ".git").mkdir()
    return base


@pytest.fixture(scope="session")
def plugin_run(tmp_path_factory: pytest.TempPathFactory) -> Built:
    """A real `aima-ci run`: testplugin failing, one waiver, attestations yes/no/expired."""
    repo = new_repo(tmp_path_factory.mktemp("rich") / "repo")
    config = repo / "aima.yaml"
    config.write_text(RICH_CONFIG, encoding="utf-8")
    atts = [
        attestation("GOV-SM-A1", "yes", evidence="https://example.com/strategy"),
        attestation("GOV-SM-B1", "no"),
        {**attestation("RAI-ES-A1", "yes"), "date": "2025-01-01", "expires": "2025-06-01"},
    ]
    (repo / "aima-attestations.yaml").write_text(yaml.safe_dump({"attestations": atts}))
    res = cli("run", cwd=repo)
    assert res.returncode == 1, res.stdout + res.stderr  # the gate fails, as designed
    return Built(repo, config, repo / ".aima", res.returncode)


@pytest.fixture(scope="session")
def passing_run(tmp_path_factory: pytest.TempPathFactory) -> Built:
    """Every level-1 question attested yes: the gate passes at target level 1."""
    from aima_ci.assess.catalogue import load_catalogue

    repo = new_repo(tmp_path_factory.mktemp("pass") / "repo")
    config = repo / "aima.yaml"
    config.write_text("version: 1\ntarget: 1\nattestations: att.yaml\n", encoding="utf-8")
    atts = [attestation(q.id, "yes") for q in load_catalogue().questions.values() if q.level == 1]
    (repo / "att.yaml").write_text(yaml.safe_dump({"attestations": atts}))
    res = cli("run", cwd=repo)
    assert res.returncode == 0, res.stdout + res.stderr
    return Built(repo, config, repo / ".aima", res.returncode)


def hostile_findings() -> list[dict[str, Any]]:
    base = {"collector": "evil", "collector_version": "6.6.6"}
    return [
        {
            **base,
            "check": "evil.markup",
            "status": "fail",
            "severity": "critical",
            "message": HOSTILE + " " + "x" * 5000,
            "questions": ["VER-ST-A1"],
            "artefacts": [
                "artefacts/evil/report <b>\"1'.html",
                "../../etc/passwd",
                "javascript:alert(1)",
                "/abs/path",
            ],
            "next_step": HOSTILE,
        },
        {
            **base,
            "check": "evil.crash",
            "status": "error",
            "severity": "high",
            "message": "tool crashed: " + HOSTILE,
            "questions": ["IMP-SB-A1"],
        },
        {
            **base,
            "check": "evil.soft",
            "status": "warn",
            "severity": "low",
            "message": "soft warning",
            "questions": ["DAT-QI-A3"],
        },
        {
            **base,
            "check": "evil.na",
            "status": "not_applicable",
            "severity": "medium",
            "message": "no model to test",
            "questions": ["OPS-EM-A1"],
        },
        {
            **base,
            "check": "evil.pass",
            "status": "pass",
            "severity": "medium",
            "message": "ok",
            "questions": ["GOV-PC-A1"],
            "artefacts": ["artefacts/evil/ok.txt"],
        },
    ]


@pytest.fixture(scope="session")
def hostile_evidence(tmp_path_factory: pytest.TempPathFactory) -> Built:
    """Evidence handed over by another job, scored with `aima-ci score`: every string hostile."""
    repo = new_repo(tmp_path_factory.mktemp("hostile") / "repo")
    config = repo / "aima.yaml"
    config.write_text(
        "version: 1\ntarget: 1\nattestations: att.yaml\nwaivers:\n"
        "  - id: DES-TA-A1\n"
        f"    reason: {json.dumps(HOSTILE)}\n"
        f"    owner: {json.dumps('<i>owner</i>@example.com')}\n"
        "    expires: 2026-12-20\n"
        "collectors:\n  evil: {}\n",
        encoding="utf-8",
    )
    atts = [attestation("GOV-SM-A1", "yes", owner=HOSTILE, evidence="javascript:alert(1)")]
    (repo / "att.yaml").write_text(yaml.safe_dump({"attestations": atts}))
    evidence = repo / ".aima"
    (evidence / "artefacts" / "evil").mkdir(parents=True)
    (evidence / "artefacts" / "evil" / "ok.txt").write_text("fine\n")
    (evidence / "artefacts" / "evil" / "report <b>\"1'.html").write_text("<p>x</p>\n")
    (evidence / "findings.jsonl").write_text(
        "".join(json.dumps(f) + "\n" for f in hostile_findings()), encoding="utf-8"
    )
    run = {"collectors": [{"name": "evil", "status": "ok", "message": HOSTILE, "checks": []}]}
    (evidence / "run.json").write_text(json.dumps(run), encoding="utf-8")
    res = cli("score", cwd=repo)
    assert res.returncode == 0, res.stdout + res.stderr
    return Built(repo, config, evidence, 1)


@pytest.fixture(scope="session")
def require_tool() -> Callable[[str], str]:
    """Find an external tool; missing: fail under CI=true (the CI must install it), else skip."""

    def find(name: str) -> str:
        beside = Path(sys.executable).parent / name
        path = str(beside) if beside.exists() else shutil.which(name)
        if path:
            return path
        if os.environ.get("CI") == "true":
            pytest.fail(f"{name} is not installed; .ci/run must install it", pytrace=False)
        pytest.skip(f"{name} is not installed")

    return find


@pytest.fixture(scope="session")
def sarif_validator() -> Any:
    """jsonschema's Draft-07 validator over the vendored OASIS SARIF 2.1.0 schema."""
    from jsonschema import Draft7Validator

    schema = json.loads((SCHEMAS / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
    Draft7Validator.check_schema(schema)
    return Draft7Validator(schema)


@pytest.fixture(scope="session")
def hostile_text() -> str:
    return HOSTILE
