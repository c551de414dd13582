"""The Markdown summary (core-owned renderer): verdict first, waivers listed, under GitHub's
1 MiB step-summary limit even for a huge assessment."""

from __future__ import annotations

import copy

from aima_ci.reports import ReportContext, get


def test_verdict_first_and_waivers_listed(plugin_run) -> None:
    text = plugin_run.report("markdown")
    first = next(line for line in text.splitlines() if line.strip())
    assert first.startswith("## ") and "AIMA gate failed" in first
    assert "testplugin.beta" in text and "ml-team@example.com" in text
    assert "### Waivers" in text


def test_passing_verdict(passing_run) -> None:
    assert "AIMA gate passed" in passing_run.report("markdown").splitlines()[0]


def test_stays_under_one_mebibyte(plugin_run) -> None:
    a = copy.deepcopy(plugin_run.assessment)
    a["gate"]["failures"] = [
        {"kind": "error", "id": f"c{i}", "expected": 0, "actual": 1, "message": "x" * 400}
        for i in range(5000)
    ]
    a["problems"] = [{"kind": "waiver", "source": "s", "id": None, "message": "y" * 300}] * 2000
    text = get("markdown").render(a, ReportContext())
    assert len(text.encode("utf-8")) < 1 << 20
    assert text.startswith("## ")
