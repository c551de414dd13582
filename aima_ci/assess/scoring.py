"""Scoring: findings + attestations + waivers -> AIMA maturity per question, practice, domain.

Pure functions over plain data, so scoring can be re-run from a stored evidence directory.

Rules (see docs/scoring.md):
- Each check is linked to a question by what it shows: ``performed`` links earn credit when the
  check ran to a verdict (pass or fail, or waived); ``effective`` links only when it passed (all
  its findings ``pass`` or validly ``waived``). ``inconclusive``/legacy ``warn``, ``error``,
  ``not_run`` and stale evidence earn nothing either way.
- A question's value in [0, 1] is the fraction of its direct links that earn credit. With only
  partial links reporting it is the attestation's answer when there is one, else at most
  PARTIAL_CAP (partial evidence never fully answers a question). With no automated evidence, the
  attestation's answer (yes = 1, no = 0, toolkit 0-3 / 3); with neither, 0. An attestation never
  raises a value that direct automated evidence lowered: that is reported as a conflict.
- Organisation-scope questions are answered by attestation only; checks are shown as context.
- Practice score (0-3) is the OWASP AIMA toolkit V1.0.1 formula: sum of the six answers on the
  0-3 scale / 6, which equals the sum over levels of mean(stream A, stream B) with values in [0, 1].
- Practice level n: every question of levels 1..n in both streams satisfied (value 1);
  ``plus`` when at least one question of level n+1 is fully satisfied (the AIMA source's rule;
  fractional credit shows in the score, not in the "+").
- Domain and overall: score = mean, level = min (aima-ci's convention; AIMA defines none).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, fields, replace
from typing import Any

from aima_ci.assess.catalogue import LEVELS, Catalogue, Practice, Question
from aima_ci.models import (
    SEVERITY_ORDER,
    Attestation,
    Finding,
    Link,
    Problem,
    Status,
    Waiver,
    weight,
)

EPS = 1e-9
CREDIT_STATUSES = frozenset({Status.PASS, Status.WAIVED})
# A verdict was reached on real input: what a ``performed`` link needs.
PERFORMED_STATUSES = frozenset({Status.PASS, Status.FAIL, Status.WAIVED})
WAIVABLE_STATUSES = frozenset({Status.FAIL, Status.WARN, Status.INCONCLUSIVE})
# Not enough data to decide (``warn`` is how evidence written before the split said it).
UNDECIDED_STATUSES = frozenset({Status.INCONCLUSIVE, Status.WARN})
# The most that partial links alone give a question (toolkit answer 1.5 of 3).
PARTIAL_CAP = 0.5
# Worst first: the status a check shows when its findings disagree.
STATUS_RANK = {
    Status.ERROR: 0,
    Status.FAIL: 1,
    Status.NOT_RUN: 2,
    Status.WARN: 3,
    Status.INCONCLUSIVE: 3,
    Status.WAIVED: 4,
    Status.PASS: 5,
    Status.NOT_APPLICABLE: 6,
}


@dataclass(frozen=True)
class CheckResult:
    """One check's evidence for one question: what it showed and whether that earned credit."""

    check: str
    status: Status
    credit: bool
    findings: int
    counts: Mapping[str, int]
    message: str  # the message of the worst finding
    next_step: str = ""
    collector: str = ""
    severity: str = "medium"  # the highest severity among its findings
    shows: str = "effective"  # what this check's link to the question shows (models.Link)
    strength: str = "direct"
    rationale: str = ""
    kind: str = "process"  # "outcome" checks are what the outcome policy gates on
    passed: bool = False  # every relevant finding passed or was waived (the outcome)
    notes: tuple[str, ...] = ()  # pass-with-notes: what could not be measured

    def to_dict(self) -> dict[str, Any]:
        return {
            "check": self.check,
            "severity": self.severity,
            "status": str(self.status),
            "credit": self.credit,
            "findings": self.findings,
            "counts": dict(self.counts),
            "message": self.message,
            "next_step": self.next_step,
            "collector": self.collector,
            "shows": self.shows,
            "strength": self.strength,
            "rationale": self.rationale,
            "kind": self.kind,
            "passed": self.passed,
            "notes": list(self.notes),
        }


