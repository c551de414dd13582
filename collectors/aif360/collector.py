"""AI Fairness 360 (IBM/LF AI): group fairness of outcomes as AIMA bias-assessment evidence.

Two metrics per protected attribute (and per intersection of attributes), on a binary outcome: the
label column, or the model's decisions in ``prediction``:
- disparate impact  DI = P(favourable | unprivileged) / P(favourable | privileged); judged on
  min(DI, 1/DI) >= 0.8 (the four-fifths rule, both directions);
- statistical parity difference  SPD = P(fav | unprivileged) - P(fav | privileged); |SPD| <= 0.1.

Modes: ``run`` computes them with aif360 on a CSV (measure.py; aif360 is imported lazily: it pulls
in pandas and scipy); ``report`` reads a JSON of the same metrics written by the team's own aif360
job. Both are judged by judge.py on the same JSON shape (docs/collectors/aif360.md).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, ClassVar

from aima_ci.models import Finding
from aima_ci.plugin import Collector, CollectorContext, Starter, load_checks

from .settings import NAME, SPEC, Settings

if TYPE_CHECKING:
    from aima_ci.models import RepoFacts


class Aif360Collector(Collector):
    name = NAME
    # A declared model's file (the spec checks `data`, `report` and a model given by path).
    input_paths: ClassVar[Mapping[str, str]] = {"model.path": "any"}
    version = "0.1.0"
    description = "AI Fairness 360: disparate impact and statistical parity per protected attribute (run on a CSV, or read a metrics JSON)"
    tool = "aif360"
    extra = "aif360"
    requires = ("aif360",)  # run mode; report mode reads its JSON with no tool installed
    checks = load_checks(__file__)
    spec = SPEC

    def starter(self, facts: RepoFacts) -> Starter | None:
        """Label bias by group on the training labels: needs no model."""
        table = facts.training_table()
        if table is None:
            return None
        labels, groups = facts.label_candidates(table), facts.sensitive_candidates(table)
        if not labels:
            return None
        label = labels[0]
        protected = {c: [facts.majority(table, c)] for c in groups[:3]}
        return Starter(
            {
                "data": table.path,
                "label": label,
                "favorable": facts.favourable(table, label),
                "protected": protected,
            },
            f"Bias in the training labels by group (disparate impact; no model needed; label"
            f" candidates: {', '.join(labels[:3])}).",
            enabled=bool(protected),
            notes={
                "favorable": "the favourable outcome: check it",
                "protected": "privileged value = the most frequent one: check it",
            }
            if protected
            else {"protected": "no protected column found by name: name one, then uncomment"},
        )

    def collect(self, ctx: CollectorContext) -> Iterator[Finding]:
        from .judge import findings
        from .measure import measure

        settings: Settings = ctx.settings
        measured = measure(ctx, settings)
        yield from findings(ctx, measured.data, measured.where, measured.subjects, measured.report)
