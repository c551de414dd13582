"""The ``provenance`` collector: is the data we train on the data someone reviewed and signed off?

Three checks, each mapped only to the AIMA questions whose wording it evidences:
- ``provenance.integrity``: every file in the signed-off manifest is present and unchanged, and no
  unlisted file sits in its folders: a systematic data integrity control (DAT-QI-B1, DAT-QI-B2).
- ``provenance.signoff``: a named person signed the manifest off recently, and every file records
  its source and licence: a regular compliance review of the datasets (DAT-DT-B2).
- ``provenance.dvc``: DVC-tracked files match the md5 hashes DVC recorded (DAT-QI-B2).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from aima_ci.models import Check, Finding
from aima_ci.plugin import (
    Collector,
    CollectorConfigError,
    CollectorContext,
    Starter,
    load_checks,
)
from aima_ci.trust.provenance import DEFAULT_MANIFEST

from . import judge
from .measure import read_dvc, read_manifest

if TYPE_CHECKING:
    from aima_ci.models import RepoFacts


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
            reading = read_manifest(ctx, ctx.config.get("manifest", DEFAULT_MANIFEST))
            if reading.report is not None:
                record["manifest"] = {"file": reading.display, **reading.report.__dict__}
            max_age = ctx.config.get("signoff_max_age_days", 365)
            yield from judge.manifest(
                ctx, reading, enabled, max_age, ctx.config.get("require_sources", True)
            )
        if "provenance.dvc" in enabled:
            found = read_dvc(ctx, ctx.config.get("dvc_root", "."))
            if found.sources:
                record["dvc"] = found.report.__dict__
            yield judge.dvc(ctx, found, required=ctx.config.get("dvc") is True)
        out = ctx.artefact("provenance.json")
        out.write_text(json.dumps(record, indent=2), encoding="utf-8")
