"""The ``model_card`` collector: is the model documented, and is its EU AI Act risk class known?

- ``model_card.sections`` (RAI-TE-B2: transparency documented and shared internally): the card
  fills every required section; an empty heading or a template placeholder does not count.
- ``model_card.risk_class`` (GOV-PC-B2: AI-specific regulatory requirements identified and
  documented): a valid EU AI Act risk class; ``unacceptable`` fails, since such a system is a
  prohibited practice under Art. 5 and no maturity can make it deployable.
- ``model_card.risk_justification`` (GOV-PC-B2, RAI-ES-A2: the impact on people assessed through
  a formal, required step): the classification is argued, not just asserted.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aima_ci.models import Check, Finding
from aima_ci.plugin import Collector, CollectorContext, Starter, load_checks

from .judge import judge
from .measure import read_card
from .settings import DEFAULT_PATH, SPEC, ModelCardSettings

if TYPE_CHECKING:
    from aima_ci.models import RepoFacts


class ModelCardCollector(Collector):
    name = "model_card"
    version = "0.1.0"
    description = "Checks a model card's required sections and its EU AI Act risk class"
    light = True
    default_timeout = 60.0
    checks = load_checks(__file__)
    spec = SPEC

    def starter(self, facts: RepoFacts) -> Starter | None:
        if not facts.model_cards:
            return None
        return Starter(
            {"path": facts.model_cards[0]}, "Model card sections and EU AI Act risk class."
        )

    def enabled_checks(self, config: Mapping[str, Any]) -> tuple[Check, ...]:
        wanted = self.parse_settings(config).enabled
        return tuple(c for c in self.checks if c.id in wanted)

    def cache_inputs(self, config: Mapping[str, Any], ctx: CollectorContext) -> Iterable[Path]:
        """The card, also when it is the default path the config does not name."""
        paths = list(super().cache_inputs(config, ctx))
        default = ctx.config_dir / DEFAULT_PATH
        if "path" not in config and default.is_file():
            paths.append(default.resolve())
        return paths

    def collect(self, ctx: CollectorContext) -> Iterator[Finding]:
        settings: ModelCardSettings = ctx.settings
        card = read_card(ctx, settings.path, settings.required)
        yield from judge(ctx, card, list(settings.enabled), settings.min_justification_words)
