"""The terminal report: verdict, the two verdicts side by side, every domain and practice against
its target, the failures with their next step, waivers; colour only when asked; and a framework
view as plain text."""

from __future__ import annotations

import re
from typing import Any

from aima_ci import api, reports
from aima_ci.config import load_config
from aima_ci.reports import ReportContext
from aima_ci.reports.views import framework_view

ANSI = re.compile(r"\x1b\[[0-9;]*m")


def ctx_for(built: Any, **kw: Any) -> ReportContext:
    return api.report_context(load_config(built.config), built.evidence, **kw)


def test_failing_run_says_why_and_what_next(plugin_run) -> None:
    a = plugin_run.assessment
    text = reports.get("text").render(a, ctx_for(plugin_run))
    lines = text.splitlines()
    assert lines[0].startswith("AIMA gate FAILED  overall level ")
    assert lines[1].startswith("maturity: ")
    for d in a["domains"]:  # every domain and every practice has its row
        assert any(line[2:].startswith(f"{d['id']} {d['name']}") for line in lines), d["id"]
        for p in d["practices"]:
            assert any(line[4:].startswith(f"{p['id']} ") for line in lines), p["id"]
    assert "Gate failures" in text
    for f in a["gate"]["failures"]:
        assert f"  - {f['message']}" in lines
    assert "What is missing, and the next step" in text and "      next: " in text
    assert re.search(
        r"^  active  testplugin\.beta until 2026-12-31 \(ml-team@example\.com\)", text, re.M
    )
    assert not ANSI.search(text)


def test_passing_run_has_no_failure_section(passing_run) -> None:
    text = reports.get("text").render(passing_run.assessment, ctx_for(passing_run))
    assert text.startswith("AIMA gate PASSED")
    assert "Gate failures" not in text and "What is missing" not in text


def test_colour_only_when_asked(plugin_run) -> None:
    plain = reports.get("text").render(plugin_run.assessment, ctx_for(plugin_run))
    coloured = reports.get("text").render(plugin_run.assessment, ctx_for(plugin_run, color=True))
    assert ANSI.search(coloured) and ANSI.sub("", coloured) == plain


def test_cli_prints_what_the_library_renders(plugin_run) -> None:
    assert plugin_run.report("text") == reports.get("text").render(
        plugin_run.assessment, ctx_for(plugin_run)
    )


def test_framework_view_as_text(plugin_run) -> None:
    view = framework_view(plugin_run.assessment, "eu-ai-act")
    render = reports.get("text").render_view
    assert render is not None
    terse = render(view, ReportContext())
    assert terse.startswith(f"{view['framework']} ({view['version']}) - view of the AIMA")
    assert f"note: {view['notice']}" in terse
    for item in view["items"]:
        assert f"] {item['id']}  {item['title']}" in terse
    # supporting mappings explain themselves only with --verbose
    verbose = render(view, ReportContext(verbose=True))
    assert verbose.count("why: ") >= terse.count("why: ")
