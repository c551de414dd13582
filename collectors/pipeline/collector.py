"""Pipeline integration: does CI really run aima-ci as a gate, and which practices does it cover?

AIMA's level-3 questions ask whether assessments are integrated into the build ("AI checks are
integrated into CI/CD pipelines", "DPIAs ... integrated into CI/CD with automated gates"). That is
answered from the repository's CI files: a blocking ``aima-ci run``/``gate`` step (or the action /
component), and the collectors its configuration enables. A practice counts as integrated when
one of those collectors declares checks for it, so third-party collectors count too.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from aima_ci.models import Check, Finding
from aima_ci.plugin import Collector, CollectorContext, Starter, load_checks

from . import judge, measure
from .integrations import INTEGRATIONS
from .settings import NAME, SPEC, PipelineSettings

if TYPE_CHECKING:
    from aima_ci.models import RepoFacts


class PipelineCollector(Collector):
    name = NAME
    version = "0.1.0"
    description = "Checks that CI (GitHub Actions, GitLab CI) runs aima-ci as a blocking gate, and which practices it covers"
    light = True
    default_timeout = 60.0
    checks = load_checks(__file__)
    spec = SPEC

    def starter(self, facts: RepoFacts) -> Starter | None:
        """On when a CI file exists; suggested (commented) otherwise."""
        found = bool(facts.ci_files)
        return Starter(
            {},
            "CI runs aima-ci as a blocking gate, and which practices it covers"
            + ("." if found else " (no CI file found yet)."),
            enabled=found,
        )

    def enabled_checks(self, config: Mapping[str, Any]) -> tuple[Check, ...]:
        wanted = self.parse_settings(config).enabled
        return tuple(c for c in self.checks if c.id in wanted)

    def collect(self, ctx: CollectorContext) -> Iterator[Finding]:
        settings: PipelineSettings = ctx.settings
        enabled = set(settings.enabled)
        ctx.progress("reading CI files", 0.1)
        reading = measure.read_ci(ctx.root, settings.github_workflows, settings.gitlab_ci)
        out = ctx.artefact("pipeline.json")
        out.write_text(json.dumps(reading.record(), indent=2), encoding="utf-8")
        if f"{NAME}.gate" in enabled:
            yield judge.gate(ctx, reading, out)
        ctx.progress("mapping collectors to practices", 0.6)
        practices = measure.collector_practices(reading.running)
        for integ in INTEGRATIONS:
            if f"{NAME}.{integ.short}" in enabled:
                yield judge.integration(ctx, integ, reading, practices, out)
        ctx.progress("done", 1.0)
