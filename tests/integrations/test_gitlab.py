"""The GitLab CI/CD component: its spec header and job validated with the GitLab CI schema vendored
in check-jsonschema, and the component really run by gitlab-ci-local (shell executor) on a
passing and a failing project, with its JUnit and Code Quality artefacts read back."""

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


def documents() -> tuple[dict, dict]:
    spec, job = yaml.safe_load_all(COMPONENT.read_text())
    return spec, job


def interpolate(node: Any, values: dict[str, Any]) -> Any:
    """GitLab's $[[ inputs.x ]] interpolation on the parsed YAML: a value that is only the
    placeholder takes the input's value (and type); inside a longer string it is spliced in."""
    if isinstance(node, dict):
        return {k: interpolate(v, values) for k, v in node.items()}
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
    # Inputs reach the shell only as variables: never interpolated into script text.
    assert not any("$[[" in line for line in job["aima-ci"]["script"])
    reports = job["aima-ci"]["artifacts"]["reports"]
    assert reports["junit"].endswith("report.junit.xml")
    assert reports["codequality"].endswith("report.codequality.json")


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
    bad["aima-ci"]["artifacts"]["reports"]["junit"] = 4
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

    def run(**inputs: object) -> tuple[int, str, Path]:
        include = {
            "local": "templates/aima-ci.yml",
            "inputs": {"working-directory": "project", "install": "false", **inputs},
        }
        (repo / ".gitlab-ci.yml").write_text(yaml.safe_dump({"include": [include]}))
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
            repo / ".gitlab-ci-local" / "artifacts" / "aima-ci",
        )

    return run


def test_gitlab_ci_local_runs_the_component(gitlab_project) -> None:
    from junitparser import JUnitXml

    code, log, artifacts = gitlab_project()
    assert code == 0, log
    assert "PASS" in log and "aima-ci" in log
    evidence = artifacts / "project" / ".aima"
    junit = JUnitXml.fromfile(str(evidence / "report.junit.xml"))
    assert sum(s.tests for s in junit) > 0 and sum(s.failures + s.errors for s in junit) == 0
    assert json.loads((evidence / "report.codequality.json").read_text()) == []
    assert (evidence / "report.html").is_file() and (evidence / "assessment.json").is_file()


def test_gitlab_ci_local_fails_the_job_when_the_gate_fails(gitlab_project) -> None:
    from junitparser import JUnitXml

    code, log, artifacts = gitlab_project(**{"target-level": "2"})
    assert code != 0, log
    assert "FAIL" in log and "AIMA gate FAILED" in log
    evidence = artifacts / "project" / ".aima"  # artifacts: when: always
    junit = JUnitXml.fromfile(str(evidence / "report.junit.xml"))
    assert sum(s.failures for s in junit) > 0
    issues = json.loads((evidence / "report.codequality.json").read_text())
    assert issues and {i["location"]["path"] for i in issues} == {"project/aima.yaml"}
