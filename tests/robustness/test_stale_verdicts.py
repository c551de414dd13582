"""Class 1 of issue 12, stale verdicts: the gate decides on evidence that holds *now*.

Each test builds a passing run with the real CLI, then changes what the verdict depends on
without touching the evidence directory (the day, the config, a waiver, the model file, a
time-to-live) and runs ``aima-ci gate`` on its own: it must re-derive the verdict and never pass
on what summary.json stored. A run killed half-way must not leave the previous passing evidence
gateable either.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from aima_ci.assess.catalogue import load_catalogue

CAT = load_catalogue()
DAY = "2026-11-26"


def _attest_level1(repo: Path) -> None:
    entries = [
        {
            "question": f"{p}-{s}1",
            "answer": "yes",
            "owner": "qa@example.com",
            "date": "2026-11-01",
            "expires": "2027-11-01",
        }
        for p in CAT.practices
        for s in "AB"
    ]
    (repo / "attestations.yaml").write_text(yaml.safe_dump({"attestations": entries}))


def _config(repo: Path, collectors: dict[str, Any], waivers: list[dict[str, Any]] | None = None):
    data: dict[str, Any] = {
        "target": {"level": 1},
        "attestations": "attestations.yaml",
        "collectors": collectors,
    }
    if waivers is not None:
        data["waivers"] = waivers
    (repo / "aima.yaml").write_text(yaml.safe_dump(data, sort_keys=False))


WAIVER = {
    "id": "testplugin.alpha",
    "reason": "fix tracked in QA-1",
    "owner": "qa@example.com",
    "created": "2026-11-20",
    "expires": "2026-12-01",
}
WAIVER_BETA = {**WAIVER, "id": "testplugin.beta"}


@pytest.fixture
def waived(repo: Path, cli) -> Path:
    """A failing check waived until 2026-12-01: the run on 2026-11-26 passes."""
    _attest_level1(repo)
    _config(repo, {"testplugin": {"behaviour": "fail"}}, [WAIVER, WAIVER_BETA])
    res = cli("run", cwd=repo, env={"AIMA_CI_TODAY": DAY})
    assert res.returncode == 0, res.stdout + res.stderr
    assert cli("gate", cwd=repo, env={"AIMA_CI_TODAY": DAY}).returncode == 0
    return repo


def test_an_expired_waiver_fails_the_gate_on_its_own(waived: Path, cli):
    gate = cli("gate", cwd=waived, env={"AIMA_CI_TODAY": "2026-12-02"})
    assert gate.returncode == 1, gate.stdout + gate.stderr
    assert "VER-ST" in gate.stdout and "re-scored now" in gate.stderr


def test_a_waiver_removed_from_the_config_fails_the_gate(waived: Path, cli):
    _config(waived, {"testplugin": {"behaviour": "fail"}}, [])
    gate = cli("gate", cwd=waived, env={"AIMA_CI_TODAY": DAY})
    assert gate.returncode == 1, gate.stdout + gate.stderr
    assert "the config changed since scoring" in gate.stderr


def test_an_expired_attestation_fails_the_gate(waived: Path, cli):
    # The attestations expire 2027-11-01: a year on, the stored level-1 verdict is gone.
    gate = cli("gate", cwd=waived, env={"AIMA_CI_TODAY": "2027-11-02"})
    assert gate.returncode == 1, gate.stdout + gate.stderr


@pytest.fixture
def bound(repo: Path, cli) -> Path:
    """testwork's finding is bound to model.bin and has a 7-day time-to-live; with the level-1
    attestations minus VER-RT-A1, which only testwork answers, the run passes."""
    _attest_level1(repo)
    entries = yaml.safe_load((repo / "attestations.yaml").read_text())
    entries["attestations"] = [e for e in entries["attestations"] if e["question"] != "VER-RT-A1"]
    (repo / "attestations.yaml").write_text(yaml.safe_dump(entries))
    (repo / "model.bin").write_bytes(b"weights v1")
    _config(repo, {"testwork": {"model": "model.bin", "rounds": 1}})
    res = cli("run", cwd=repo)
    assert res.returncode == 0, res.stdout + res.stderr
    return repo


def test_a_changed_model_fails_the_gate(bound: Path, cli):
    (bound / "model.bin").write_bytes(b"weights v2, never assessed")
    gate = cli("gate", cwd=bound)
    assert gate.returncode != 0, gate.stdout + gate.stderr
    assert "model.bin" in gate.stderr


def test_evidence_past_its_time_to_live_fails_the_gate(bound: Path, cli):
    later = (time.time() + 9 * 86400) // 1
    day = time.strftime("%Y-%m-%d", time.gmtime(later))
    gate = cli("gate", cwd=bound, env={"AIMA_CI_TODAY": day})
    assert gate.returncode == 1, gate.stdout + gate.stderr
    assert "VER-RT" in gate.stdout


def test_a_config_edit_after_scoring_is_gated_with_the_new_config(bound: Path, cli):
    config = yaml.safe_load((bound / "aima.yaml").read_text())
    config["target"] = {"level": 1, "practices": {"VER-RT": 2}}
    (bound / "aima.yaml").write_text(yaml.safe_dump(config))
    gate = cli("gate", cwd=bound)
    assert gate.returncode == 1 and "VER-RT" in gate.stdout


# --------------------------------------------------------------------------- killed runs
def test_a_run_killed_while_clearing_leaves_nothing_gateable(waived: Path, cli):
    """What a collect killed between its start and the end of its clearing leaves: its marker,
    and the previous run's passing summary.json (findings.jsonl already gone)."""
    evidence = waived / ".aima"
    (evidence / ".run-in-progress").write_text('{"step": "collect", "pid": 1}\n')
    (evidence / "findings.jsonl").unlink()
    gate = cli("gate", cwd=waived, env={"AIMA_CI_TODAY": DAY})
    assert gate.returncode == 2, gate.stdout + gate.stderr
    assert "did not finish" in gate.stderr
    score = cli("score", cwd=waived, env={"AIMA_CI_TODAY": DAY})
    assert score.returncode == 2


def test_a_real_collect_killed_mid_run_never_leaves_a_pass(waived: Path, cli):
    _config(waived, {"testplugin": {"behaviour": "hang", "timeout": 60}}, [WAIVER])
    env = {**os.environ, "AIMA_CI_TODAY": DAY, "NO_COLOR": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "aima_ci", "collect"],
        cwd=waived,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    marker = waived / ".aima/.run-in-progress"
    deadline = time.monotonic() + 60
    while not marker.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.5)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    _config(waived, {"testplugin": {"behaviour": "fail"}}, [WAIVER, WAIVER_BETA])
    gate = cli("gate", cwd=waived, env={"AIMA_CI_TODAY": DAY})
    assert gate.returncode != 0, gate.stdout + gate.stderr


def test_the_fast_path_still_trusts_an_unchanged_verdict(waived: Path, cli):
    gate = cli("gate", cwd=waived, env={"AIMA_CI_TODAY": DAY})
    assert gate.returncode == 0 and "re-scored" not in gate.stderr
    summary = json.loads((waived / ".aima/summary.json").read_text())
    assert summary["inputs"]["date"] == DAY and summary["inputs"]["config"]
