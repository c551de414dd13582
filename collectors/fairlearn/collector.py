"""The fairlearn collector: group fairness of a model's decisions, as AIMA evidence.

Mapping (the collector's own reading of AIMA v1.0, not an official crosswalk):
- RAI-FB-A2 "Are systematic procedures established to regularly identify and assess biases in AI
  models?": a fairness assessment run on every build by a standard tool is such a procedure, and
  its passing means the assessed bias is within the documented policy.
- DES-SR-A2: its level-2 characteristic in the model is "Standardized Bias & Fairness Tools:
  implement standardized tools for bias detection and fairness measurement within training
  pipelines and application outputs", with the thresholds as the documented requirement.
Not mapped: RAI-FB-A3 (all lifecycle stages, audited: more than one check can show) and the
B stream (mitigation: this collector measures, it does not mitigate).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from aima_ci.models import Check, Finding
from aima_ci.plugin import Collector, CollectorContext, load_checks

from . import _settings
from ._settings import FAMILY

DEFAULT_CHECKS = ("demographic_parity_ratio", "equalized_odds_difference")


class FairlearnCollector(Collector):
    name = "fairlearn"
    version = "1.0.0"
    description = "Group fairness of a model's decisions per sensitive feature (fairlearn)"
    tool = "fairlearn"
    requires = ("fairlearn", "pandas", "sklearn")
    extra = "fairlearn"
    default_timeout = 300.0
    checks = load_checks(__file__)

    def validate_config(self, config: Mapping[str, Any]) -> None:
        _settings.parse(config, self.check_keys)

    def enabled_checks(self, config: Mapping[str, Any]) -> tuple[Check, ...]:
        thresholds = config.get("thresholds")
        chosen = set(DEFAULT_CHECKS)
        if isinstance(thresholds, Mapping):
            chosen |= {k for k in thresholds if k in FAMILY}
        return tuple(c for c in self.checks if c.id.split(".", 1)[1] in chosen)

    def collect(self, ctx: CollectorContext) -> Iterator[Finding]:
        from ._run import run

        yield from run(self, ctx, _settings.parse(ctx.config, self.check_keys))
