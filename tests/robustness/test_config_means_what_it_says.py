"""Class 5 of issue 12: configuration that silently means something else.

A second ``target:`` that wins, a mistyped collector name that is skipped (and its questions
then answered by attestation), a waiver dated in the future that outlives ``waiver_max_days``,
a past schedule entry that lowers a target, a date with trailing text: each is either an error
naming the file and line, or a problem that earns nothing. Every case failed before the fix.
"""

from __future__ import annotations

import datetime as dt
import os
import time
from pathlib import Path

import pytest
from rb_support import assert_clean_failure, make_repo, run_cli

from aima_ci.assess.gate import effective_target
from aima_ci.assess.waivers import parse_waivers
from aima_ci.config import ConfigError, Target, load_config

TODAY = dt.date(2026, 12, 3)
ATTEST = (
    "attestations:\n"
    "  - {question: GOV-SM-A1, answer: yes, owner: a@example.com, date: 2026-11-01,"
    " expires: 2027-11-01}\n"
)


def _repo(tmp_path: Path, config: str) -> Path:
    root = make_repo(tmp_path)
    (root / "aima.yaml").write_text(config)
    return root


def _error_line(result) -> str:
    assert_clean_failure(result, allowed=(2,))
    return result.stderr.strip().splitlines()[-1]


# --------------------------------------------------------------------------- aima.yaml
@pytest.mark.parametrize(
    ("config", "expect"),
    [
        (
            "target: 0\ncollectors:\n  pipeline: true\ntarget: 3\n",
            "aima.yaml:4: duplicate key 'target'",
        ),
        (
            "target: 0\ncollectors:\n  garak:\n    thresholds: {default: 0.99}\n"
            "    report: r.jsonl\n    thresholds: {default: 0.0}\n",
            "aima.yaml:6: duplicate key 'thresholds'",
        ),
        ("base: &b {pipeline: true}\ntarget: 0\ncollectors: *b\n", "aima.yaml:3: YAML aliases"),
        ("target: 0\ncollectors:\n  fairlern: {data: d.csv}\n", "did you mean 'fairlearn'?"),
        (
            "target:\n  level: 0\n  schedule: [{date: '2020-01-01 (soon)', level: 1}]\n"
            "collectors:\n  pipeline: true\n",
            "target.schedule[0].date: must be an ISO date",
        ),
    ],
    ids=["duplicate-target", "duplicate-thresholds", "alias", "typo-collector", "date-text"],
)
def test_attacker_config_is_refused_with_file_and_line(tmp_path, config, expect):
    root = _repo(tmp_path, config)
    result = run_cli("run", cwd=root)
    assert expect in _error_line(result), result.stderr
    assert not (root / ".aima" / "findings.jsonl").exists()  # refused before any collector


def test_config_that_is_a_fifo_or_a_directory_does_not_hang(tmp_path):
    root = make_repo(tmp_path)
    os.mkfifo(root / "aima.yaml")
    start = time.monotonic()
    result = run_cli("gate", cwd=root, timeout=30)
    assert "not a regular file" in _error_line(result)
    assert time.monotonic() - start < 20
    (root / "aima.yaml").unlink()
    (root / "aima.yaml").mkdir()
    assert "not a regular file" in _error_line(run_cli("gate", cwd=root))


# --------------------------------------------------------------------------- attestations
@pytest.mark.parametrize(
    ("text", "expect"),
    [
        (
            ATTEST + "  - {question: GOV-SM-B1, answer: no, answer: yes}\n",
            "att.yaml:3: invalid YAML: duplicate key 'answer'",
        ),
        ("a: &a [x]\nattestations: [*a, *a]\n", "att.yaml:2: invalid YAML: YAML aliases"),
        ("attestations: []\n" + "#" * (5 << 20) + "\n", "byte limit"),
    ],
    ids=["duplicate-answer", "alias", "oversize"],
)
def test_attestation_file_is_read_strictly(tmp_path, text, expect):
    root = _repo(tmp_path, "target: 0\nattestations: att.yaml\ncollectors:\n  pipeline: true\n")
    (root / "att.yaml").write_text(text)
    result = run_cli("run", cwd=root)
    assert expect in _error_line(result), result.stderr
    assert not (root / ".aima" / "findings.jsonl").exists()


def test_attestation_date_with_trailing_text_earns_nothing(tmp_path):
    from aima_ci.assess.attestations import load_attestations

    root = make_repo(tmp_path)
    path = root / "att.yaml"
    path.write_text(ATTEST.replace("date: 2026-11-01", "date: '2026-11-01 approved later'"))
    accepted, problems = load_attestations([path], root, {"GOV-SM-A1"}, TODAY)
    assert accepted == [] and "date must be an ISO date" in problems[0].message


# --------------------------------------------------------------------------- waivers, schedule
def _waiver(**extra: str) -> dict[str, str]:
    return {"id": "garak.scan", "reason": "r", "owner": "o", **extra}


@pytest.mark.parametrize(
    ("extra", "expect"),
    [
        ({"created": "2027-06-01", "expires": "2027-08-01"}, "in the future"),
        ({"created": "2026-12-01", "expires": "2026-11-01"}, "not before expires"),
        ({"created": "2026-12-01x", "expires": "2027-01-01"}, "created must be YYYY-MM-DD"),
        ({"expires": "2027-01-01 or later"}, "expires (YYYY-MM-DD) is required"),
    ],
)
def test_waiver_dates_cannot_stretch_or_bend(extra, expect):
    active, expired, problems = parse_waivers(
        [_waiver(**extra)], {"garak.scan"}, TODAY, 90, "aima.yaml"
    )
    assert active == [] and expired == [], active
    assert expect in problems[0].message, problems


def test_a_past_schedule_entry_never_lowers_a_goal():
    target = Target(
        level=2,
        domains={"VER": {"level": 2}},
        practices={"VER-ST": {"level": 3}},
        schedule=(
            {
                "date": "2026-01-01",
                "level": 1,
                "domains": {"VER": {"level": 1}},
                "practices": {"VER-ST": {"level": 1}},
            },
        ),
    )
    got = effective_target(target, TODAY)
    assert got.level == 2
    assert got.domains["VER"]["level"] == 2 and got.practices["VER-ST"]["level"] == 3


def test_a_schedule_entry_still_raises_a_goal():
    target = Target(
        level=1,
        domains={"VER": {"level": 1}},
        schedule=({"date": "2026-01-01", "level": 2, "domains": {"VER": {"level": 3}}},),
    )
    got = effective_target(target, TODAY)
    assert got.level == 2 and got.domains["VER"]["level"] == 3


def test_loaded_config_keeps_strict_dates(tmp_path):
    root = _repo(tmp_path, "target:\n  schedule: [{date: 2026-01-01T10:00:00, level: 1}]\n")
    with pytest.raises(ConfigError, match="must be an ISO date"):
        load_config(root / "aima.yaml")


# --------------------------------------------------------------------------- other YAML readers
def test_data_purpose_with_duplicate_key_is_refused(tmp_path):
    from aima_ci.safety.safeio import FileProblem, load_yaml

    path = tmp_path / "data-purpose.yaml"
    path.write_text("needed_columns: [age]\nowner: a\nneeded_columns: [age, income, ssn]\n")
    with pytest.raises(FileProblem, match="duplicate key 'needed_columns'") as info:
        load_yaml(path, "data-purpose.yaml")
    assert info.value.line == 3
