"""The issue list: what the machine-readable formats (SARIF, Code Quality, JUnit, the GitHub
annotations, the HTML check table) have in common: each check's result once, the problems worth
flagging, ranked worst first, and where in ``aima.yaml`` to anchor them.

AIMA criteria have no source line, so every issue points at the config line that brings it in:
the collector's block for a check, the ``attestations`` key for an attested answer, the target
that sets the bar for a question nobody answered. Identities (fingerprints) never depend on those
lines, so an alert survives an edit that moves the config around.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from aima_ci.assess.explain import failing_gaps, practice_targets, question_next_step

from .format import ReportContext

SEVERITY_RANK = {"low": 0, "medium": 1, "high": 2, "critical": 3}
# Check statuses that earn no credit and deserve a flag; waived and not_applicable do not.
FLAGGED_STATUSES = ("error", "fail", "not_run", "warn", "inconclusive")
MAX_MESSAGE = 2000


@dataclass
class CheckSummary:
    """One check's result across the questions it answers (the assessment repeats it per question)."""

    check: str
    collector: str
    status: str
    message: str
    next_step: str
    questions: list[str] = field(default_factory=list)
    severity: str = "medium"
    artefacts: list[str] = field(default_factory=list)
    subjects: list[str] = field(default_factory=list)
    findings: int = 0
    blocking: bool = False  # it answers a question the gate is waiting for
    waiver: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class Issue:
    """One thing to flag: a failing check, an unanswered question, a gate failure."""

    kind: str  # "check", "question" or "gate"
    rule_id: str
    title: str
    message: str
    level: str  # SARIF level: error, warning, note
    severity: str  # low, medium, high, critical
    anchor: str  # dotted config key
    fingerprint: str
    questions: tuple[str, ...] = ()
    artefacts: tuple[str, ...] = ()
    blocking: bool = False
    status: str = ""
    next_step: str = ""
    order: int = 0  # position of its first question in AIMA's order (domains, practices, levels)

    @property
    def rank(self) -> tuple[int, int, int, int, int, str]:
        """Sort key, worst first: gate-blocking, level, what a tool measured before what nobody
        answered, severity, then AIMA's order."""
        levels = {"error": 0, "warning": 1, "note": 2}
        kinds = {"gate": 0, "check": 1, "question": 2}
        return (
            0 if self.blocking else 1,
            levels.get(self.level, 3),
            kinds.get(self.kind, 3),
            -SEVERITY_RANK.get(self.severity, 1),
            self.order,
            self.rule_id,
        )


