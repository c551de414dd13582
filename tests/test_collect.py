"""aima_ci.evidence.collect: one collect step, from config to a hashed evidence directory.

Runs the installed test plugin through the real runner (child processes). What it proves: the
evidence directory is complete and self-consistent, a new collect leaves nothing stale behind, a
crash is an error finding (never a pass), and two runs never write one directory at once.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from aima_ci.config import load_config
from aima_ci.errors import CollectorConfigError, EvidenceError, EvidenceLocked
from aima_ci.evidence.collect import collect, hold, locked, select_collectors
from aima_ci.evidence.directory import read_findings, verify_manifest


@pytest.fixture
def project(repo, write_config, monkeypatch):
    monkeypatch.setenv("AIMA_CI_NO_CACHE", "1")

    def make(collectors):
        return load_config(write_config({"collectors": collectors}))

    return make


def test_collect_writes_a_complete_self_consistent_evidence_directory(project, repo):
    config = project({"testplugin": {"behaviour": "pass"}})
    out = repo / ".aima"
    runs = collect(config, out)
    assert [r.name for r in runs] == ["testplugin"]
    findings = read_findings(out)
    assert sorted((f.check, f.status.value) for f in findings) == [
        ("testplugin.alpha", "pass"),
        ("testplugin.beta", "pass"),
    ]
    assert (out / "artefacts" / "testplugin" / "result.txt").read_text() == "behaviour=pass\n"
    run = json.loads((out / "run.json").read_text())
    assert run["run_id"] and run["config"] == "aima.yaml"
    assert [c["name"] for c in run["collectors"]] == ["testplugin"]
    assert verify_manifest(out) == []


def test_a_crash_is_an_error_for_every_check_never_a_pass(project, repo):
    config = project({"testplugin": {"behaviour": "crash"}})
    collect(config, repo / ".aima")
    statuses = {f.check: f.status.value for f in read_findings(repo / ".aima")}
    assert statuses == {"testplugin.alpha": "error", "testplugin.beta": "error"}


def test_a_new_collect_leaves_no_stale_artefact(project, repo):
    out = repo / ".aima"
    collect(project({"testplugin": {}}), out)
    stale = out / "artefacts" / "old" / "report.json"
    stale.parent.mkdir(parents=True)
    stale.write_text("{}")
    collect(project({"testplugin": {"behaviour": "fail"}}), out)
    assert not stale.exists()
    assert {f.status.value for f in read_findings(out)} == {"fail"}


def test_only_must_name_a_configured_collector(project):
    config = project({"testplugin": {}, "testwork": {}})
    assert list(select_collectors(config, ["testwork"])) == ["testwork"]
    with pytest.raises(CollectorConfigError, match=r"collectors\.nope"):
        select_collectors(config, ["nope"])


def test_bad_collector_keys_stop_the_run_before_anything_runs(project, repo):
    config = project({"testplugin": {"behaviour": "explode"}})
    with pytest.raises(CollectorConfigError, match=r"collectors\.testplugin\.behaviour"):
        collect(config, repo / ".aima")
    assert not (repo / ".aima" / "findings.jsonl").exists()


def test_reuse_must_not_be_the_output_directory(project, repo):
    with pytest.raises(EvidenceError, match="must differ from the output directory"):
        collect(project({"testplugin": {}}), repo / ".aima", reuse=[repo / ".aima"])


def test_one_directory_one_run_at_a_time(tmp_path: Path):
    out = tmp_path / "evidence"
    with locked(out), pytest.raises(EvidenceLocked, match="in use by another"), locked(out):
        pass
    with hold(out), locked(out):  # the steps of one command pass through their own hold
        pass
    with locked(out):  # released
        pass
