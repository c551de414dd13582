"""The policy collector with the real Rego engine (regopy) and the shipped example policies."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from aima_ci_collectors.policy import PolicyCollector

from aima_ci.config import load_config
from aima_ci.errors import CollectorConfigError
from aima_ci.evidence.collect import collect
from aima_ci.models import Status

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "policies"
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "policy"
GOOD = {
    "model": "credit-risk",
    "version": "1.2.0",
    "owner": "ml-team@example.com",
    "licence": "Apache-2.0",
    "intended_use": "Rank loan applications for human review.",
    "eu_ai_act": {
        "risk_class": "high",
        "justification": "Creditworthiness assessment: Annex III point 5(b).",
        "human_oversight": "A credit officer reviews every decline.",
    },
}


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    root.mkdir()
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    shutil.copytree(EXAMPLES, root / "policies")
    return root


def run(root: Path, settings: dict[str, Any]) -> list[Any]:
    cfg = root / "aima.yaml"
    cfg.write_text(yaml.safe_dump({"collectors": {"policy": settings}}))
    runs = collect(load_config(cfg), root / ".aima", available={"policy": PolicyCollector})
    assert runs[0].status in ("ok", "input_error"), runs[0].message
    return [f for f in runs[0].findings if f.check == "policy.deny"]


def write_meta(root: Path, data: dict[str, Any], name: str = "model.yaml") -> None:
    (root / name).write_text(yaml.safe_dump(data, sort_keys=False))


def test_compliant_metadata_passes(repo: Path) -> None:
    write_meta(repo, GOOD)
    [f] = run(repo, {"input": "model.yaml", "policies": "policies"})
    assert f.status is Status.PASS and f.value == 0
    assert f.questions == ("GOV-PC-B3",)  # GOV-PC-A3 is organisation-scope: attestation only
    assert {s.kind for s in f.subjects} == {"model-metadata", "policy"}
    assert f.artefacts == ("artefacts/policy/policy-result.json",)


def test_each_deny_message_is_a_failing_finding(repo: Path) -> None:
    meta = {k: v for k, v in GOOD.items() if k not in ("eu_ai_act", "owner")}
    write_meta(repo, meta)
    findings = run(repo, {"input": "model.yaml", "policies": ["policies"]})
    assert all(f.status is Status.FAIL for f in findings)
    messages = sorted(f.message for f in findings)
    assert messages == [
        "model.yaml: EU AI Act risk class has no justification (eu_ai_act.justification)",
        "model.yaml: missing EU AI Act risk classification (eu_ai_act.risk_class)",
        "model.yaml: no accountable owner recorded (owner: an e-mail address or team alias)",
    ]


def test_unacceptable_and_unknown_risk_classes_are_denied(repo: Path) -> None:
    write_meta(repo, {**GOOD, "eu_ai_act": {**GOOD["eu_ai_act"], "risk_class": "Unacceptable"}})
    [f] = run(repo, {"input": "model.yaml"})
    assert "prohibited practice (Art. 5)" in f.message
    write_meta(repo, {**GOOD, "eu_ai_act": {**GOOD["eu_ai_act"], "risk_class": "severe"}})
    [f] = run(repo, {"input": "model.yaml"})
    assert "risk class 'severe' is not one of" in f.message


def test_model_card_front_matter_and_json_inputs(repo: Path) -> None:
    (repo / "MODEL_CARD.md").write_text(
        "---\n" + yaml.safe_dump(GOOD) + "---\n# Card\n\nText.\n", encoding="utf-8"
    )
    [f] = run(repo, {"input": "MODEL_CARD.md"})
    assert f.status is Status.PASS
    import json

    (repo / "model.json").write_text(json.dumps({**GOOD, "licence": ""}))
    [f] = run(repo, {"input": "model.json"})
    assert f.status is Status.FAIL and "licence is not recorded" in f.message


def test_custom_query_and_object_messages(repo: Path) -> None:
    custom = repo / "custom"
    custom.mkdir()
    (custom / "org.rego").write_text(
        "package org.ai\nimport rego.v1\n\n"
        'violations contains {"msg": "model must be reviewed", "id": "ORG-1"} if {\n'
        "  not input.reviewed\n}\n"
    )
    (custom / "org_test.rego").write_text("this is not rego: test files are skipped\n")
    write_meta(repo, GOOD)
    [f] = run(
        repo,
        {
            "input": "model.yaml",
            "policies": "custom",
            "query": "data.org.ai.violations",
        },
    )
    assert f.status is Status.FAIL and f.message == "model.yaml: model must be reviewed"
    assert f.details["violation"] == {"msg": "model must be reviewed", "id": "ORG-1"}


def test_rego_syntax_error_names_the_policy_file_and_line(repo: Path) -> None:
    (repo / "policies" / "broken.rego").write_text(
        "package aima\nimport rego.v1\n\ndeny contains msg if {\n  msg := \n}\n"
    )
    write_meta(repo, GOOD)
    [f] = run(repo, {"input": "model.yaml"})
    assert f.status is Status.ERROR
    assert "syntax error: policies/broken.rego:5:7: Invalid assignment operator" in f.message


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        (
            "package other\nimport rego.v1\ndeny contains 1 if { true }\n",
            "is undefined",
        ),
        ('package aima\ndeny[msg] { msg := "v0" }\n', "Rego v1 syntax"),
        (
            (
                "package aima\nimport rego.v1\nr := 1 if { true }\nr := 2 if { true }\n"
                'deny contains "x" if { r == 1 }\n'
            ),
            "complete rules must not produce multiple outputs",
        ),
        (
            "package aima\nimport rego.v1\ndeny contains 42 if { true }\n",
            "string or an object",
        ),
    ],
)
def test_engine_errors_are_error_findings(repo: Path, source: str, expected: str) -> None:
    shutil.rmtree(repo / "policies")
    (repo / "policies").mkdir()
    (repo / "policies" / "p.rego").write_text(source)
    write_meta(repo, GOOD)
    [f] = run(repo, {"input": "model.yaml"})
    assert f.status is Status.ERROR and expected in f.message


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"owner: [unclosed\n", "model.yaml:2: invalid YAML"),
        (b"\x00\x01binary", "NUL byte"),
        (b"- a list\n", "must be a mapping"),
    ],
)
def test_malformed_input_is_an_error(repo: Path, content: bytes, expected: str) -> None:
    (repo / "model.yaml").write_bytes(content)
    [f] = run(repo, {"input": "model.yaml"})
    assert f.status is Status.ERROR and expected in f.message


def test_markdown_without_front_matter_and_binary_policy(repo: Path) -> None:
    (repo / "card.md").write_text("# Card\nno front matter\n")
    [f] = run(repo, {"input": "card.md"})
    assert f.status is Status.ERROR and "no YAML front-matter" in f.message
    write_meta(repo, GOOD)
    (repo / "policies" / "junk.rego").write_bytes(b"\xff\xfe\x00junk")
    [f] = run(repo, {"input": "model.yaml"})
    assert f.status is Status.ERROR and "policies/junk.rego" in f.message


def test_paths_outside_the_repository_and_symlinked_policies(repo: Path) -> None:
    write_meta(repo, GOOD)
    # a config path out of the repository is refused before any collector runs (exit 2)
    with pytest.raises(CollectorConfigError, match="outside the repository root"):
        run(repo, {"input": "../model.yaml"})
    (repo.parent / "evil.rego").write_text("package aima\n")
    (repo / "policies" / "evil.rego").symlink_to(repo.parent / "evil.rego")
    [f] = run(repo, {"input": "model.yaml"})
    assert f.status is Status.ERROR and "is a symlink" in f.message


def test_fixture_policy_from_examples_folder_is_valid(repo: Path) -> None:
    """The shipped example metadata passes the shipped policies (kept in step)."""
    write_meta(repo, yaml.safe_load((FIXTURES / "model-metadata.yaml").read_text()))
    [f] = run(repo, {"input": "model.yaml"})
    assert f.status is Status.PASS, f.message


def test_cache_inputs_include_default_policies_folder(repo: Path) -> None:
    from aima_ci.plugin import CollectorContext

    write_meta(repo, GOOD)
    collector = PolicyCollector()
    config = {"input": "model.yaml"}
    ctx = CollectorContext(
        collector=collector,
        config=config,
        root=repo,
        config_dir=repo,
        artefact_dir=repo / ".aima" / "artefacts",
        evidence_dir=repo / ".aima",
    )
    inputs = list(collector.cache_inputs(config, ctx))
    assert (repo / "policies").resolve() in inputs and (repo / "model.yaml").resolve() in inputs
