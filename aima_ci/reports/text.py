"""The terminal report: verdict, per domain and practice level vs target, then every failure with
its question, the evidence that decided it and the next step; and a framework view as plain text."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from aima_ci.assess.explain import failing_gaps, practice_targets, unhealthy_checks
from aima_ci.assess.gate import verdict_line

from .format import ReportContext, ReportFormat


def level_str(level: int, plus: bool) -> str:
    return f"{level}{'+' if plus else ''}"


def _style(ctx: ReportContext, text: str, **kw: Any) -> str:
    if not ctx.color:
        return text
    import click

    return click.style(text, **kw)


def render(assessment: Mapping[str, Any], ctx: ReportContext) -> str:
    gate = assessment["gate"]
    targets = practice_targets(assessment)
    target = gate["target"]
    out: list[str] = []
    verdict = "PASSED" if gate["passed"] else "FAILED"
    colour = "green" if gate["passed"] else "red"
    overall = assessment["overall"]
    out.append(
        _style(ctx, f"AIMA gate {verdict}", fg=colour, bold=True)
        + f"  overall level {level_str(overall['level'], overall['plus'])}"
        f" (score {overall['score']:.2f}/3), target level {target['level']}"
    )
    out.append(verdict_line(gate))
    by_status = assessment.get("findings", {}).get("by_status", {})
    if by_status:
        out.append("findings: " + ", ".join(f"{k} {v}" for k, v in sorted(by_status.items())))
    out.append("")
    out.append(f"{'domain / practice':<52} {'level':>5} {'target':>6} {'score':>6}")
    for d in assessment["domains"]:
        dgoal = target["domains"].get(d["id"], {"level": target["level"]})
        dwant = int(dgoal.get("level", 0))
        mark = _mark(ctx, d["level"] >= dwant)
        out.append(
            f"{mark} {d['id'] + ' ' + d['name']:<50} {level_str(d['level'], d['plus']):>5}"
            f" {dwant:>6} {d['score']:>6.2f}"
        )
        for p in d["practices"]:
            want = targets[p["id"]]
            pmark = _mark(ctx, p["level"] >= want)
            out.append(
                f"  {pmark} {p['id'] + ' ' + p['name']:<48} {level_str(p['level'], p['plus']):>5}"
                f" {want:>6} {p['score']:>6.2f}"
            )
    failures = gate["failures"]
    if failures:
        out.append("")
        out.append(_style(ctx, "Gate failures", bold=True))
        for f in failures:
            out.append(f"  - {f['message']}")
    broken = unhealthy_checks(assessment)
    if broken:
        out.append("")
        out.append(_style(ctx, "Checks in error or not run (they earn no credit)", bold=True))
        for c in broken:
            out.append(f"  - {c['check']} [{c['status']}]: {c['message']}")
            if c["next_step"]:
                out.append(f"      next: {c['next_step']}")
    gaps = failing_gaps(assessment, ctx.catalogue)
    if gaps:
        out.append("")
        out.append(_style(ctx, "What is missing, and the next step", bold=True))
        for practice, practice_gap_list in gaps:
            out.append(
                f"  {practice['id']} {practice['name']}: level"
                f" {level_str(practice['level'], practice['plus'])}, needs {targets[practice['id']]}"
            )
            for g in practice_gap_list:
                out.append(f"    {g.question} (L{g.level}, stream {g.stream}) {g.text}")
                out.append(f"      evidence: {g.reason}")
                out.append(f"      next: {g.next_step}")
    waivers = assessment.get("waivers", {})
    if any(waivers.get(k) for k in ("active", "expired")):
        out.append("")
        out.append(_style(ctx, "Waivers", bold=True))
        for w in waivers.get("active", []):
            out.append(f"  active  {w['id']} until {w['expires']} ({w['owner']}): {w['reason']}")
        for w in waivers.get("expired", []):
            out.append(f"  EXPIRED {w['id']} on {w['expires']} ({w['owner']}): no longer applies")
    problems = assessment.get("problems", [])
    if problems:
        out.append("")
        out.append(_style(ctx, "Input problems (these earn no credit)", bold=True))
        for p in problems:
            ident = f" {p['id']}" if p.get("id") else ""
            out.append(f"  - [{p['kind']}]{ident} {p['source']}: {p['message']}")
    return "\n".join(out) + "\n"


def _mark(ctx: ReportContext, ok: bool) -> str:
    return _style(ctx, "✓", fg="green") if ok else _style(ctx, "✗", fg="red")


def render_view(view: Mapping[str, Any], ctx: ReportContext) -> str:
    """A framework view (aima_ci.reports.views): the summary, then every item and its evidence."""
    return "\n".join(_view_lines(view, ctx)) + "\n"


def _view_lines(view: Mapping[str, Any], ctx: ReportContext) -> Iterator[str]:
    from .views import summary_line

    yield f"{view['framework']} ({view['version']}) - view of the AIMA assessment"
    yield f"note: {view['notice']}"
    yield summary_line(view)
    for item in view["items"]:
        yield ""
        yield f"[{item['status'].upper():<8}] {item['id']}  {item['title']}"
        for m in item["mappings"]:
            yield f"    {m['status']:<8} {m['kind']} {m['ref']} ({m['strength']}): {m['detail']}"
            if ctx.verbose or m["strength"] != "supporting":
                yield f"             why: {m['rationale']}"


FORMAT = ReportFormat(
    name="text",
    filename="report.txt",
    media_type="text/plain; charset=utf-8",
    render=render,
    render_view=render_view,
)
