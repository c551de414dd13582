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

from aima_ci.models import Finding
from aima_ci.plugin import Collector, CollectorConfigError, CollectorContext, Starter, load_checks

from .card import required_sections
from .judge import judge
from .measure import read_card

if TYPE_CHECKING:
    from aima_ci.models import RepoFacts

DEFAULT_PATH = "MODEL_CARD.md"


class ModelCardCollector(Collector):
    name = "model_card"
    version = "0.1.0"
    description = "Checks a model card's required sections and its EU AI Act risk class"
    light = True
    default_timeout = 60.0
    checks = load_checks(__file__)

    def starter(self, facts: RepoFacts) -> Starter | None:
        if not facts.model_cards:
            return None
        return Starter(
            {"path": facts.model_cards[0]}, "Model card sections and EU AI Act risk class."
        )

    def validate_config(self, config: Mapping[str, Any]) -> None:
        key = f"collectors.{self.name}"
        path = config.get("path", DEFAULT_PATH)
        if not isinstance(path, str) or not path:
            raise CollectorConfigError(f"{key}.path", "must be the model card's path")
        sections = config.get("required_sections")
        if sections is not None:
            ok = (
                isinstance(sections, list) and all(isinstance(s, str) and s for s in sections)
            ) or (
                isinstance(sections, Mapping)
                and all(
                    isinstance(v, str)
                    or (isinstance(v, list) and all(isinstance(a, str) for a in v))
                    for v in sections.values()
                )
            )
            if not ok or not sections:
                raise CollectorConfigError(
                    f"{key}.required_sections",
                    "must be a non-empty list of section names, or a mapping name -> [wordings]",
                )
        if not isinstance(config.get("risk_class_required", True), bool):
            raise CollectorConfigError(f"{key}.risk_class_required", "must be true or false")
        words = config.get("min_justification_words", 8)
        if isinstance(words, bool) or not isinstance(words, int) or words < 1:
            raise CollectorConfigError(f"{key}.min_justification_words", "must be a number >= 1")

    def enabled_checks(self, config: Mapping[str, Any]) -> tuple:
        if config.get("risk_class_required", True):
            return self.checks
        return tuple(c for c in self.checks if c.id == "model_card.sections")

    def cache_inputs(self, config: Mapping[str, Any], ctx: CollectorContext) -> Iterable[Path]:
        """The card, also when it is the default path the config does not name."""
        paths = list(super().cache_inputs(config, ctx))
        default = ctx.config_dir / DEFAULT_PATH
        if "path" not in config and default.is_file():
            paths.append(default.resolve())
        return paths

    def collect(self, ctx: CollectorContext) -> Iterator[Finding]:
        enabled = [c.id for c in self.enabled_checks(ctx.config)]
        required = required_sections(ctx.config.get("required_sections"))
        card = read_card(ctx, ctx.config.get("path", DEFAULT_PATH), required)
        yield from judge(ctx, card, enabled, ctx.config.get("min_justification_words", 8))
