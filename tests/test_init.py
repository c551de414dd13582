"""`aima-ci init`: the template for an empty repository; an inspected starter otherwise."""

from __future__ import annotations

import datetime as dt
import pickle
import re
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from aima_ci.assess.catalogue import load_catalogue
from aima_ci.cli.init import (
    Inspection,
    init_repository,
    inspect_repository,
    plan_collectors,
    questions_left,
    starter_attestations,
    starter_config,
    write_starters,
)
from aima_ci.cli.main import cli
from aima_ci.config import load_config
from aima_ci.evidence.collect import collect
from aima_ci.models import Check

TODAY = dt.date(2026, 11, 26)
ALERTS = """\
groups:
  - name: model
    rules:
      - alert: Drift
        expr: model_drift_psi > 0.2
        for: 30m
        labels: {severity: warning}
        annotations: {summary: drift}
"""


@pytest.fixture
def empty(tmp_path: Path) -> Path:
    root = tmp_path / "empty"
    (root / ".git").mkdir(parents=True)
    return root


@pytest.fixture
def ml_repo(tmp_path: Path) -> Path:
    root = tmp_path / "ml"
    (root / ".git").mkdir(parents=True)
    files = {
        "models/scorer.pkl": pickle.dumps({"weights": [0.5, 0.25]}),
        "data/train.csv": b"age,income,email,approved\n34,1,a@example.com,1\n",
        "data/holdout.csv": b"age,income,email,approved\n40,2,,0\n",
        "notebooks/explore.ipynb": b"{}",
        ".github/workflows/ci.yml": b"on: [push]\njobs:\n  gate:\n    runs-on: x\n    steps:\n      - run: aima-ci run\n",
        "MODEL_CARD.md": b"# Model card\n",
        "docs/threat-model.md": b"# Threat model\n",
        "monitoring/model-alerts.yml": ALERTS.encode(),
        "monitoring/recording-rules.yml": b"not: a rule file\n",
        "docs/incident-response.md": b"# Incident\n## Detect\nx\n",
        "models/registry.yaml": b"current: '1'\nversions: []\n",
        "requirements.txt": b"scikit-learn>=1.4\nopenai==1.50.0  # the chat client\n",
        "node_modules/pkg/model.pkl": b"ignored",
    }
    for rel, data in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return root


def test_empty_repository_gets_the_template_and_every_question(empty: Path) -> None:
    paths = write_starters(empty, load_catalogue(), TODAY, force=False)
    assert [p.name for p in paths] == ["aima.yaml", "aima-attestations.yaml"]
    assert (empty / "aima.yaml").read_text() == starter_config()
    attest = (empty / "aima-attestations.yaml").read_text()
    assert attest == starter_attestations(load_catalogue(), TODAY)
    assert len(re.findall(r"^# - question: ", attest, re.M)) == 144
    with pytest.raises(FileExistsError):
        write_starters(empty, load_catalogue(), TODAY, force=False)


def test_inspection_finds_what_matters(ml_repo: Path, tmp_path: Path) -> None:
    (tmp_path / "outside.pkl").write_bytes(b"x")
    (ml_repo / "models" / "link.pkl").symlink_to(tmp_path / "outside.pkl")
    found = inspect_repository(ml_repo)
    assert found.models == ["models/scorer.pkl"]  # not node_modules, not the outside symlink
    assert found.datasets == ["data/holdout.csv", "data/train.csv"]
    assert found.notebooks == ["notebooks/explore.ipynb"]
    assert found.ci_files == [".github/workflows/ci.yml"]
    assert found.model_cards == ["MODEL_CARD.md"]
    assert found.threat_models == ["docs/threat-model.md"]
    assert found.alert_rules == ["monitoring/model-alerts.yml"]  # the other YAML has no groups:
    assert found.playbooks == ["docs/incident-response.md"]
    assert found.registries == ["models/registry.yaml"]
    assert found.llm_libraries == ["openai"]
    assert found.csv_columns["data/train.csv"] == ["age", "income", "email", "approved"]


def test_llm_libraries_from_pyproject(empty: Path) -> None:
    (empty / "pyproject.toml").write_text(
        '[project]\nname = "bot"\ndependencies = ["anthropic>=0.30", "langchain-openai"]\n'
        '[project.optional-dependencies]\nhf = ["transformers"]\n'
    )
    assert inspect_repository(empty).llm_libraries == ["anthropic", "langchain", "transformers"]


