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

import re
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from aima_ci.models import Check, Finding
from aima_ci.plugin import Collector, CollectorContext, Starter, load_checks

from .settings import FAMILY, SPEC, Settings

if TYPE_CHECKING:
    from aima_ci.models import RepoFacts

DEFAULT_CHECKS = ("demographic_parity_ratio", "equalized_odds_difference")


class FairlearnCollector(Collector):
    name = "fairlearn"
    # A declared model's file (the spec checks `data` and a model given by path).
    input_paths: ClassVar[Mapping[str, str]] = {"model.path": "any"}
    version = "1.0.0"
    description = "Group fairness of a model's decisions per sensitive feature (fairlearn)"
    tool = "fairlearn"
    requires = ("fairlearn", "pandas", "sklearn")
    extra = "fairlearn"
    default_timeout = 300.0
    checks = load_checks(__file__)
    spec = SPEC

    def starter(self, facts: RepoFacts) -> Starter | None:
        """Fairness of the model's decisions: a prediction column, or a .skops model."""
        for table in facts.measurable_tables():
            labels, groups = facts.label_candidates(table), facts.sensitive_candidates(table)
            preds = [
                c
                for c in table.columns
                if re.fullmatch(r"(?i)pred(icted|iction)?(_\w+)?|y_pred|score_label", c)
            ]
            if labels and groups and preds:
                return Starter(
                    {
                        "data": table.path,
                        "label": labels[0],
                        "prediction": preds[0],
                        "sensitive_features": groups[:3],
                    },
                    "Group fairness of the model's decisions.",
                )
        skops = [m for m in facts.models if m.endswith(".skops")]
        train = facts.training_table()
        if train is None:
            return None
        labels, groups = facts.label_candidates(train), facts.sensitive_candidates(train)
        if not (skops and labels and groups):
            return Starter(
                {},
                "Group fairness of the model's decisions needs the model or its predictions.",
                enabled=False,
                next_steps=facts.export_model_steps(),
            )
        pair = facts.split()
        holdout = pair[1] if pair else train
        return Starter(
            {
                "data": holdout.path,
                "label": (facts.label_candidates(holdout) or labels)[0],
                "model": skops[0],
                "sensitive_features": groups[:3],
            },
            "Group fairness of the model's decisions: check the features the model expects,"
            " then uncomment.",
            enabled=False,
        )

    def enabled_checks(self, config: Mapping[str, Any]) -> tuple[Check, ...]:
        thresholds = config.get("thresholds")
        chosen = set(DEFAULT_CHECKS)
        if isinstance(thresholds, Mapping):
            chosen |= {k for k in thresholds if k in FAMILY}
        return tuple(c for c in self.checks if c.id.split(".", 1)[1] in chosen)

    def collect(self, ctx: CollectorContext) -> Iterator[Finding]:
        from .judge import findings
        from .measure import measure

        settings: Settings = ctx.settings
        yield from findings(ctx, self.enabled_checks(ctx.config), settings, measure(ctx, settings))
        ctx.progress("done", 1.0)