@dataclass(frozen=True)
class QuestionResult:
    """A question's value and the evidence that decided it (its basis), for the report."""

    id: str
    level: int
    stream: str
    value: float
    basis: str  # "automated", "partial", "attestation", "waived" or "none"
    checks: tuple[CheckResult, ...] = ()
    attestation: Attestation | None = None
    waiver: Waiver | None = None
    org_scope: bool = False

    @property
    def satisfied(self) -> bool:
        return self.value >= 1 - EPS

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "level": self.level,
            "stream": self.stream,
            "value": round(self.value, 4),
            "satisfied": self.satisfied,
            "basis": self.basis,
            "checks": [c.to_dict() for c in self.checks],
            "attestation": self.attestation.to_dict() if self.attestation else None,
            "waiver": self.waiver.to_dict() if self.waiver else None,
            "org_scope": self.org_scope,
        }


def _as_dict(result: Any) -> dict[str, Any]:
    """Field by field in declaration order (the assessment.json layout): the score rounded, the
    nested results serialised."""
    out: dict[str, Any] = {}
    for f in fields(result):
        value = getattr(result, f.name)
        if f.name == "score":
            value = round(value, 4)
        elif isinstance(value, tuple):
            value = [item.to_dict() for item in value]
        out[f.name] = value
    return out


@dataclass(frozen=True)
class StreamResult:
    """A stream's questions and their sum, the half of a practice's score."""

    id: str
    letter: str
    title: str
    score: float  # sum of question values, 0-3
    level: int
    questions: tuple[QuestionResult, ...]

    def to_dict(self) -> dict[str, Any]:
        return _as_dict(self)


@dataclass(frozen=True)
class PracticeResult:
    """A practice's score and level, the AIMA toolkit's formula over both streams."""

    id: str
    name: str
    score: float
    level: int
    plus: bool
    streams: tuple[StreamResult, ...]

    def to_dict(self) -> dict[str, Any]:
        return _as_dict(self)


@dataclass(frozen=True)
class DomainResult:
    """A domain's score (mean of its practices) and level (their minimum)."""

    id: str
    name: str
    score: float
    level: int
    plus: bool
    practices: tuple[PracticeResult, ...]

    def to_dict(self) -> dict[str, Any]:
        return _as_dict(self)


@dataclass(frozen=True)
class Scored:
    """The scoring result; gate and reports build on it."""

    score: float
    level: int
    plus: bool
    domains: tuple[DomainResult, ...]
    problems: tuple[Problem, ...] = ()
    waivers_applied: tuple[Waiver, ...] = ()

    def practice(self, pid: str) -> PracticeResult:
        for d in self.domains:
            for p in d.practices:
                if p.id == pid:
                    return p
        raise KeyError(pid)

    def domain(self, did: str) -> DomainResult:
        for d in self.domains:
            if d.id == did:
                return d
        raise KeyError(did)

    def questions(self) -> dict[str, QuestionResult]:
        return {
            q.id: q
            for d in self.domains
            for p in d.practices
            for s in p.streams
            for q in s.questions
        }


def apply_check_waivers(
    findings: Iterable[Finding], waivers: Iterable[Waiver]
) -> tuple[list[Finding], set[str]]:
    """Mark failing/warning findings of a waived check as ``waived``; errors are never waived."""
    by_check = {w.target: w for w in waivers}
    out: list[Finding] = []
    used: set[str] = set()
    for f in findings:
        waiver = by_check.get(f.check)
        if waiver is not None and f.status in WAIVABLE_STATUSES:
            out.append(
                replace(
                    f,
                    status=Status.WAIVED,
                    details={**f.details, "waived_status": str(f.status), "waiver": waiver.source},
                )
            )
            used.add(waiver.target)
        else:
            out.append(f)
    return out, used