def test_generated_config_enables_what_fits_and_loads(ml_repo: Path) -> None:
    result = init_repository(ml_repo, load_catalogue(), TODAY, force=False)
    assert result.enabled == [
        "supply_chain",
        "privacy",
        "model_card",
        "threat_model",
        "ops_readiness",
        "pipeline",
    ]
    text = (ml_repo / "aima.yaml").read_text()
    config = load_config(ml_repo / "aima.yaml")
    assert config.collectors["privacy"]["data"] == ["data/holdout.csv", "data/train.csv"]
    assert config.collectors["ops_readiness"] == {
        "alert_rules": ["monitoring/model-alerts.yml"],
        "playbook": "docs/incident-response.md",
        "rollback": {"registry_file": "models/registry.yaml"},
    }
    assert config.collectors["model_card"] == {"path": "MODEL_CARD.md"}
    assert "garak" not in config.collectors  # suggested, commented out: it needs a target
    assert "LLM probes (found openai in the dependencies" in text and "#  garak:" in text
    assert "needed_columns (of age, income, email, approved)" in "\n".join(result.next_steps)
    assert "#   model files: models/scorer.pkl" in text
    # one-row tables are listed as too small, and no drift or bias check points at them
    assert "tables too small to measure (< 20 rows): data/holdout.csv" in text
    assert "evidently" not in config.collectors and "aif360" not in config.collectors
    assert config.attestation_files == (ml_repo / "aima-attestations.yaml",)


def test_attestation_file_lists_only_what_no_enabled_collector_answers(ml_repo: Path) -> None:
    result = init_repository(ml_repo, load_catalogue(), TODAY, force=False)
    attest = (ml_repo / "aima-attestations.yaml").read_text()
    listed = set(re.findall(r"^# - question: (\S+)", attest, re.M))
    assert len(listed) == result.questions_left < 144
    assert "GOV-EA-A1" in listed  # training: only people can answer
    assert "IMP-SB-B1" not in listed  # supply_chain answers it
    assert "OPS-IM-A1" not in listed  # ops_readiness answers it
    assert "IMP-SB-B2" not in listed  # pipeline.gate answers it
    assert "RAI-FB-A3" in listed  # pipeline declares it, but no enabled collector evidences RAI-FB
    assert yaml.safe_load(attest) == {"attestations": None}  # an open list: entries can follow
    assert "#   owner: team@example.com" in attest and "#   expires: 2027-11-26" in attest


def test_generated_config_runs_without_config_errors(ml_repo: Path) -> None:
    init_repository(ml_repo, load_catalogue(), TODAY, force=False)
    config = load_config(ml_repo / "aima.yaml")
    runs = collect(
        config, ml_repo / ".aima", only=("supply_chain", "privacy", "ops_readiness", "pipeline")
    )
    assert {r.name: r.status for r in runs} == {
        "supply_chain": "ok",
        "privacy": "ok",
        "ops_readiness": "ok",
        "pipeline": "ok",
    }


def test_questions_left_pure() -> None:
    cat = load_catalogue()
    checks = {
        "pipeline": (
            Check("pipeline.gate", "g", ("IMP-SB-B2",)),
            Check("pipeline.bias_checks", "b", ("RAI-FB-A3",)),
        ),
        "fair": (Check("fair.x", "x", ("RAI-FB-A1",)),),
    }
    left = questions_left(cat, checks, ["pipeline"])
    assert "IMP-SB-B2" not in left and "RAI-FB-A3" in left
    left = questions_left(cat, checks, ["pipeline", "fair"])
    assert "RAI-FB-A3" not in left and "RAI-FB-A1" not in left


def test_plan_comments_out_collectors_that_are_not_installed() -> None:
    from aima_ci.plugin import discover

    found = Inspection(models=["m.pkl"], datasets=["d.csv"])
    plan = plan_collectors(found, discover(), installed=["supply_chain"])
    assert plan.enabled == ["supply_chain"]
    privacy = next(b for b in plan.blocks if "privacy:" in b)
    assert "not installed here" in privacy and "#  privacy:" in privacy


def test_cli_reports_what_it_found(ml_repo: Path, empty: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(cli, ["init", "--dir", str(ml_repo)])
    assert result.exit_code == 0, result.output
    assert "found model files: models/scorer.pkl" in result.output
    assert (
        "enabled collectors: supply_chain, privacy, model_card, threat_model, ops_readiness,"
        " pipeline" in result.output
    )
    assert "question(s) left to attest in aima-attestations.yaml" in result.output
    again = runner.invoke(cli, ["init", "--dir", str(ml_repo)])
    assert again.exit_code == 2 and "already exist" in again.output
    plain = runner.invoke(cli, ["init", "--dir", str(ml_repo), "--force", "--no-inspect"])
    assert plain.exit_code == 0
    assert (ml_repo / "aima.yaml").read_text() == starter_config()
    result = runner.invoke(cli, ["init", "--dir", str(empty)])
    assert not [line for line in result.output.splitlines() if line.startswith("found ")]
    assert "144 question(s) left" in result.output
