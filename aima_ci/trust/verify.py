"""Check an evidence directory the way an auditor would, offline and without the repository.

Four independent checks, each naming what differs:

1. every file matches ``manifest.json`` (nothing changed, added or removed);
2. the manifest's subjects include every subject the findings name;
3. the DSSE envelope's signature verifies with the given public key, and its statement is about
   *this* manifest and assessment (digests, levels, verdict);
4. the assessment follows from the findings: it is re-scored from findings.jsonl plus what
   assessment.json records as the other inputs (attestations, waivers, date, the freshness
   decision's clock/TTLs/digests, the gate's inputs) and compared level by level.

A forger who edits a finding and re-hashes the manifest fails (4); one who then deletes the
manifest and runs ``aima-ci score`` passes (1), (2) and (4), because every file is again
consistent with every other: only (3) proves who wrote the evidence. So without a checked
signature the verdict is "consistent", never "intact", and says that it proves consistency
only; with ``--public-key`` anything not covered by a valid signature is a problem. The
summary.json the gate reads must equal what assessment.json summarises, and the local seal
(seal.py) is checked where this machine holds the key that made it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aima_ci.evidence.directory import (
    ASSESSMENT,
    ENVELOPE,
    INCOMPLETE,
    MANIFEST,
    RUN,
    SUMMARY,
    read_findings,
    read_json,
    subjects_of,
    verify_manifest,
)
from aima_ci.models import Attestation, EvidenceError, Waiver

MAX_LISTED = 10


@dataclass
class VerifyReport:
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    checked: list[str] = field(default_factory=list)
    signed: bool = False  # a public key was given and every envelope's signature verified

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "signed": self.signed,
            "proves": "origin and consistency" if self.signed else "consistency only",
            "problems": self.problems,
            "notes": self.notes,
            "checked": self.checked,
        }


# --------------------------------------------------------------------------- structure diff
def _keyed(items: list[Any]) -> dict[str, Any] | None:
    for key in ("id", "check", "name", "question"):
        if items and all(isinstance(i, Mapping) and key in i for i in items):
            keys = [str(i[key]) for i in items]
            if len(set(keys)) == len(keys):
                return dict(zip(keys, items, strict=True))
    return None


def differences(recorded: Any, rescored: Any, path: str = "") -> Iterator[str]:
    """Paths where two JSON values differ; list items are matched by id where they have one."""
    if isinstance(recorded, Mapping) and isinstance(rescored, Mapping):
        for key in sorted(set(recorded) | set(rescored), key=str):
            sub = f"{path}.{key}" if path else str(key)
            if key not in recorded:
                yield f"{sub}: missing from the record (re-scored {_short(rescored[key])})"
            elif key not in rescored:
                yield f"{sub}: recorded {_short(recorded[key])}, absent when re-scored"
            else:
                yield from differences(recorded[key], rescored[key], sub)
        return
    if isinstance(recorded, list) and isinstance(rescored, list):
        left, right = _keyed(recorded), _keyed(rescored)
        if left is not None and right is not None:
            for key in list(left) + [k for k in right if k not in left]:
                sub = f"{path}[{key}]"
                if key not in right:
                    yield f"{sub}: recorded, absent when re-scored"
                elif key not in left:
                    yield f"{sub}: missing from the record"
                else:
                    yield from differences(left[key], right[key], sub)
            return
        if len(recorded) != len(rescored):
            yield f"{path}: recorded {len(recorded)} item(s), re-scored {len(rescored)}"
            return
        for i, (a, b) in enumerate(zip(recorded, rescored, strict=True)):
            yield from differences(a, b, f"{path}[{i}]")
        return
    if recorded != rescored:
        yield f"{path}: recorded {_short(recorded)}, re-scored {_short(rescored)}"


def _short(value: Any) -> str:
    text = json.dumps(value, sort_keys=True, default=str)
    return text if len(text) <= 80 else text[:77] + "..."


def _plain(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str))


# --------------------------------------------------------------------------- re-scoring
def rescore(evidence_dir: Path, assessment: Mapping[str, Any]) -> list[str]:
    """Differences between assessment.json and a fresh scoring of the same inputs."""
    from aima_ci.assess.catalogue import load_catalogue
    from aima_ci.assess.gate import EffectiveTarget, collector_runs, evaluate
    from aima_ci.assess.scoring import score
    from aima_ci.evidence.freshness import replay_freshness

    catalogue = load_catalogue()
    if assessment.get("aima_version") != catalogue.version:
        return [
            f"assessment.json was scored against AIMA {assessment.get('aima_version')}, this"
            f" aima-ci has {catalogue.version}: cannot re-score"
        ]
    findings = read_findings(evidence_dir)
    record = assessment.get("freshness")
    stale_diff: list[str] = []
    if isinstance(record, Mapping):
        try:
            findings, replayed = replay_freshness(findings, record)
        except ValueError as exc:
            return [f"assessment.json freshness record: {exc}"]
        stale_diff = [
            f"freshness.{d}" for d in differences(record.get("stale"), replayed["stale"], "stale")
        ]
    else:
        return ["assessment.json has no freshness record, so the scoring cannot be replayed"]
    try:
        attestations = [Attestation(**a) for a in assessment.get("attestations", [])]
        waivers = [
            Waiver(
                target=w["id"],
                reason=w["reason"],
                owner=w["owner"],
                expires=w["expires"],
                created=w.get("created"),
                source=w.get("source", ""),
            )
            for w in (assessment.get("waivers") or {}).get("active", [])
        ]
    except (TypeError, KeyError) as exc:
        return [f"assessment.json: malformed attestations or waivers ({exc})"]
    scored = score(catalogue, findings, attestations, waivers)
    provisional = {
        "overall": {"score": scored.score, "level": scored.level, "plus": scored.plus},
        "domains": [d.to_dict() for d in scored.domains],
    }
    gate_record = assessment.get("gate") or {}
    inputs = assessment.get("gate_inputs") or {}
    target_record = gate_record.get("target") or {}
    try:
        target = EffectiveTarget(
            level=int(target_record["level"]),
            score=target_record.get("score"),
            domains=target_record.get("domains") or {},
            practices=target_record.get("practices") or {},
            no_regression=bool(target_record.get("no_regression")),
            schedule_entry=target_record.get("schedule_entry"),
        )
    except (KeyError, TypeError, ValueError):
        return ["assessment.json: the gate target is missing or malformed"]
    baseline = None
    if isinstance(inputs.get("baseline"), Mapping):
        levels = inputs["baseline"].get("practices") or {}
        baseline = {"domains": [{"practices": [{"id": k, "level": v} for k, v in levels.items()]}]}
    try:
        run = read_json(evidence_dir / RUN)
    except EvidenceError:
        run = {}
    gate = evaluate(
        provisional,
        target,
        required_collectors=inputs.get("required_collectors") or (),
        collector_runs=collector_runs(run) if isinstance(run, Mapping) else {},
        baseline=baseline,
        fail_on_error=bool(inputs.get("fail_on_error")),
        outcomes=_outcomes(findings, assessment.get("outcomes"), waivers),
    )
    from collections import Counter

    counts = Counter(str(f.status) for f in findings)
    rescored: dict[str, Any] = {
        "overall": {"score": round(scored.score, 4), "level": scored.level, "plus": scored.plus},
        "domains": [d.to_dict() for d in scored.domains],
        "gate": gate.to_dict(),
        "findings": {"total": len(findings), "by_status": dict(sorted(counts.items()))},
    }
    if assessment.get("outcomes") is not None:
        rescored["outcomes"] = _outcomes(findings, assessment["outcomes"], waivers)
    recorded = {key: assessment.get(key) for key in rescored}
    return stale_diff + list(differences(_plain(recorded), _plain(rescored)))


# --------------------------------------------------------------------------- the signature
def check_envelope(
    evidence_dir: Path, envelope_path: Path, public_key: Any | None, report: VerifyReport
) -> None:
    from aima_ci.safety.hashing import sha256_file
    from aima_ci.trust.sign import (
        PREDICATE_TYPE,
        STATEMENT_TYPE,
        levels_of,
        open_envelope,
        read_envelopes,
    )

    try:
        envelopes = read_envelopes(envelope_path)
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        report.problems.append(f"{envelope_path.name}: unreadable ({exc})")
        return
    if not envelopes:
        report.problems.append(f"{envelope_path.name}: holds no envelope")
        return
    manifest_sha = sha256_file(evidence_dir / MANIFEST)
    assessment_path = evidence_dir / ASSESSMENT
    for number, envelope in enumerate(envelopes, 1):
        where = f"{envelope_path.name}#{number}"
        try:
            statement, _ = open_envelope(envelope)
        except ValueError as exc:
            report.problems.append(f"{where}: {exc}")
            continue
        if public_key is not None:
            from aima_ci.trust.sign import check_signature

            why = check_signature(envelope, public_key)
            if why:
                report.problems.append(f"{where}: signature: {why}")
            else:
                report.checked.append(f"{where}: signature verifies")
        if statement.get("_type") != STATEMENT_TYPE:
            report.problems.append(f"{where}: _type is not {STATEMENT_TYPE}")
        if statement.get("predicateType") != PREDICATE_TYPE:
            report.notes.append(f"{where}: predicate {statement.get('predicateType')} not checked")
            continue
        predicate = statement.get("predicate") or {}
        evidence = predicate.get("evidence") or {}
        signed_manifest = ((evidence.get("manifest") or {}).get("digest") or {}).get("sha256")
        if signed_manifest != manifest_sha:
            report.problems.append(
                f"{where}: signed for manifest sha256:{str(signed_manifest)[:12]}…, the directory"
                f" has sha256:{manifest_sha[:12]}…"
            )
        signed_assessment = ((evidence.get("assessment") or {}).get("digest") or {}).get("sha256")
        if assessment_path.is_file() and signed_assessment != sha256_file(assessment_path):
            report.problems.append(f"{where}: signed for a different assessment.json")
        if assessment_path.is_file():
            try:
                levels = levels_of(read_json(assessment_path))
            except (EvidenceError, KeyError, TypeError):
                levels = None
            signed = {k: predicate.get(k) for k in ("overall", "domains")}
            for diff in list(differences(_plain(signed), _plain(levels)))[:MAX_LISTED]:
                report.problems.append(f"{where}: statement vs assessment.json: {diff}")
        try:
            manifest = read_json(evidence_dir / MANIFEST)
            digests = {
                str(s.get("digest", "")).partition(":")[2] or str(s.get("digest"))
                for s in manifest.get("subjects", [])
                if isinstance(s, Mapping)
            } | {manifest_sha}
        except (EvidenceError, AttributeError):
            digests = {manifest_sha}
        for subject in statement.get("subject") or []:
            value = ((subject or {}).get("digest") or {}).get("sha256")
            if value not in digests:
                report.problems.append(
                    f"{where}: subject {subject.get('name')!r} is not in the manifest's subjects"
                )


# --------------------------------------------------------------------------- all together
def verify_evidence(
    evidence_dir: Path, *, public_key: Any | None = None, envelope: Path | None = None
) -> VerifyReport:
    """Run every check; the report's problems are empty only when the evidence is intact."""
    report = VerifyReport()
    if not (evidence_dir / MANIFEST).is_file():
        report.problems.append(f"{MANIFEST}: missing, so nothing can be checked")
        return report
    try:
        report.problems.extend(verify_manifest(evidence_dir))
    except EvidenceError as exc:
        report.problems.append(str(exc))
        return report
    report.checked.append("every file matches manifest.json")

    try:
        findings = read_findings(evidence_dir)
    except EvidenceError as exc:
        report.problems.append(f"findings.jsonl: {exc}")
        findings = None
    if findings is not None:
        from aima_ci.evidence.index import index_differences

        try:
            report.problems.extend(index_differences(evidence_dir))
        except EvidenceError as exc:
            report.problems.append(str(exc))
        manifest = read_json(evidence_dir / MANIFEST)
        listed = {json.dumps(s, sort_keys=True) for s in manifest.get("subjects", [])}
        for subject in subjects_of(findings):
            if json.dumps(subject, sort_keys=True) not in listed:
                report.problems.append(
                    f"manifest.json: subject {subject.get('path') or subject.get('name')}"
                    f" ({subject.get('digest')}) named by a finding is not listed"
                )
                break

    envelope_path = envelope or (evidence_dir / ENVELOPE)
    if envelope_path.is_file():
        before = len(report.problems)
        check_envelope(evidence_dir, envelope_path, public_key, report)
        report.signed = public_key is not None and len(report.problems) == before
        if public_key is None:
            report.notes.append("signature not checked: give --public-key to check it")
    elif public_key is not None:
        report.problems.append(f"{envelope_path.name}: no signed attestation to check the key with")
    else:
        report.notes.append("no signed attestation (aima-ci attest) in this directory")

    if (evidence_dir / ASSESSMENT).is_file() and findings is not None:
        try:
            assessment = read_json(evidence_dir / ASSESSMENT)
            diffs = rescore(evidence_dir, assessment)
        except (EvidenceError, KeyError, TypeError, AttributeError) as exc:
            diffs = [f"assessment.json cannot be re-scored: {exc}"]
        if diffs:
            report.problems.extend(f"re-scoring differs: {d}" for d in diffs)
        else:
            report.checked.append("assessment.json follows from the findings (re-scored)")
        check_summary(evidence_dir, report)
    elif findings is not None:
        report.notes.append("no assessment.json: nothing to re-score")
    check_local_seal(evidence_dir, report)
    if (evidence_dir / INCOMPLETE).exists():
        report.problems.append(f"{INCOMPLETE}: an aima-ci step started here and did not finish")
    return report


