"""The ``threat_model`` collector: a threat model exists, keeps up with the model, covers LLM risks.

- ``threat_model.present`` (DES-TA-A1, DES-TA-A2): threats are identified and documented.
- ``threat_model.current`` (DES-TA-A3): it changed no earlier than the watched model/prompt
  files, i.e. threat assessment follows the lifecycle instead of being a one-off.
- ``threat_model.llm_risks`` (DES-TA-A3): it names the OWASP LLM Top 10 (2025) risks required.
- ``threat_model.mitigations`` (DES-TA-B2): every identified threat (at or above a severity, for
  pytm) has a documented mitigation or response.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from aima_ci.models import Finding, Status
from aima_ci.plugin import Collector, CollectorContext, Starter, load_checks

from . import judge, measure
from .settings import SPEC, ThreatModelSettings

if TYPE_CHECKING:
    from aima_ci.models import RepoFacts


class ThreatModelCollector(Collector):
    name = "threat_model"
    version = "0.1.0"
    description = "Checks a threat model (pytm, YAML or Markdown): present, current, LLM risks"
    tool = "pytm"
    extra = "threatmodel"
    light = True
    cacheable = False  # freshness depends on git history, which no input file hash captures
    default_timeout = 300.0
    checks = load_checks(__file__)
    spec = SPEC

    # -- config ------------------------------------------------------------------------------
    def starter(self, facts: RepoFacts) -> Starter | None:
        if not facts.threat_models:
            return None
        config: dict[str, Any] = {"path": facts.threat_models[0]}
        if facts.models:
            config["watch"] = facts.models[:2]
        return Starter(
            config,
            "Threat model present, complete and reviewed after changes.",
            notes={"watch": "files whose change requires a review"} if facts.models else {},
        )

    # -- collect -----------------------------------------------------------------------------
    def collect(self, ctx: CollectorContext) -> Iterator[Finding]:
        settings: ThreatModelSettings = ctx.settings
        reading = measure.read_model(ctx, settings.path, settings.kind, settings.pytm_timeout)
        if not reading.exists:
            for check in self.checks:
                yield ctx.finding(
                    check.id, Status.FAIL, message=f"no threat model at {reading.display}"
                )
            return
        if reading.model is None:
            for check in self.checks:
                yield ctx.finding(
                    check.id,
                    Status.ERROR,
                    message=f"threat model unusable: {reading.problem}",
                    subjects=reading.subjects,
                )
            return
        model, subjects = reading.model, reading.subjects
        summary: dict[str, Any] = {"path": reading.display, "kind": model.kind}
        yield judge.present(ctx, model, subjects)
        fresh = measure.read_freshness(ctx, reading.path, list(settings.watch))
        if (record := fresh.record()) is not None:
            summary["freshness"] = record
        yield judge.current(ctx, fresh, subjects)
        names = measure.risk_names(model)
        summary["llm_risks"] = {
            "named": sorted(names.named),
            "from_pytm_findings": sorted(names.from_pytm),
        }
        yield judge.llm_risks(ctx, model, names, settings.required_llm_risks, subjects)
        finding, open_threats = judge.mitigations(
            ctx, model, settings.fail_on_severity, settings.severity_floor, subjects
        )
        if open_threats is not None:
            summary["open_threats"] = open_threats
        yield finding
        out = ctx.artefact("threat-model.json")
        out.write_text(json.dumps(summary, indent=2, default=str), encoding="utf-8")
