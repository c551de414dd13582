"""Gate-time re-derivation: the gate decides only on evidence that still holds now.

A stored verdict goes stale without any file in the evidence directory changing: a waiver or an
attestation expires, the config loses a waiver or raises a target, the model or data the findings
were about is replaced, a time-to-live runs out. And a PR author can commit an evidence directory
whose every hash they computed themselves. So before the gate reads a level it checks, now:

1. no step was left unfinished (``.run-in-progress``) and this machine's seal covers the
   manifest (seal.py), so the evidence was written by aima-ci here, not found in the checkout;
2. the files it reads (summary.json, run.json, findings.jsonl) are the ones the manifest lists;
3. the inputs the summary was scored from (``inputs``: the config's and attestation files'
   SHA-256, the date, aima-ci's version, each subject file's digest, the moment the first
   time-to-live runs out) are still today's; when any differs, the findings are re-scored in
   memory with the current config, attestations, waivers, date and repository files, and the
   gate decides on that instead;
4. every repository file and folder listing the collectors read (``run.json``) is unchanged, so
   a verdict about other data or a tree without today's new pickle never passes.

The fast path (nothing changed) costs a few hashes, so ``aima-ci gate`` stays cheap; the slow
path costs a scoring, and only when the stored verdict would otherwise be trusted blindly.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aima_ci.errors import EvidenceError
from aima_ci.evidence.directory import (
    ASSESSMENT,
    FINDINGS,
    MANIFEST,
    RUN,
    SUMMARY,
    check_complete,
    read_json,
)

if TYPE_CHECKING:
    from aima_ci.config import Config
    from aima_ci.models import Finding

INPUTS_VERSION = 1


# --------------------------------------------------------------------------- at scoring time
def file_sha256(path: Path) -> str | None:
    try:
        with open(path, "rb") as fh:
            return hashlib.file_digest(fh, "sha256").hexdigest()
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        return None


def _rel(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return str(path)


def policy_digests(config: Config) -> dict[str, Any]:
    """The SHA-256 of the config file and of each attestation file, as the gate sees them now."""
    return {
        "config": file_sha256(config.path) if config.path else None,
        "attestation_files": {
            _rel(p, config.root): file_sha256(p) for p in config.attestation_files
        },
    }


def valid_until(findings: Sequence[Finding], ttl_for: Any) -> str | None:
    """The moment the first counted finding outlives its time-to-live (None: none has one)."""
    from aima_ci.evidence.freshness import EXEMPT, format_time, parse_time

    earliest: dt.datetime | None = None
    for finding in findings:
        if finding.status in EXEMPT:
            continue
        ttl = ttl_for(finding)
        stamp = parse_time(finding.finished_at) or parse_time(finding.started_at)
        if ttl is None or stamp is None:
            continue
        try:
            ends = stamp + dt.timedelta(days=ttl)
        except OverflowError:
            continue
        if earliest is None or ends < earliest:
            earliest = ends
    return format_time(earliest) if earliest is not None else None


def scoring_inputs(
    config: Config,
    evidence_dir: Path,
    findings: Sequence[Finding],
    freshness: Mapping[str, Any],
    today: dt.date,
    ttl_for: Any,
    digest_of: Any = None,
) -> dict[str, Any]:
    """What assessment.json and summary.json were derived from, for the gate to check now.
    ``digest_of``: the digests this command already took of the evidence files (one hash each)."""
    from aima_ci import __version__

    def digest(name: str) -> str | None:
        path = evidence_dir / name
        if digest_of is not None and path.is_file():
            return str(digest_of(name))
        return file_sha256(path)

    return {
        "version": INPUTS_VERSION,
        "aima_ci_version": __version__,
        "date": today.isoformat(),
        **policy_digests(config),
        "findings_sha256": digest(FINDINGS),
        "run_sha256": digest(RUN),
        "subjects": dict(freshness.get("subjects") or {}),
        "valid_until": valid_until(findings, ttl_for),
    }


# --------------------------------------------------------------------------- at gate time
def _listed(out: Path, read: Sequence[str], vouched: Sequence[str]) -> dict[str, str]:
    """The manifest's SHA-256 of each named file. Files the gate ``read`` are hashed and must
    match; files it only needs ``vouched`` for (findings.jsonl on the fast path: the sealed
    manifest names the digest the summary was scored from) must be listed. A re-scoring
    reads them, and load_inputs checks them against the manifest then."""
    manifest = read_json(out / MANIFEST)
    files = manifest.get("files") if isinstance(manifest, Mapping) else None
    if not isinstance(files, list):
        raise EvidenceError(f"{out / MANIFEST}: malformed (no 'files' list)")
    listed = {e.get("path"): e.get("sha256") for e in files if isinstance(e, Mapping)}
    digests: dict[str, str] = {}
    for name in (*read, *vouched):
        recorded = listed.get(name)
        if not isinstance(recorded, str):
            raise EvidenceError(f"{out / MANIFEST}: does not list {name}; run 'aima-ci run' again")
        if name in read and file_sha256(out / name) != recorded:
            raise EvidenceError(
                f"{out / name}: does not match manifest.json (changed or damaged after aima-ci"
                f" wrote it); run 'aima-ci verify {out}' to see what differs, or collect again"
            )
        digests[name] = recorded
    return digests


def trusted_evidence(out: Path, config: Config) -> None:
    """Refuse (EvidenceError, exit 2) evidence the gate cannot attribute to aima-ci on this
    machine: an unfinished step, no manifest, or no valid seal."""
    from aima_ci.evidence.seal import check_seal

    check_complete(out)
    if not (out / MANIFEST).is_file():
        raise EvidenceError(
            f"{out}: no {MANIFEST}, so nothing in it can be trusted; a pass must come from a"
            " fresh 'aima-ci run' (or collect and score)"
        )
    problem = check_seal(out, config.root)
    if problem:
        raise EvidenceError(
            f"{out}: refusing to gate: {problem}. Evidence found in the checkout proves nothing;"
            " a pass in CI must come from a fresh 'aima-ci run' (see docs/guarantees.md)"
        )


def why_stale(
    inputs: Any, config: Config, today: dt.date, now: dt.datetime, digests: Mapping[str, str]
) -> list[str]:
    """Why the summary's inputs are not today's (empty: the stored levels still hold)."""
    from aima_ci import __version__

    if not isinstance(inputs, Mapping) or inputs.get("version") != INPUTS_VERSION:
        return ["the summary records no scoring inputs (an older aima-ci, or written by hand)"]
    reasons: list[str] = []
    if inputs.get("aima_ci_version") != __version__:
        reasons.append(f"it was scored by aima-ci {inputs.get('aima_ci_version')}")
    if inputs.get("date") != today.isoformat():
        reasons.append(
            f"it was scored on {inputs.get('date')}, today is {today.isoformat()} (waivers,"
            " attestations and dated targets are re-applied)"
        )
    for name in (FINDINGS, RUN):
        key = "findings_sha256" if name == FINDINGS else "run_sha256"
        if inputs.get(key) != digests.get(name):
            reasons.append(f"{name} is not the one it was scored from")
    current = policy_digests(config)
    if inputs.get("config") != current["config"]:
        reasons.append("the config changed since scoring")
    if inputs.get("attestation_files") != current["attestation_files"]:
        reasons.append("the attestation files changed since scoring")
    until = inputs.get("valid_until")
    if until is not None:
        ends = _utc(until)
        if ends is None or ends <= now:
            reasons.append(f"a finding's time-to-live ran out ({until})")
    subjects = inputs.get("subjects")
    if not isinstance(subjects, Mapping):
        reasons.append("the subject digests are missing")
    else:
        for rel, recorded in sorted(subjects.items()):
            if _bare(_repo_digest(config.root, rel)) != _bare(recorded):
                reasons.append(f"{rel} changed since scoring")
                break
    return reasons


# Small stand-ins for freshness.py's helpers: importing it (and the data model behind it)
# would cost the gate's fast path more than all its checks together.
def _utc(value: Any) -> dt.datetime | None:
    if not isinstance(value, str):
        return None
    try:
        when = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return when if when.tzinfo else when.replace(tzinfo=dt.UTC)


def _bare(digest: Any) -> str | None:
    if not isinstance(digest, str):
        return None
    algo, sep, value = digest.partition(":")
    if not sep:
        return digest.lower()
    return value.lower() if algo.lower() == "sha256" else digest


def _repo_digest(root: Path, rel: Any) -> str | None:
    """The current SHA-256 of a repository file (None: gone, outside the root, not a file)."""
    from aima_ci.safety.paths import PathError, resolve_inside

    if not isinstance(rel, str):
        return None
    try:
        path = resolve_inside(root, rel, root, must_exist=True)
    except PathError:
        return None
    return file_sha256(path)


def _now(today: dt.date) -> dt.datetime:
    """freshness.clock_for: now, or noon UTC of an explicitly chosen other day."""
    current = dt.datetime.now(dt.UTC).replace(microsecond=0)
    if today == current.date():
        return current
    return dt.datetime.combine(today, dt.time(12, 0), dt.UTC)


def gate_view(
    config: Config,
    out: Path,
    *,
    today: dt.date,
    level_override: int | None,
    fail_on_error: bool,
) -> tuple[dict[str, Any], dict[str, Any], list[str]]:
    """(levels to gate on, run.json, notes): the stored summary when it still holds now, else a
    re-scoring of the findings with today's config, attestations, waivers, date and files."""
    trusted_evidence(out, config)
    source = SUMMARY if (out / SUMMARY).is_file() else ASSESSMENT
    digests = _listed(out, (source, RUN), (FINDINGS,))
    summary = read_json(out / source)
    run = read_json(out / RUN)
    for name, doc in ((source, summary), (RUN, run)):
        if not isinstance(doc, dict):
            raise EvidenceError(f"{out / name}: not a JSON object")
    now = _now(today)
    notes: list[str] = []
    reasons = why_stale(summary.get("inputs"), config, today, now, digests)
    if reasons:
        from aima_ci.assess.assessment import score_assessment
        from aima_ci.assess.gate import summarise

        notes.append("re-scored now, because " + "; ".join(reasons))
        fresh = score_assessment(
            config, out, today=today, level_override=level_override, fail_on_error=fail_on_error
        )
        summary = summarise(fresh)
    changed = changed_inputs(run, config.root)
    if changed:
        raise_changed(out, changed)
    return summary, run, notes


# --------------------------------------------------------------------------- collector inputs
def changed_inputs(run: Mapping[str, Any], root: Path) -> list[str]:
    """The repository files and folder listings a collector read that differ now (run.json)."""
    changed: list[str] = []
    for entry in run.get("collectors") or []:
        if not isinstance(entry, Mapping) or entry.get("status") not in ("ok", "reused"):
            continue
        record = entry.get("reads")
        if record is None:
            continue
        from aima_ci.evidence.readlog import ReadLog

        log = ReadLog.from_dict(record) if isinstance(record, Mapping) else None
        if log is None:
            changed.append(f"{entry.get('name')}: its record of the files it read is malformed")
            continue
        diff = log.first_difference(root)
        if diff:
            changed.append(f"{entry.get('name')}: {diff}")
    return changed


def raise_changed(out: Path, changed: Sequence[str]) -> None:
    raise EvidenceError(
        f"{out}: the evidence was collected from other files than the checkout holds now"
        f" ({'; '.join(changed[:3])}); run 'aima-ci run' again"
    )