def check_summary(evidence_dir: Path, report: VerifyReport) -> None:
    """summary.json is what the gate reads: it must be exactly what assessment.json summarises."""
    from aima_ci.assess.gate import summarise

    if not (evidence_dir / SUMMARY).is_file():
        return
    try:
        summary = read_json(evidence_dir / SUMMARY)
        assessment = read_json(evidence_dir / ASSESSMENT)
        expected = summarise(assessment)
        expected["inputs"] = assessment.get("inputs")
    except (EvidenceError, KeyError, TypeError, AttributeError) as exc:
        report.problems.append(f"summary.json cannot be checked: {exc}")
        return
    diffs = list(differences(_plain(summary), _plain(expected)))
    if diffs:
        report.problems.extend(f"summary.json differs from assessment.json: {d}" for d in diffs)
    else:
        report.checked.append("summary.json (what the gate reads) matches assessment.json")


def check_local_seal(evidence_dir: Path, report: VerifyReport) -> None:
    """Where this machine holds the key that sealed the evidence, the seal must hold; elsewhere
    it cannot be checked and says so."""
    from aima_ci.evidence.seal import SEAL, check_seal

    problem = check_seal(evidence_dir, None)
    if problem is None:
        report.checked.append("sealed by this machine's aima-ci (seal.json)")
    elif problem.startswith("the seal does not match"):
        report.problems.append(f"{SEAL}: {problem}")
    else:
        report.notes.append(f"local seal: {problem}")


