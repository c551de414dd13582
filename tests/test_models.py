"""aima_ci.models: the evidence data model, as findings.jsonl stores it.

A finding read back must be the finding written, and a line that is not one (a wrong type, an
unknown status, a missing field) must be refused as evidence, never half-read into a pass.
"""

from __future__ import annotations

import json

import pytest

from aima_ci.errors import EvidenceError
from aima_ci.models import (
    SEVERITY_ORDER,
    Check,
    Finding,
    Severity,
    Status,
    Subject,
)


def _finding(**over) -> Finding:
    base = dict(
        check="demo.alpha",
        collector="demo",
        collector_version="1.0",
        status=Status.FAIL,
        value=0.42,
        threshold=0.8,
        message="ratio 0.42 < 0.8",
        questions=("RAI-FB-A2",),
        severity=Severity.HIGH,
        subjects=(Subject(kind="data", name="d.csv", digest="sha256:" + "0" * 64, path="d.csv"),),
        artefacts=("artefacts/demo/report.json",),
        details={"groups": ["a", "b"]},
    )
    base.update(over)
    return Finding(**base)


def test_a_finding_survives_a_round_trip_through_json():
    finding = _finding()
    line = json.dumps(finding.to_dict())
    again = Finding.from_dict(json.loads(line))
    assert again == finding
    assert again.subject == finding.subjects[0]
    assert again.to_dict() == finding.to_dict()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("status", "passed"),  # not a Status
        ("check", 3),
        ("questions", "RAI-FB-A2"),  # a string, not a list
        ("subjects", [{"kind": "data"}]),
    ],
)
def test_a_malformed_line_is_an_evidence_error(field, value):
    data = _finding().to_dict()
    data[field] = value
    with pytest.raises(EvidenceError):
        Finding.from_dict(data)


def test_a_line_that_is_not_an_object_is_an_evidence_error():
    for data in ([], "finding", None, 3):
        with pytest.raises(EvidenceError):
            Finding.from_dict(data)


def test_statuses_and_severities_are_the_documented_strings():
    assert {s.value for s in Status} >= {"pass", "fail", "error", "not_run"}
    assert Status("pass") is Status.PASS and str(Status.FAIL) == "fail"
    ordered = sorted(Severity, key=SEVERITY_ORDER.__getitem__)
    assert [s.value for s in ordered] == ["low", "medium", "high", "critical"]


def test_a_check_serialises_what_explain_and_reports_show():
    check = Check(
        id="demo.alpha",
        title="Alpha",
        questions=("RAI-FB-A2",),
        severity=Severity.MEDIUM,
        threshold=0.8,
    )
    data = check.to_dict()
    assert data["id"] == "demo.alpha" and data["questions"] == ["RAI-FB-A2"]
    assert data["severity"] == "medium" and data["threshold"] == 0.8
