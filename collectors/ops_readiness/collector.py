"""The ``ops_readiness`` collector: alerts on the model's metrics, an incident playbook, a rollback path.

What a team needs before a model misbehaves in production, checked from the repository: alert
rules that fire on drift, low confidence and errors; a playbook that says how to detect, isolate,
roll back, find the root cause and retest; and a recorded version to roll back to.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from aima_ci.models import Finding
from aima_ci.plugin import Collector, CollectorContext, Starter, load_checks

from . import judge, measure
from .settings import SPEC, OpsSettings

if TYPE_CHECKING:
    from aima_ci.models import RepoFacts

NAME = "ops_readiness"


class OpsReadinessCollector(Collector):
    name = NAME
    version = "0.1.0"
    description = "Checks Prometheus alert rules on model metrics, the incident playbook and the rollback path"
    light = True
    default_timeout = 120.0
    checks = load_checks(__file__)
    spec = SPEC  # preflight checks playbook and rollback.registry_file

    def starter(self, facts: RepoFacts) -> Starter | None:
        """Alert rules, playbook and registry found; nothing when none of them exists."""
        if not (facts.alert_rules or facts.playbooks or facts.registries):
            return None
        config: dict[str, Any] = {}
        if facts.alert_rules:
            config["alert_rules"] = facts.alert_rules[:10]
        if facts.playbooks:
            config["playbook"] = facts.playbooks[0]
        if facts.registries:
            config["rollback"] = {"registry_file": facts.registries[0]}
        return Starter(
            config,
            "Alerts on the model's metrics, an incident playbook, a version to roll back to.",
        )

    def collect(self, ctx: CollectorContext) -> Iterator[Finding]:
        settings: OpsSettings = ctx.settings
        ctx.progress("alert rules", 0.0)
        yield from judge.alerts(
            ctx,
            measure.read_alerts(ctx, settings.alert_rules),
            settings.watch,
            settings.required_watch,
        )
        ctx.progress("playbook", 0.4)
        yield judge.incident_playbook(
            ctx,
            measure.read_playbook(ctx, settings.playbook),
            settings.required_sections,
            settings.sections,
        )
        ctx.progress("rollback", 0.7)
        yield judge.rollback_path(ctx, measure.read_rollback(ctx, settings))
        ctx.progress("done", 1.0)
