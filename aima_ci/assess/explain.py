"""Explanations: why a criterion is (not) met and what reaches the next level.

Works on the assessment dict so reports and ``aima-ci explain`` give the same reasons.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from aima_ci.assess.catalogue import Catalogue


@dataclass(frozen=True)
class Gap:
    """One unsatisfied question that stands between a practice and a level."""

    question: str
    text: str
    level: int
    stream: str
    value: float
    reason: str
    next_step: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "question": self.question,
            "text": self.text,
            "level": self.level,
            "stream": self.stream,
            "value": self.value,
            "reason": self.reason,
            "next_step": self.next_step,
        }


ORG_SCOPE_NOTE = (
    "organisation-scope question: one repository's automated evidence cannot answer it, so only"
    " an attestation does"
)


def _check_part(c: Mapping[str, Any]) -> str:
    """One check's verdict and what its link to the question shows (why it earns credit or not)."""
    msg = f" ({c['message']})" if c.get("message") else ""
    shows = c.get("shows", "effective")
    link = f" [{shows}, {c.get('strength', 'direct')}"
    if shows == "performed" and c.get("credit") and c["status"] == "fail":
        link += ": the check ran, which is what this question asks; its finding is judged by the outcome policy"
    link += "]"
    notes = f"; notes: {'; '.join(c['notes'])}" if c.get("notes") else ""
    return f"{c['check']}: {c['status']}{msg}{link}{notes}"


def question_reason(q: Mapping[str, Any]) -> str:
    """Which evidence decided this question, in one sentence."""
    basis = q.get("basis")
    prefix = f"{ORG_SCOPE_NOTE}; " if q.get("org_scope") else ""
    if basis == "waived" and q.get("waiver"):
        w = q["waiver"]
        return f"{prefix}waived by {w['owner']} until {w['expires']}: {w['reason']}"
    if basis in ("automated", "partial"):
        parts = [_check_part(c) for c in q["checks"] if c["status"] != "not_applicable"]
        if basis == "partial":
            parts.append("partial evidence only: it never fully answers the question")
        return prefix + "; ".join(parts)
    if basis == "attestation" and q.get("attestation"):
        a = q["attestation"]
        return (
            f"{prefix}attested '{a['answer']}' by {a['owner']} on {a['date']}"
            f" (expires {a['expires']})"
        )
    if q.get("org_scope"):
        return f"{ORG_SCOPE_NOTE}; no valid attestation answers it"
    return "no evidence: no check reported on it and no valid attestation answers it"


def question_next_step(
    q: Mapping[str, Any], checks_for: Mapping[str, list[str]] | None = None
) -> str:
    """What to do so this question is satisfied."""
    if q.get("satisfied"):
        return ""
    if q.get("org_scope"):
        return (
            f"add an attestation for {q['id']} (owner, date, expires, evidence): it asks about the"
            " whole organisation, which no check in one repository can show"
        )
    failing = [c for c in q["checks"] if not c["credit"] and c["status"] != "not_applicable"]
    if failing:
        steps = []
        for c in failing:
            if c["status"] in ("error", "not_run"):
                steps.append(f"make {c['check']} run ({c['message'] or c['status']})")
            elif c["status"] in ("inconclusive", "warn"):
                # Not enough data to decide: the remedy is more data, not a mitigation.
                steps.append(
                    f"give {c['check']} enough data to reach a verdict ({c['message'] or c['status']})"
                )
            elif c.get("next_step"):
                steps.append(c["next_step"])
            else:
                steps.append(f"fix what {c['check']} reports")
        if all(c.get("strength") == "partial" for c in failing) and q.get("basis") == "partial":
            steps.append(
                f"partial evidence never fully answers it: add an attestation for {q['id']}"
            )
        return "; ".join(dict.fromkeys(steps))
    if q.get("basis") == "partial":
        return (
            f"the checks answer part of {q['id']} only: add an attestation (owner, date, expires,"
            " evidence) for the rest"
        )
    att = q.get("attestation")
    if att and q.get("basis") == "attestation":
        return f"the attestation answers '{att['answer']}': improve the practice, then update the answer"
    hint = ""
    if checks_for and checks_for.get(q["id"]):
        hint = f" or enable a collector reporting {', '.join(checks_for[q['id']])}"
    return f"add an attestation for {q['id']} (owner, date, expires, evidence){hint}"