def render(report: VerifyReport, directory: Path) -> str:
    lines = []
    if report.ok and report.signed:
        lines.append(f"verify: {directory} is intact and signed")
        lines.extend(f"  ok: {c}" for c in report.checked)
    elif report.ok:
        lines.append(
            f"verify: {directory} is consistent, NOT signature-checked: this proves consistency"
            " only (its files agree with each other and with their manifest), not who wrote"
            " them (anyone can re-hash edited files); give --public-key to check a signature"
        )
        lines.extend(f"  ok: {c}" for c in report.checked)
    else:
        lines.append(f"verify: {directory} FAILED: {len(report.problems)} difference(s)")
        lines.extend(f"  - {p}" for p in report.problems[:MAX_LISTED])
        if len(report.problems) > MAX_LISTED:
            lines.append(f"  ... and {len(report.problems) - MAX_LISTED} more (--format json)")
    lines.extend(f"  note: {n}" for n in report.notes)
    return "\n".join(lines) + "\n"


def _outcomes(findings: Any, recorded: Any, waivers: Any) -> dict[str, Any] | None:
    """Re-derive the findings verdict under the recorded ``fail_on`` (none recorded: none)."""
    if not isinstance(recorded, Mapping):
        return None
    from aima_ci.assess.outcome import DEFAULT_FAIL_ON, evaluate_outcomes

    try:
        return evaluate_outcomes(findings, str(recorded.get("fail_on", DEFAULT_FAIL_ON)), waivers)
    except ValueError:
        return {"fail_on": recorded.get("fail_on"), "passed": False, "failing": []}
