"""GitLab Code Quality: a JSON array whose issues carry every field GitLab documents as required
(description, check_name, fingerprint, severity, location.path, location.lines.begin), unique
fingerprints, GitLab's severity names, and paths relative to the repository root."""

from __future__ import annotations

import json
from typing import Any

GITLAB_SEVERITIES = {"info", "minor", "major", "critical", "blocker"}


def assert_gitlab_ready(issues: list[dict[str, Any]]) -> None:
    assert isinstance(issues, list)
    fingerprints = [i["fingerprint"] for i in issues]
    assert len(fingerprints) == len(set(fingerprints)), "GitLab needs unique fingerprints"
    for i in issues:
        assert isinstance(i["description"], str) and i["description"]
        assert isinstance(i["check_name"], str) and i["check_name"]
        assert isinstance(i["fingerprint"], str) and len(i["fingerprint"]) >= 32
        assert i["severity"] in GITLAB_SEVERITIES
        path = i["location"]["path"]
        assert isinstance(path, str) and not path.startswith("/") and "://" not in path
        begin = i["location"]["lines"]["begin"]
        assert isinstance(begin, int) and begin >= 1


def test_plugin_run(plugin_run) -> None:
    issues = json.loads(plugin_run.report("codequality"))
    assert_gitlab_ready(issues)
    by_name = {i["check_name"]: i for i in issues}
    alpha = by_name["testplugin.alpha"]
    assert alpha["location"] == {
        "path": "aima.yaml",
        "lines": {"begin": plugin_run.line_of("  testplugin:")},
    }
    assert alpha["severity"] == "major"  # medium severity, and the gate waits for it
    assert "testplugin.beta" not in by_name  # waived
    assert by_name["GOV-SM-B1"]["location"]["lines"]["begin"] == plugin_run.line_of("attestations:")
    assert issues[0]["severity"] in ("critical", "blocker", "major")


def test_severity_follows_the_check(hostile_evidence) -> None:
    issues = json.loads(hostile_evidence.report("codequality"))
    assert_gitlab_ready(issues)
    sev = {i["check_name"]: i["severity"] for i in issues}
    assert sev["evil.markup"] == "blocker"  # critical
    assert sev["evil.crash"] == "critical"  # an error can verify nothing
    assert sev["evil.soft"] == "minor"  # low-severity warning above the target
    assert "evil.na" not in sev and "evil.pass" not in sev


def test_stable_fingerprints_and_an_empty_list_when_passing(plugin_run, passing_run) -> None:
    first = json.loads(plugin_run.report("codequality"))
    again = json.loads(plugin_run.report("codequality"))
    assert [i["fingerprint"] for i in first] == [i["fingerprint"] for i in again]
    assert json.loads(passing_run.report("codequality")) == []
