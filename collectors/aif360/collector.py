"""AI Fairness 360 (IBM/LF AI): group fairness of outcomes as AIMA bias-assessment evidence.

Two metrics per protected attribute, on a binary outcome column (the label, or a model's
predictions when ``label`` names that column):
- disparate impact  DI = P(favourable | unprivileged) / P(favourable | privileged); judged on
  min(DI, 1/DI) >= 0.8 (the four-fifths rule, both directions);
- statistical parity difference  SPD = P(fav | unprivileged) - P(fav | privileged); |SPD| <= 0.1.

Modes: ``run`` computes them with aif360 on a CSV (metrics.py, imported lazily: aif360 pulls in
pandas and scipy); ``report`` reads a JSON of the same metrics written by the team's own aif360
job. Both are judged by the same code on the same JSON shape (docs/collectors/aif360.md), so
the run mode's artefact is exactly what report mode accepts.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from aima_ci_collectors._reportjson import load_json, need, read_report
from aima_ci_collectors._reportmode import check_thresholds, mode_of, require_path

from aima_ci.models import Finding, Status
from aima_ci.plugin import Collector, CollectorConfigError, CollectorContext, InputError, Starter

if TYPE_CHECKING:
    from aima_ci.models import RepoFacts
from aima_ci.plugin import (
    load_checks,
)

NAME = "aif360"
RUN_KEYS = {"data", "label", "favorable", "protected"}
REPORT_KEYS = {"report"}


@dataclass(frozen=True)
class GroupMetric:
    attribute: str
    disparate_impact: (
        float | None
    )  # None: undefined (no favourable outcome in the privileged group)
    statistical_parity_difference: float
    raw: Mapping[str, Any]

    @property
    def di_ratio(self) -> float | None:
        """min(DI, 1/DI): 1 is parity, lower is worse in either direction."""
        di = self.disparate_impact
        if di is None:
            return None
        return 0.0 if di == 0 else min(di, 1 / di)


class Aif360Collector(Collector):
    name = NAME
    # Config paths preflight() checks before any collector runs.
    input_paths: ClassVar[Mapping[str, str]] = {
        "data": "any",
        "report": "file",
    }
    version = "0.1.0"
    description = "AI Fairness 360: disparate impact and statistical parity per protected attribute (run on a CSV, or read a metrics JSON)"
    tool = "aif360"
    extra = "aif360"
    requires = ("aif360",)  # run mode; report mode reads its JSON with no tool installed
    checks = load_checks(__file__)

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

    def validate_config(self, config: Mapping[str, Any]) -> None:
        report_mode = mode_of(config) == "report"
        self.check_keys(config, REPORT_KEYS if report_mode else RUN_KEYS)
        if report_mode:
            require_path(config, NAME, "report", "required in report mode")
        else:
            require_path(config, NAME, "data", "required in run mode")
            for key in ("label", "protected"):
                if key not in config:
                    raise CollectorConfigError(f"collectors.{NAME}.{key}", "required in run mode")
            if not isinstance(config["label"], str) or not config["label"]:
                raise CollectorConfigError(f"collectors.{NAME}.label", "must be a column name")
            fav = config.get("favorable", 1)
            if isinstance(fav, (list, dict)) or fav is None:
                raise CollectorConfigError(
                    f"collectors.{NAME}.favorable", "must be the favourable outcome value"
                )
            protected = config["protected"]
            if not isinstance(protected, Mapping) or not protected:
                raise CollectorConfigError(
                    f"collectors.{NAME}.protected",
                    "must map each protected column to its privileged value(s), e.g. {sex: [male]}",
                )
            for col, values in protected.items():
                if (
                    not isinstance(values, list)
                    or not values
                    or any(isinstance(v, (list, dict)) or v is None for v in values)
                ):
                    raise CollectorConfigError(
                        f"collectors.{NAME}.protected.{col}",
                        "must be a non-empty list of privileged values",
                    )
        check_thresholds(
            config, NAME, ("disparate_impact", "statistical_parity_difference"), "rate"
        )

    def collect(self, ctx: CollectorContext) -> Iterator[Finding]:
        if mode_of(ctx.config) == "report":
            source = read_report(ctx)
            data, where = source.data, source.where
            report = source.keep(ctx, "aif360-metrics.json")
            subjects = [ctx.subject("report", source.path)]
        else:
            from .metrics import compute  # aif360, pandas: only here

            data_path = ctx.path(ctx.config["data"], "data")
            ctx.progress("computing group fairness metrics", None)
            data = compute(
                data_path,
                label=ctx.config["label"],
                favorable=ctx.config.get("favorable", 1),
                protected=ctx.config["protected"],
                display=str(ctx.config["data"]),
            )
            report = ctx.artefact("aif360-metrics.json")
            report.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
            where = f"aif360 metrics {ctx.rel_artefact(report)}"
            data = load_json(report, where)  # judge exactly what report mode would read
            subjects = [ctx.subject("dataset", data_path)]
        metrics = parse_metrics(data, where)
        common = {
            "label": data.get("label"),
            "favorable_label": data.get("favorable_label"),
            "aif360_version": data.get("tool_version"),
            "metrics": [dict(m.raw) for m in metrics],
        }
        yield self._di(ctx, metrics, subjects, report, common)
        yield self._spd(ctx, metrics, subjects, report, common)

    def _di(
        self,
        ctx: CollectorContext,
        metrics: list[GroupMetric],
        subjects: list[Any],
        report: Path,
        common: dict[str, Any],
    ) -> Finding:
        limit = _limit(ctx, "aif360.disparate_impact")
        ratios = {m.attribute: m.di_ratio for m in metrics}
        undefined = [a for a, r in ratios.items() if r is None]
        worst = min((r for r in ratios.values() if r is not None), default=0.0)
        bad = [m for m in metrics if m.di_ratio is None or m.di_ratio < limit]
        parts = [
            f"{m.attribute} DI {_fmt(m.disparate_impact)}" for m in sorted(metrics, key=_di_key)
        ]
        status = Status.FAIL if bad else Status.PASS
        note = f"; undefined for {', '.join(undefined)}" if undefined else ""
        return ctx.finding(
            "aif360.disparate_impact",
            status,
            value=round(worst, 4),
            threshold=limit,
            message=f"worst min(DI, 1/DI) {worst:.3f} (needs >= {limit:g}): {', '.join(parts)}{note}",
            subjects=subjects,
            artefacts=[report],
            details={**common, "failing_attributes": [m.attribute for m in bad]},
        )

    def _spd(
        self,
        ctx: CollectorContext,
        metrics: list[GroupMetric],
        subjects: list[Any],
        report: Path,
        common: dict[str, Any],
    ) -> Finding:
        limit = _limit(ctx, "aif360.statistical_parity_difference")
        worst = max(abs(m.statistical_parity_difference) for m in metrics)
        bad = [m for m in metrics if abs(m.statistical_parity_difference) > limit + 1e-12]
        parts = [
            f"{m.attribute} SPD {m.statistical_parity_difference:+.3f}"
            for m in sorted(metrics, key=lambda m: -abs(m.statistical_parity_difference))
        ]
        return ctx.finding(
            "aif360.statistical_parity_difference",
            Status.FAIL if bad else Status.PASS,
            value=round(worst, 4),
            threshold=limit,
            message=f"largest |SPD| {worst:.3f} (needs <= {limit:g}): {', '.join(parts)}",
            subjects=subjects,
            artefacts=[report],
            details={**common, "failing_attributes": [m.attribute for m in bad]},
        )


def _limit(ctx: CollectorContext, check: str) -> float:
    """The configured threshold, else the check's default (both checks declare one)."""
    value = ctx.threshold(check)
    return float(ctx.collector.check(check).threshold or 0.0) if value is None else value


