"""Freshness and binding: old evidence, or evidence about another model, earns no credit.

A scan of last month's model says nothing about today's. At scoring time every finding is
checked against its time-to-live and against the current digests of the files it was about
(``subjects`` with a ``path``); a finding that fails either counts as ``not_run`` with the reason,
and the original status is kept in ``details`` for the record. The decision is a pure function
of the findings, a clock reading and a digest lookup, so ``aima-ci verify`` can replay it from the
values recorded in assessment.json.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from aima_ci.models import Finding, Status, weight
from aima_ci.safety.hashing import sha256_file
from aima_ci.safety.paths import PathError, resolve_inside

# Findings that earn nothing already; marking them stale would only hide the real reason.
EXEMPT = frozenset({Status.ERROR, Status.NOT_RUN})
# A clock a little ahead on the collecting machine is tolerated; a timestamp further in the
# future than this is treated as stale rather than as "fresh for longer".
FUTURE_TOLERANCE = dt.timedelta(hours=1)

TtlFor = Callable[[Finding], float | None]
DigestOf = Callable[[str], str | None]


@dataclass(frozen=True)
class Stale:
    """One finding that no longer counts, and why."""

    check: str
    collector: str
    status: str  # what it reported before it went stale
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "check": self.check,
            "collector": self.collector,
            "status": self.status,
            "reason": self.reason,
        }


def parse_time(value: str | None) -> dt.datetime | None:
    """An ISO timestamp as stored in findings; naive values are taken as UTC."""
    if not value:
        return None
    try:
        when = dt.datetime.fromisoformat(value)
    except ValueError:
        return None
    return when if when.tzinfo else when.replace(tzinfo=dt.UTC)


def format_time(when: dt.datetime) -> str:
    return when.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def bare_digest(digest: str) -> tuple[str, str]:
    """Split ``sha256:<hex>`` into (algorithm, hex); a bare hex string is taken as SHA-256."""
    algo, sep, value = digest.partition(":")
    if not sep:
        return "sha256", digest.lower()
    return algo.lower(), value.lower()


def staleness(
    finding: Finding, now: dt.datetime, ttl_days: float | None, current_digest: DigestOf
) -> str | None:
    """Why ``finding`` no longer counts, or None when it is fresh and bound to today's files."""
    if finding.status in EXEMPT:
        return None
    if ttl_days is not None:
        stamp = parse_time(finding.finished_at) or parse_time(finding.started_at)
        if stamp is None:
            return f"has no timestamp, and its evidence is only valid for {ttl_days:g} day(s)"
        if stamp - now > FUTURE_TOLERANCE:
            return f"is dated in the future ({format_time(stamp)})"
        age = now - stamp
        # compared in days: a huge ttl_days (read from stored evidence) would overflow timedelta
        if age.total_seconds() / 86400 > ttl_days:
            return (
                f"is {age.total_seconds() / 86400:.1f} day(s) old, older than its"
                f" time-to-live of {ttl_days:g} day(s) (produced {format_time(stamp)})"
            )
    for subject in finding.subjects:
        if not subject.path or not subject.digest:
            continue
        algo, recorded = bare_digest(subject.digest)
        if algo != "sha256":
            return f"binds {subject.path} with a {algo} digest, which cannot be checked"
        current = current_digest(subject.path)
        if current is None:
            return f"was produced for {subject.path}, which is no longer in the repository"
        if bare_digest(current)[1] != recorded:
            return (
                f"was produced for {subject.path} sha256:{recorded[:12]}…, but the repository"
                f" now holds sha256:{bare_digest(current)[1][:12]}…"
            )
    return None


def apply_freshness(
    findings: Iterable[Finding], now: dt.datetime, ttl_for: TtlFor, current_digest: DigestOf
) -> tuple[list[Finding], list[Stale]]:
    """Turn stale or unbound findings into ``not_run`` (reason in the message and details)."""
    out: list[Finding] = []
    stale: list[Stale] = []
    for finding in findings:
        reason = staleness(finding, now, ttl_for(finding), current_digest)
        if reason is None:
            out.append(finding)
            continue
        stale.extend(
            [Stale(finding.check, finding.collector, str(finding.status), reason)] * weight(finding)
        )
        out.append(
            replace(
                finding,
                status=Status.NOT_RUN,
                message=f"stale: this evidence {reason} (it reported {finding.status}:"
                f" {finding.message})",
                details={**finding.details, "stale": reason, "stale_status": str(finding.status)},
                next_step="re-run the collector on the current model and data",
            )
        )
    return out, stale


