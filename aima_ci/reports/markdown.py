"""Markdown for a CI job summary or a merge-request comment: verdict first, then domains, the
failing criteria with their next step, and the waivers. Kept under GitHub's 1 MiB summary limit.
A framework view renders as one table, an item per row."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from aima_ci.assess.explain import failing_gaps, unhealthy_checks

from .format import ReportContext, ReportFormat

MAX_BYTES = 1_000_000
MAX_GAP_ROWS = 200


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ").strip()


def _lvl(level: int, plus: bool) -> str:
    return f"{level}{'+' if plus else ''}"


def _verdicts(gate: Mapping[str, Any]) -> dict[str, str]:
    from aima_ci.assess.gate import verdicts

    return dict(gate.get("verdicts") or verdicts(f.get("kind", "") for f in gate["failures"]))


def render(assessment: Mapping[str, Any], ctx: ReportContext) -> str:
    gate = assessment["gate"]
    target = gate["target"]
    overall = assessment["overall"]
    icon = "✅" if gate["passed"] else "❌"
    verdict = "passed" if gate["passed"] else "failed"
    lines = [
        f"## {icon} AIMA gate {verdict}",
        "",
        "| Maturity | Findings |",
        "| --- | --- |",
        "| {maturity} | {findings} |".format(**_verdicts(gate)),
        "",
        f"Overall maturity **level {_lvl(overall['level'], overall['plus'])}**"
        f" (score {overall['score']:.2f} / 3) against target level **{target['level']}**.",
        "",
        "| Domain | Level | Target | Score |",
        "| --- | --- | --- | --- |",
    ]
    for d in assessment["domains"]:
        want = int(target["domains"].get(d["id"], {"level": target["level"]}).get("level", 0))
        mark = "✅" if d["level"] >= want else "❌"
        lines.append(
            f"| {mark} {d['id']} {_cell(d['name'])} | {_lvl(d['level'], d['plus'])} | {want}"
            f" | {d['score']:.2f} |"
        )
    if gate["failures"]:
        lines += ["", "### Gate failures", ""]
        lines += [f"- {_cell(f['message'])}" for f in gate["failures"]]
    broken = unhealthy_checks(assessment)
    if broken:  # before the gap table, and never cut: an error must not scroll out of sight
        lines += [
            "",
            "### Checks in error or not run",
            "",
            "| Check | Status | Message | Next step |",
            "| --- | --- | --- | --- |",
        ]
        lines += [
            f"| `{_cell(c['check'])}` | {c['status']} | {_cell(c['message'])[:500]}"
            f" | {_cell(c['next_step'])[:300]} |"
            for c in broken
        ]
    gaps = failing_gaps(assessment, ctx.catalogue)
    if gaps:
        lines += [
            "",
            "### Failing criteria and next steps",
            "",
            "| Criterion | Question | Evidence | Next step |",
            "| --- | --- | --- | --- |",
        ]
        rows = 0
        total = sum(len(g) for _, g in gaps)
        for _practice, gap_list in gaps:
            for g in gap_list:
                if rows >= MAX_GAP_ROWS:
                    break
                lines.append(
                    f"| `{g.question}` | {_cell(g.text)} | {_cell(g.reason)[:300]}"
                    f" | {_cell(g.next_step)[:300]} |"
                )
                rows += 1
        if total > rows:
            lines.append(f"\n_{total - rows} more criteria omitted; see the full report._")
    waivers = assessment.get("waivers", {})
    all_waivers = [("active", w) for w in waivers.get("active", [])] + [
        ("expired", w) for w in waivers.get("expired", [])
    ]
    lines += ["", "### Waivers", ""]
    if all_waivers:
        lines += ["| Id | State | Owner | Expires | Reason |", "| --- | --- | --- | --- | --- |"]
        for state, w in all_waivers:
            lines.append(
                f"| `{w['id']}` | {state} | {_cell(w['owner'])} | {w['expires']} | {_cell(w['reason'])} |"
            )
    else:
        lines.append("No waivers.")
    problems = assessment.get("problems", [])
    if problems:
        lines += ["", "<details><summary>Input problems</summary>", ""]
        lines += [
            f"- **{p['kind']}** {_cell(p['source'])}: {_cell(p['message'])}" for p in problems
        ]
        lines += ["", "</details>"]
    lines += [
        "",
        f"<sub>aima-ci {assessment.get('aima_ci_version', '')} · OWASP AIMA v{assessment.get('aima_version', '1.0')}</sub>",
        "",
    ]
    text = "\n".join(lines)
    if len(text.encode("utf-8")) > MAX_BYTES:
        text = text.encode("utf-8")[: MAX_BYTES - 200].decode("utf-8", "ignore")
        text += "\n\n_Report truncated to stay under 1 MiB; see the full report artefact._\n"
    return text


# --------------------------------------------------------------------------- framework views
def render_view(view: Mapping[str, Any], ctx: ReportContext) -> str:
    """A framework view (aima_ci.reports.views) as one table, an item per row."""
    return "\n".join(_view_lines(view)) + "\n"


def _view_cell(text: Any) -> str:
    """A cell of a view's table: ``|`` and a newline would break the row, and ``<`` would open
    HTML where the Markdown is rendered (a job summary, a pull-request comment)."""
    return str(text).replace("|", "\\|").replace("\n", " ").replace("<", "&lt;").strip()


_ICON = {
    "failing": "❌",
    "covered": "✅",
    "partial": "◐",
    "attested": "📝",
    "waived": "⏸️",
    "none": "⬜",
    "not_applicable": "➖",
}


def _view_lines(view: Mapping[str, Any]) -> Iterator[str]:
    from .views import ITEM_LABELS, summary_line

    yield f"## {_view_cell(view['framework'])} view of the AIMA assessment"
    yield ""
    yield f"> {_view_cell(view['notice'])} Framework version: {_view_cell(view['version'])}."
    yield ""
    yield summary_line(view) + "."
    yield ""
    yield "| Item | Status | Evidence (AIMA question or aima-ci check: status) | Rationale |"
    yield "| --- | --- | --- | --- |"
    for item in view["items"]:
        evidence = "<br>".join(
            f"`{_view_cell(m['ref'])}` {m['status']} ({m['strength']})" for m in item["mappings"]
        )
        why = "<br>".join(_view_cell(m["rationale"]) for m in item["mappings"])
        yield (
            f"| **{_view_cell(item['id'])}** {_view_cell(item['title'])} | {_ICON[item['status']]}"
            f" {ITEM_LABELS[item['status']]} | {evidence} | {why} |"
        )


FORMAT = ReportFormat(
    name="markdown",
    filename="report.md",
    media_type="text/markdown; charset=utf-8",
    render=render,
    render_view=render_view,
)
