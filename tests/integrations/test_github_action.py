"""The GitHub Action: action.yml and the workflows checked by actionlint and by the GitHub schemas
vendored in check-jsonschema; the composite steps run locally the way a runner runs them, on a
passing project, a failing one, a config error and a hostile input."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from action_runner import CompositeRunner, parse_env_file
from ci_env import REPO, clean_env

ACTION = REPO / "actions" / "aima-ci"
WORKFLOWS = sorted((REPO / ".github" / "workflows").glob("*.yml"))
sys.path.insert(0, str(ACTION))
import aima_action  # noqa: E402


# ----------------------------------------------------------------------------- static checks
def test_workflows_pass_actionlint(require_tool) -> None:
    actionlint = require_tool("actionlint")
    shellcheck = shutil.which("shellcheck") or ""
    res = subprocess.run(
        [
            actionlint,
            "-no-color",
            "-oneline",
            f"-shellcheck={shellcheck}",
            "-pyflakes=",
            *map(str, WORKFLOWS),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    assert res.returncode == 0, res.stdout + res.stderr
    assert {w.name for w in WORKFLOWS} >= {"ci.yml", "dogfood.yml"}


def test_actionlint_reads_the_action_metadata(require_tool, tmp_path) -> None:
    """actionlint checks `with:` and outputs against our action.yml: a wrong name is caught."""
    actionlint = require_tool("actionlint")
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    (tmp_path / ".github" / "workflows").mkdir(parents=True)
    shutil.copytree(
        ACTION, tmp_path / "actions" / "aima-ci", ignore=shutil.ignore_patterns("__pycache__")
    )
    (tmp_path / ".github" / "workflows" / "w.yml").write_text(
        "on: push\njobs:\n  j:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - id: a\n        uses: ./actions/aima-ci\n        with:\n          no-such-input: x\n"
        '      - env:\n          P: ${{ steps.a.outputs.no-such-output }}\n        run: echo "$P"\n'
    )
    res = subprocess.run(
        [actionlint, "-no-color", "-oneline"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert res.returncode == 1
    assert 'input "no-such-input" is not defined' in res.stdout
    assert 'property "no-such-output" is not defined' in res.stdout


def test_github_schemas_accept_the_action_and_workflows(require_tool) -> None:
    check = require_tool("check-jsonschema")
    for schema, files in (
        ("vendor.github-actions", [ACTION / "action.yml"]),
        ("vendor.github-workflows", WORKFLOWS),
    ):
        res = subprocess.run(
            [check, "--builtin-schema", schema, *map(str, files)],
            capture_output=True,
            text=True,
            check=False,
        )
        assert res.returncode == 0, res.stdout + res.stderr


def test_github_schema_rejects_a_broken_action(require_tool, tmp_path) -> None:
    check = require_tool("check-jsonschema")
    meta = yaml.safe_load((ACTION / "action.yml").read_text())
    del meta["runs"]["steps"][1]["shell"]  # a composite run step without shell is invalid
    bad = tmp_path / "action.yml"
    bad.write_text(yaml.safe_dump(meta))
    res = subprocess.run(
        [check, "--builtin-schema", "vendor.github-actions", str(bad)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert res.returncode == 1


def test_no_expression_is_spliced_into_a_script() -> None:
    """Script injection: inputs reach the shell only through env:, never inside run: text."""
    docs = [yaml.safe_load((ACTION / "action.yml").read_text())["runs"]["steps"]]
    for wf in WORKFLOWS:
        for job in yaml.safe_load(wf.read_text())["jobs"].values():
            docs.append(job.get("steps", []))
    for steps in docs:
        for step in steps:
            assert "${{" not in step.get("run", ""), step
    meta = yaml.safe_load((ACTION / "action.yml").read_text())
    assert all(k == k.lower() and "_" not in k for k in meta["inputs"]), "kebab-case inputs"
    for step in meta["runs"]["steps"]:
        if "uses" in step:
            ref = step["uses"].split("@")[1]
            assert len(ref) == 40 and all(c in "0123456789abcdef" for c in ref), "pin by commit SHA"


# ----------------------------------------------------------------------------- escaping
def test_workflow_command_escaping() -> None:
    line = aima_action.command("error", "50% done\r\nnext", file="a:b,c.yaml", line=3, title="t,1")
    assert line == "::error file=a%3Ab%2Cc.yaml,line=3,title=t%2C1::50%25 done%0D%0Anext"
    assert aima_action.command("notice", "plain") == "::notice::plain"


def test_outputs_survive_newlines_and_delimiters(tmp_path, monkeypatch) -> None:
    out = tmp_path / "out"
    monkeypatch.setenv("GITHUB_OUTPUT", str(out))
    aima_action.set_output("a", "line1\nEOF\nline3")
    aima_action.set_output("b", "x=y")
    assert parse_env_file(out) == {"a": "line1\nEOF\nline3", "b": "x=y"}


# ----------------------------------------------------------------------------- running the steps
@pytest.fixture(scope="module")
def runner_temp(tmp_path_factory) -> Path:
    """Shared across the runs: the install step creates the venv once and then reuses it."""
    return tmp_path_factory.mktemp("runner_temp")


def run_action(ws: Path, runner_temp: Path, **inputs: str):
    runner = CompositeRunner(ACTION, ws, runner_temp, clean_env(HOME=str(runner_temp)))
    return runner.run({"working-directory": "project", **inputs})


def test_install_from_the_action_checkout_and_pass(workspace, runner_temp) -> None:
    ws = workspace("passing")
    result = run_action(ws, runner_temp)  # version: local (the default)
    assert result.exit_code == 0, result.log
    assert result.steps_run == ["install", "run"]  # setup-python skipped: no python-version
    venv_python = runner_temp / "aima-ci-venv" / "bin" / "python"
    assert venv_python.exists()
    probe = subprocess.run(
        [str(venv_python), "-c", "import aima_ci, sys; print(aima_ci.__file__)"],
        cwd=runner_temp,
        capture_output=True,
        text=True,
        check=True,
    )
    assert str(runner_temp) in probe.stdout, "aima-ci runs from the action's own venv"
    o = result.outputs
    assert o["passed"] == "true" and o["exit-code"] == "0" and o["overall-level"] == "1"
    assert o["overall-score"] == "1.00"
    evidence = ws / "project" / ".aima"
    assert Path(o["evidence-dir"]) == evidence
    for key, name in (
        ("sarif-file", "report.sarif"),
        ("junit-file", "report.junit.xml"),
        ("html-file", "report.html"),
        ("markdown-file", "report.md"),
        ("codequality-file", "report.codequality.json"),
    ):
        assert Path(o[key]) == evidence / name and (evidence / name).is_file()
    sarif = json.loads((evidence / "report.sarif").read_text())
    assert sarif["version"] == "2.1.0" and sarif["runs"][0]["results"] == []
    assert result.summary.startswith("## ✅ AIMA gate passed")
    assert result.annotations("error") == []


def test_failing_gate_fails_the_step_with_annotations(workspace, runner_temp) -> None:
    ws = workspace("passing")
    result = run_action(ws, runner_temp, **{"target-level": "2"})
    assert result.exit_code == 1
    assert result.outputs["passed"] == "false" and result.outputs["exit-code"] == "1"
    assert "AIMA gate failed" in result.summary and "Failing criteria" in result.summary
    errors = result.annotations("error")
    assert 1 <= len(errors) <= 10
    # Anchored to the config, addressed from the workspace (repository) root.
    assert all(e.startswith("::error file=project/aima.yaml,line=") for e in errors), errors[:2]
    notices = result.annotations("notice")
    assert notices and "more AIMA issues" in notices[0]
    assert len(result.summary.encode()) < 1 << 20


def test_soft_fail_keeps_the_step_green(workspace, runner_temp) -> None:
    ws = workspace("passing")
    result = run_action(
        ws, runner_temp, **{"target-level": "2", "soft-fail": "true", "sarif": "false"}
    )
    assert result.exit_code == 0
    assert result.outputs["passed"] == "false" and result.outputs["exit-code"] == "1"
    assert result.outputs["sarif-file"] == ""
    assert any("soft-fail" in w for w in result.annotations("warning"))


def test_config_error_is_exit_2_even_with_soft_fail(workspace, runner_temp) -> None:
    ws = workspace("broken")
    result = run_action(ws, runner_temp, **{"soft-fail": "true"})
    assert result.exit_code == 2
    assert result.outputs["passed"] == "false" and result.outputs["exit-code"] == "2"
    assert "colectors: unknown key" in result.log
    assert "could not assess" in result.summary
    assert any("exited 2" in e for e in result.annotations("error"))


def test_hostile_inputs_are_never_run_by_a_shell(workspace, runner_temp) -> None:
    ws = workspace("passing")
    result = run_action(
        ws,
        runner_temp,
        config='$(touch pwned1)"; touch pwned2; echo "',
        args="--only `touch pwned3` ; touch pwned4",
    )
    assert result.exit_code == 2, result.log
    assert not list(ws.rglob("pwned*")), "an input was executed"
    bad_level = run_action(ws, runner_temp, **{"target-level": "2; touch pwned5"})
    assert bad_level.exit_code == 2 and "target-level" in bad_level.log
    assert not list(ws.rglob("pwned*"))