def _di_key(m: GroupMetric) -> float:
    return -1.0 if m.di_ratio is None else m.di_ratio


def _fmt(value: float | None) -> str:
    return "undefined" if value is None else f"{value:.3f}"


def _number(raw: Mapping[str, Any], key: str, at: str, *, nullable: bool = False) -> float | None:
    if key not in raw:
        raise InputError(f"{at}: missing key '{key}'")
    value = raw[key]
    if value is None and nullable:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise InputError(f"{at}: '{key}' must be a finite number, not {value!r}")
    return float(value)


def parse_metrics(data: Any, where: str) -> list[GroupMetric]:
    """The per-attribute metrics of an aif360 metrics JSON (docs/collectors/aif360.md)."""
    rows = need(data, "metrics", list, where)
    if not rows:
        raise InputError(f"{where}: 'metrics' is empty: no protected attribute was measured")
    out = []
    seen: set[str] = set()
    for i, raw in enumerate(rows):
        at = f"{where}: metrics[{i}]"
        attr = need(raw, "protected_attribute", str, at)
        if attr in seen:
            raise InputError(f"{at}: protected_attribute {attr!r} appears twice")
        seen.add(attr)
        di = _number(raw, "disparate_impact", at, nullable=True)
        spd = _number(raw, "statistical_parity_difference", at) or 0.0
        if di is not None and di < 0:
            raise InputError(f"{at}: disparate_impact cannot be negative ({di})")
        if not -1 <= spd <= 1:
            raise InputError(f"{at}: statistical_parity_difference must be within [-1, 1] ({spd})")
        out.append(GroupMetric(attr, di, spd, raw))
    return out
