"""Read the model card: where it is, whether it parses, which sections it fills, its risk class.

Raw readings only; what they are worth against the config (how many words justify a risk
class) is ``judge``'s call. A card that cannot be read is a reading too (``problem``), so the
judge can say ``error`` for every check instead of inventing a card with no sections.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from aima_ci.models import Subject
from aima_ci.plugin import CollectorContext
from aima_ci.safety.safeio import FileProblem

from .card import RiskInfo, SectionResult, check_sections, find_risk
from .document import Document, load_document


@dataclass(frozen=True)
class CardReading:
    display: str  # the card's path relative to the repository root
    exists: bool
    subjects: tuple[Subject, ...] = ()
    problem: str = ""  # why the card could not be read ("" when it was)
    doc: Document | None = None
    required: Mapping[str, Sequence[str]] | None = None
    sections: SectionResult | None = None
    risk: RiskInfo | None = None


def read_card(
    ctx: CollectorContext, value: str, required: Mapping[str, Sequence[str]]
) -> CardReading:
    """The card at config path ``value`` and what it says about the ``required`` sections."""
    path = ctx.path(value, "path", must_exist=False)
    display = path.relative_to(Path(os.path.realpath(ctx.root))).as_posix()
    if not path.is_file():
        return CardReading(display, exists=False)
    subjects = (ctx.subject("model-card", path),)
    try:
        doc = load_document(path, display)
    except FileProblem as exc:
        return CardReading(display, True, subjects, problem=str(exc))
    return CardReading(
        display,
        True,
        subjects,
        doc=doc,
        required=required,
        sections=check_sections(doc, required),
        risk=find_risk(doc),
    )
