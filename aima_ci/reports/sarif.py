"""SARIF 2.1.0 for GitHub code scanning (and any other SARIF consumer).

Rules: every check in the assessment, every AIMA question and the gate's own failure kinds, all
declared even when nothing fails, so that code scanning can close an alert once its criterion is
met. Results: one per failing or erroring check, one per question the gate is waiting for that no
check speaks to, one per gate failure of another kind (required collector, score, regression).
Waived checks are left out: GitHub ignores SARIF ``suppressions`` and would open an alert for an
exception that was accepted on purpose.

GitHub's upload limits are respected by trimming the least severe results, with a notification in
the run saying how many were left out (the full list stays in assessment.json).
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Mapping
from typing import Any

from .format import ReportContext, ReportFormat
from .issues import (
    GATE_ANCHORS,
    CheckSummary,
    Issue,
    anchor_line,
    clip,
    collect_issues,
    config_uri,
    gate_rule_id,
)

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://owasp.org/www-project-ai-maturity-assessment/"
# GitHub code scanning limits (docs: "SARIF support for code scanning").
MAX_RESULTS = 25_000
MAX_RULES = 25_000
MAX_GZIP_BYTES = 10 * 1000 * 1000
GZIP_MARGIN = 0.95  # leave room for the notification added after trimming
SECURITY_SEVERITY = {"low": "3.0", "medium": "5.5", "high": "8.0", "critical": "9.5"}
SEVERITY_LEVEL = {"low": "note", "medium": "warning", "high": "error", "critical": "error"}
MAX_SHORT = 1000  # GitHub: shortDescription.text up to 1024 characters


def _text(value: str, limit: int = MAX_SHORT) -> str:
    return clip(" ".join(str(value).split()), limit)


def _question_rules(ctx: ReportContext) -> list[dict[str, Any]]:
    cat = ctx.catalogue
    rules = []
    for q in cat.questions.values():
        p = cat.practices[q.practice]
        d = cat.domain_map[p.domain]
        stream = cat.streams[f"{p.id}-{q.stream}"]
        full = (
            f"OWASP AIMA v{cat.version}, {d.name} / {p.name}, stream {q.stream}"
            f" ({stream.title}), level {q.level}: {q.text}"
        )
        how = (
            "Satisfied by passing automated checks that report on this question, or by an"
            " attestation answering yes (or 3 on the toolkit scale) with owner, date, expiry and"
            " evidence. A question the gate needs and nobody answered is reported here."
        )
        markdown = (
            f"**{q.id}** ({p.id} {p.name}, stream {q.stream} *{stream.title}*, level {q.level})\n\n"
            f"> {q.text}\n\n"
            + (f"AIMA describes this stage as: {q.descriptor}\n\n" if q.descriptor else "")
            + how
            + f"\n\nRun `aima-ci explain {q.id}` for the evidence and the next step."
        )
        rules.append(
            {
                "id": q.id,
                "name": f"Aima{q.id.replace('-', '')}",
                "shortDescription": {"text": _text(f"{q.id}: {q.text}")},
                "fullDescription": {"text": _text(full, 4000)},
                "help": {"text": _text(f"{full} {how}", 4000), "markdown": markdown},
                "defaultConfiguration": {"level": "error"},
                "properties": {
                    "tags": ["aima", "maturity", d.id, p.id],
                    "precision": "high",
                    "problem.severity": "error",
                },
            }
        )
    return rules


def _check_rule(s: CheckSummary, ctx: ReportContext) -> dict[str, Any]:
    cat = ctx.catalogue
    texts = [
        f"{qid}: {cat.questions[qid].text}" if qid in cat.questions else qid for qid in s.questions
    ]
    full = f"aima-ci check {s.check} from the {s.collector} collector; evidence for " + "; ".join(
        texts
    )
    markdown = (
        f"**{s.check}** ({s.collector} collector) gives evidence for these AIMA questions:\n\n"
        + "\n".join(f"- {t}" for t in texts)
        + (f"\n\nWhen it fails: {s.next_step}" if s.next_step else "")
        + f"\n\nRun `aima-ci explain {s.check}` for its threshold and meaning."
    )
    level = SEVERITY_LEVEL.get(s.severity, "warning")
    return {
        "id": s.check,
        "name": "".join(part.capitalize() for part in s.check.replace("-", ".").split(".")),
        "shortDescription": {"text": _text(f"{s.check} ({s.collector}): {', '.join(s.questions)}")},
        "fullDescription": {"text": _text(full, 4000)},
        "help": {
            "text": _text(full + (f". When it fails: {s.next_step}" if s.next_step else ""), 4000),
            "markdown": markdown,
        },
        "defaultConfiguration": {"level": level},
        "properties": {
            "tags": ["aima", "security", s.collector],
            "precision": "high",
            "problem.severity": "recommendation" if level == "note" else level,
            "security-severity": SECURITY_SEVERITY.get(s.severity, "5.5"),
        },
    }


GATE_HELP = {
    "required_collector": "A collector listed under required_collectors did not run successfully.",
    "overall_score": "The overall maturity score is below target.score.",
    "domain_score": "A domain's score is below its target score.",
    "practice_score": "A practice's score is below its target score.",
    "practice_level": "A practice named in target.practices is unknown or below its level.",
    "regression": "A practice's level dropped since the baseline assessment (target.no_regression).",
}


def _gate_rules() -> list[dict[str, Any]]:
    return [
        {
            "id": gate_rule_id(kind),
            "name": "AimaGate" + "".join(w.capitalize() for w in kind.split("_")),
            "shortDescription": {"text": f"AIMA gate: {GATE_HELP[kind]}"},
            "fullDescription": {"text": GATE_HELP[kind]},
            "help": {"text": GATE_HELP[kind] + " See the gate failures in the aima-ci report."},
            "defaultConfiguration": {"level": "error"},
            "properties": {"tags": ["aima", "gate"], "precision": "very-high"},
        }
        for kind in GATE_ANCHORS
    ]


def _result(issue: Issue, uri: str, lines: Mapping[str, int], rule_index: int) -> dict[str, Any]:
    props: dict[str, Any] = {"kind": issue.kind, "status": issue.status, "blocking": issue.blocking}
    if issue.questions:
        props["questions"] = list(issue.questions)
    if issue.artefacts:
        props["artefacts"] = list(issue.artefacts[:50])
    return {
        "ruleId": issue.rule_id,
        "ruleIndex": rule_index,
        "level": issue.level,
        "message": {"text": issue.message},
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": {"uri": uri},
                    "region": {"startLine": anchor_line(lines, issue.anchor)},
                },
                "message": {"text": f"configured at {issue.anchor}"},
            }
        ],
        "partialFingerprints": {
            "primaryLocationLineHash": issue.fingerprint[:32] + ":1",
            "aimaCriterion/v1": issue.fingerprint,
        },
        "properties": props,
    }


PRETTY_MAX_RESULTS = 2_000  # indenting uses json's pure-Python encoder: only for small logs


def _dump(doc: Mapping[str, Any]) -> str:
    small = sum(len(r["results"]) for r in doc["runs"]) <= PRETTY_MAX_RESULTS
    if small:
        return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
    return json.dumps(doc, separators=(",", ":"), ensure_ascii=False) + "\n"


def _gzip_size(text: str) -> int:
    return len(gzip.compress(text.encode("utf-8"), 6))


def build(assessment: Mapping[str, Any], ctx: ReportContext) -> tuple[dict[str, Any], str]:
    """The SARIF log as a dict and as the text to write, trimmed to GitHub's limits."""
    issues, checks = collect_issues(assessment, ctx)
    uri = config_uri(assessment)
    rules = [_check_rule(s, ctx) for s in checks.values()] + _question_rules(ctx) + _gate_rules()
    gate = assessment.get("gate") or {}
    overall = assessment.get("overall") or {}
    kept = issues[:MAX_RESULTS]
    notes: list[str] = []
    if len(rules) > MAX_RULES:
        used = {i.rule_id for i in kept}
        rules = [r for r in rules if r["id"] in used][:MAX_RULES]
        notes.append(
            f"only the {len(rules)} rules with results are declared (GitHub accepts {MAX_RULES})"
        )
    index = {r["id"]: n for n, r in enumerate(rules)}
    kept = [i for i in kept if i.rule_id in index]

    def doc_for(selected: list[Issue], omitted: int) -> dict[str, Any]:
        run_notes = list(notes)
        if omitted:
            run_notes.append(
                f"{omitted} of {len(issues)} results omitted to stay within GitHub's SARIF upload"
                f" limits ({MAX_RESULTS} results per run, {MAX_GZIP_BYTES // 1_000_000} MB"
                " gzipped); the most severe are kept; assessment.json has them all"
            )
        run: dict[str, Any] = {
            "tool": {
                "driver": {
                    "name": "aima-ci",
                    "semanticVersion": str(assessment.get("aima_ci_version") or "0"),
                    "informationUri": INFORMATION_URI,
                    "rules": rules,
                }
            },
            "automationDetails": {"id": "aima-ci/"},
            "invocations": [
                {
                    "executionSuccessful": True,
                    "toolExecutionNotifications": [
                        {"level": "warning", "message": {"text": n}} for n in run_notes
                    ],
                }
            ],
            "results": [_result(i, uri, ctx.config_lines, index[i.rule_id]) for i in selected],
            "properties": {
                "aimaVersion": str(assessment.get("aima_version") or ""),
                "gatePassed": bool(gate.get("passed")),
                "overallLevel": overall.get("level"),
                "overallPlus": overall.get("plus"),
                "overallScore": overall.get("score"),
                "targetLevel": (gate.get("target") or {}).get("level"),
                "omittedResults": omitted,
            },
        }
        return {"$schema": SCHEMA_URI, "version": "2.1.0", "runs": [run]}

    doc = doc_for(kept, len(issues) - len(kept))
    text = _dump(doc)
    limit = int(MAX_GZIP_BYTES * GZIP_MARGIN)
    size = _gzip_size(text)
    while size > limit and kept:
        # Shrink in proportion to the excess (gzip is close to linear in the result count).
        keep = min(len(kept) - 1, int(len(kept) * limit / size * 0.98))
        kept = kept[: max(keep, 0)]
        doc = doc_for(kept, len(issues) - len(kept))
        text = _dump(doc)
        size = _gzip_size(text)
    return doc, text


def render(assessment: Mapping[str, Any], ctx: ReportContext) -> str:
    return build(assessment, ctx)[1]


FORMAT = ReportFormat(
    name="sarif", filename="report.sarif", media_type="application/sarif+json", render=render
)
