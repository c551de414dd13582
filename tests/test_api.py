"""aima_ci.api: the library entry point the CLI is a thin layer over.

The promise: calling the library gives the same evidence and verdict as the command, so the
GitHub action, tests and embedding tools never need to shell out. These run the real test plugin
through the real runner (child processes), no fakes.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from aima_ci import api
from aima_ci.errors import UserError


def _findings(out: Path) -> list[tuple[str, str]]:
    lines = (out / "findings.jsonl").read_text().splitlines()
    return sorted((f["check"], f["status"]) for f in map(json.loads, lines))


@pytest.fixture
def failing_project(repo, write_config, monkeypatch):
    monkeypatch.setenv("AIMA_CI_NO_CACHE", "1")
    monkeypatch.setenv("AIMA_CI_TODAY", "2026-06-01")
    return write_config({"collectors": {"testplugin": {"behaviour": "fail"}}})


def test_collect_assess_gate_match_the_cli(failing_project, repo, cli):
    config = api.load(failing_project)
    out = repo / "lib-out"
    runs = api.collect(config, out)
    assert [r.name for r in runs] == ["testplugin"]
    assessment = api.assess(config, out)
    scored, result = api.gate(config, out)
    assert result.passed is False and assessment["gate"]["passed"] is False
    assert scored["overall"] == assessment["overall"]

    done = cli("run", "--out", "cli-out", cwd=repo, env={"AIMA_CI_TODAY": "2026-06-01"})
    assert done.returncode == 1, done.stderr
    assert _findings(out) == _findings(repo / "cli-out")
    cli_assessment = json.loads((repo / "cli-out" / "assessment.json").read_text())
    assert cli_assessment["overall"] == assessment["overall"]
    assert cli_assessment["gate"]["passed"] == result.passed


def test_run_writes_the_requested_reports_and_the_progress_sees_the_names(failing_project, repo):
    config = api.load(failing_project)
    out = repo / "out"
    seen: list[list[str]] = []

    class Listener:
        def __init__(self, names: list[str]) -> None:
            seen.append(names)
            self.events = 0
            self.closed = False

        def __call__(self, event) -> None:
            self.events += 1

        def close(self) -> None:
            self.closed = True

    listeners: list[Listener] = []

    def progress(names: list[str]) -> Listener:
        listeners.append(Listener(names))
        return listeners[-1]

    assessment = api.run(config, out, formats=("json", "sarif"), progress=progress)
    assert seen == [["testplugin"]]
    assert listeners[0].closed and listeners[0].events > 0
    assert json.loads((out / "report.json").read_text())["overall"] == assessment["overall"]
    assert json.loads((out / "report.sarif").read_text())["version"] == "2.1.0"
    manifest = json.loads((out / "manifest.json").read_text())
    assert "report.sarif" in json.dumps(manifest)


def test_a_bad_shard_is_a_user_error_naming_the_option(failing_project, repo):
    with pytest.raises(UserError, match="--shard"):
        api.collect(api.load(failing_project), repo / "out", shard="3/2")


def test_baseline_history_without_a_store_is_a_user_error(failing_project, repo):
    config = api.load(failing_project)
    api.collect(config, repo / "out")
    with pytest.raises(UserError, match="no history store"):
        api.assess(config, repo / "out", baseline=Path("history"))


def test_reports_refuse_an_assessment_the_manifest_does_not_vouch_for(failing_project, repo):
    config = api.load(failing_project)
    out = repo / "out"
    api.run(config, out)
    assert api.read_assessment(out)["overall"]
    path = out / "assessment.json"
    path.write_text(path.read_text().replace('"overall"', '"overall_"', 1))
    with pytest.raises(UserError):
        api.read_assessment(out)
