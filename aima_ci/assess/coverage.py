"""Question coverage: which AIMA questions automated checks can answer, and which need people.

Computed from the collectors' declared check links (``checks.yaml``: ``Check.links``), never
from a hand-kept table, so a third-party plugin that declares checks for a question counts as
soon as it is installed. ``answerable_by`` follows the scoring rule: a question with a
``direct`` link is answered by its checks whenever they report, and by an attestation when they
do not run or do not apply (``both``); a question with only ``partial`` links gets at most
partial credit from them and needs an attestation for the rest (``partial``); a question no
check maps to, or an organisation-scope one, can only be attested (``attestation``).

Pure functions over plain data; discovery (importing plugins) is confined to ``discovered``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from aima_ci.assess.catalogue import Catalogue
from aima_ci.models import Check, links_for

ANSWERABLE = ("both", "partial", "attestation")
# Questions with a direct link from the first-party collectors: a floor, so that a link
# silently lost (or weakened) shows up as a failing test rather than as a quieter table.
TARGET = 25


@dataclass(frozen=True)
class QuestionCoverage:
    id: str
    domain: str
    practice: str
    stream: str
    level: int
    text: str
    checks: tuple[str, ...]
    collectors: tuple[str, ...]
    direct: tuple[str, ...] = ()  # checks with a direct link
    org_scope: bool = False

    @property
    def answerable_by(self) -> str:
        if self.org_scope or not self.checks:
            return "attestation"
        return "both" if self.direct else "partial"

    def to_dict(self) -> dict[str, Any]:
        return {
            "direct": list(self.direct),
            "partial": [c for c in self.checks if c not in self.direct],
            "org_scope": self.org_scope,
            "id": self.id,
            "domain": self.domain,
            "practice": self.practice,
            "stream": self.stream,
            "level": self.level,
            "text": self.text,
            "answerable_by": self.answerable_by,
            "checks": list(self.checks),
            "collectors": list(self.collectors),
        }


@dataclass(frozen=True)
class Coverage:
    questions: tuple[QuestionCoverage, ...]
    unknown_questions: Mapping[str, tuple[str, ...]]  # check id -> question ids not in AIMA
    collectors: tuple[str, ...]
    broken: Mapping[str, str]  # plugin name -> why it could not be loaded
    whole: bool = True  # False once restricted to a domain or practice: no target applies

    @property
    def automated(self) -> int:
        """Questions a direct link can answer in full."""
        return sum(1 for q in self.questions if q.answerable_by == "both")

    @property
    def partial(self) -> int:
        """Questions with partial links only (never fully answered by them)."""
        return sum(1 for q in self.questions if q.answerable_by == "partial")

    def summary(self, target: int = TARGET) -> dict[str, Any]:
        by_domain: dict[str, list[int]] = {}
        for q in self.questions:
            counts = by_domain.setdefault(q.domain, [0, 0, 0])
            counts[2] += 1
            counts[0] += q.answerable_by == "both"
            counts[1] += q.answerable_by == "partial"
        by_collector: dict[str, int] = {}
        for q in self.questions:
            for c in q.collectors:
                by_collector[c] = by_collector.get(c, 0) + 1
        return {
            "questions": len(self.questions),
            "with_automated_checks": self.automated,
            "direct": self.automated,
            "partial_only": self.partial,
            "org_scope": sum(1 for q in self.questions if q.org_scope),
            "attestation_only": len(self.questions) - self.automated - self.partial,
            "target": target if self.whole else None,
            "meets_target": self.automated >= target if self.whole else None,
            "by_domain": {
                d: {"direct": a, "partial": p, "total": t} for d, (a, p, t) in by_domain.items()
            },
            "by_collector": dict(sorted(by_collector.items())),
            "collectors": list(self.collectors),
            "unknown_questions": {k: list(v) for k, v in self.unknown_questions.items()},
            "broken_plugins": dict(self.broken),
        }


def compute(
    catalogue: Catalogue,
    checks_by_collector: Mapping[str, Sequence[Check]],
    enabled: Iterable[str] | None = None,
) -> Coverage:
    """Coverage of every catalogue question by the given collectors' checks.

    ``enabled`` restricts the count to those collectors (what one configuration will run).
    """
    wanted = set(enabled) if enabled is not None else None
    by_question: dict[str, list[tuple[str, str]]] = {}
    direct: dict[str, set[str]] = {}
    unknown: dict[str, tuple[str, ...]] = {}
    names = sorted(n for n in checks_by_collector if wanted is None or n in wanted)
    for name in names:
        for check in checks_by_collector[name]:
            bad = tuple(q for q in check.questions if q not in catalogue.questions)
            if bad:
                unknown[check.id] = bad
            for link in links_for(check.questions, check.links):
                by_question.setdefault(link.question, []).append((name, check.id))
                if link.strength == "direct":
                    direct.setdefault(link.question, set()).add(check.id)
    rows = []
    for practice in catalogue.practices.values():
        for q in sorted(practice.questions, key=lambda q: (q.stream, q.level)):
            pairs = by_question.get(q.id, [])
            rows.append(
                QuestionCoverage(
                    id=q.id,
                    domain=practice.domain,
                    practice=practice.id,
                    stream=q.stream,
                    level=q.level,
                    text=q.text,
                    checks=tuple(sorted({c for _, c in pairs})),
                    collectors=tuple(sorted({n for n, _ in pairs})),
                    direct=tuple(sorted(direct.get(q.id, ()))),
                    org_scope=q.org_scope,
                )
            )
    return Coverage(tuple(rows), unknown, tuple(names), {})


def restrict(coverage: Coverage, ids: Iterable[str]) -> Coverage:
    """The same coverage limited to some questions (one domain or practice)."""
    keep = set(ids)
    questions = tuple(q for q in coverage.questions if q.id in keep)
    return Coverage(
        questions,
        coverage.unknown_questions,
        coverage.collectors,
        coverage.broken,
        whole=coverage.whole and len(questions) == len(coverage.questions),
    )


def uncovered(coverage: Coverage) -> list[str]:
    """IDs of the questions left for people to answer."""
    return [q.id for q in coverage.questions if q.answerable_by == "attestation"]


# -- rendering ----------------------------------------------------------------------------------
def render_json(coverage: Coverage) -> str:
    return json.dumps(
        {"summary": coverage.summary(), "questions": [q.to_dict() for q in coverage.questions]},
        indent=2,
        ensure_ascii=False,
    )


def render_text(coverage: Coverage) -> str:
    s = coverage.summary()
    target = f" (target {s['target']})" if s["target"] else ""
    lines = [
        f"{s['direct']} of {s['questions']} AIMA questions have direct automated checks"
        f"{target}; {s['partial_only']} more have partial ones only;"
        f" {s['attestation_only']} are answered by attestation only"
        f" ({s['org_scope']} organisation-scope questions always are).",
        f"Collectors: {', '.join(s['collectors']) or 'none installed'}",
        "",
        "Domain  direct  partial  total",
        *(
            f"{d:<7} {v['direct']:>6}  {v['partial']:>7}  {v['total']:>5}"
            for d, v in s["by_domain"].items()
        ),
    ]
    current = None
    for q in coverage.questions:
        if q.practice != current:
            current = q.practice
            lines.append(f"\n{q.practice}")
        checks = ", ".join(_mark(q, c) for c in q.checks) if q.checks else "-"
        scope = " (org-scope)" if q.org_scope else ""
        lines.append(f"  {q.id:<10} {q.answerable_by:<11} {checks}{scope}")
    lines += _problems(s)
    return "\n".join(lines) + "\n"


def _mark(q: QuestionCoverage, check: str) -> str:
    return check if check in q.direct else f"{check} (partial)"


def render_markdown(coverage: Coverage) -> str:
    s = coverage.summary()
    target = f" (floor: {s['target']})" if s["target"] else ""
    lines = [
        f"**{s['direct']} of {s['questions']}** AIMA v1.0 questions have a direct automated"
        f" check{target}; **{s['partial_only']}** more have partial ones only;"
        f" {s['attestation_only']} are answered by attestation only"
        f" ({s['org_scope']} of them organisation-scope).",
        "",
        "`both`: a direct check answers the question whenever it reports; an attestation answers"
        " it when no check runs or applies. `partial`: the checks answer part of it (at most half"
        " credit without an attestation). `attestation`: no check maps to it, or it asks about the"
        " whole organisation.",
        "",
        "| Domain | Direct | Partial only | Total |",
        "|---|---|---|---|",
        *(
            f"| {d} | {v['direct']} | {v['partial']} | {v['total']} |"
            for d, v in s["by_domain"].items()
        ),
        "",
        "| Collector | Questions it evidences |",
        "|---|---|",
        *(f"| `{c}` | {n} |" for c, n in s["by_collector"].items()),
        "",
        "| Question | Level | Stream | Text | Answerable by | Checks |",
        "|---|---|---|---|---|---|",
    ]
    for q in coverage.questions:
        text = q.text.replace("|", "\\|")
        checks = (
            "<br>".join(f"`{c}`" + ("" if c in q.direct else " (partial)") for c in q.checks) or "—"
        )
        lines.append(f"| {q.id} | {q.level} | {q.stream} | {text} | {q.answerable_by} | {checks} |")
    lines += _problems(s)
    return "\n".join(lines) + "\n"


def _problems(s: Mapping[str, Any]) -> list[str]:
    out = []
    for check, qids in s["unknown_questions"].items():
        out.append(f"\nwarning: {check} names question IDs not in AIMA v1.0: {', '.join(qids)}")
    for name, why in s["broken_plugins"].items():
        out.append(f"\nwarning: collector plugin {name!r} could not be loaded: {why}")
    return out


RENDERERS = {"text": render_text, "json": render_json, "markdown": render_markdown}


# -- I/O edge -----------------------------------------------------------------------------------
FIRST_PARTY_DIST = "aima-ci"


def discovered(
    first_party_only: bool = False,
) -> tuple[dict[str, tuple[Check, ...]], dict[str, str]]:
    """Every installed collector's declared checks; a plugin that fails to load is reported.

    ``first_party_only`` keeps the collectors shipped in the aima-ci distribution itself.
    """
    from aima_ci.plugin import discover_names, load_some

    def first_party(ep: object) -> bool:
        dist = getattr(ep, "dist", None)
        return dist is not None and dist.name == FIRST_PARTY_DIST

    names = [
        n for n, ep in sorted(discover_names().items()) if not first_party_only or first_party(ep)
    ]
    loaded, broken = load_some(names)
    return {name: tuple(cls.checks) for name, cls in loaded.items()}, broken


def installed_coverage(
    catalogue: Catalogue, enabled: Iterable[str] | None = None, *, first_party_only: bool = False
) -> Coverage:
    checks, broken = discovered(first_party_only)
    cov = compute(catalogue, checks, enabled)
    return Coverage(cov.questions, cov.unknown_questions, cov.collectors, broken)
