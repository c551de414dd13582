"""The gate: compare an assessment with its targets and decide pass/fail (exit 0/1).

Pure functions over the assessment as a plain dict (``assessment.json``), so ``aima-ci gate``
needs neither the collectors nor the scoring code: it stays fast enough for every pull request.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from aima_ci.config import DOMAIN_IDS, Target
from aima_ci.errors import EvidenceError

EPS = 1e-9
OK_COLLECTOR_STATUSES = frozenset({"ok", "reused"})


@dataclass(frozen=True)
class GateFailure:
    """One reason the gate fails (its kind, what it concerns, expected and actual), reported
    on its own line under the verdict."""

    kind: str  # domain_level, practice_level, overall_score, required_collector, regression,
    # error, finding (the outcome policy)
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
    """The verdict and every failure behind it; pure data, so ``score`` records it in the
    assessment and ``gate`` re-derives it without writing anything."""

    passed: bool
    target: EffectiveTarget
    failures: tuple[GateFailure, ...] = field(default_factory=tuple)

    def to_dict(self) -> dict[str, Any]:
        return {
            "passed": self.passed,
            "verdicts": verdicts(f.kind for f in self.failures),
            "target": self.target.to_dict(),
            "failures": [f.to_dict() for f in self.failures],
        }


def verdicts(kinds: Iterable[str]) -> dict[str, str]:
    """The two verdicts reports show side by side: maturity (levels, scores, collectors) and
    findings (the outcome policy); the gate fails when either does."""
    kinds = list(kinds)
    return {
        "maturity": "failed" if any(k != "finding" for k in kinds) else "passed",
        "findings": "failed" if "finding" in kinds else "passed",
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
                domains[did] = _raise_goal(domains.get(did, {}), goal)
            for pid, goal in entry.get("practices", {}).items():
                practices[pid] = _raise_goal(practices.get(pid, {}), goal)
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


def _raise_goal(current: Mapping[str, float], scheduled: Mapping[str, float]) -> dict[str, float]:
    """A schedule is a ratchet: an entry can raise a goal, never lower one (a past entry with
    a lower level must not quietly undo the base target or an earlier step)."""
    merged = dict(current)
    for key, value in scheduled.items():
        merged[key] = max(merged.get(key, value), value)
    return merged


def _fmt_level(level: int, plus: bool = False) -> str:
    return f"{level}{'+' if plus else ''}"


def _check_levels(item: Any, what: str, source: str) -> None:
    if not isinstance(item, Mapping):
        raise EvidenceError(f"{source}: {what} is not an object")
    level, score = item.get("level"), item.get("score")
    if isinstance(level, bool) or not isinstance(level, int) or not 0 <= level <= 3:
        raise EvidenceError(f"{source}: {what}: level {level!r} is not a whole number from 0 to 3")
    if (
        isinstance(score, bool)
        or not isinstance(score, (int, float))
        or not (isinstance(score, int) or math.isfinite(score))
        or not 0 <= score <= 3
    ):
        raise EvidenceError(f"{source}: {what}: score {score!r} is not a number from 0 to 3")
    if not isinstance(item.get("plus"), bool):
        raise EvidenceError(f"{source}: {what}: plus must be true or false")


def check_assessment(assessment: Any, source: str = "assessment") -> None:
    """Refuse an assessment the gate cannot judge soundly (EvidenceError, exit 2).

    Every comparison below is "is X below target?", so anything that is not a comparable level
    would pass: a domain missing from ``domains`` (an empty list passed every target), a NaN
    level, a string. Levels must also be consistent (domain = lowest practice, overall = lowest
    domain), so a single damaged level is caught rather than believed.
    """
    if not isinstance(assessment, Mapping):
        raise EvidenceError(f"{source}: not a JSON object")
    _check_levels(assessment.get("overall"), "overall", source)
    domains = assessment.get("domains")
    if not isinstance(domains, list):
        raise EvidenceError(f"{source}: 'domains' is missing or not a list")
    seen: set[str] = set()
    for i, d in enumerate(domains):
        did = d.get("id") if isinstance(d, Mapping) else None
        if not isinstance(did, str) or did not in DOMAIN_IDS or did in seen:
            raise EvidenceError(f"{source}: domains[{i}] has a missing, unknown or repeated id")
        seen.add(did)
        _check_levels(d, f"domain {did}", source)
        if not isinstance(d.get("name"), str):
            raise EvidenceError(f"{source}: domain {did} has no name")
        practices = d.get("practices")
        if not isinstance(practices, list) or not practices:
            raise EvidenceError(f"{source}: domain {did} lists no practices")
        for j, p in enumerate(practices):
            pid = p.get("id") if isinstance(p, Mapping) else None
            if not isinstance(pid, str) or not pid.startswith(did + "-"):
                raise EvidenceError(f"{source}: domain {did}: practices[{j}] has no valid id")
            _check_levels(p, f"practice {pid}", source)
            if not isinstance(p.get("name"), str):
                raise EvidenceError(f"{source}: practice {pid} has no name")
        lowest = min(p["level"] for p in practices)
        if d["level"] != lowest:
            raise EvidenceError(
                f"{source}: domain {did} is at level {d['level']} but its lowest practice is at"
                f" {lowest}"
            )
    missing = [did for did in DOMAIN_IDS if did not in seen]
    if missing:
        raise EvidenceError(f"{source}: domain(s) {', '.join(missing)} missing")
    if assessment["overall"]["level"] != min(d["level"] for d in domains):
        raise EvidenceError(f"{source}: the overall level is not the lowest domain level")
    errors = assessment.get("errors")
    if errors is not None and not isinstance(errors, Mapping):
        raise EvidenceError(f"{source}: 'errors' must map check ids to messages")


def evaluate(
    assessment: Mapping[str, Any],
    target: EffectiveTarget,
    *,
    required_collectors: Sequence[str] = (),
    collector_runs: Mapping[str, Mapping[str, Any]] | None = None,
    baseline: Mapping[str, Any] | None = None,
    fail_on_error: bool = False,
    source: str = "assessment",
    outcomes: Mapping[str, Any] | None = None,
) -> GateResult:
    """Decide the gate. ``assessment`` is the dict stored in assessment.json (or summary.json);
    ``source`` names it in the error raised when it is malformed."""
    check_assessment(assessment, source)
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
    # The findings verdict (outcome.py) gates whatever the maturity target.
    for f in (outcomes or {}).get("failing", []):
        failures.append(
            GateFailure(
                "finding",
                f["check"],
                f"no {outcomes['fail_on']}+ findings",  # type: ignore[index]
                f["severity"],
                f"{f['check']} ({f['severity']}): {f['message']}",
            )
        )
    if baseline is not None and target.no_regression:
        check_baseline(baseline, assessment)
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
        "outcomes": assessment.get("outcomes"),
        "gate": assessment.get("gate"),
    }


def check_baseline(baseline: Any, assessment: Mapping[str, Any]) -> None:
    """A no_regression baseline must give a level for every practice: one it leaves out (a
    damaged or truncated baseline) could never be found to have regressed."""
    levels: dict[str, Any] = {}
    domains = baseline.get("domains") if isinstance(baseline, Mapping) else None
    for d in domains if isinstance(domains, list) else []:
        for p in d.get("practices", []) if isinstance(d, Mapping) else []:
            if isinstance(p, Mapping) and isinstance(p.get("id"), str):
                levels[p["id"]] = p.get("level")
    for d in assessment["domains"]:
        for p in d["practices"]:
            level = levels.get(p["id"])
            if isinstance(level, bool) or not isinstance(level, int) or not 0 <= level <= 3:
                raise EvidenceError(
                    f"baseline: practice {p['id']} has no level from 0 to 3 (got {level!r});"
                    " the baseline is not a complete assessment"
                )


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


def verdict_line(gate: Mapping[str, Any]) -> str:
    """Maturity and findings verdicts side by side (older assessments: derived from failures).

    Here rather than in reports.text so the gate command prints it without loading the report
    renderers and the catalogue they explain with (gate start-up time)."""
    v = gate.get("verdicts") or verdicts(f.get("kind", "") for f in gate.get("failures", []))
    return f"maturity: {v['maturity']}   findings: {v['findings']}"
