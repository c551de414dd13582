"""Build ``assessment.json`` from an evidence directory: load inputs, score, gate, serialise.

The only I/O here is reading the evidence and the attestation files; the deciding work is done by
the pure functions in scoring.py and gate.py.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from aima_ci import __version__
from aima_ci.assess.attestations import load_attestations
from aima_ci.assess.catalogue import Catalogue, load_catalogue
from aima_ci.assess.gate import GateResult, collector_runs, effective_target, evaluate, summarise
from aima_ci.assess.scoring import Scored, score
from aima_ci.assess.waivers import parse_waivers
from aima_ci.config import Config
from aima_ci.evidence.directory import (
    ASSESSMENT,
    FINDINGS,
    RUN,
    SUMMARY,
    Digests,
    check_listed,
    listed_digests,
    read_findings,
    read_json,
    write_json,
)
from aima_ci.models import Finding, Problem, Waiver, weight

SCHEMA_ID = "https://aima-ci.dev/schemas/assessment-1.json"


@dataclass(frozen=True)
class Inputs:
    """What scoring reads from the evidence and the people's files, checked and parsed once."""

    findings: list[Finding]
    run: Mapping[str, Any]
    active_waivers: list[Waiver]
    expired_waivers: list[Waiver]
    problems: list[Problem]
    attestations: list[Any]
    # True when ``findings`` are the findings index's groups (evidence/index.py), not every line
    indexed: bool = False


def known_check_ids(findings: Iterable[Finding]) -> set[str]:
    return {f.check for f in findings}


def read_scoring_findings(
    evidence_dir: Path, digest_of: Digests, *, indexed: bool = True, check_findings: bool = True
) -> tuple[list[Finding], bool]:
    """The findings to score, checked against the manifest: the findings index's groups when
    it may stand for findings.jsonl (``indexed``), else every line of findings.jsonl.

    ``check_findings=False`` (score_assessment): when the index stands for findings.jsonl,
    the big file is checked against the manifest by the caller once its hash (running in a
    thread) is needed anyway, before the result leaves it; every line is checked first."""
    check_listed(
        evidence_dir, *((FINDINGS, RUN) if check_findings else (RUN,)), digest_of=digest_of
    )
    if indexed:
        from aima_ci.evidence.index import load_index

        listed = listed_digests(evidence_dir)
        index = load_index(evidence_dir, listed, digest_of, check_findings=check_findings)
        if index is not None:
            return list(index.findings), True
    if not check_findings:
        check_listed(evidence_dir, FINDINGS, digest_of=digest_of)
    return read_findings(evidence_dir), False


def load_inputs(
    config: Config,
    evidence_dir: Path,
    today: dt.date,
    catalogue: Catalogue,
    digest_of: Digests | None = None,
    *,
    indexed: bool = True,
    check_findings: bool = True,
) -> Inputs:
    findings, from_index = read_scoring_findings(
        evidence_dir,
        digest_of or Digests(evidence_dir),
        indexed=indexed,
        check_findings=check_findings,
    )
    try:
        run = read_json(evidence_dir / RUN)
    except Exception:
        run = {}
    attestations, att_problems = load_attestations(
        config.attestation_files, config.root, catalogue.questions, today
    )
    known = set(catalogue.questions) | known_check_ids(findings) | _declared_checks(run)
    active, expired, waiver_problems = parse_waivers(
        config.waivers_raw, known, today, config.waiver_max_days, config.display
    )
    return Inputs(
        findings=findings,
        run=run if isinstance(run, Mapping) else {},
        active_waivers=active,
        expired_waivers=expired,
        problems=att_problems + waiver_problems,
        attestations=attestations,
        indexed=from_index,
    )


def _declared_checks(run: Any) -> set[str]:
    if not isinstance(run, Mapping):
        return set()
    return {
        c for r in run.get("collectors", []) if isinstance(r, Mapping) for c in r.get("checks", [])
    }