def practice_gaps(
    practice: Mapping[str, Any],
    catalogue: Catalogue,
    up_to_level: int | None = None,
    checks_for: Mapping[str, list[str]] | None = None,
) -> list[Gap]:
    """Unsatisfied questions of the practice at levels <= ``up_to_level`` (default: next level)."""
    limit = up_to_level if up_to_level is not None else min(practice["level"] + 1, 3)
    gaps = []
    for s in practice["streams"]:
        for q in s["questions"]:
            if q["level"] <= limit and not q["satisfied"]:
                cq = catalogue.questions[q["id"]]
                gaps.append(
                    Gap(
                        question=q["id"],
                        text=cq.text,
                        level=q["level"],
                        stream=s["letter"],
                        value=q["value"],
                        reason=question_reason(q),
                        next_step=question_next_step(q, checks_for),
                    )
                )
    return sorted(gaps, key=lambda g: (g.level, g.stream))


def practice_targets(assessment: Mapping[str, Any]) -> dict[str, int]:
    """The level each practice must reach for the gate (domain target unless a practice override)."""
    target = assessment["gate"]["target"]
    out: dict[str, int] = {}
    for d in assessment["domains"]:
        dgoal = target["domains"].get(d["id"], {"level": target["level"]})
        for p in d["practices"]:
            goal = target["practices"].get(p["id"], {})
            out[p["id"]] = int(max(dgoal.get("level", 0), goal.get("level", 0)))
    return out


def failing_gaps(
    assessment: Mapping[str, Any],
    catalogue: Catalogue,
    checks_for: Mapping[str, list[str]] | None = None,
) -> list[tuple[Mapping[str, Any], list[Gap]]]:
    """For each practice below its gate target, the gaps up to that target."""
    targets = practice_targets(assessment)
    out = []
    for d in assessment["domains"]:
        for p in d["practices"]:
            want = targets[p["id"]]
            if p["level"] < want:
                out.append((p, practice_gaps(p, catalogue, want, checks_for)))
    return out


def checks_by_question(checks: Iterable[Any]) -> dict[str, list[str]]:
    """Invert collectors' check declarations: question id -> check ids that give evidence for it."""
    out: dict[str, list[str]] = {}
    for c in checks:
        for q in c.questions:
            out.setdefault(q, []).append(c.id)
    return out


def unhealthy_checks(assessment: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Every check that ended ``error`` or ``not_run``, once, with its message and next step,
    plus every collector that did not finish ok: the problems a reader must see even when the
    gate passed (an ART or SHAP crash earns nothing, but hides nothing either)."""
    seen: dict[str, dict[str, Any]] = {}
    for d in assessment.get("domains", []):
        for p in d.get("practices", []):
            for stream in p.get("streams", []):
                for q in stream.get("questions", []):
                    for c in q.get("checks") or []:
                        if c.get("status") in ("error", "not_run") and c.get("check") not in seen:
                            seen[c["check"]] = {
                                "check": c["check"],
                                "status": c["status"],
                                "message": c.get("message") or "",
                                "next_step": c.get("next_step") or "",
                                "collector": c.get("collector") or "",
                            }
    out = sorted(seen.values(), key=lambda c: (c["status"] != "error", c["check"]))
    reported = {c["collector"] for c in out}
    for run in assessment.get("collectors", []):
        if run.get("status") in ("ok", "reused") or run.get("name") in reported:
            continue
        out.append(
            {
                "check": f"collector {run.get('name')}",
                "status": run.get("status", "error"),
                "message": run.get("message") or "",
                "next_step": "see the collector's log in artefacts/"
                f"{run.get('name')}/collector.log, fix it and run again",
                "collector": run.get("name") or "",
            }
        )
    return out
