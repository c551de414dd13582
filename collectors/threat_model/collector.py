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
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from aima_ci.models import Finding, Status
from aima_ci.plugin import Collector, CollectorConfigError, CollectorContext, Starter, load_checks

from . import judge, measure, owasp_llm
from .judge import SEVERITY_RANK
from .readers import KINDS

if TYPE_CHECKING:
    from aima_ci.models import RepoFacts

DEFAULT_PATH = "THREAT_MODEL.md"


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

    def validate_config(self, config: Mapping[str, Any]) -> None:
        key = f"collectors.{self.name}"
        path = config.get("path", DEFAULT_PATH)
        if not isinstance(path, str) or not path:
            raise CollectorConfigError(f"{key}.path", "must be the threat model's path")
        if config.get("kind", "auto") not in KINDS:
            raise CollectorConfigError(f"{key}.kind", f"must be one of {', '.join(KINDS)}")
        watch = config.get("watch", [])
        if isinstance(watch, str):
            watch = [watch]
        if not isinstance(watch, list) or not all(isinstance(w, str) and w for w in watch):
            raise CollectorConfigError(f"{key}.watch", "must be a list of paths")
        if config.get("required_llm_risks") is not None:
            try:
                owasp_llm.normalise_required(config["required_llm_risks"])
            except ValueError as exc:
                raise CollectorConfigError(f"{key}.required_llm_risks", str(exc)) from None
        severity = str(config.get("fail_on_severity", "high")).lower()
        if severity not in SEVERITY_RANK:
            raise CollectorConfigError(
                f"{key}.fail_on_severity", f"must be one of {', '.join(SEVERITY_RANK)}"
            )
        timeout = config.get("pytm_timeout", 120)
        if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or timeout <= 0:
            raise CollectorConfigError(f"{key}.pytm_timeout", "must be a number of seconds > 0")

    # -- collect -----------------------------------------------------------------------------
    def collect(self, ctx: CollectorContext) -> Iterator[Finding]:
        config = ctx.config
        reading = measure.read_model(
            ctx,
            config.get("path", DEFAULT_PATH),
            config.get("kind", "auto"),
            float(config.get("pytm_timeout", 120)),
        )
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
        watch = config.get("watch", [])
        fresh = measure.read_freshness(
            ctx, reading.path, [watch] if isinstance(watch, str) else list(watch)
        )
        if (record := fresh.record()) is not None:
            summary["freshness"] = record
        yield judge.current(ctx, fresh, subjects)
        names = measure.risk_names(model)
        summary["llm_risks"] = {
            "named": sorted(names.named),
            "from_pytm_findings": sorted(names.from_pytm),
        }
        required = config.get("required_llm_risks")
        yield judge.llm_risks(
            ctx,
            model,
            names,
            None if required is None else owasp_llm.normalise_required(required),
            subjects,
        )
        finding, open_threats = judge.mitigations(
            ctx, model, config.get("fail_on_severity", "high"), subjects
        )
        if open_threats is not None:
            summary["open_threats"] = open_threats
        yield finding
        out = ctx.artefact("threat-model.json")
        out.write_text(json.dumps(summary, indent=2, default=str), encoding="utf-8")