def clip(text: str, limit: int = MAX_MESSAGE) -> str:
    text = str(text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def fingerprint(*parts: str) -> str:
    """A stable identity for an issue: the same criterion gets the same id in every run."""
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()


def config_uri(assessment: Mapping[str, Any]) -> str:
    """The config file as a path relative to the repository root (where GitHub/GitLab look)."""
    display = str(assessment.get("config") or "")
    if not display or display.startswith("<") or Path(display).is_absolute():
        return Path(display).name if Path(display).is_absolute() else "aima.yaml"
    return display


def anchor_line(lines: Mapping[str, int], key: str) -> int:
    """The config line of ``key`` or of its nearest configured parent; 1 when none is known."""
    while key:
        if key in lines:
            return int(lines[key])
        key = key.rpartition(".")[0]
    return 1


def iter_questions(
    assessment: Mapping[str, Any],
) -> Iterable[tuple[Mapping[str, Any], Mapping[str, Any], Mapping[str, Any]]]:
    """(domain, practice, question) for every question in the assessment."""
    for d in assessment.get("domains", []):
        for p in d.get("practices", []):
            for s in p.get("streams", []):
                for q in s.get("questions", []):
                    yield d, p, q


def load_findings(ctx: ReportContext) -> list[Any]:
    """The findings behind the assessment, for severity and artefacts; none when not at hand.

    A missing findings.jsonl (an assessment copied on its own) gives none; a corrupt one raises
    EvidenceError, as everywhere else: evidence is never half-read.
    """
    if ctx.evidence_dir is None:
        return []
    from aima_ci.evidence.directory import FINDINGS, iter_findings

    path = Path(ctx.evidence_dir) / FINDINGS
    if not path.is_file():
        return []
    return list(iter_findings(path))


def _gap_questions(assessment: Mapping[str, Any], ctx: ReportContext) -> dict[str, Any]:
    """Question id -> its Gap, for the questions the gate is waiting for."""
    return {g.question: g for _p, gaps in failing_gaps(assessment, ctx.catalogue) for g in gaps}


def check_summaries(
    assessment: Mapping[str, Any], findings: Iterable[Any], gaps: Mapping[str, Any] | None = None
) -> dict[str, CheckSummary]:
    """Every check in the assessment, once, enriched with its findings' severity and artefacts."""
    gaps = gaps or {}
    waived = waivers_by_target(assessment)
    out: dict[str, CheckSummary] = {}
    for _d, _p, q in iter_questions(assessment):
        for c in q.get("checks", []):
            cid = str(c.get("check"))
            s = out.get(cid)
            if s is None:
                step = question_next_step(
                    {"id": q["id"], "satisfied": False, "checks": [c]}
                ) or str(c.get("next_step") or "")
                s = out[cid] = CheckSummary(
                    check=cid,
                    collector=str(c.get("collector") or cid.split(".", 1)[0]),
                    status=str(c.get("status")),
                    message=str(c.get("message") or ""),
                    next_step=step,
                    waiver=waived.get(cid),
                )
            if q["id"] not in s.questions:
                s.questions.append(q["id"])
            if q["id"] in gaps and s.status in FLAGGED_STATUSES:
                s.blocking = True
            if q.get("waiver") and not s.waiver:
                s.waiver = q["waiver"]
    for f in findings:
        s = out.get(f.check)
        if s is None:
            continue
        s.findings += 1
        sev = str(f.severity)
        if SEVERITY_RANK.get(sev, 1) > SEVERITY_RANK.get(s.severity, 1) or s.findings == 1:
            s.severity = sev
        for a in f.artefacts:
            if a not in s.artefacts:
                s.artefacts.append(a)
        for subj in f.subjects:
            label = subj.path or subj.name
            if label and label not in s.subjects:
                s.subjects.append(label)
    return out


def waivers_by_target(assessment: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    waivers = assessment.get("waivers") or {}
    return {str(w.get("id")): w for w in waivers.get("applied", []) or []}


def _check_level(s: CheckSummary) -> str:
    if s.blocking or s.status == "error":
        return "error"
    if s.status in ("warn", "inconclusive"):
        return "warning" if SEVERITY_RANK.get(s.severity, 1) >= 1 else "note"
    return {3: "error", 2: "error", 1: "warning", 0: "note"}[SEVERITY_RANK.get(s.severity, 1)]


def check_issue(s: CheckSummary, config_display: str) -> Issue:
    qs = ", ".join(s.questions)
    why = s.message or s.status
    effect = (
        "the gate is waiting for it"
        if s.blocking
        else "it does not block the gate at the current target"
    )
    message = f"{s.check} {s.status}: {why}. Evidence for AIMA {qs}; {effect}."
    if s.next_step:
        message += f" Next step: {s.next_step}"
    return Issue(
        kind="check",
        rule_id=s.check,
        title=f"{s.check} {s.status}",
        message=clip(message),
        level=_check_level(s),
        severity=s.severity,
        anchor=f"collectors.{s.collector}",
        fingerprint=fingerprint("check", config_display, s.check),
        questions=tuple(s.questions),
        artefacts=tuple(s.artefacts),
        blocking=s.blocking,
        status=s.status,
        next_step=s.next_step,
    )


def question_issue(
    q: Mapping[str, Any],
    p: Mapping[str, Any],
    d: Mapping[str, Any],
    gap: Any,
    target: int,
    target_keys: Mapping[str, Any],
    config_display: str,
) -> Issue:
    if q.get("basis") == "attestation":
        anchor = "attestations"
    elif p["id"] in (target_keys.get("practices") or {}):
        anchor = f"target.practices.{p['id']}"
    elif d["id"] in (target_keys.get("domains") or {}):
        anchor = f"target.domains.{d['id']}"
    else:
        anchor = "target.level"
    message = (
        f"{q['id']} ({p['id']} {p['name']}, stream {gap.stream}, level {gap.level}) is not"
        f" satisfied and {p['id']} must reach level {target}: {gap.text} Evidence: {gap.reason}."
        f" Next step: {gap.next_step}"
    )
    return Issue(
        kind="question",
        rule_id=q["id"],
        title=f"{q['id']} not satisfied",
        message=clip(message),
        level="error",
        severity="high",
        anchor=anchor,
        fingerprint=fingerprint("question", config_display, q["id"]),
        questions=(q["id"],),
        blocking=True,
        status=str(q.get("basis") or "none"),
        next_step=gap.next_step,
    )


# Gate failures that no check or question result already expresses.
GATE_ANCHORS = {
    "required_collector": lambda f: f"collectors.{f['id']}",
    "overall_score": lambda f: "target.score",
    "domain_score": lambda f: f"target.domains.{f['id']}",
    "practice_score": lambda f: f"target.practices.{f['id']}",
    "practice_level": lambda f: f"target.practices.{f['id']}",
    "regression": lambda f: "target.no_regression",
}


def gate_rule_id(kind: str) -> str:
    return f"gate/{kind.replace('_', '-')}"


def gate_issues(assessment: Mapping[str, Any], config_display: str) -> list[Issue]:
    out = []
    for f in (assessment.get("gate") or {}).get("failures", []):
        kind = str(f.get("kind"))
        if kind not in GATE_ANCHORS:
            continue  # domain levels are the unanswered questions; errors are the checks
        if kind == "practice_level" and f.get("actual") is not None:
            continue  # also expressed by the practice's unanswered questions
        out.append(
            Issue(
                kind="gate",
                rule_id=gate_rule_id(kind),
                title=clip(str(f.get("message") or kind), 200),
                message=clip(f"AIMA gate: {f.get('message') or kind}"),
                level="error",
                severity="high",
                anchor=GATE_ANCHORS[kind](f),
                fingerprint=fingerprint("gate", config_display, kind, str(f.get("id"))),
                blocking=True,
                status="fail",
            )
        )
    return out


def collect_issues(
    assessment: Mapping[str, Any],
    ctx: ReportContext,
    findings: Iterable[Any] | None = None,
) -> tuple[list[Issue], dict[str, CheckSummary]]:
    """Every issue worth flagging, worst first, and the per-check summaries they came from."""
    config_display = config_uri(assessment)
    gaps = _gap_questions(assessment, ctx)
    found = load_findings(ctx) if findings is None else list(findings)
    checks = check_summaries(assessment, found, gaps)
    issues = [
        check_issue(s, config_display) for s in checks.values() if s.status in FLAGGED_STATUSES
    ]
    flagged = {q for i in issues for q in i.questions}
    targets = practice_targets(assessment)
    target_keys = (assessment.get("gate") or {}).get("target") or {}
    for d, p, q in iter_questions(assessment):
        gap = gaps.get(q["id"])
        if gap is None or q["id"] in flagged:
            continue
        issues.append(question_issue(q, p, d, gap, targets[p["id"]], target_keys, config_display))
    issues += gate_issues(assessment, config_display)
    order = {q["id"]: n for n, (_d, _p, q) in enumerate(iter_questions(assessment), 1)}
    issues = [
        replace(i, order=min((order.get(q, 0) for q in i.questions), default=0)) for i in issues
    ]
    issues.sort(key=lambda i: i.rank)
    return issues, checks
