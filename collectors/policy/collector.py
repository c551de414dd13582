"""The ``policy`` collector: AI policy as code, enforced on every build.

Rego ``deny`` rules run over the model's metadata (a YAML/JSON file or a model card's
front-matter). Each deny message is a failing finding, so "the EU AI Act risk class is missing"
shows up in the report in the policy author's own words. Passing evidences that the AI policy is
consistently enforced (GOV-PC-A3); it says nothing about who wrote the policy or whether it is
reviewed, which stay attestations.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aima_ci.models import Finding
from aima_ci.plugin import Collector, CollectorContext, Starter, load_checks

from .judge import judge
from .measure import measure
from .settings import DEFAULT_POLICIES, SPEC, PolicySettings

if TYPE_CHECKING:
    from aima_ci.models import RepoFacts


class PolicyCollector(Collector):
    name = "policy"
    version = "0.1.0"
    description = "Evaluates Rego policies (deny rules) on model metadata with regopy"
    tool = "regopy"
    requires = ("regopy",)
    extra = "policy"
    light = True
    default_timeout = 120.0
    checks = load_checks(__file__)
    spec = SPEC  # preflight checks the input and policies paths it declares

    def starter(self, facts: RepoFacts) -> Starter | None:
        if not facts.rego_policies:
            return None
        first = facts.rego_policies[0]
        folder = first.rsplit("/", 1)[0] if "/" in first else "."
        return Starter(
            {
                "policies": folder,
                "input": facts.model_cards[0] if facts.model_cards else "MODEL_CARD.md",
            },
            "AI policy as code (Rego): check the input document, then uncomment.",
            enabled=False,
        )

    def cache_inputs(self, config: Mapping[str, Any], ctx: CollectorContext) -> Iterable[Path]:
        """The input and policies, also the default policies folder the config does not name."""
        paths = list(super().cache_inputs(config, ctx))
        default = ctx.config_dir / DEFAULT_POLICIES
        if "policies" not in config and default.is_dir():
            paths.append(default.resolve())
        return paths

    def collect(self, ctx: CollectorContext) -> Iterator[Finding]:
        settings: PolicySettings = ctx.settings
        yield from judge(ctx, measure(ctx, settings))