def aggregate_check(
    check: str, findings: Sequence[Finding], link: Link | None = None
) -> CheckResult:
    """One check's status over its findings: the worst one decides; not_applicable only if all are.

    ``link`` is the check's link to the question being scored; its ``shows`` decides whether a
    failing verdict still earns credit (``performed``: the process ran) or not (``effective``).
    """
    link = link or Link("")
    counts: dict[str, int] = defaultdict(int)
    for f in findings:
        counts[str(f.status)] += weight(f)
    relevant = [f for f in findings if f.status is not Status.NOT_APPLICABLE]
    # Looking harder must never lower a score: a part that could not be decided (too few rows or
    # outputs) is a note beside the parts that reached a verdict, not a verdict of its own. Only
    # when nothing was decided does ``inconclusive`` stand (and earn nothing).
    decided = [f for f in relevant if f.status not in UNDECIDED_STATUSES]
    undecided = [f for f in relevant if f.status in UNDECIDED_STATUSES]
    judged = decided or relevant
    pool = judged or list(findings)
    worst = min(pool, key=lambda f: STATUS_RANK[f.status])
    passed = bool(decided) and all(f.status in CREDIT_STATUSES for f in decided)
    if link.shows == "performed":
        credit = bool(decided) and all(f.status in PERFORMED_STATUSES for f in decided)
    else:
        credit = passed
    notes = tuple(
        dict.fromkeys(
            [n for f in judged for n in f.notes]
            + ([f"not decided: {f.message or f.status}" for f in undecided] if decided else [])
        )
    )
    return CheckResult(
        check=check,
        status=worst.status,
        credit=credit,
        findings=sum(weight(f) for f in findings),
        counts=dict(sorted(counts.items())),
        message=worst.message,
        next_step=worst.next_step,
        collector=worst.collector,
        severity=str(max((f.severity for f in findings), key=SEVERITY_ORDER.__getitem__)),
        shows=link.shows,
        strength=link.strength,
        rationale=link.rationale,
        kind=worst.kind,
        passed=passed,
        notes=notes,
    )


def _link(question: str, findings: Sequence[Finding]) -> Link:
    """The check's link to this question, as its findings recorded it."""
    for f in findings:
        for link in f.question_links:
            if link.question == question:
                return link
    return Link(question)


def score_question(
    question: Question,
    findings: Sequence[Finding],
    attestation: Attestation | None,
    waiver: Waiver | None,
) -> tuple[QuestionResult, Problem | None]:
    by_check: dict[str, list[Finding]] = defaultdict(list)
    for f in findings:
        by_check[f.check].append(f)
    checks = tuple(
        aggregate_check(cid, fs, _link(question.id, fs)) for cid, fs in sorted(by_check.items())
    )
    reporting = [c for c in checks if c.status is not Status.NOT_APPLICABLE]
    # Organisation-scope questions: one repository's checks are context, never the answer.
    automated = [] if question.org_scope else [c for c in reporting if c.strength == "direct"]
    partial = [] if question.org_scope else [c for c in reporting if c.strength != "direct"]
    conflict = None
    if automated:
        value = sum(1 for c in automated if c.credit) / len(automated)
        basis = "automated"
        if attestation is not None and attestation.value > value + EPS:
            failing = ", ".join(c.check for c in automated if not c.credit)
            conflict = Problem(
                kind="conflict",
                source=attestation.source,
                id=question.id,
                message=(
                    f"attested '{attestation.answer}' but automated checks do not pass ({failing});"
                    " the automated evidence decides"
                ),
            )
    elif attestation is not None:
        value, basis = attestation.value, "attestation"
    elif partial:
        value = PARTIAL_CAP * sum(1 for c in partial if c.credit) / len(partial)
        basis = "partial"
    else:
        value, basis = 0.0, "none"
    applied_waiver = None
    if waiver is not None and value < 1 - EPS:
        value, basis, applied_waiver = 1.0, "waived", waiver
    result = QuestionResult(
        id=question.id,
        level=question.level,
        stream=question.stream,
        value=value,
        basis=basis,
        checks=checks,
        attestation=attestation,
        waiver=applied_waiver,
        org_scope=question.org_scope,
    )
    return result, conflict


