"""The GitLab CI/CD component: its spec header and job validated with the GitLab CI schema vendored
in check-jsonschema, and the component really run by gitlab-ci-local (shell executor) on a
passing and a failing project, included twice in one pipeline, with its JUnit and Code Quality
artefacts read back."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from ci_env import REPO, clean_env

COMPONENT = REPO / "templates" / "aima-ci.yml"
DOC = REPO / "docs" / "quickstart-gitlab.md"
PLACEHOLDER = re.compile(r"\$\[\[\s*inputs\.([\w-]+)\s*\]\]")
JOB = "$[[ inputs.job-prefix ]]aima-ci"


def documents() -> tuple[dict, dict]:
    spec, job = yaml.safe_load_all(COMPONENT.read_text())
    return spec, job


def interpolate(node: Any, values: dict[str, Any]) -> Any:
    """GitLab's $[[ inputs.x ]] interpolation on the parsed YAML: a value that is only the
    placeholder takes the input's value (and type); inside a longer string it is spliced in."""
    if isinstance(node, dict):
        return {interpolate(k, values): interpolate(v, values) for k, v in node.items()}
    if isinstance(node, list):
        return [interpolate(v, values) for v in node]
    if isinstance(node, str):
        whole = PLACEHOLDER.fullmatch(node.strip())
        if whole:
            return values[whole.group(1)]
        return PLACEHOLDER.sub(lambda m: str(values[m.group(1)]), node)
    return node


def test_inputs_declared_and_used_match() -> None:
    spec, job = documents()
    declared = set(spec["spec"]["inputs"])
    used = set(
        re.findall(
            r"\$\[\[\s*inputs\.([\w-]+)\s*\]\]", COMPONENT.read_text().split("\n---\n", 1)[1]
        )
    )
    assert used == declared
    assert {"stage", "config", "target-level", "extras", "version", "output-dir"} <= declared
    assert {"job-prefix", "fail-on-error", "args", "cache"} <= declared
    # Inputs reach the shell only as variables: never interpolated into script text.
    assert not any("$[[" in line for line in job[JOB]["script"])
    artifacts = job[JOB]["artifacts"]
    reports = artifacts["reports"]
    assert reports["junit"].endswith("report.junit.xml")
    assert reports["codequality"].endswith("report.codequality.json")
    assert artifacts["expose_as"] == "aima-ci report"
    assert any(p.endswith("/report.html") for p in artifacts["paths"])
    assert set(job[JOB]["cache"]["paths"]) == {".cache/pip/", ".cache/aima-ci/"}
    assert "--out" not in "\n".join(job[JOB]["script"]).split("AIMA_OUTPUT_DIR")[0]


def test_inputs_are_typed_and_versioned_with_the_component() -> None:
    import tomllib

    spec, _ = documents()
    inputs = spec["spec"]["inputs"]
    for name in ("install", "cache", "fail-on-error"):
        assert inputs[name]["type"] == "boolean" and isinstance(inputs[name]["default"], bool)
    assert inputs["output-dir"]["default"] == "", "the config's output_dir unless asked"
    version = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["version"]
    assert inputs["version"]["default"] == version, "the component installs its own release"
    assert re.fullmatch(inputs["job-prefix"]["regex"], "credit-")


