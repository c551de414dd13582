"""The ``provenance`` collector: is the data we train on the data someone reviewed and signed off?

Three checks, each mapped only to the AIMA questions whose wording it evidences:
- ``provenance.integrity``: every file in the signed-off manifest is present and unchanged, and no
  unlisted file sits in its folders: a systematic data integrity control (DAT-QI-B1, DAT-QI-B2).
- ``provenance.signoff``: a named person signed the manifest off recently, and every file records
  its source and licence: a regular compliance review of the datasets (DAT-DT-B2).
- ``provenance.dvc``: DVC-tracked files match the md5 hashes DVC recorded (DAT-QI-B2).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aima_ci.models import Check, Finding, Status
from aima_ci.plugin import (
    Collector,
    CollectorConfigError,
    CollectorContext,
    InputError,
    Starter,
    load_checks,
)
from aima_ci.safety.safeio import FileProblem
from aima_ci.trust.provenance import DATE_RE, DEFAULT_MANIFEST, parse_manifest

from . import dvc
from .manifest_check import verify_manifest

if TYPE_CHECKING:
    from aima_ci.models import RepoFacts

PLACEHOLDER = re.compile(r"^(|todo|tbd|fixme|xxx|n/?a|-+|<[^>]*>|name\s*<email>)$", re.IGNORECASE)
MAX_LISTED = 20


def _short(items: list[str]) -> str:
    head = ", ".join(items[:MAX_LISTED])
    return head + (f" (+{len(items) - MAX_LISTED} more)" if len(items) > MAX_LISTED else "")


def today() -> dt.date:
    override = os.environ.get("AIMA_CI_TODAY")  # same override as the CLI, for reproducible runs
    return dt.date.fromisoformat(override) if override else dt.datetime.now(dt.UTC).date()


class ProvenanceCollector(Collector):
    name = "provenance"
    version = "0.1.0"
    description = "Verifies a signed-off data manifest (SHA-256) and DVC-recorded md5 hashes"
    light = True
    # The dataset files it hashes are named in the manifest, not the config, and the sign-off's
    # age depends on today: no cached result can stand in for a fresh run.
    cacheable = False
    default_timeout = 300.0
    checks = load_checks(__file__)

    # -- config ------------------------------------------------------------------------------
    def starter(self, facts: RepoFacts) -> Starter | None:
        """DVC's recorded hashes when dvc.lock/*.dvc exist; a manifest found; else a suggestion."""
        if facts.dvc_files:
            config: dict[str, Any] = {"dvc": True}
            config["manifest"] = facts.manifests[0] if facts.manifests else False
            return Starter(
                config,
                "Data provenance: DVC-tracked data matches the hashes in "
                + ", ".join(facts.dvc_files[:2])
                + ".",
                notes={"manifest": "a signed-off manifest: aima-ci provenance write"}
                if not facts.manifests
                else {},
            )
        if facts.manifests:
            return Starter(
                {"manifest": facts.manifests[0]}, "Signed-off data manifest (SHA-256 per file)."
            )
        if not facts.datasets:
            return None
        return Starter(
            {"manifest": DEFAULT_MANIFEST},
            "Signed-off data manifest (SHA-256 per file): write it, then uncomment.",
            enabled=False,
            next_steps=(
                "data provenance: aima-ci provenance write " + " ".join(facts.datasets[:3]),
            ),
        )

    def validate_config(self, config: Mapping[str, Any]) -> None:
        key = f"collectors.{self.name}"
        manifest = config.get("manifest", DEFAULT_MANIFEST)
        if manifest not in (None, False) and (not isinstance(manifest, str) or not manifest):
            raise CollectorConfigError(f"{key}.manifest", "must be a path, or false to skip it")
        if config.get("dvc", "auto") not in ("auto", True, False):
            raise CollectorConfigError(f"{key}.dvc", "must be true, false or auto")
        for flag in ("require_signoff", "require_sources"):
            if not isinstance(config.get(flag, True), bool):
                raise CollectorConfigError(f"{key}.{flag}", "must be true or false")
        age = config.get("signoff_max_age_days", 365)
        if age is not None and (isinstance(age, bool) or not isinstance(age, int) or age < 1):
            raise CollectorConfigError(
                f"{key}.signoff_max_age_days",
                "must be a whole number of days >= 1, or null",
            )
        dvc_root = config.get("dvc_root", ".")
        if not isinstance(dvc_root, str) or not dvc_root:
            raise CollectorConfigError(f"{key}.dvc_root", "must be a folder path")

    def enabled_checks(self, config: Mapping[str, Any]) -> tuple[Check, ...]:
        has_manifest = config.get("manifest", DEFAULT_MANIFEST) not in (None, False)
        wanted = {
            "provenance.integrity": has_manifest,
            "provenance.signoff": has_manifest and config.get("require_signoff", True),
            "provenance.dvc": config.get("dvc", "auto") is not False,
        }
        return tuple(c for c in self.checks if wanted[c.id])

    # -- collect -----------------------------------------------------------------------------
    def collect(self, ctx: CollectorContext) -> Iterator[Finding]:
        enabled = {c.id for c in self.enabled_checks(ctx.config)}
        record: dict[str, Any] = {}
        if "provenance.integrity" in enabled:
            yield from self._manifest(ctx, enabled, record)
        if "provenance.dvc" in enabled:
            yield from self._dvc(ctx, record)
        out = ctx.artefact("provenance.json")
        out.write_text(json.dumps(record, indent=2), encoding="utf-8")

    def _manifest(
        self, ctx: CollectorContext, enabled: set[str], record: dict[str, Any]
    ) -> Iterator[Finding]:
        value = ctx.config.get("manifest", DEFAULT_MANIFEST)
        path = ctx.path(value, "manifest", must_exist=False)
        display = path.relative_to(ctx.root.resolve()).as_posix()
        checks = [c for c in ("provenance.integrity", "provenance.signoff") if c in enabled]
        if not path.exists():
            for check in checks:
                yield ctx.finding(
                    check,
                    Status.FAIL,
                    message=f"no data manifest at {display}: create one with"
                    f" 'aima-ci provenance write --out {value} <dataset folders>'",
                )
            return
        if path.is_dir():
            raise InputError(f"collectors.provenance.manifest: {display} is a folder, not a file")
        try:
            manifest = parse_manifest(path, display)
        except FileProblem as exc:
            for check in checks:
                yield ctx.finding(check, Status.ERROR, message=f"malformed manifest: {exc}")
            return
        subject = ctx.subject("data-manifest", path)
        ctx.progress(f"hashing {len(manifest.entries)} dataset file(s)", 0.1)
        report = verify_manifest(manifest, ctx.digest)
        record["manifest"] = {"file": display, **report.__dict__}
        details = {
            "manifest": display,
            "files": len(manifest.entries),
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
                subjects=[subject],
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
                subjects=[subject],
                details=details,
            )
        else:
            yield ctx.finding(
                "provenance.integrity",
                Status.PASS,
                value=len(report.verified),
                message=f"{display}: all {len(report.verified)} file(s) match their SHA-256",
                subjects=[subject],
                details=details,
            )
        if "provenance.signoff" in enabled and report.errors:
            yield ctx.finding(
                "provenance.signoff",
                Status.ERROR,
                message="a sign-off of an unsafe manifest vouches for nothing: "
                + _short(report.errors),
                subjects=[subject],
            )
        elif "provenance.signoff" in enabled:
            yield self._signoff(ctx, manifest, subject)

    def _signoff(self, ctx: CollectorContext, manifest: Any, subject: Any) -> Finding:
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
        max_age = ctx.config.get("signoff_max_age_days", 365)
        now = today()
        if date is not None:
            if date > now:
                problems.append(f"date {when} is in the future")
            elif max_age and (now - date).days > max_age:
                problems.append(
                    f"sign-off of {when} is {(now - date).days} days old (limit {max_age})"
                )
        if ctx.config.get("require_sources", True):
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
                subjects=[subject],
                details={**details, "problems": problems},
            )
        return ctx.finding(
            "provenance.signoff",
            Status.PASS,
            message=f"{manifest.display}: signed off by {who} on {when}",
            subjects=[subject],
            details=details,
        )

    def _dvc(self, ctx: CollectorContext, record: dict[str, Any]) -> Iterator[Finding]:
        root = Path(os.path.realpath(ctx.root))
        start = ctx.path(ctx.config.get("dvc_root", "."), "dvc_root")
        sources = list(dvc.iter_sources(start, root))
        if not sources:
            status = Status.FAIL if ctx.config.get("dvc") is True else Status.NOT_APPLICABLE
            yield ctx.finding(
                "provenance.dvc",
                status,
                message=f"no .dvc or dvc.lock files under {start.relative_to(root).as_posix() or '.'}",
            )
            return
        report = dvc.DvcReport()
        for path, display in sources:
            report.sources.append(display)
            try:
                entries = dvc.parse(path, display)
            except FileProblem as exc:
                report.errors.append(str(exc))
                continue
            dvc.verify(entries, path, root, report)
        record["dvc"] = report.__dict__
        details = {k: v for k, v in report.__dict__.items()}
        if report.errors:
            status, message = (
                Status.ERROR,
                "DVC records cannot be verified: " + _short(report.errors),
            )
        elif report.missing or report.changed:
            status = Status.FAIL
            message = "; ".join(
                f"{label}: {_short(items)}"
                for label, items in (
                    ("missing", report.missing),
                    ("changed", report.changed),
                )
                if items
            )
        elif report.unverifiable:
            status, message = (
                Status.INCONCLUSIVE,
                "not verifiable: " + _short(report.unverifiable),
            )
        else:
            status = Status.PASS
            message = (
                f"{len(report.verified)} DVC-recorded path(s) match their md5"
                f" ({len(sources)} DVC file(s))"
            )
        yield ctx.finding(
            "provenance.dvc",
            status,
            value=len(report.verified),
            message=message,
            details=details,
        )
