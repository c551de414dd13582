"""Turn provenance readings into findings: files intact, a real and recent sign-off, DVC matching.

What counts lives here: a missing, changed or unlisted file fails integrity; a sign-off by a
placeholder name, with no date, a future date or one older than the limit fails; a manifest
that cannot be verified safely vouches for nothing, so its sign-off is an error too.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Iterator

from aima_ci.models import Finding, Status, Subject
from aima_ci.plugin import CollectorContext
from aima_ci.trust.provenance import DATE_RE, Manifest

from .measure import DvcReading, ManifestReading

PLACEHOLDER = re.compile(r"^(|todo|tbd|fixme|xxx|n/?a|-+|<[^>]*>|name\s*<email>)$", re.IGNORECASE)
MAX_LISTED = 20


def _short(items: list[str]) -> str:
    head = ", ".join(items[:MAX_LISTED])
    return head + (f" (+{len(items) - MAX_LISTED} more)" if len(items) > MAX_LISTED else "")


def today() -> dt.date:
    override = os.environ.get("AIMA_CI_TODAY")  # same override as the CLI, for reproducible runs
    return dt.date.fromisoformat(override) if override else dt.datetime.now(dt.UTC).date()


def manifest(
    ctx: CollectorContext,
    reading: ManifestReading,
    enabled: set[str],
    max_age: int | None,
    require_sources: bool,
) -> Iterator[Finding]:
    """``provenance.integrity`` and, when enabled, ``provenance.signoff``."""
    checks = [c for c in ("provenance.integrity", "provenance.signoff") if c in enabled]
    if not reading.exists:
        for check in checks:
            yield ctx.finding(
                check,
                Status.FAIL,
                message=f"no data manifest at {reading.display}: create one with"
                f" 'aima-ci provenance write --out {reading.value} <dataset folders>'",
            )
        return
    if reading.problem:
        for check in checks:
            yield ctx.finding(check, Status.ERROR, message=f"malformed manifest: {reading.problem}")
        return
    assert reading.manifest is not None and reading.report is not None
    report, display, subject = reading.report, reading.display, reading.subject
    subjects = [subject] if subject is not None else []
    details = {
        "manifest": display,
        "files": len(reading.manifest.entries),
        "missing": report.missing,
        "changed": report.changed,
        "extra": report.extra,
        "errors": report.errors,
    }
    if report.errors:
        yield ctx.finding(
            "provenance.integrity",
            Status.ERROR,
            message="manifest cannot be verified safely: " + _short(report.errors),
            subjects=subjects,
            details=details,
        )
    elif report.problems:
        parts = [
            f"{label}: {_short(items)}"
            for label, items in (
                ("missing", report.missing),
                ("changed", report.changed),
                ("not in the manifest", report.extra),
            )
            if items
        ]
        yield ctx.finding(
            "provenance.integrity",
            Status.FAIL,
            value=report.problems,
            message=f"{display}: " + "; ".join(parts),
            subjects=subjects,
            details=details,
        )
    else:
        yield ctx.finding(
            "provenance.integrity",
            Status.PASS,
            value=len(report.verified),
            message=f"{display}: all {len(report.verified)} file(s) match their SHA-256",
            subjects=subjects,
            details=details,
        )
    if "provenance.signoff" in enabled and report.errors:
        yield ctx.finding(
            "provenance.signoff",
            Status.ERROR,
            message="a sign-off of an unsafe manifest vouches for nothing: "
            + _short(report.errors),
            subjects=subjects,
        )
    elif "provenance.signoff" in enabled:
        yield signoff(ctx, reading.manifest, subjects, max_age, require_sources)


def signoff(
    ctx: CollectorContext,
    manifest: Manifest,
    subjects: list[Subject],
    max_age: int | None,
    require_sources: bool,
) -> Finding:
    """A named person, a valid date within ``max_age`` days, and every file's source/licence."""
    problems: list[str] = []
    who, when = manifest.signed_off_by, manifest.date
    if PLACEHOLDER.match(who):
        problems.append("signed_off_by is empty")
    date = None
    if PLACEHOLDER.match(when):
        problems.append("date is empty")
    elif not DATE_RE.match(when):
        problems.append(f"date {when!r} is not YYYY-MM-DD")
    else:
        try:
            date = dt.date.fromisoformat(when)
        except ValueError:
            problems.append(f"date {when!r} is not a valid date")
    now = today()
    if date is not None:
        if date > now:
            problems.append(f"date {when} is in the future")
        elif max_age and (now - date).days > max_age:
            problems.append(f"sign-off of {when} is {(now - date).days} days old (limit {max_age})")
    if require_sources:
        no_source = [e.path for e in manifest.entries if PLACEHOLDER.match(e.source)]
        no_licence = [e.path for e in manifest.entries if PLACEHOLDER.match(e.licence)]
        if no_source:
            problems.append(f"no source recorded for {_short(no_source)}")
        if no_licence:
            problems.append(f"no licence recorded for {_short(no_licence)}")
    details = {"signed_off_by": who, "date": when, "max_age_days": max_age}
    if problems:
        return ctx.finding(
            "provenance.signoff",
            Status.FAIL,
            message=f"{manifest.display}: " + "; ".join(problems),
            subjects=subjects,
            details={**details, "problems": problems},
        )
    return ctx.finding(
        "provenance.signoff",
        Status.PASS,
        message=f"{manifest.display}: signed off by {who} on {when}",
        subjects=subjects,
        details=details,
    )


def dvc(ctx: CollectorContext, found: DvcReading, *, required: bool) -> Finding:
    """``provenance.dvc``: no DVC files is not_applicable, or a failure when DVC is required."""
    if not found.sources:
        return ctx.finding(
            "provenance.dvc",
            Status.FAIL if required else Status.NOT_APPLICABLE,
            message=f"no .dvc or dvc.lock files under {found.start or '.'}",
        )
    report = found.report
    details = dict(report.__dict__)
    if report.errors:
        status, message = (
            Status.ERROR,
            "DVC records cannot be verified: " + _short(report.errors),
        )
    elif report.missing or report.changed:
        status = Status.FAIL
        message = "; ".join(
            f"{label}: {_short(items)}"
            for label, items in (("missing", report.missing), ("changed", report.changed))
            if items
        )
    elif report.unverifiable:
        status, message = Status.INCONCLUSIVE, "not verifiable: " + _short(report.unverifiable)
    else:
        status = Status.PASS
        message = (
            f"{len(report.verified)} DVC-recorded path(s) match their md5"
            f" ({len(found.sources)} DVC file(s))"
        )
    return ctx.finding(
        "provenance.dvc", status, value=len(report.verified), message=message, details=details
    )