def _positive(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
        return None
    return float(value)


def ttl_overrides(
    checks: Mapping[str, Mapping[str, Any]], collectors: Mapping[str, Mapping[str, Any]]
) -> dict[str, dict[str, float]]:
    """The TTLs set in config (``checks.<id>.ttl_days``, ``collectors.<name>.ttl_days``)."""
    return {
        "checks": {
            cid: ttl
            for cid, settings in checks.items()
            if isinstance(settings, Mapping) and (ttl := _positive(settings.get("ttl_days")))
        },
        "collectors": {
            name: ttl
            for name, settings in collectors.items()
            if isinstance(settings, Mapping) and (ttl := _positive(settings.get("ttl_days")))
        },
    }


def ttl_lookup(overrides: Mapping[str, Mapping[str, float]]) -> TtlFor:
    """A finding's TTL: config per check, else config per collector, else what the check declared.

    The declared value travels in the finding (``details.ttl_days``, stamped by the runner), so
    the gate never needs to import a collector to know it.
    """
    by_check = overrides.get("checks", {})
    by_collector = overrides.get("collectors", {})

    def ttl_for(finding: Finding) -> float | None:
        if finding.check in by_check:
            return by_check[finding.check]
        if finding.collector in by_collector:
            return by_collector[finding.collector]
        return _positive(finding.details.get("ttl_days"))

    return ttl_for


class RepoDigests:
    """Current SHA-256 of repository files by root-relative path, hashed once per path."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.seen: dict[str, str | None] = {}

    def __call__(self, rel: str) -> str | None:
        if rel not in self.seen:
            self.seen[rel] = self._hash(rel)
        return self.seen[rel]

    def _hash(self, rel: str) -> str | None:
        try:
            path = resolve_inside(self.root, rel, self.root, must_exist=True)
        except PathError:
            return None
        return "sha256:" + sha256_file(path) if path.is_file() else None


def recorded_digests(recorded: Mapping[str, str | None]) -> DigestOf:
    """Replay the digests seen at scoring time (for verify, which may not have the repository)."""
    return lambda rel: recorded.get(rel)


def now_utc() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


def evaluate_freshness(
    findings: Iterable[Finding],
    now: dt.datetime,
    overrides: Mapping[str, Mapping[str, float]],
    current_digest: DigestOf,
) -> tuple[list[Finding], dict[str, Any]]:
    """apply_freshness plus the record assessment.json keeps so that verify can replay it.

    The record holds every input of the decision that is not in findings.jsonl: the clock
    reading, the configured TTLs and the digest seen for each subject path.
    """
    seen: dict[str, str | None] = {}

    def remember(rel: str) -> str | None:
        if rel not in seen:
            seen[rel] = current_digest(rel)
        return seen[rel]

    fresh, stale = apply_freshness(findings, now, ttl_lookup(overrides), remember)
    record = {
        "evaluated_at": format_time(now),
        "ttl_overrides": {k: dict(v) for k, v in overrides.items()},
        "subjects": dict(sorted(seen.items())),
        "stale": [s.to_dict() for s in stale],
    }
    return fresh, record


def replay_freshness(
    findings: Iterable[Finding], record: Mapping[str, Any]
) -> tuple[list[Finding], dict[str, Any]]:
    """Re-run the freshness decision from its record (verify: the repository may be elsewhere)."""
    now = parse_time(record.get("evaluated_at"))
    if now is None:
        raise ValueError("freshness.evaluated_at is missing or not a timestamp")
    subjects = record.get("subjects") or {}
    return evaluate_freshness(
        findings, now, record.get("ttl_overrides") or {}, recorded_digests(subjects)
    )


def clock_for(today: dt.date | None) -> dt.datetime:
    """The scoring clock: now, or noon UTC of an explicitly chosen other day (reproducible runs)."""
    current = now_utc()
    if today is None or today == current.date():
        return current
    return dt.datetime.combine(today, dt.time(12, 0), dt.UTC)
