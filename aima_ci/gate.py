"""The gate: compare an assessment with its targets and decide pass/fail (exit 0/1).

Pure functions over the assessment as a plain dict (``assessment.json``), so ``aima-ci gate``
needs neither the collectors nor the scoring code: it stays fast enough for every pull request.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .config import Target

EPS = 1e-9
OK_COLLECTOR_STATUSES = frozenset({"ok", "reused"})


@dataclass(frozen=True)
class GateFailure:
    kind: str  # domain_level, practice_level, overall_score, required_collector, regression, error
    id: str
    expected: Any
    actual: Any
    message: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "id": self.id,
            "expected": self.expected,
            "actual": self.actual,
            "message": self.message,
        }


@dataclass(frozen=True)
class EffectiveTarget:
    """The targets in force today, after any dated schedule entries."""

    level: int
    score: float | None
    domains: Mapping[str, Mapping[str, float]]
    practices: Mapping[str, Mapping[str, float]]
    no_regression: bool
    schedule_entry: str | None = None

    def domain_goal(self, did: str) -> Mapping[str, float]:
        return self.domains.get(did, {"level": self.level})

    def to_dict(self) -> dict[str, Any]:
        return {
            "level": self.level,
            "score": self.score,
            "domains": {k: dict(v) for k, v in self.domains.items()},
            "practices": {k: dict(v) for k, v in self.practices.items()},
            "no_regression": self.no_regression,
            "schedule_entry": self.schedule_entry,
        }


@dataclass(frozen=True)
class GateResult:
    passed: bool
    target: EffectiveTarget
    failures: tuple[GateFailure, ...] = field(default_factory=tuple)

    def to_dict(self) -> dict[str, Any]:
        return {
            "passed": self.passed,
            "target": self.target.to_dict(),
            "failures": [f.to_dict() for f in self.failures],
        }


def effective_target(
    target: Target, today: dt.date, level_override: int | None = None
) -> EffectiveTarget:
    """Apply the latest schedule entry dated on or before today; a CLI level overrides all."""
    level = target.level
    domains = {k: dict(v) for k, v in target.domains.items()}
    practices = {k: dict(v) for k, v in target.practices.items()}
    entry_date = None
    for entry in target.schedule:
        if dt.date.fromisoformat(entry["date"]) <= today:
            entry_date = entry["date"]
            level = max(level, entry.get("level", level))
            for did, goal in entry.get("domains", {}).items():
                domains[did] = {**domains.get(did, {}), **goal}
            for pid, goal in entry.get("practices", {}).items():
                practices[pid] = {**practices.get(pid, {}), **goal}
    if level_override is not None:
        level = level_override
    return EffectiveTarget(
        level=level,
        score=target.score,
        domains=domains,
        practices=practices,
        no_regression=target.no_regression,
        schedule_entry=entry_date,
    )


def _fmt_level(level: int, plus: bool = False) -> str:
    return f"{level}{'+' if plus else ''}"


def evaluate(
    assessment: Mapping[str, Any],
    target: EffectiveTarget,
    *,
    required_collectors: Sequence[str] = (),
    collector_runs: Mapping[str, Mapping[str, Any]] | None = None,
    baseline: Mapping[str, Any] | None = None,
    fail_on_error: bool = False,
) -> GateResult:
    """Decide the gate. ``assessment`` is the dict stored in assessment.json."""
    failures: list[GateFailure] = []
    practices = {p["id"]: p for d in assessment["domains"] for p in d["practices"]}
    for d in assessment["domains"]:
        goal = target.domain_goal(d["id"])
        want = int(goal.get("level", 0))
        if d["level"] < want:
            behind = [p["id"] for p in d["practices"] if p["level"] < want]
            failures.append(
                GateFailure(
                    "domain_level",
                    d["id"],
                    want,
                    d["level"],
                    f"{d['name']} is at level {_fmt_level(d['level'], d['plus'])}, target {want}"
                    f" (below target: {', '.join(behind)})",
                )
            )
        if "score" in goal and d["score"] + EPS < goal["score"]:
            failures.append(
                GateFailure(
                    "domain_score",
                    d["id"],
                    goal["score"],
                    d["score"],
                    f"{d['name']} scores {d['score']:.2f}, target {goal['score']:.2f}",
                )
            )
    for pid, goal in sorted(target.practices.items()):
        p = practices.get(pid)
        if p is None:
            failures.append(
                GateFailure("practice_level", pid, goal, None, f"unknown practice {pid}")
            )
            continue
        if "level" in goal and p["level"] < goal["level"]:
            failures.append(
                GateFailure(
                    "practice_level",
                    pid,
                    int(goal["level"]),
                    p["level"],
                    f"{pid} {p['name']} is at level {_fmt_level(p['level'], p['plus'])},"
                    f" target {int(goal['level'])}",
                )
            )
        if "score" in goal and p["score"] + EPS < goal["score"]:
            failures.append(
                GateFailure(
                    "practice_score",
                    pid,
                    goal["score"],
                    p["score"],
                    f"{pid} {p['name']} scores {p['score']:.2f}, target {goal['score']:.2f}",
                )
            )
    overall = assessment["overall"]
    if target.score is not None and overall["score"] + EPS < target.score:
        failures.append(
            GateFailure(
                "overall_score",
                "overall",
                target.score,
                overall["score"],
                f"overall score {overall['score']:.2f} is below the target {target.score:.2f}",
            )
        )
    runs = collector_runs or {}
    for name in required_collectors:
        run = runs.get(name)
        status = run.get("status") if run else "not_run"
        if status not in OK_COLLECTOR_STATUSES:
            reason = (run or {}).get("message") or "it did not run"
            failures.append(
                GateFailure(
                    "required_collector",
                    name,
                    "ok",
                    status,
                    f"required collector '{name}' {status}: {reason}",
                )
            )
    if fail_on_error:
        failures.extend(_error_failures(assessment))
    if baseline is not None and target.no_regression:
        failures.extend(regressions(assessment, baseline))
    return GateResult(passed=not failures, target=target, failures=tuple(failures))


def erroring_checks(assessment: Mapping[str, Any]) -> dict[str, str]:
    """Check id -> message for every check in error (read from a summary when given one)."""
    if "errors" in assessment:
        return dict(assessment["errors"])
    out: dict[str, str] = {}
    for q in iter_questions(assessment):
        for c in q["checks"]:
            if c["status"] == "error":
                out.setdefault(c["check"], c["message"])
    return out


def _error_failures(assessment: Mapping[str, Any]) -> Iterable[GateFailure]:
    for check, message in erroring_checks(assessment).items():
        yield GateFailure("error", check, "no errors", "error", f"{check}: {message}")


def summarise(assessment: Mapping[str, Any]) -> dict[str, Any]:
    """The part of an assessment the gate needs: levels and scores, and the checks in error."""
    keep = ("id", "name", "score", "level", "plus")
    return {
        "schema_version": 1,
        "date": assessment.get("date"),
        "overall": assessment["overall"],
        "domains": [
            {
                **{k: d[k] for k in keep},
                "practices": [{k: p[k] for k in keep} for p in d["practices"]],
            }
            for d in assessment["domains"]
        ],
        "errors": erroring_checks(assessment),
        "gate": assessment.get("gate"),
    }


def regressions(assessment: Mapping[str, Any], baseline: Mapping[str, Any]) -> list[GateFailure]:
    """Practices whose level dropped since the baseline assessment."""
    before = {p["id"]: p for d in baseline.get("domains", []) for p in d.get("practices", [])}
    out = []
    for d in assessment["domains"]:
        for p in d["practices"]:
            old = before.get(p["id"])
            if old is not None and p["level"] < old.get("level", 0):
                out.append(
                    GateFailure(
                        "regression",
                        p["id"],
                        old["level"],
                        p["level"],
                        f"{p['id']} {p['name']} dropped from level {old['level']} to {p['level']}",
                    )
                )
    return out


def iter_questions(assessment: Mapping[str, Any]) -> Iterable[Mapping[str, Any]]:
    for d in assessment["domains"]:
        for p in d["practices"]:
            for s in p["streams"]:
                yield from s["questions"]


def collector_runs(run: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    return {
        r["name"]: r
        for r in run.get("collectors", [])
        if isinstance(r, Mapping) and isinstance(r.get("name"), str)
    }
