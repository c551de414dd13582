"""The HTML report: one self-contained file to open from a CI artefact or attach to an audit.

No script, no CDN, no web font, no remote image: inline CSS and SVG only, and a Content Security
Policy that forbids any fetch, so the page renders the same offline and cannot leak the assessment.
Every string from the assessment or the evidence is untrusted (tool messages, waiver reasons,
artefact names) and goes through ``esc``; links are built only from validated relative artefact
paths (relative to the evidence directory, where ``aima-ci run --format html`` writes the report)
and from http(s) URLs.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import quote, urlsplit

from aima_ci.assess.explain import failing_gaps, practice_targets
from aima_ci.safety.paths import PathError, safe_relpath

from .charts import Axis, bar, radar
from .format import ReportContext, ReportFormat
from .issues import CheckSummary, collect_issues, iter_questions

CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none';"
    " form-action 'none'"
)
STATUS_CLASS = {
    "pass": "ok",
    "waived": "muted",
    "not_applicable": "muted",
    "warn": "warn",
    "inconclusive": "warn",
    "fail": "bad",
    "error": "bad",
    "not_run": "bad",
}
CSS = """
:root{--ok:#1a7f37;--bad:#cf222e;--warn:#9a6700;--muted:#57606a;--line:#d0d7de;--bg:#f6f8fa}
*{box-sizing:border-box}
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Liberation Sans",sans-serif;
 color:#1f2328;margin:0 auto;max-width:1200px;padding:24px}
h1{font-size:24px;margin:0 0 4px}h2{font-size:18px;margin:28px 0 8px;border-bottom:1px solid var(--line);
 padding-bottom:4px}h3{font-size:15px;margin:16px 0 6px}
.verdict{display:inline-block;padding:2px 10px;border-radius:12px;color:#fff;font-weight:600}
.verdict.ok{background:var(--ok)}.verdict.bad{background:var(--bad)}
.meta{color:var(--muted)}
.summary{display:flex;gap:32px;flex-wrap:wrap;align-items:flex-start}
table{border-collapse:collapse;width:100%;margin:6px 0}
th,td{border-bottom:1px solid var(--line);padding:5px 8px;text-align:left;vertical-align:top}
th{background:var(--bg);font-weight:600}
td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
code{font:12px ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;background:var(--bg);
 padding:1px 4px;border-radius:4px}
.badge{display:inline-block;padding:0 6px;border-radius:8px;font-size:12px;font-weight:600;
 border:1px solid currentColor;white-space:nowrap}
.ok{color:var(--ok)}.bad{color:var(--bad)}.warn{color:var(--warn)}.muted{color:var(--muted)}
.verdict.ok,.verdict.bad{color:#fff}
.summary>div{flex:1;min-width:360px}figure{margin:0}
svg.radar .grid{fill:none;stroke:var(--line)}svg.radar .spoke{stroke:var(--line)}
svg.radar .tick{font-size:10px;fill:var(--muted)}svg.radar .axis{font-size:12px;font-weight:600;fill:#1f2328}
svg.radar .target{fill:none;stroke:var(--bad);stroke-width:2;stroke-dasharray:6 4}
svg.radar .score{fill:rgba(9,105,218,.08);stroke:#0969da;stroke-width:1.5}
svg.radar .level{fill:rgba(26,127,55,.25);stroke:var(--ok);stroke-width:2}
svg.radar .dot.ok{fill:var(--ok)}svg.radar .dot.bad{fill:var(--bad)}
svg.bar{vertical-align:middle;overflow:visible}svg.bar .track{fill:var(--bg);stroke:var(--line)}
svg.bar .fill.ok{fill:var(--ok)}svg.bar .fill.bad{fill:#e5534b}svg.bar .tick{stroke:#fff}
svg.bar .target{stroke:#1f2328;stroke-width:2}
.legend span{margin-right:14px;white-space:nowrap}
.swatch{display:inline-block;width:18px;height:0;border-top:3px solid;vertical-align:middle;margin-right:4px}
.gap{border-left:3px solid var(--bad);padding:2px 0 2px 10px;margin:8px 0}
.gap .q{font-weight:600}.gap .evidence,.gap .next{margin-left:8px}
ul.links{margin:2px 0;padding-left:18px}
details{margin:6px 0}summary{cursor:pointer;font-weight:600}
footer{margin-top:32px;color:var(--muted);font-size:12px;border-top:1px solid var(--line);padding-top:8px}
@media print{body{padding:0}details{break-inside:avoid}}
"""


def esc(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _lvl(level: Any, plus: Any = False) -> str:
    return f"{level}{'+' if plus else ''}"


def artefact_link(path: str) -> str:
    """A link to an artefact (relative to the evidence directory), or plain text if unsafe."""
    try:
        rel = safe_relpath(path)
    except PathError:
        return f"<code>{esc(path)}</code> <span class='muted'>(not a safe relative path)</span>"
    return f'<a href="{esc(quote(rel, safe="/"))}"><code>{esc(rel)}</code></a>'


def evidence_link(value: str) -> str:
    """An attestation's evidence: a link when it is an http(s) URL, text otherwise."""
    parts = urlsplit(value)
    if parts.scheme in ("http", "https") and parts.netloc:
        return f'<a href="{esc(value)}" rel="noopener noreferrer">{esc(value)}</a>'
    return f"<code>{esc(value)}</code>"


def _status(status: str) -> str:
    return f'<span class="badge {STATUS_CLASS.get(status, "muted")}">{esc(status)}</span>'


def _links(paths: Iterable[str]) -> str:
    items = [f"<li>{artefact_link(p)}</li>" for p in paths]
    return f'<ul class="links">{"".join(items)}</ul>' if items else ""


def _header(a: Mapping[str, Any]) -> list[str]:
    gate = a.get("gate") or {}
    overall = a.get("overall") or {}
    passed = bool(gate.get("passed"))
    target = (gate.get("target") or {}).get("level", "?")
    return [
        "<header>",
        f"<h1>AIMA maturity report <span class='verdict {'ok' if passed else 'bad'}'>"
        f"gate {'passed' if passed else 'failed'}</span></h1>",
        f"<p>Overall level <strong>{esc(_lvl(overall.get('level', 0), overall.get('plus')))}</strong>"
        f" (score {float(overall.get('score', 0)):.2f} / 3) against target level"
        f" <strong>{esc(target)}</strong>.</p>",
        f"<p class='meta'>Assessed {esc(a.get('date', ''))} · config <code>{esc(a.get('config', ''))}</code>"
        f" · aima-ci {esc(a.get('aima_ci_version', ''))} · OWASP AIMA v{esc(a.get('aima_version', ''))}"
        f" · findings: {esc(_by_status(a))}</p>",
        "</header>",
    ]


def _by_status(a: Mapping[str, Any]) -> str:
    counts = (a.get("findings") or {}).get("by_status") or {}
    return ", ".join(f"{k} {v}" for k, v in sorted(counts.items())) or "none"


def _summary(a: Mapping[str, Any]) -> list[str]:
    target = (a.get("gate") or {}).get("target") or {}
    axes = []
    rows = []
    for d in a.get("domains", []):
        want = int(
            ((target.get("domains") or {}).get(d["id"]) or {"level": target.get("level", 0)}).get(
                "level", 0
            )
        )
        axes.append(Axis(d["id"], d["name"], float(d["level"]), float(d["score"]), float(want)))
        cls = "ok" if d["level"] >= want else "bad"
        rows.append(
            f"<tr><td><span class='{cls}'>{'✓' if cls == 'ok' else '✗'}</span> <strong>{esc(d['id'])}</strong>"
            f" {esc(d['name'])}</td><td class='num'>{esc(_lvl(d['level'], d.get('plus')))}</td>"
            f"<td class='num'>{want}</td><td class='num'>{float(d['score']):.2f}</td></tr>"
        )
    legend = (
        "<p class='legend'><span><i class='swatch' style='border-color:#1a7f37'></i>level</span>"
        "<span><i class='swatch' style='border-color:#0969da'></i>score (0-3)</span>"
        "<span><i class='swatch' style='border-color:#cf222e;border-top-style:dashed'></i>target</span></p>"
    )
    return [
        "<section id='summary'><h2>Domains</h2><div class='summary'>",
        f"<figure>{radar(axes, esc)}{legend}</figure>",
        "<div><table><thead><tr><th>Domain</th><th>Level</th><th>Target</th><th>Score</th></tr>"
        f"</thead><tbody>{''.join(rows)}</tbody></table>"
        "<p class='meta'>Domain level = lowest practice level; score = mean of the practice"
        " scores (OWASP AIMA toolkit formula, 0-3).</p></div>",
        "</div></section>",
    ]


def _practices(a: Mapping[str, Any]) -> list[str]:
    targets = practice_targets(a)
    out = [
        "<section id='practices'><h2>Practices</h2><table><thead><tr><th>Practice</th>"
        "<th>Level</th><th>Target</th><th>Score</th><th>Score bar (0-3, line = target)</th>"
        "</tr></thead><tbody>"
    ]
    for d in a.get("domains", []):
        for p in d.get("practices", []):
            want = targets.get(p["id"], 0)
            cls = "ok" if p["level"] >= want else "bad"
            label = f"{p['id']} {p['name']}: score {float(p['score']):.2f}, level {p['level']}, target {want}"
            out.append(
                f"<tr><td><span class='{cls}'>{'✓' if cls == 'ok' else '✗'}</span>"
                f" <code>{esc(p['id'])}</code> {esc(p['name'])}</td>"
                f"<td class='num'>{esc(_lvl(p['level'], p.get('plus')))}</td><td class='num'>{want}</td>"
                f"<td class='num'>{float(p['score']):.2f}</td>"
                f"<td>{bar(float(p['score']), int(p['level']), want, label, esc)}</td></tr>"
            )
    out.append("</tbody></table></section>")
    return out


def _gate_failures(a: Mapping[str, Any]) -> list[str]:
    failures = (a.get("gate") or {}).get("failures") or []
    if not failures:
        return ["<section id='gate'><h2>Gate</h2><p class='ok'>Every target is met.</p></section>"]
    items = "".join(f"<li>{esc(f.get('message', ''))}</li>" for f in failures)
    return [f"<section id='gate'><h2>Gate failures</h2><ul>{items}</ul></section>"]


def _gaps(
    a: Mapping[str, Any], ctx: ReportContext, checks: Mapping[str, CheckSummary]
) -> list[str]:
    gaps = failing_gaps(a, ctx.catalogue)
    if not gaps:
        return []
    questions = {q["id"]: q for _d, _p, q in iter_questions(a)}
    targets = practice_targets(a)
    out = ["<section id='gaps'><h2>Failing criteria and next steps</h2>"]
    for practice, gap_list in gaps:
        out.append(
            f"<h3><code>{esc(practice['id'])}</code> {esc(practice['name'])}: level"
            f" {esc(_lvl(practice['level'], practice.get('plus')))}, needs {targets.get(practice['id'], 0)}</h3>"
        )
        for g in gap_list:
            q = questions.get(g.question, {})
            arts = [
                x
                for c in q.get("checks", [])
                if c.get("check") in checks
                for x in checks[c["check"]].artefacts
            ]
            out.append(
                f"<div class='gap'><div class='q'><code>{esc(g.question)}</code> level {g.level},"
                f" stream {esc(g.stream)}: {esc(g.text)}</div>"
                f"<div class='evidence'><strong>Evidence:</strong> {esc(g.reason)}</div>"
                f"<div class='next'><strong>Next step:</strong> {esc(g.next_step)}</div>"
                f"{_links(dict.fromkeys(arts))}</div>"
            )
    out.append("</section>")
    return out


def _checks(checks: Mapping[str, CheckSummary]) -> list[str]:
    if not checks:
        return [
            "<section id='checks'><h2>Automated checks</h2><p class='muted'>No collector reported"
            " a check in this assessment.</p></section>"
        ]
    rows = []
    order = {
        "error": 0,
        "fail": 1,
        "not_run": 2,
        "warn": 3,
        "inconclusive": 3,
        "waived": 4,
        "pass": 5,
        "not_applicable": 6,
    }
    for s in sorted(checks.values(), key=lambda s: (order.get(s.status, 9), s.check)):
        rows.append(
            f"<tr><td><code>{esc(s.check)}</code><div class='muted'>{esc(s.collector)}</div></td>"
            f"<td>{_status(s.status)}</td><td>{esc(s.severity)}</td>"
            f"<td>{esc(', '.join(s.questions))}</td><td>{esc(s.message)}"
            + (
                f"<div><strong>Next step:</strong> {esc(s.next_step)}</div>"
                if s.next_step and s.status in ("fail", "error", "warn", "inconclusive", "not_run")
                else ""
            )
            + f"</td><td>{_links(s.artefacts)}</td></tr>"
        )
    return [
        "<section id='checks'><h2>Automated checks</h2><table><thead><tr><th>Check</th>"
        "<th>Status</th><th>Severity</th><th>AIMA questions</th><th>Result</th><th>Artefacts</th>"
        f"</tr></thead><tbody>{''.join(rows)}</tbody></table>"
        "<p class='meta'>Artefact links are relative to the evidence directory.</p></section>"
    ]


def _waivers(a: Mapping[str, Any]) -> list[str]:
    w = a.get("waivers") or {}
    applied = {x.get("id") for x in w.get("applied", []) or []}
    rows = []
    for state, items in (
        ("active", w.get("active", []) or []),
        ("expired", w.get("expired", []) or []),
    ):
        for x in items:
            used = " (applied)" if state == "active" and x.get("id") in applied else ""
            cls = "bad" if state == "expired" else "warn"
            rows.append(
                f"<tr><td><code>{esc(x.get('id', ''))}</code></td><td><span class='badge {cls}'>"
                f"{esc(state + used)}</span></td><td>{esc(x.get('owner', ''))}</td>"
                f"<td>{esc(x.get('expires', ''))}</td><td>{esc(x.get('reason', ''))}</td></tr>"
            )
    if not rows:
        return ["<section id='waivers'><h2>Waivers</h2><p>No waivers.</p></section>"]
    return [
        "<section id='waivers'><h2>Waivers</h2><table><thead><tr><th>Id</th><th>State</th>"
        f"<th>Owner</th><th>Expires</th><th>Reason</th></tr></thead><tbody>{''.join(rows)}</tbody></table></section>"
    ]


def _attestations(a: Mapping[str, Any]) -> list[str]:
    atts = a.get("attestations") or []
    if not atts:
        return []
    rows = "".join(
        f"<tr><td><code>{esc(x.get('question', ''))}</code></td><td>{esc(x.get('answer', ''))}</td>"
        f"<td>{esc(x.get('owner', ''))}</td><td>{esc(x.get('date', ''))}</td><td>{esc(x.get('expires', ''))}</td>"
        f"<td>{evidence_link(str(x['evidence'])) if x.get('evidence') else ''}</td></tr>"
        for x in atts
    )
    return [
        f"<section id='attestations'><details><summary>Attestations ({len(atts)})</summary><table><thead><tr>"
        "<th>Question</th><th>Answer</th><th>Owner</th><th>Date</th><th>Expires</th><th>Evidence</th>"
        f"</tr></thead><tbody>{rows}</tbody></table></details></section>"
    ]


def _problems(a: Mapping[str, Any]) -> list[str]:
    problems = a.get("problems") or []
    if not problems:
        return []
    items = "".join(
        f"<li><strong>{esc(p.get('kind', ''))}</strong> <code>{esc(p.get('source', ''))}</code>:"
        f" {esc(p.get('message', ''))}</li>"
        for p in problems
    )
    return [
        f"<section id='problems'><h2>Input problems (these earn no credit)</h2><ul>{items}</ul></section>"
    ]


def _frameworks(a: Mapping[str, Any]) -> list[str]:
    """Crosswalk views (when the crosswalk module is installed): one collapsible table each."""
    try:
        from .views import ITEM_LABELS, framework_views
    except ImportError:
        return []
    views = framework_views(a)
    if not views:
        return []
    out = ["<section id='frameworks'><h2>Framework views</h2>"]
    cls = {
        "failing": "bad",
        "covered": "ok",
        "partial": "warn",
        "attested": "warn",
        "waived": "muted",
        "none": "muted",
    }
    for view in views.values():
        s = view.get("summary") or {}
        rows = "".join(
            f"<tr><td><strong>{esc(i.get('id', ''))}</strong> {esc(i.get('title', ''))}</td>"
            f"<td><span class='badge {cls.get(i.get('status'), 'muted')}'>{esc(ITEM_LABELS.get(i.get('status'), i.get('status')))}</span></td>"
            "<td>"
            + "<br>".join(
                f"<code>{esc(m.get('ref', ''))}</code> {esc(m.get('status', ''))} ({esc(m.get('strength', ''))})"
                for m in i.get("mappings", [])
            )
            + "</td></tr>"
            for i in view.get("items", [])
        )
        out.append(
            f"<details><summary>{esc(view.get('framework', ''))} ({esc(view.get('version', ''))}):"
            + (
                f" not applicable ({esc(view.get('not_applicable_reason') or '')})</summary>"
                if view.get("applicable") is False
                else f" {esc(s.get('failing', 0))} failing, {esc(s.get('covered', 0))} covered,"
                f" {esc(s.get('partial', 0))} partly covered of {esc(s.get('total', 0))}</summary>"
            )
            + f"<p class='meta'>{esc(view.get('notice', ''))}</p><table><thead><tr><th>Item</th><th>Status</th>"
            f"<th>Evidence</th></tr></thead><tbody>{rows}</tbody></table></details>"
        )
    out.append("</section>")
    return out


def render(assessment: Mapping[str, Any], ctx: ReportContext) -> str:
    _issues, checks = collect_issues(assessment, ctx)
    gate = assessment.get("gate") or {}
    title = f"AIMA report: gate {'passed' if gate.get('passed') else 'failed'}"
    body = [
        *_header(assessment),
        *_gate_failures(assessment),
        *_summary(assessment),
        *_practices(assessment),
        *_gaps(assessment, ctx, checks),
        *_checks(checks),
        *_waivers(assessment),
        *_attestations(assessment),
        *_problems(assessment),
        *_frameworks(assessment),
        "<footer>Generated by aima-ci from assessment.json. The OWASP AI Maturity Assessment"
        " (AIMA) v1.0 questions are © OWASP, licensed CC BY-SA 4.0; levels and scores follow the"
        " AIMA toolkit V1.0.1. Domain and overall levels are aima-ci's convention (AIMA defines"
        " none).</footer>",
    ]
    return (
        "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
        f"<meta http-equiv='Content-Security-Policy' content=\"{CSP}\">"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        "<meta name='referrer' content='no-referrer'>"
        f"<title>{esc(title)}</title><style>{CSS}</style></head><body>\n"
        + "\n".join(body)
        + "\n</body></html>\n"
    )


FORMAT = ReportFormat(
    name="html", filename="report.html", media_type="text/html; charset=utf-8", render=render
)
