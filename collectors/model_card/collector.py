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

import os
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aima_ci_collectors._substance import words as distinct_words

from aima_ci.models import Finding, Severity, Status
from aima_ci.plugin import Collector, CollectorConfigError, CollectorContext, Starter, load_checks
from aima_ci.safety.safeio import FileProblem

from .card import RISK_CLASSES, check_sections, find_risk, required_sections
from .document import load_document

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
        path = ctx.path(ctx.config.get("path", DEFAULT_PATH), "path", must_exist=False)
        display = path.relative_to(Path(os.path.realpath(ctx.root))).as_posix()
        if not path.is_file():
            for check in enabled:
                yield ctx.finding(check, Status.FAIL, message=f"no model card at {display}")
            return
        subjects = [ctx.subject("model-card", path)]
        try:
            doc = load_document(path, display)
        except FileProblem as exc:
            for check in enabled:
                yield ctx.finding(
                    check, Status.ERROR, message=f"malformed model card: {exc}", subjects=subjects
                )
            return
        yield self._sections(ctx, doc, subjects)
        if "model_card.risk_class" in enabled:
            yield from self._risk(ctx, doc, subjects)

    def _sections(self, ctx: CollectorContext, doc: Any, subjects: list[Any]) -> Finding:
        required = required_sections(ctx.config.get("required_sections"))
        result = check_sections(doc, required)
        details = {
            "required": list(required),
            "present": list(result.present),
            "missing": list(result.missing),
            "empty": list(result.empty),
            "found_at": dict(result.where),
        }
        if result.missing or result.empty:
            parts = []
            if result.missing:
                parts.append("missing sections: " + ", ".join(result.missing))
            if result.empty:
                parts.append(
                    "empty or placeholder: "
                    + ", ".join(f"{n} at {result.where[n]}" for n in result.empty)
                )
            return ctx.finding(
                "model_card.sections",
                Status.FAIL,
                value=len(result.present),
                message=f"{doc.display}: " + "; ".join(parts),
                subjects=subjects,
                details=details,
            )
        return ctx.finding(
            "model_card.sections",
            Status.PASS,
            value=len(result.present),
            message=f"{doc.display}: all {len(required)} required sections are written",
            subjects=subjects,
            details=details,
        )

    def _risk(self, ctx: CollectorContext, doc: Any, subjects: list[Any]) -> Iterator[Finding]:
        risk = find_risk(doc)
        details = {"risk_class": risk.risk_class, "source": risk.source}
        cls = risk.risk_class
        if cls is None:
            yield ctx.finding(
                "model_card.risk_class",
                Status.FAIL,
                message=f"{doc.display}: no EU AI Act risk class (eu_ai_act.risk_class)",
                subjects=subjects,
                details=details,
            )
        elif cls not in RISK_CLASSES:
            yield ctx.finding(
                "model_card.risk_class",
                Status.FAIL,
                value=cls,
                message=f"{doc.display}: risk class {cls!r} is not one of {', '.join(RISK_CLASSES)}",
                subjects=subjects,
                details=details,
            )
        elif cls == "unacceptable":
            yield ctx.finding(
                "model_card.risk_class",
                Status.FAIL,
                value=cls,
                severity=Severity.CRITICAL,
                message=(
                    f"{doc.display}: risk class 'unacceptable': the EU AI Act prohibits this"
                    " practice (Art. 5); it must not be placed on the market or deployed"
                ),
                subjects=subjects,
                details=details,
            )
        else:
            yield ctx.finding(
                "model_card.risk_class",
                Status.PASS,
                value=cls,
                message=f"{doc.display}: EU AI Act risk class {cls!r} ({risk.source})",
                subjects=subjects,
                details=details,
            )
        min_words = ctx.config.get("min_justification_words", 8)
        # distinct words: nine "x"s are not a justification (evidence minimums, _substance.py)
        words = len(distinct_words(risk.justification or ""))
        if words >= min_words:
            status, message = Status.PASS, f"{doc.display}: risk class justified ({words} words)"
        elif risk.justification:
            status = Status.FAIL
            message = (
                f"{doc.display}: risk class justification has {words} word(s), fewer than"
                f" {min_words}: say which EU AI Act provision applies and why"
            )
        else:
            status = Status.FAIL
            message = (
                f"{doc.display}: the risk class has no justification (eu_ai_act.justification)"
            )
        yield ctx.finding(
            "model_card.risk_justification",
            status,
            value=words,
            threshold=float(min_words),
            message=message,
            subjects=subjects,
            details={"justification": risk.justification, "words": words},
        )
