"""Evidence directory: findings round-trip, fail-closed parsing, manifest verification."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from aima_ci.evidence.directory import (
    atomic_write,
    iter_findings,
    read_findings,
    verify_manifest,
    write_findings,
    write_manifest,
)
from aima_ci.models import EvidenceError, Finding, Status, Subject


def sample() -> Finding:
    return Finding(
        check="x.y",
        collector="x",
        status=Status.FAIL,
        message="m",
        questions=("VER-ST-A1",),
        value=0.5,
        threshold=0.8,
        subjects=(Subject("model", "m.skops", "sha256:" + "0" * 64, "model/m.skops"),),
        artefacts=("artefacts/x/r.json",),
        details={"k": [1, 2]},
    )


def test_findings_round_trip(tmp_path: Path):
    write_findings(tmp_path, [sample(), sample()])
    assert read_findings(tmp_path) == [sample(), sample()]


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("{not json", "not valid JSON"),
        ('{"check": "a", "collector": "b", "status": "passed"}', "unknown status"),
        ('{"check": "a", "status": "pass"}', "'collector'"),
        ('{"check": "a", "collector": "b", "status": "pass", "value": {"x": 1}}', "'value'"),
        ('{"check": "a", "collector": "b", "status": "pass", "threshold": "high"}', "'threshold'"),
        (
            '{"check": "a", "collector": "b", "status": "pass", "questions": "VER-ST-A1"}',
            "'questions'",
        ),
        ("[1, 2]", "must be a JSON object"),
    ],
)
def test_malformed_finding_lines_raise_naming_the_line(tmp_path: Path, line: str, message: str):
    good = json.dumps(sample().to_dict())
    (tmp_path / "findings.jsonl").write_text(good + "\n" + line + "\n")
    with pytest.raises(EvidenceError) as info:
        list(iter_findings(tmp_path / "findings.jsonl"))
    assert "findings.jsonl:2" in str(info.value) and message in str(info.value)


def test_invalid_utf8_is_an_error(tmp_path: Path):
    (tmp_path / "findings.jsonl").write_bytes(b'{"check": "\xff"}\n')
    with pytest.raises(EvidenceError, match=r"findings\.jsonl:1"):
        read_findings(tmp_path)


def test_manifest_detects_change_removal_addition_and_symlink(tmp_path: Path):
    (tmp_path / "artefacts" / "x").mkdir(parents=True)
    (tmp_path / "artefacts" / "x" / "r.json").write_text("{}")
    write_findings(tmp_path, [sample()])
    manifest = write_manifest(tmp_path, [{"kind": "model", "digest": "sha256:1"}])
    assert {f["path"] for f in manifest["files"]} == {
        "artefacts/x/r.json",
        "findings.jsonl",
        "findings.index.json",  # written beside the findings (evidence/index.py)
    }
    assert manifest["subjects"] == [{"kind": "model", "digest": "sha256:1"}]
    assert verify_manifest(tmp_path) == []
    (tmp_path / "artefacts" / "x" / "r.json").write_text("{ }")
    (tmp_path / "extra.txt").write_text("new")
    (tmp_path / "findings.jsonl").unlink()
    problems = verify_manifest(tmp_path)
    assert "artefacts/x/r.json: changed (SHA-256 differs)" in problems
    assert "findings.jsonl: missing" in problems
    assert "extra.txt: not in the manifest (added)" in problems


def test_manifest_rejects_traversal_entries(tmp_path: Path):
    (tmp_path / "manifest.json").write_text(
        json.dumps({"files": [{"path": "../outside", "sha256": "0"}, {"path": "/etc/passwd"}]})
    )
    problems = verify_manifest(tmp_path)
    assert len(problems) == 2 and all("escapes" in p for p in problems)


def test_atomic_write_leaves_no_temp_files(tmp_path: Path):
    atomic_write(tmp_path / "a" / "b.txt", "hello")
    assert (tmp_path / "a" / "b.txt").read_text() == "hello"
    assert [p.name for p in (tmp_path / "a").iterdir()] == ["b.txt"]
