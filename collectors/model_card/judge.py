"""Turn a model card reading into findings: sections written, risk class valid, and argued.

The rules that decide a verdict live here and nowhere else: ``unacceptable`` fails as a
prohibited practice (EU AI Act Art. 5), and a justification counts by distinct words, so nine
"x"s do not argue a classification (evidence minimums, ``_substance.py``).
"""

from __future__ import annotations

from collections.abc import Iterator

from aima_ci_collectors._substance import words as distinct_words

from aima_ci.models import Finding, Severity, Status
from aima_ci.plugin import CollectorContext

from .card import RISK_CLASSES
from .measure import CardReading


def judge(
    ctx: CollectorContext, card: CardReading, enabled: list[str], min_words: int
) -> Iterator[Finding]:
    """Findings for the ``enabled`` checks, in the order the checks are declared."""
    if not card.exists:
        for check in enabled:
            yield ctx.finding(check, Status.FAIL, message=f"no model card at {card.display}")
        return
    if card.problem:
        for check in enabled:
            yield ctx.finding(
                check,
                Status.ERROR,
                message=f"malformed model card: {card.problem}",
                subjects=card.subjects,
            )
        return
    yield _sections(ctx, card)
    if "model_card.risk_class" in enabled:
        yield _risk_class(ctx, card)
        yield _justification(ctx, card, min_words)


def _sections(ctx: CollectorContext, card: CardReading) -> Finding:
    assert card.sections is not None and card.required is not None
    result = card.sections
    details = {
        "required": list(card.required),
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
            message=f"{card.display}: " + "; ".join(parts),
            subjects=card.subjects,
            details=details,
        )
    return ctx.finding(
        "model_card.sections",
        Status.PASS,
        value=len(result.present),
        message=f"{card.display}: all {len(card.required)} required sections are written",
        subjects=card.subjects,
        details=details,
    )


def _risk_class(ctx: CollectorContext, card: CardReading) -> Finding:
    assert card.risk is not None
    risk, shown = card.risk, card.display
    details = {"risk_class": risk.risk_class, "source": risk.source}
    cls = risk.risk_class
    if cls is None:
        return ctx.finding(
            "model_card.risk_class",
            Status.FAIL,
            message=f"{shown}: no EU AI Act risk class (eu_ai_act.risk_class)",
            subjects=card.subjects,
            details=details,
        )
    if cls not in RISK_CLASSES:
        return ctx.finding(
            "model_card.risk_class",
            Status.FAIL,
            value=cls,
            message=f"{shown}: risk class {cls!r} is not one of {', '.join(RISK_CLASSES)}",
            subjects=card.subjects,
            details=details,
        )
    if cls == "unacceptable":
        return ctx.finding(
            "model_card.risk_class",
            Status.FAIL,
            value=cls,
            severity=Severity.CRITICAL,
            message=(
                f"{shown}: risk class 'unacceptable': the EU AI Act prohibits this"
                " practice (Art. 5); it must not be placed on the market or deployed"
            ),
            subjects=card.subjects,
            details=details,
        )
    return ctx.finding(
        "model_card.risk_class",
        Status.PASS,
        value=cls,
        message=f"{shown}: EU AI Act risk class {cls!r} ({risk.source})",
        subjects=card.subjects,
        details=details,
    )


def _justification(ctx: CollectorContext, card: CardReading, min_words: int) -> Finding:
    assert card.risk is not None
    justification, shown = card.risk.justification, card.display
    # distinct words: nine "x"s are not a justification (evidence minimums, _substance.py)
    words = len(distinct_words(justification or ""))
    if words >= min_words:
        status, message = Status.PASS, f"{shown}: risk class justified ({words} words)"
    elif justification:
        status = Status.FAIL
        message = (
            f"{shown}: risk class justification has {words} word(s), fewer than"
            f" {min_words}: say which EU AI Act provision applies and why"
        )
    else:
        status = Status.FAIL
        message = f"{shown}: the risk class has no justification (eu_ai_act.justification)"
    return ctx.finding(
        "model_card.risk_justification",
        status,
        value=words,
        threshold=float(min_words),
        message=message,
        subjects=card.subjects,
        details={"justification": justification, "words": words},
    )
