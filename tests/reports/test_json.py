"""The JSON report is assessment.json itself, and a framework view is its own JSON document."""

from __future__ import annotations

import json

from aima_ci import reports
from aima_ci.reports import ReportContext
from aima_ci.reports.views import framework_view


def test_the_report_is_the_assessment(plugin_run) -> None:
    text = plugin_run.report("json")
    assert json.loads(text) == plugin_run.assessment
    assert text.endswith("\n") and "\\u" not in text.split('"aima_version"')[0]


def test_non_ascii_stays_readable(hostile_evidence, hostile_text) -> None:
    text = reports.get("json").render(hostile_evidence.assessment, ReportContext())
    assert "☃" in text  # ensure_ascii=False: what the tool said, not \u2603
    assert json.loads(text) == hostile_evidence.assessment


def test_view_is_the_view_document(plugin_run) -> None:
    view = framework_view(plugin_run.assessment, "atlas")
    render = reports.get("json").render_view
    assert render is not None and json.loads(render(view, ReportContext())) == view