def test_gitlab_schema_accepts_the_component(require_tool, tmp_path) -> None:
    check = require_tool("check-jsonschema")
    spec, job = documents()
    defaults = {k: v.get("default", "") for k, v in spec["spec"]["inputs"].items()}
    files = {
        "spec.yml": spec,
        "job.yml": job,
        "job-interpolated.yml": interpolate(job, {**defaults, "working-directory": "examples/x"}),
    }
    snippet = re.search(r"```yaml\n(include:.*?)```", DOC.read_text(), re.S)
    assert snippet, f"{DOC} needs an include: snippet"
    files["snippet.yml"] = yaml.safe_load(snippet.group(1))
    paths = []
    for name, data in files.items():
        (tmp_path / name).write_text(yaml.safe_dump(data, sort_keys=False))
        paths.append(str(tmp_path / name))
    res = subprocess.run(
        [check, "--builtin-schema", "vendor.gitlab-ci", *paths],
        capture_output=True,
        text=True,
        check=False,
    )
    assert res.returncode == 0, res.stdout + res.stderr
    bad = interpolate(job, defaults)
    bad["aima-ci"]["artifacts"]["reports"]["junit"] = 4  # job-prefix "" -> job "aima-ci"
    (tmp_path / "bad.yml").write_text(yaml.safe_dump(bad))
    res = subprocess.run(
        [check, "--builtin-schema", "vendor.gitlab-ci", str(tmp_path / "bad.yml")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert res.returncode == 1, "the schema check must be able to fail"


@pytest.fixture
def gitlab_project(tmp_path, require_tool):
    """A git repository that includes the component locally, with the passing fixture project."""
    gcl = require_tool("gitlab-ci-local")
    require_tool("rsync")  # gitlab-ci-local copies the tracked files with it
    repo = tmp_path / "gl"
    (repo / "templates").mkdir(parents=True)
    shutil.copy(COMPONENT, repo / "templates" / "aima-ci.yml")
    shutil.copytree(REPO / "tests" / "integrations" / "fixtures" / "passing", repo / "project")

    def run(*extra: dict[str, object], **inputs: object) -> tuple[int, str, Path]:
        includes = [
            {
                "local": "templates/aima-ci.yml",
                "inputs": {"working-directory": "project", "install": False, **inputs},
            }
        ]
        includes += [
            {"local": "templates/aima-ci.yml", "inputs": {"install": False, **more}}
            for more in extra
        ]
        (repo / ".gitlab-ci.yml").write_text(yaml.safe_dump({"include": includes}))
        git = ["git", "-C", str(repo), "-c", "user.email=t@example.com", "-c", "user.name=t"]
        if not (repo / ".git").exists():
            subprocess.run(["git", "init", "-q", str(repo)], check=True)
        subprocess.run([*git, "add", "-A"], check=True)
        subprocess.run([*git, "commit", "-q", "--allow-empty", "-m", "test"], check=True)
        shutil.rmtree(repo / ".gitlab-ci-local", ignore_errors=True)
        res = subprocess.run(
            [
                gcl,
                "--force-shell-executor",
                "--json-schema-validation",
                "--home",
                str(tmp_path / "home"),
            ],
            cwd=repo,
            env=clean_env(HOME=str(tmp_path / "home")),
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        return (
            res.returncode,
            res.stdout + res.stderr,
            repo / ".gitlab-ci-local" / "artifacts",
        )

    return run


def test_gitlab_ci_local_runs_the_component(gitlab_project) -> None:
    from junitparser import JUnitXml

    code, log, artifacts = gitlab_project()
    assert code == 0, log
    assert "PASS" in log and "aima-ci" in log
    evidence = artifacts / "aima-ci" / "aima-ci-evidence" / "aima-ci"
    junit = JUnitXml.fromfile(str(evidence / "report.junit.xml"))
    assert sum(s.tests for s in junit) > 0 and sum(s.failures + s.errors for s in junit) == 0
    assert json.loads((evidence / "report.codequality.json").read_text()) == []
    assert (evidence / "report.html").is_file() and (evidence / "assessment.json").is_file()


def test_gitlab_ci_local_fails_the_job_when_the_gate_fails(gitlab_project) -> None:
    from junitparser import JUnitXml

    code, log, artifacts = gitlab_project(**{"target-level": "2"})
    assert code != 0, log
    assert "FAIL" in log and "AIMA gate FAILED" in log
    evidence = artifacts / "aima-ci" / "aima-ci-evidence" / "aima-ci"  # when: always
    junit = JUnitXml.fromfile(str(evidence / "report.junit.xml"))
    assert sum(s.failures for s in junit) > 0
    issues = json.loads((evidence / "report.codequality.json").read_text())
    assert issues and {i["location"]["path"] for i in issues} == {"project/aima.yaml"}


def test_included_twice_with_its_own_output_dir_cache_and_args(gitlab_project, tmp_path) -> None:
    """Two folders, two jobs: the config's output_dir is honoured (no --out), args reach the run,
    and fail-on-error is a real boolean."""
    from junitparser import JUnitXml

    repo = tmp_path / "gl"
    shutil.copytree(REPO / "tests" / "integrations" / "fixtures" / "passing", repo / "second")
    cfg = repo / "second" / "aima.yaml"
    cfg.write_text(cfg.read_text().replace("output_dir: .aima", "output_dir: build/aima-evidence"))
    code, log, artifacts = gitlab_project(
        {
            "job-prefix": "second-",
            "working-directory": "second",
            "args": "--target-level 2",
            "fail-on-error": True,
            "cache": False,
        }
    )
    assert code != 0, log  # the second job's gate fails at level 2 (from args)
    assert "aima-ci" in log and "second-aima-ci" in log
    first = artifacts / "aima-ci" / "aima-ci-evidence" / "aima-ci"
    second = artifacts / "second-aima-ci" / "aima-ci-evidence" / "second-aima-ci"
    assert (repo / "second" / "build" / "aima-evidence" / "assessment.json").is_file()
    assert not (repo / "second" / ".aima").exists(), "the config's output_dir, not a forced --out"
    assert json.loads((first / "assessment.json").read_text())["gate"]["passed"] is True
    gate = json.loads((second / "assessment.json").read_text())["gate"]
    assert gate["passed"] is False and gate["target"]["level"] == 2
    junit = JUnitXml.fromfile(str(second / "report.junit.xml"))
    assert sum(s.failures for s in junit) > 0
    assert (second / "report.html").is_file()
    assert re.search(r"aima-ci run .*--fail-on-error --target-level 2", log), log


def test_cache_committed_to_the_repository_is_never_used(gitlab_project, tmp_path) -> None:
    """A merge request that commits .cache/aima-ci/ (a forged entry and its own seal key) gets
    nothing from it: aima-ci's folder is moved out of the checkout only when git says no file
    in it is tracked."""
    repo = tmp_path / "gl"
    planted = repo / ".cache" / "aima-ci"
    (planted / "cache").mkdir(parents=True)
    (planted / "seal.key").write_text("planted-key-planted-key-planted\n")
    (planted / "cache" / "forged.json").write_text("{}")
    code, log, _ = gitlab_project()
    assert code == 0, log
    assert "tracks files in .cache/aima-ci/: not used" in log
    assert (planted / "seal.key").read_text() != "planted-key-planted-key-planted\n"


def test_collector_cache_travels_in_gitlab_cache_outside_the_checkout(
    gitlab_project, tmp_path
) -> None:
    """With cache (the default) aima-ci's folder (entries and the seal key that signs them) ends
    in .cache/aima-ci/, which the job's cache: keeps; the next job moves it out of the checkout
    and reuses the entries."""
    repo = tmp_path / "gl"
    (repo / ".gitignore").write_text(".cache/\n")  # GitLab's cache, not the repository's files
    shutil.copy(REPO / "tests/integrations/fixtures/precommit/MODEL_CARD.md", repo / "project")
    cfg = repo / "project" / "aima.yaml"
    cfg.write_text(
        cfg.read_text().replace(
            "collectors: {}", "collectors:\n  model_card: {path: MODEL_CARD.md}"
        )
    )
    code, log, _ = gitlab_project()
    assert code == 0, log
    kept = repo / ".cache" / "aima-ci"
    assert [p for p in (kept / "cache").rglob("entry.json")], "GitLab's cache: keeps the entries"
    assert (kept / "seal.key").is_file(), "with the key they are signed with"
    code, log, _ = gitlab_project()
    assert code == 0, log
    run = json.loads((repo / "project" / ".aima" / "run.json").read_text())
    assert {c["name"]: c["status"] for c in run["collectors"]}["model_card"] == "reused", log
