"""The shared issue list: anchored to the nearest configured config key, ranked worst first
(gate-blocking, level, measured before unanswered, severity, AIMA order), identities that do not
move with config lines, and nothing flagged twice."""

from __future__ import annotations

from aima_ci.reports import ReportContext
from aima_ci.reports.issues import (
    FLAGGED_STATUSES,
    Issue,
    anchor_line,
    collect_issues,
    config_uri,
    fingerprint,
)


def test_anchor_is_the_nearest_configured_parent() -> None:
    lines = {"collectors": 10, "collectors.zap": 14, "target": 3}
    assert anchor_line(lines, "collectors.zap.target") == 14
    assert anchor_line(lines, "collectors.garak") == 10
    assert anchor_line(lines, "waivers") == 1  # nothing known: the file's first line


def test_config_path_is_relative_to_the_repository() -> None:
    assert config_uri({"config": "sub/aima.yaml"}) == "sub/aima.yaml"
    assert config_uri({"config": "/abs/where/aima.yaml"}) == "aima.yaml"
    assert config_uri({"config": "<pyproject>"}) == "aima.yaml"
    assert config_uri({}) == "aima.yaml"


def test_rank_puts_blocking_errors_first() -> None:
    def issue(
        rule: str,
        kind: str = "check",
        level: str = "warning",
        severity: str = "medium",
        blocking: bool = False,
    ) -> Issue:
        return Issue(kind, rule, rule, rule, level, severity, "x", rule, blocking=blocking)

    issues = [
        issue("note", level="note"),
        issue("question", kind="question", level="error", blocking=True),
        issue("warn-high", severity="high"),
        issue("check-blocking", level="error", blocking=True),
        issue("warn-low", severity="low"),
        issue("error", level="error"),
    ]
    ranked = [i.rule_id for i in sorted(issues, key=lambda i: i.rank)]
    assert ranked == ["check-blocking", "question", "error", "warn-high", "warn-low", "note"]


def test_fingerprint_is_stable_and_separates_its_parts() -> None:
    assert fingerprint("check", "aima.yaml", "a.b") == fingerprint("check", "aima.yaml", "a.b")
    assert fingerprint("ab", "c") != fingerprint("a", "bc")


def test_a_real_run_flags_each_problem_once_worst_first(plugin_run) -> None:
    ctx = ReportContext(evidence_dir=plugin_run.evidence)
    issues, checks = collect_issues(plugin_run.assessment, ctx)
    assert issues == sorted(issues, key=lambda i: i.rank)
    assert len({i.fingerprint for i in issues}) == len(issues)
    flagged = {i.rule_id for i in issues if i.kind == "check"}
    assert flagged == {c for c, s in checks.items() if s.status in FLAGGED_STATUSES}
    assert "testplugin.beta" not in flagged  # waived: shown as waived, never an issue
    questions = [q for i in issues if i.kind == "check" for q in i.questions]
    assert not {i.rule_id for i in issues if i.kind == "question"} & set(questions)
