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
from aima_ci.plugin import Collector, CollectorContext, Starter, load_checks
from aima_ci.trust.provenance import DEFAULT_MANIFEST

from . import judge
from .measure import read_dvc, read_manifest
from .settings import SPEC, ProvenanceSettings, parse

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
    spec = SPEC

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

    def parse_settings(self, config: Mapping[str, Any]) -> ProvenanceSettings:
        return parse(config)

    def enabled_checks(self, config: Mapping[str, Any]) -> tuple[Check, ...]:
        wanted = self.parse_settings(config).enabled
        return tuple(c for c in self.checks if c.id in wanted)

    # -- collect -----------------------------------------------------------------------------
    def collect(self, ctx: CollectorContext) -> Iterator[Finding]:
        settings: ProvenanceSettings = ctx.settings
        enabled = set(settings.enabled)
        record: dict[str, Any] = {}
        if settings.manifest is not None:
            reading = read_manifest(ctx, settings.manifest)
            if reading.report is not None:
                record["manifest"] = {"file": reading.display, **reading.report.__dict__}
            yield from judge.manifest(
                ctx,
                reading,
                enabled,
                settings.signoff_max_age_days,
                settings.require_sources,
            )
        if "provenance.dvc" in enabled:
            found = read_dvc(ctx, settings.dvc_root)
            if found.sources:
                record["dvc"] = found.report.__dict__
            yield judge.dvc(ctx, found, required=settings.dvc is True)
        out = ctx.artefact("provenance.json")
        out.write_text(json.dumps(record, indent=2), encoding="utf-8")
