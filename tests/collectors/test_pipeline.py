"""pipeline: CI really runs aima-ci as a gate, and which practices its collectors cover."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from aima_ci_collectors.pipeline import PipelineCollector
from aima_ci_collectors.pipeline import judge as pipeline_judge
from aima_ci_collectors.pipeline.aimaconfig import GateConfig
from aima_ci_collectors.pipeline.ci import CiScan, GateStep
from aima_ci_collectors.pipeline.integrations import INTEGRATIONS
from aima_ci_collectors.pipeline.measure import PipelineReading
from aima_ci_collectors.pipeline.scripts import invocations

from aima_ci.config import load_config
from aima_ci.evidence.collect import collect
from aima_ci.evidence.directory import read_findings
from aima_ci.models import Status
from aima_ci.plugin import CollectorConfigError, CollectorContext

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "pipeline"


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    (root / ".git").mkdir(parents=True)
    (root / "ci").mkdir()
    shutil.copy(FIXTURES / "aima.yaml", root / "ci" / "aima.yaml")
    return root


def workflow(root: Path, fixture: str, name: str | None = None) -> None:
    target = root / ".github" / "workflows" / (name or fixture)
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(FIXTURES / fixture, target)


def direct(root: Path, settings: dict[str, Any] | None = None) -> dict[str, Any]:
    c = PipelineCollector()
    ev = root / ".aima"
    ctx = CollectorContext(
        collector=c,
        config=settings or {},
        root=root,
        config_dir=root,
        artefact_dir=ev / "artefacts" / "pipeline",
        evidence_dir=ev,
    )
    return {f.check: f for f in c.collect(ctx)}


def steps(root: Path) -> list[dict[str, Any]]:
    return json.loads((root / ".aima/artefacts/pipeline/pipeline.json").read_text())["steps"]


def test_github_gate_and_covered_practices_through_the_runner(repo: Path) -> None:
    workflow(repo, "github-gate.yml", "aima.yml")
    cfg = repo / "aima.yaml"
    cfg.write_text(yaml.safe_dump({"collectors": {"pipeline": {}}}))
    collect(load_config(cfg), repo / ".aima")
    found = {f.check: f for f in read_findings(repo / ".aima")}

    gate = found["pipeline.gate"]
    assert gate.status is Status.PASS
    assert ".github/workflows/aima.yml:14 (command run)" in gate.message
    assert found["pipeline.build_checks"].status is Status.PASS
    assert found["pipeline.build_checks"].details["collectors"] == ["supply_chain"]
    assert found["pipeline.privacy_checks"].status is Status.PASS
    # supply_chain no longer counts for IMP-SD: an SBOM is build tooling, not deployment (issue 13)
    assert found["pipeline.deployment_checks"].details["collectors"] == ["ops_readiness"]
    bias = found["pipeline.bias_checks"]
    assert bias.status is Status.NOT_APPLICABLE  # fairlearn is disabled in that config
    assert "not counted: no_such_collector" in bias.message and "RAI-FB-A3" in bias.message
    recorded = steps(repo)
    assert [s["kind"] for s in recorded] == ["command", "action"]
    assert recorded[0]["collectors"] == [
        "supply_chain",
        "privacy",
        "ops_readiness",
        "pipeline",
        "no_such_collector",
    ]
    assert recorded[1]["config_file"] == "ci/aima.yaml"


def test_soft_gates_are_not_gates(repo: Path) -> None:
    workflow(repo, "github-soft.yml")
    found = direct(repo)
    gate = found["pipeline.gate"]
    assert gate.status is Status.FAIL
    assert "not as a gate" in gate.message and "'|| true' swallows" in gate.message
    reasons = {s["where"]: s["reason"] for s in steps(repo)}
    assert list(reasons.values()) == [
        "'|| true' swallows the gate's exit code",
        "continue-on-error: true on the step",
        "input soft-fail: true lets the gate fail without failing the job",
        "continue-on-error on the job is an expression that may be true",
    ]
    assert all(found[c].status is Status.FAIL for c in found if c != "pipeline.gate")


def test_schedule_only_workflow_is_not_a_gate(repo: Path) -> None:
    (repo / ".github" / "workflows").mkdir(parents=True)
    (repo / ".github" / "workflows" / "nightly.yml").write_text(
        "on:\n  schedule: [{cron: '0 3 * * *'}]\njobs:\n  a:\n    runs-on: x\n    steps:\n      - run: aima-ci run\n"
    )
    gate = direct(repo)["pipeline.gate"]
    assert gate.status is Status.FAIL and "runs only on schedule" in gate.message


def test_gitlab_local_include_extends_and_component(repo: Path) -> None:
    shutil.copy(FIXTURES / "gitlab-ci.yml", repo / ".gitlab-ci.yml")
    shutil.copy(FIXTURES / "gitlab-aima-jobs.yml", repo / "ci" / "aima-jobs.yml")
    found = direct(repo)
    assert found["pipeline.gate"].status is Status.PASS
    by_job = {s["job"]: s for s in steps(repo)}
    assert by_job["aima-gate"]["blocking"] and by_job["aima-gate"]["where"] == "ci/aima-jobs.yml:5"
    assert not by_job["aima-advisory"]["blocking"]
    assert "exit_codes includes 1" in by_job["aima-advisory"]["reason"]
    component = by_job["$CI_SERVER_FQDN/example-org/aima-ci/aima-ci@1.2"]
    assert component["kind"] == "component" and component["blocking"]
    assert component["collectors"][:2] == ["supply_chain", "privacy"]
    notes = json.loads((repo / ".aima/artefacts/pipeline/pipeline.json").read_text())["notes"]
    assert notes == [".gitlab-ci.yml:2: remote include not followed (only local files are read)"]


def test_gitlab_allow_failure_and_manual_jobs(repo: Path) -> None:
    (repo / ".gitlab-ci.yml").write_text(
        "a:\n  allow_failure: true\n  script: [aima-ci run]\n"
        "b:\n  when: manual\n  script: [aima-ci gate]\n"
        "c:\n  script: [echo]\n  after_script: [aima-ci run]\n"
    )
    found = direct(repo)
    assert found["pipeline.gate"].status is Status.FAIL
    reasons = [s["reason"] for s in steps(repo)]
    assert reasons == [
        "allow_failure: true",
        "a manual job (allowed to fail unless allow_failure: false)",
        "in after_script, whose failure never fails the job",
    ]


def test_no_ci_at_all(repo: Path) -> None:
    found = direct(repo)
    assert found["pipeline.gate"].status is Status.FAIL
    assert "no CI configuration found" in found["pipeline.gate"].message
    assert found["pipeline.security_testing"].status is Status.FAIL


def test_malformed_workflow_is_an_error_naming_the_line(repo: Path) -> None:
    (repo / ".github" / "workflows").mkdir(parents=True)
    (repo / ".github" / "workflows" / "bad.yml").write_text("on: push\njobs:\n  a: [unclosed\n")
    gate = direct(repo)["pipeline.gate"]
    assert (
        gate.status is Status.ERROR and ".github/workflows/bad.yml:4: invalid YAML" in gate.message
    )


def test_gate_config_outside_the_repository_is_an_error(repo: Path, tmp_path: Path) -> None:
    (tmp_path / "aima.yaml").write_text("collectors: {supply_chain: {}}\n")
    (repo / ".gitlab-ci.yml").write_text(
        "gate:\n  script:\n    - aima-ci run --config ../aima.yaml\n"
    )
    found = direct(repo)
    assert found["pipeline.gate"].status is Status.PASS
    build = found["pipeline.build_checks"]
    assert build.status is Status.ERROR and "outside the repository root" in build.message


def test_default_config_discovery_in_the_working_directory(repo: Path) -> None:
    (repo / "svc").mkdir()
    (repo / "svc" / "pyproject.toml").write_text(
        '[tool.aima-ci]\n[tool.aima-ci.collectors.privacy]\ndata = "x.csv"\n'
    )
    (repo / ".github" / "workflows").mkdir(parents=True)
    (repo / ".github" / "workflows" / "ci.yml").write_text(
        "on: pull_request\njobs:\n  a:\n    runs-on: x\n    defaults: {run: {working-directory: svc}}\n"
        "    steps:\n      - run: python -m aima_ci run\n"
    )
    found = direct(repo)
    assert found["pipeline.privacy_checks"].status is Status.PASS
    assert steps(repo)[0]["config_file"] == "svc/pyproject.toml"


def test_third_party_collectors_count(repo: Path) -> None:
    """testplugin (a separately installed distribution) declares VER-ST checks."""
    pytest.importorskip("aima_ci_testplugin")
    (repo / "ci" / "aima.yaml").write_text("collectors: {testplugin: {}}\n")
    (repo / ".gitlab-ci.yml").write_text("gate:\n  script: [aima-ci gate --config ci/aima.yaml]\n")
    found = direct(repo)
    assert found["pipeline.security_testing"].status is Status.PASS
    assert found["pipeline.security_testing"].details["collectors"] == ["testplugin"]


def test_only_flag_limits_the_collectors(repo: Path) -> None:
    (repo / ".gitlab-ci.yml").write_text(
        "gate:\n  script: [aima-ci run --config ci/aima.yaml --only privacy]\n"
    )
    found = direct(repo)
    assert found["pipeline.privacy_checks"].status is Status.PASS
    assert found["pipeline.build_checks"].status is Status.NOT_APPLICABLE


def test_checks_key_selects_what_is_reported(repo: Path) -> None:
    cfg = repo / "aima.yaml"
    cfg.write_text(
        yaml.safe_dump({"collectors": {"pipeline": {"checks": ["gate", "privacy_checks"]}}})
    )
    collect(load_config(cfg), repo / ".aima")
    assert sorted(f.check for f in read_findings(repo / ".aima")) == [
        "pipeline.gate",
        "pipeline.privacy_checks",
    ]


def test_include_cycles_and_missing_files(repo: Path) -> None:
    (repo / ".gitlab-ci.yml").write_text("include: [ci/a.yml, ci/missing.yml]\n")
    (repo / "ci" / "a.yml").write_text(
        "include: {local: .gitlab-ci.yml}\njob:\n  script: [aima-ci run --config ci/aima.yaml]\n"
    )
    found = direct(repo)
    assert found["pipeline.gate"].status is Status.PASS
    problems = json.loads((repo / ".aima/artefacts/pipeline/pipeline.json").read_text())["problems"]
    assert problems == [".gitlab-ci.yml:1: included file 'ci/missing.yml' does not exist"]


@pytest.mark.parametrize(
    ("script", "expected"),
    [
        ("aima-ci run --config a.yaml --only x", [("run", True, "a.yaml", ["x"])]),
        ("aima-ci run | tee log", [("run", False, None, [])]),
        ("set +e\naima-ci gate\necho done", [("gate", False, None, [])]),
        ("aima-ci run || exit 1", [("run", True, None, [])]),
        (
            "aima-ci collect && aima-ci score",
            [("collect", False, None, []), ("score", False, None, [])],
        ),
        ("python3 -m aima_ci -q gate \\\n  --config=b.yaml", [("gate", True, "b.yaml", [])]),
        ("# aima-ci run\necho", []),
    ],
)
def test_script_analysis(script: str, expected: list[tuple[Any, ...]]) -> None:
    assert [(i.command, i.blocking, i.config, i.only) for i in invocations(script)] == expected


def test_config_is_validated() -> None:
    c = PipelineCollector()
    with pytest.raises(CollectorConfigError, match="checks"):
        c.validate_config({"checks": ["gates"]})
    with pytest.raises(CollectorConfigError, match="github_workflows"):
        c.validate_config({"github_workflows": ".github/*.yml"})


@pytest.mark.parametrize("include", ["1", "true", "[1]"])
def test_malformed_gitlab_include_is_a_problem_not_a_crash(repo: Path, include: str) -> None:
    (repo / ".gitlab-ci.yml").write_text(f"include: {include}\n")
    gate = direct(repo)["pipeline.gate"]
    assert gate.status is Status.ERROR and ".gitlab-ci.yml:1: include" in gate.message


@pytest.mark.parametrize(
    ("settings", "key"),
    [
        ({"gitlab": "x.yml"}, "collectors.pipeline.gitlab: unknown key"),
        ({"mode": "report"}, "collectors.pipeline.mode: the pipeline collector has no report"),
        ({"gitlab_ci": 3}, "collectors.pipeline.gitlab_ci: must be a path"),
        ({"checks": []}, "collectors.pipeline.checks: must be a list from: architecture_review"),
        ({"checks": ["gate", "gates"]}, "collectors.pipeline.checks[1]: must be one of: "),
    ],
)
def test_bad_settings_name_the_key(settings: dict[str, Any], key: str) -> None:
    with pytest.raises(CollectorConfigError) as err:
        PipelineCollector().validate_config(settings)
    assert str(err.value).startswith(f"config: {key}")


def test_checks_key_and_enabled_checks_agree() -> None:
    c = PipelineCollector()
    chosen = c.enabled_checks({"checks": ["bias_checks", "gate"]})
    assert [x.id for x in chosen] == ["pipeline.gate", "pipeline.bias_checks"]
    assert len(c.enabled_checks({})) == len(c.checks) == 14


def test_judge_integration_from_readings_alone(tmp_path: Path) -> None:
    """Which collectors the gate runs decides each integration question; no CI file needed."""
    step = GateStep("github", "ci.yml", 9, "gate", "command", "run", blocking=True)
    broken = GateStep("gitlab", ".gitlab-ci.yml", 2, "aima", "command", "run", blocking=True)
    ok = PipelineReading(
        CiScan(["ci.yml"], [step]), [step], {id(step): GateConfig("a.yaml", ["fairlearn", "mine"])}
    )
    bias = next(i for i in INTEGRATIONS if i.short == "bias_checks")
    threat = next(i for i in INTEGRATIONS if i.short == "threat_assessment")
    ctx = CollectorContext(
        collector=PipelineCollector(),
        config={},
        root=tmp_path,
        config_dir=tmp_path,
        artefact_dir=tmp_path / ".aima" / "artefacts" / "pipeline",
        evidence_dir=tmp_path / ".aima",
    )
    out = ctx.artefact("pipeline.json")
    practices = {"fairlearn": {"RAI-FB"}, "mine": None}
    f = pipeline_judge.integration(ctx, bias, ok, practices, out)
    assert f.status is Status.PASS and f.details == {"collectors": ["fairlearn"]}
    f = pipeline_judge.integration(ctx, threat, ok, practices, out)
    assert f.status is Status.NOT_APPLICABLE
    assert "collectors not installed here, so not counted: mine" in f.message
    bad = PipelineReading(
        CiScan([".gitlab-ci.yml"], [broken]),
        [broken],
        {id(broken): GateConfig(None, problem=".gitlab-ci.yml:2: no aima.yaml")},
    )
    f = pipeline_judge.integration(ctx, threat, bad, {}, out)
    assert f.status is Status.ERROR and "no aima.yaml" in f.message  # unreadable: not n/a
    none = PipelineReading(CiScan([], []), [], {})
    assert pipeline_judge.integration(ctx, bias, none, {}, out).status is Status.FAIL
    assert pipeline_judge.gate(ctx, none, out).message.startswith("no CI configuration found")
