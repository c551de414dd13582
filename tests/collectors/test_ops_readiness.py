"""ops_readiness: alert rules on model metrics, incident playbook sections, rollback path."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from aima_ci_collectors.ops_readiness import OpsReadinessCollector, playbook, promrules

from aima_ci.config import load_config
from aima_ci.evidence.collect import collect
from aima_ci.evidence.directory import read_findings
from aima_ci.models import Status
from aima_ci.plugin import CollectorConfigError, CollectorContext

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "ops_readiness"
REGISTRY = """\
model: credit-scorer
current: "1.4.0"
versions:
  - {version: "1.4.0", artifact: models/credit.skops}
  - {version: "1.3.2", uri: "s3://models/credit/1.3.2"}
"""


def git(root: Path, *args: str) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com"}
    env |= {"GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}
    proc = subprocess.run(
        ["git", "-C", str(root), *args], check=True, env=env, capture_output=True, text=True
    )
    return proc.stdout


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    root.mkdir()
    git(root, "init", "-q")
    (root / "monitoring").mkdir()
    (root / "docs").mkdir()
    (root / "models").mkdir()
    shutil.copy(FIXTURES / "model-alerts.yml", root / "monitoring" / "model-alerts.yml")
    shutil.copy(FIXTURES / "incident-response.md", root / "docs" / "incident-response.md")
    (root / "models" / "registry.yaml").write_text(REGISTRY)
    return root


def direct(root: Path, settings: dict[str, Any]) -> dict[str, list[Any]]:
    c = OpsReadinessCollector()
    ev = root / ".aima"
    ctx = CollectorContext(
        collector=c,
        config=settings,
        root=root,
        config_dir=root,
        artefact_dir=ev / "artefacts" / "ops_readiness",
        evidence_dir=ev,
    )
    found: dict[str, list[Any]] = {}
    for f in c.collect(ctx):
        found.setdefault(f.check, []).append(f)
    return found


def test_ready_repository_passes_through_the_runner(repo: Path) -> None:
    cfg = repo / "aima.yaml"
    cfg.write_text(
        yaml.safe_dump(
            {
                "collectors": {
                    "ops_readiness": {"rollback": {"registry_file": "models/registry.yaml"}}
                }
            }
        )
    )
    collect(load_config(cfg), repo / ".aima")
    found = {f.check: f for f in read_findings(repo / ".aima")}
    alerts = found["ops_readiness.alert_rules"]
    assert alerts.status is Status.PASS, alerts.message
    assert alerts.value == 3
    assert alerts.details["watched"] == {
        "drift": ["CreditModelFeatureDrift"],
        "confidence": ["CreditModelLowConfidence"],
        "error_rate": ["CreditModelErrorRate"],
    }
    assert alerts.details["validator"].startswith("aima-ci structural check")
    pb = found["ops_readiness.incident_playbook"]
    assert pb.status is Status.PASS
    assert pb.details["sections"]["roll back"] == "docs/incident-response.md:11"
    rb = found["ops_readiness.rollback_path"]
    assert rb.status is Status.PASS and "1.4.0 can roll back to 1.3.2" in rb.message


def test_invalid_rules_are_named_with_file_and_line(repo: Path) -> None:
    shutil.copy(FIXTURES / "broken-alerts.yml", repo / "monitoring" / "broken-alerts.yml")
    found = direct(repo, {"alert_rules": "monitoring/broken-alerts.yml"})
    (f,) = found["ops_readiness.alert_rules"]
    assert f.status is Status.FAIL
    problems = f.details["problems"]
    assert (
        "monitoring/broken-alerts.yml:4: alert 'NoFor': no for: (fires on a single scrape)"
        in problems
    )
    assert any("broken-alerts.yml:9" in p and "unbalanced" in p for p in problems)
    assert any("'NoSeverity': for: 5 is not a duration" in p for p in problems)
    assert any("'NoSeverity': no labels.severity" in p for p in problems)
    assert any("unknown key 'anotations'" in p for p in problems)
    assert "no valid alert watches drift, confidence, error_rate" in f.message


def test_missing_watch_category_fails(repo: Path) -> None:
    found = direct(repo, {"watch": {"drift": ["psi"], "latency": ["latency_seconds"]}})
    (f,) = found["ops_readiness.alert_rules"]
    assert f.status is Status.FAIL and "no valid alert watches latency" in f.message
    found = direct(
        repo, {"watch": {"drift": ["psi"], "latency": ["latency"]}, "required_watch": ["drift"]}
    )
    assert found["ops_readiness.alert_rules"][0].status is Status.PASS


def test_discovery_skips_yaml_that_is_not_a_rule_file(repo: Path) -> None:
    (repo / "lint-rules.yaml").write_text("extends: default\nrules: {line-length: 100}\n")
    (f,) = direct(repo, {})["ops_readiness.alert_rules"]
    assert f.status is Status.PASS


def test_no_rules_no_playbook_no_rollback(tmp_path: Path) -> None:
    root = tmp_path / "empty"
    (root / ".git").mkdir(parents=True)
    found = direct(root, {})
    assert found["ops_readiness.alert_rules"][0].status is Status.FAIL
    assert found["ops_readiness.incident_playbook"][0].status is Status.FAIL
    assert found["ops_readiness.rollback_path"][0].status is Status.FAIL


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("groups:\n  - name: x\n    rules: [\n", "monitoring/model-alerts.yml:4: invalid YAML"),
        ("\x00\x01\x02", "monitoring/model-alerts.yml:1: binary data"),
    ],
)
def test_malformed_rule_file_is_an_error(repo: Path, content: str, expected: str) -> None:
    (repo / "monitoring" / "model-alerts.yml").write_text(content)
    found = direct(repo, {"alert_rules": ["monitoring/model-alerts.yml"]})
    (f,) = found["ops_readiness.alert_rules"]
    assert f.status is Status.ERROR and expected in f.message


def test_rule_file_outside_the_repository(repo: Path, tmp_path: Path) -> None:
    shutil.copy(FIXTURES / "model-alerts.yml", tmp_path / "outside.yml")
    (repo / "monitoring" / "model-alerts.yml").unlink()
    (repo / "monitoring" / "linked-alerts.yml").symlink_to(tmp_path / "outside.yml")
    found = direct(repo, {})
    assert [f.status for f in found["ops_readiness.alert_rules"]] == [Status.ERROR]
    assert "monitoring/linked-alerts.yml" in found["ops_readiness.alert_rules"][0].message
    found = direct(repo, {"alert_rules": "../outside.yml", "playbook": "/etc/hostname"})
    assert found["ops_readiness.alert_rules"][0].status is Status.ERROR
    assert "outside the repository root" in found["ops_readiness.incident_playbook"][0].message


def test_playbook_missing_sections(repo: Path) -> None:
    (repo / "docs" / "incident-response.md").write_text(
        "# Incident response\n\n## Detect\nAlerts.\n\n## Roll back\n\n## Notes\nSee wiki.\n"
    )
    (f,) = direct(repo, {})["ops_readiness.incident_playbook"]
    assert f.status is Status.FAIL
    assert f.details["missing"] == [
        "isolate",
        "roll back (heading has no text)",
        "root cause",
        "retest",
    ]


def test_playbook_custom_sections(repo: Path) -> None:
    (repo / "runbook.md").write_text(
        "Triage\n======\nPage on-call.\n\nComms\n-----\nStatus page.\n"
    )
    found = direct(
        repo,
        {
            "playbook": "runbook.md",
            "sections": {"comms": ["comms"]},
            "required_sections": ["detect", "comms"],
        },
    )
    assert found["ops_readiness.incident_playbook"][0].status is Status.PASS


def test_headings_inside_code_fences_do_not_count() -> None:
    text = "# Runbook\n```\n## Detect\n```\n## Retest\nRun tests.\n"
    missing, _ = playbook.missing_sections(text, ["detect", "retest"], playbook.DEFAULT_SECTIONS)
    assert missing == ["detect"]


def test_registry_without_a_previous_version_fails(repo: Path) -> None:
    (repo / "models" / "registry.yaml").write_text(
        'current: "2.0"\nversions:\n  - {version: "2.0", artifact: a}\n  - {version: "1.0"}\n'
    )
    (f,) = direct(repo, {"rollback": {"registry_file": "models/registry.yaml"}})[
        "ops_readiness.rollback_path"
    ]
    assert f.status is Status.FAIL and "no version other than '2.0'" in f.message


def test_git_tag_rollback(repo: Path) -> None:
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "v1")
    git(repo, "tag", "-a", "model-v1", "-m", "release 1")
    settings = {"rollback": {"git_tag_pattern": "model-v*"}}
    (f,) = direct(repo, settings)["ops_readiness.rollback_path"]
    assert f.status is Status.FAIL and "on HEAD itself" in f.message
    (repo / "x.txt").write_text("change\n")
    git(repo, "add", "x.txt")
    git(repo, "commit", "-q", "-m", "v2")
    git(repo, "tag", "model-v2")
    (f,) = direct(repo, settings)["ops_readiness.rollback_path"]
    assert f.status is Status.PASS and f.details["results"][0]["tags"] == ["model-v1"]


def test_metric_names_skip_functions_labels_and_keywords() -> None:
    expr = 'sum by (model) (rate(model_errors_total{job="api", code=~"5.."}[5m])) / on(model) group_left sum(rate(requests_total[5m]))'
    assert promrules.metric_names(expr) == ("model_errors_total", "requests_total")
    assert promrules.balanced('x{a="}"}') and not promrules.balanced("rate(x[5m]")


def test_config_is_validated() -> None:
    c = OpsReadinessCollector()
    with pytest.raises(CollectorConfigError, match="rollback"):
        c.validate_config({"rollback": {"tag": "x"}})
    with pytest.raises(CollectorConfigError, match=r"watch\.drift"):
        c.validate_config({"watch": {"drift": ["("]}})
    with pytest.raises(CollectorConfigError, match="required_sections"):
        c.validate_config({"required_sections": ["pray"]})


@pytest.mark.parametrize(
    ("settings", "key"),
    [
        ({"playbok": "x.md"}, "collectors.ops_readiness.playbok: unknown key"),
        ({"alert_rules": [3]}, "collectors.ops_readiness.alert_rules[0]: must be"),
        ({"watch": {}}, "collectors.ops_readiness.watch: must be a mapping of name to a list"),
        ({"required_watch": ["latency"]}, "collectors.ops_readiness.required_watch: a list of"),
        (
            {"sections": {"comms": ["comms"]}, "required_sections": ["comms", "pray"]},
            "collectors.ops_readiness.required_sections: a list from: detect",
        ),
        ({"rollback": {}}, "collectors.ops_readiness.rollback: a mapping with registry_file"),
        ({"rollback": {"registry_file": ""}}, "collectors.ops_readiness.rollback.registry_file:"),
    ],
)
def test_bad_settings_name_the_key(settings: dict[str, Any], key: str) -> None:
    with pytest.raises(CollectorConfigError) as err:
        OpsReadinessCollector().validate_config(settings)
    assert str(err.value).startswith(f"config: {key}")


def test_settings_merge_the_defaults_once() -> None:
    s = OpsReadinessCollector().parse_settings(
        {"watch": {"latency": ["latency_seconds"]}, "sections": {"comms": ["communication"]}}
    )
    assert list(s.watch) == ["latency"] and s.required_watch == ("latency",)
    assert "comms" in s.sections and "detect" in s.sections  # configured steps add to defaults
    assert s.required_sections == tuple(playbook.DEFAULT_SECTIONS)
    assert not s.rollback_configured
