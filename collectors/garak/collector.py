"""The garak collector class: LLM vulnerability scans as AIMA evidence.

Two modes (``collectors.garak.mode``):
- ``run``: scan a live target with garak's CLI in a child process (run.py), then read the report
  it wrote into the evidence folder;
- ``report``: import ``*.report.jsonl`` files garak already wrote (no garak needed).

Either way the verdict comes only from the report (report.py): garak's exit code is 0 for unknown
probes and successful attacks alike. measure.py runs garak or resolves the reports to import and
reads them; judge.py turns them into findings: one check per probe family, judged on Wilson
bounds (verdict.py), mapped to AIMA questions and OWASP LLM Top 10 2025 IDs (mapping.py), plus
``garak.scan`` for whether the test itself ran completely. Config keys: settings.py and
docs/collectors/garak.md. Nothing heavy is imported at module level.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from aima_ci.models import Check, Finding
from aima_ci.plugin import Collector, CollectorContext, Preflight, Starter

from .mapping import SCAN_CHECK, check_id, declared_checks, family_of
from .settings import SPEC, Settings, parse_settings

if TYPE_CHECKING:
    from aima_ci.models import RepoFacts


class GarakCollector(Collector):
    name = "garak"
    spec = SPEC  # the keys, parsed once into ctx.settings; preflight checks its file paths
    # ``report`` (paths or globs, one string or a list) is not a FilePath of the spec: checked
    # here, globs left to measure.py, which confines every hit to the repository.
    input_paths: ClassVar[Mapping[str, str]] = {"report": "file"}
    version = "1.0.0"
    description = "garak LLM vulnerability scans (run a scan, or import its report.jsonl)"
    tool = "garak"
    extra = "garak"
    requires = ("garak",)  # run mode; garak may also be an executable on PATH (see below)
    report_requires = ()  # report mode reads report.jsonl with the standard library
    checks = declared_checks()
    default_timeout = 1800.0
    shard_key = "probes"
    cacheable = False  # run mode depends on a live endpoint

    def missing_requirements(self, config: Mapping[str, Any] | None = None) -> list[str]:
        """Run mode accepts garak from another environment too: an executable on PATH."""
        if not self.requirements(config):
            return []
        from .run import garak_command

        return [] if garak_command() else ["garak"]

    def starter(self, facts: RepoFacts) -> Starter | None:
        from .starter import starter

        return starter(facts)

    def preflight(self, config: Mapping[str, Any], check: Preflight) -> None:
        """Probe names the installed garak does not know are refused with a did-you-mean:
        garak itself exits 0 and scans nothing when one name is wrong."""
        super().preflight(config, check)
        from .probes import unknown

        for i, sel in enumerate(parse_settings(config).probes):
            why = unknown(sel.kind, sel.value)
            if why:
                raise check.fail(f"probes[{i}]", why)

    def enabled_checks(self, config: Mapping[str, Any]) -> tuple[Check, ...]:
        """garak.scan plus the families named in ``probes``/``expected_probes``.

        Families reached through a tag (owasp:llm01) are only known once garak resolved them;
        their findings are reported when they appear.
        """
        settings = parse_settings(config)
        probes, families = settings.expected()
        wanted = {SCAN_CHECK} | {check_id(family_of(p)) for p in probes}
        wanted |= {check_id(f) for f in families}
        return tuple(c for c in self.checks if c.id in wanted)

    def collect(self, ctx: CollectorContext) -> Iterator[Finding]:
        from .judge import findings
        from .measure import measure

        settings: Settings = ctx.settings
        reports, info = measure(ctx, settings, self.default_timeout)
        yield from findings(ctx, settings, reports, info)