def practice_level(values: Mapping[tuple[str, int], float]) -> tuple[int, bool]:
    """The worksheet rule: level n when all questions of levels 1..n (both streams) are satisfied."""
    level = 0
    for lvl in LEVELS:
        if all(values[(s, lvl)] >= 1 - EPS for s in ("A", "B")):
            level = lvl
        else:
            break
    plus = any(v >= 1 - EPS for (_, lvl), v in values.items() if lvl == level + 1)
    return level, plus


def practice_score(values: Mapping[tuple[str, int], float]) -> float:
    """The toolkit formula: sum over the six answers on 0-3 divided by 6."""
    return sum(v * 3 for v in values.values()) / 6


def score_practice(
    practice: Practice,
    findings_by_question: Mapping[str, Sequence[Finding]],
    attestations: Mapping[str, Attestation],
    question_waivers: Mapping[str, Waiver],
    problems: list[Problem],
) -> PracticeResult:
    streams = []
    values: dict[tuple[str, int], float] = {}
    for stream in practice.streams:
        results = []
        for q in stream.questions:
            result, conflict = score_question(
                q,
                findings_by_question.get(q.id, ()),
                attestations.get(q.id),
                question_waivers.get(q.id),
            )
            if conflict is not None:
                problems.append(conflict)
            values[(stream.letter, q.level)] = result.value
            results.append(result)
        s_level = 0
        for r in results:
            if not r.satisfied:
                break
            s_level = r.level
        streams.append(
            StreamResult(
                id=stream.id,
                letter=stream.letter,
                title=stream.title,
                score=sum(r.value for r in results),
                level=s_level,
                questions=tuple(results),
            )
        )
    level, plus = practice_level(values)
    return PracticeResult(
        id=practice.id,
        name=practice.name,
        score=practice_score(values),
        level=level,
        plus=plus,
        streams=tuple(streams),
    )


def score(
    catalogue: Catalogue,
    findings: Iterable[Finding],
    attestations: Iterable[Attestation] = (),
    waivers: Iterable[Waiver] = (),
) -> Scored:
    """Score everything. ``waivers`` must already be the active ones (see waivers.parse_waivers)."""
    waivers = list(waivers)
    check_waivers = [w for w in waivers if w.target not in catalogue.questions]
    question_waivers = {w.target: w for w in waivers if w.target in catalogue.questions}
    findings, used = apply_check_waivers(findings, check_waivers)
    problems: list[Problem] = []
    by_question: dict[str, list[Finding]] = defaultdict(list)
    for f in findings:
        for qid in dict.fromkeys(f.questions):
            if qid in catalogue.questions:
                by_question[qid].append(f)
    latest: dict[str, Attestation] = {}
    for a in attestations:
        prev = latest.get(a.question)
        if prev is not None:
            problems.append(
                Problem(
                    "attestation",
                    a.source,
                    f"question answered more than once; the latest (dated {max(a.date, prev.date)}) counts",
                    a.question,
                )
            )
        if prev is None or a.date >= prev.date:
            latest[a.question] = a
    domains = []
    for d in catalogue.domains:
        practices = tuple(
            score_practice(p, by_question, latest, question_waivers, problems) for p in d.practices
        )
        level = min(p.level for p in practices)
        domains.append(
            DomainResult(
                id=d.id,
                name=d.name,
                score=sum(p.score for p in practices) / len(practices),
                level=level,
                plus=any(p.level > level or p.plus for p in practices),
                practices=practices,
            )
        )
    overall_level = min(d.level for d in domains)
    scored = Scored(
        score=sum(d.score for d in domains) / len(domains),
        level=overall_level,
        plus=any(d.level > overall_level or d.plus for d in domains),
        domains=tuple(domains),
        problems=tuple(problems),
    )
    results = scored.questions()
    used.update(q for q in question_waivers if results[q].waiver is not None)
    return replace(scored, waivers_applied=tuple(w for w in waivers if w.target in used))
