"""Errors are visible where CI users look (issue 12).

A check in ``error`` earns nothing, so the gate may still pass on the rest; the user must
still see it. Before the fix a collector whose checks errored printed only "done: 2
finding(s)", and neither the terminal nor the Markdown report named the check.
"""

from __future__ import annotations

import json

from rb_support import FIXTURES, make_repo, run_cli


def _damaged_garak_repo(tmp_path):
    root = make_repo(tmp_path)
    lines = (FIXTURES / "garak" / "garak-0.17.1-repeat.report.jsonl").read_text().splitlines()
    kept = [ln for ln in lines if json.loads(ln).get("entry_type") != "digest"]
    (root / "scan.report.jsonl").write_text("\n".join(kept) + "\n")
    (root / "aima.yaml").write_text(
        "target: 0\ncollectors:\n  garak:\n    report: scan.report.jsonl\n"
    )
    return root


def test_console_and_reports_name_every_error_with_its_next_step(tmp_path):
    root = _damaged_garak_repo(tmp_path)
    result = run_cli("run", "-f", "markdown", "-f", "text", cwd=root)
    assert result.returncode in (0, 1), result.stderr  # the verdict is not the point here
    # the progress line says the collector's checks errored, not just "N finding(s)"
    assert "in error or not run (first: garak." in result.stderr, result.stderr
    # the terminal summary lists the check, its message and its next step
    assert "Checks in error or not run" in result.stdout, result.stdout
    assert "garak.scan [error]:" in result.stdout and "digest" in result.stdout
    assert "next: " in result.stdout.split("Checks in error or not run")[1]
    markdown = (root / ".aima" / "report.md").read_text()
    section = markdown.split("### Checks in error or not run")[1]
    assert "`garak.scan` | error |" in section, markdown
    text = (root / ".aima" / "report.txt").read_text()
    assert "garak.scan [error]:" in text


def test_markdown_error_table_survives_a_cut_gap_table(tmp_path, monkeypatch):
    """The gap table is capped; the error table comes before it and is never cut."""
    from aima_ci.reports import ReportContext, markdown

    root = _damaged_garak_repo(tmp_path)
    (root / "aima.yaml").write_text(
        "target: 3\ncollectors:\n  garak:\n    report: scan.report.jsonl\n"
    )
    assert run_cli("run", cwd=root).returncode == 1
    assessment = json.loads((root / ".aima" / "assessment.json").read_text())
    monkeypatch.setattr(markdown, "MAX_GAP_ROWS", 1)
    text = markdown.render(assessment, ReportContext(evidence_dir=root / ".aima"))
    assert "more criteria omitted" in text  # the gap table was cut ...
    errors = text.split("### Checks in error or not run")[1].split("### Failing criteria")[0]
    assert "`garak.scan` | error |" in errors  # ... the failing check was not
