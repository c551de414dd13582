"""The ``ops_readiness`` collector: alerts on the model's metrics, an incident playbook, a rollback path.

What a team needs before a model misbehaves in production, checked from the repository: alert
rules that fire on drift, low confidence and errors; a playbook that says how to detect, isolate,
roll back, find the root cause and retest; and a recorded version to roll back to.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from aima_ci.models import Finding
from aima_ci.plugin import Collector, CollectorConfigError, CollectorContext, Starter, load_checks

from . import judge, measure, playbook, promrules

if TYPE_CHECKING:
    from aima_ci.models import RepoFacts

NAME = "ops_readiness"
KEYS = {
    "alert_rules",
    "watch",
    "required_watch",
    "playbook",
    "sections",
    "required_sections",
    "rollback",
}


class OpsReadinessCollector(Collector):
    name = NAME
    # Config paths preflight() checks before any collector runs.
    input_paths: ClassVar[Mapping[str, str]] = {
        "playbook": "file",
        "rollback.registry_file": "file",
    }
    version = "0.1.0"
    description = "Checks Prometheus alert rules on model metrics, the incident playbook and the rollback path"
    light = True
    default_timeout = 120.0
    checks = load_checks(__file__)

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

    def validate_config(self, config: Mapping[str, Any]) -> None:
        self.check_keys(config, KEYS)
        prefix = f"collectors.{NAME}"
        rules = config.get("alert_rules")
        items = [rules] if isinstance(rules, str) else rules
        if rules is not None and not (
            isinstance(items, list) and all(isinstance(r, str) and r for r in items)
        ):
            raise CollectorConfigError(f"{prefix}.alert_rules", "a path, glob or list of them")
        for key in ("watch", "sections"):
            value = config.get(key)
            if value is not None and not (
                isinstance(value, Mapping)
                and value
                and all(
                    isinstance(v, list) and v and all(isinstance(p, str) and p for p in v)
                    for v in value.values()
                )
            ):
                raise CollectorConfigError(
                    f"{prefix}.{key}", "a mapping of name to a list of patterns"
                )
        if config.get("watch"):
            import re

            for cat, pats in config["watch"].items():
                for p in pats:
                    try:
                        re.compile(p)
                    except re.error as exc:
                        raise CollectorConfigError(
                            f"{prefix}.watch.{cat}", f"{p!r}: {exc}"
                        ) from None
        watch = config.get("watch") or promrules.DEFAULT_WATCH
        req = config.get("required_watch")
        if req is not None and not (isinstance(req, list) and all(r in watch for r in req)):
            raise CollectorConfigError(
                f"{prefix}.required_watch", f"a list of categories from watch ({', '.join(watch)})"
            )
        sections = {**playbook.DEFAULT_SECTIONS, **(config.get("sections") or {})}
        rs = config.get("required_sections")
        if rs is not None and not (isinstance(rs, list) and rs and all(r in sections for r in rs)):
            raise CollectorConfigError(
                f"{prefix}.required_sections", f"a list from: {', '.join(sections)}"
            )
        pb = config.get("playbook")
        if pb is not None and not (isinstance(pb, str) and pb):
            raise CollectorConfigError(f"{prefix}.playbook", "must be a path")
        rb = config.get("rollback")
        if rb is not None:
            if (
                not isinstance(rb, Mapping)
                or not rb
                or set(rb) - {"registry_file", "git_tag_pattern"}
            ):
                raise CollectorConfigError(
                    f"{prefix}.rollback", "a mapping with registry_file and/or git_tag_pattern"
                )
            for k, v in rb.items():
                if not isinstance(v, str) or not v:
                    raise CollectorConfigError(
                        f"{prefix}.rollback.{k}", "must be a non-empty string"
                    )

    def collect(self, ctx: CollectorContext) -> Iterator[Finding]:
        self.validate_config(ctx.config)
        config = ctx.config
        ctx.progress("alert rules", 0.0)
        watch = config.get("watch") or promrules.DEFAULT_WATCH
        yield from judge.alerts(
            ctx,
            measure.read_alerts(ctx, config.get("alert_rules")),
            watch,
            config.get("required_watch") or list(watch),
        )
        ctx.progress("playbook", 0.4)
        yield judge.incident_playbook(
            ctx,
            measure.read_playbook(ctx, config.get("playbook")),
            config.get("required_sections") or list(playbook.DEFAULT_SECTIONS),
            {**playbook.DEFAULT_SECTIONS, **(config.get("sections") or {})},
        )
        ctx.progress("rollback", 0.7)
        yield judge.rollback_path(ctx, measure.read_rollback(ctx, config.get("rollback") or {}))
        ctx.progress("done", 1.0)