def build_assessment(
    scored: Scored,
    gate: GateResult,
    *,
    findings: Sequence[Finding],
    inputs: Inputs,
    config: Config,
    today: dt.date,
    domains: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """The assessment as written to assessment.json. ``domains``: ``scored.domains`` already
    serialised (the gate was evaluated on them), so 144 questions are not serialised twice."""
    counts: Counter[str] = Counter()
    for f in findings:
        counts[str(f.status)] += weight(f)
    return {
        "$schema": SCHEMA_ID,
        "schema_version": 1,
        "aima_version": load_catalogue().version,
        "aima_ci_version": __version__,
        "date": today.isoformat(),
        "config": config.display,
        "overall": {"score": round(scored.score, 4), "level": scored.level, "plus": scored.plus},
        "domains": [d.to_dict() for d in scored.domains] if domains is None else domains,
        "gate": gate.to_dict(),
        "findings": {"total": sum(counts.values()), "by_status": dict(sorted(counts.items()))},
        "collectors": list(collector_runs(inputs.run).values()),
        "waivers": {
            "active": [w.to_dict() for w in inputs.active_waivers],
            "applied": [w.to_dict() for w in scored.waivers_applied],
            "expired": [w.to_dict() for w in inputs.expired_waivers],
        },
        "attestations": [a.to_dict() for a in inputs.attestations],
        "problems": [p.to_dict() for p in (*inputs.problems, *scored.problems)],
    }


def gate_inputs(
    required_collectors: Sequence[str],
    fail_on_error: bool,
    level_override: int | None,
    baseline: Mapping[str, Any] | None,
    baseline_source: str | None,
) -> dict[str, Any]:
    """The gate's inputs that are not in the evidence, recorded for verify's re-scoring."""
    levels = None
    if baseline is not None:
        levels = {
            p["id"]: p.get("level", 0)
            for d in baseline.get("domains", [])
            for p in d.get("practices", [])
            if isinstance(p, Mapping) and "id" in p
        }
    return {
        "required_collectors": list(required_collectors),
        "fail_on_error": fail_on_error,
        "level_override": level_override,
        "baseline": None if levels is None else {"source": baseline_source, "practices": levels},
    }


def assess(
    config: Config,
    evidence_dir: Path,
    *,
    today: dt.date | None = None,
    level_override: int | None = None,
    fail_on_error: bool = False,
    baseline: Mapping[str, Any] | None = None,
    baseline_source: str | None = None,
    now: dt.datetime | None = None,
    digest_of: Digests | None = None,
) -> dict[str, Any]:
    """Score the evidence directory and write assessment.json and summary.json."""
    assessment = score_assessment(
        config,
        evidence_dir,
        today=today,
        level_override=level_override,
        fail_on_error=fail_on_error,
        baseline=baseline,
        baseline_source=baseline_source,
        now=now,
        digest_of=digest_of,
    )
    write_assessment(evidence_dir, assessment, digest_of)
    return assessment


def write_assessment(
    evidence_dir: Path, assessment: dict[str, Any], digest_of: Digests | None = None
) -> None:
    """assessment.json and the summary.json the gate reads."""
    write_json(evidence_dir / ASSESSMENT, assessment)
    summary = summarise(assessment)
    summary["inputs"] = assessment["inputs"]  # what the gate re-checks now (recheck.py)
    write_json(evidence_dir / SUMMARY, summary)
    if digest_of is not None:
        digest_of.forget(ASSESSMENT, SUMMARY)


def score_assessment(
    config: Config,
    evidence_dir: Path,
    *,
    today: dt.date | None = None,
    level_override: int | None = None,
    fail_on_error: bool = False,
    baseline: Mapping[str, Any] | None = None,
    baseline_source: str | None = None,
    now: dt.datetime | None = None,
    digest_of: Digests | None = None,
) -> dict[str, Any]:
    """The assessment of the evidence directory as a dict, written nowhere (the gate re-derives
    with it when a stored verdict no longer holds).

    Stale or unbound evidence counts as not_run (freshness.py). Everything the verdict depends
    on beyond findings.jsonl is recorded (``freshness``, ``gate_inputs``), so ``aima-ci verify``
    can re-score the directory without the repository; ``inputs`` records the digests and the
    date the gate checks before it trusts the stored levels.
    """
    from aima_ci.assess.recheck import scoring_inputs
    from aima_ci.evidence.freshness import (
        RepoDigests,
        clock_for,
        evaluate_freshness,
        ttl_lookup,
        ttl_overrides,
    )

    today = today or dt.datetime.now(dt.UTC).date()
    digest_of = digest_of or Digests(evidence_dir)
    catalogue = load_catalogue()
    # findings.jsonl is checked below, after scoring from the index: its hash runs meanwhile.
    inputs = load_inputs(config, evidence_dir, today, catalogue, digest_of, check_findings=False)
    overrides = ttl_overrides(config.checks, config.collectors)
    clock, repo = now or clock_for(today), RepoDigests(config.root)
    findings, freshness = evaluate_freshness(inputs.findings, clock, overrides, repo)
    if inputs.indexed and freshness["stale"]:
        # The freshness record lists stale findings one by one in file order, which the
        # index's groups cannot reproduce: score every line of findings.jsonl instead.
        full, _ = read_scoring_findings(evidence_dir, digest_of, indexed=False)
        inputs = replace(inputs, findings=full, indexed=False)
        findings, freshness = evaluate_freshness(inputs.findings, clock, overrides, repo)
    scored = score(catalogue, findings, inputs.attestations, inputs.active_waivers)
    from aima_ci.assess.outcome import evaluate_outcomes

    outcomes = evaluate_outcomes(findings, config.fail_on, inputs.active_waivers)
    provisional: dict[str, Any] = {
        "overall": {"score": scored.score, "level": scored.level, "plus": scored.plus},
        "domains": [d.to_dict() for d in scored.domains],
    }
    gate = evaluate(
        provisional,
        effective_target(config.target, today, level_override),
        required_collectors=config.required_collectors,
        collector_runs=collector_runs(inputs.run),
        baseline=baseline,
        fail_on_error=fail_on_error,
        outcomes=outcomes,
    )
    assessment = build_assessment(
        scored,
        gate,
        findings=findings,
        inputs=inputs,
        config=config,
        today=today,
        domains=provisional["domains"],
    )
    assessment["outcomes"] = outcomes
    assessment["freshness"] = freshness
    assessment["gate_inputs"] = gate_inputs(
        config.required_collectors, fail_on_error, level_override, baseline, baseline_source
    )
    # Attestation notes, waiver reasons and problem messages come from people's files, not
    # through the runner: keep credentials out of the assessment and every report rendered from it.
    from aima_ci.safety.redact import Redactor

    assessment = Redactor().json_data(assessment)
    if inputs.indexed:  # scored from the index: findings.jsonl must still be what it indexes
        check_listed(evidence_dir, FINDINGS, digest_of=digest_of)
    assessment["inputs"] = scoring_inputs(
        config, evidence_dir, findings, freshness, today, ttl_lookup(overrides), digest_of
    )
    return assessment
