"""What a model card says: which required sections it fills, and its EU AI Act risk class.

Kept apart from the collector so the rules (section aliases, placeholders, where the risk class
may be written) can be read and tested on their own.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from aima_ci_collectors._substance import substantive

from .document import Document, normalise

RISK_CLASSES = ("unacceptable", "high", "limited", "minimal")
# Heading/key wordings accepted for each default section (matched as whole words, any case).
DEFAULT_SECTIONS: dict[str, tuple[str, ...]] = {
    "intended use": ("intended use", "intended uses", "intended purpose", "direct use"),
    "limitations": ("limitations", "caveats", "known issues"),
    "training data": ("training data", "training dataset", "training datasets", "training details"),
    "evaluation": ("evaluation", "metrics", "performance"),
    "fairness": ("fairness", "bias", "ethical considerations"),
    "contacts": ("contact", "contacts", "owner", "owners", "maintainers", "authors"),
}
# Text that means "not written yet" (the Hugging Face template's placeholder included).
PLACEHOLDER = re.compile(
    r"^(?:todo|tbd|tba|fixme|xxx|n/?a|none|-+|\.+|\[more information needed\]|<[^>]*>)\.?$",
    re.IGNORECASE,
)
BODY_RISK = re.compile(
    r"^[ \t>*_-]*(?:eu ai act )?risk[ _]class(?:ification)?[*_ ]*:[*_ ]*([A-Za-z]+)",
    re.IGNORECASE | re.MULTILINE,
)
BODY_JUSTIFICATION = re.compile(
    r"^[ \t>*_-]*(?:risk[ _](?:class[ _])?)?justification[*_ ]*:[*_ ]*(.+)$",
    re.IGNORECASE | re.MULTILINE,
)


@dataclass(frozen=True)
class SectionResult:
    present: tuple[str, ...]
    missing: tuple[str, ...]
    empty: tuple[str, ...]  # a heading/key exists but says nothing yet
    where: Mapping[str, str]  # section name -> "heading (line n)"


@dataclass(frozen=True)
class RiskInfo:
    risk_class: str | None  # as written, lower-cased
    justification: str | None
    source: str  # where it was found


# Model card sections are often terse ("Scoring.", "AUC 0.81"): one real word is enough; "x" is
# none.
SECTION_MIN_WORDS = 1


def _filled(text: str, min_words: int = SECTION_MIN_WORDS) -> bool:
    """Real content: not empty, not a template placeholder, not trivially short ("x")."""
    lines = [ln.strip() for ln in text.strip().splitlines() if ln.strip()]
    if not lines or all(PLACEHOLDER.match(ln.strip("*_ ")) for ln in lines):
        return False
    return substantive(text, min_words)


def _value_text(value: Any) -> str:
    if value is None or isinstance(value, bool):
        return ""
    if isinstance(value, (str, int, float)):
        return str(value)
    if isinstance(value, Mapping):
        return "\n".join(_value_text(v) for v in value.values())
    if isinstance(value, list):
        return "\n".join(_value_text(v) for v in value)
    return ""


def _matches(title: str, aliases: Sequence[str]) -> bool:
    padded = f" {normalise(title)} "
    return any(f" {normalise(a)} " in padded for a in aliases)


def check_sections(doc: Document, required: Mapping[str, Sequence[str]]) -> SectionResult:
    present: list[str] = []
    missing: list[str] = []
    empty: list[str] = []
    where: dict[str, str] = {}
    if doc.kind == "markdown":
        candidates = [(s.title, s.content, f"'{s.title}' (line {s.line})") for s in doc.sections]
        # Front-matter keys count too, so a card may keep short fields (contacts) there.
        if isinstance(doc.metadata, Mapping):
            candidates += [
                (str(k), _value_text(v), f"front-matter key {k}") for k, v in doc.metadata.items()
            ]
    else:
        data = doc.metadata if isinstance(doc.metadata, Mapping) else {}
        candidates = [(str(k), _value_text(v), f"key {k}") for k, v in data.items()]
    for name, aliases in required.items():
        hits = [(text, loc) for title, text, loc in candidates if _matches(title, aliases)]
        least = SECTION_MIN_WORDS
        if not hits:
            missing.append(name)
        elif not any(_filled(text, least) for text, _ in hits):
            empty.append(name)
            where[name] = hits[0][1]
        else:
            present.append(name)
            where[name] = next(loc for text, loc in hits if _filled(text, least))
    return SectionResult(tuple(present), tuple(missing), tuple(empty), where)


def find_risk(doc: Document) -> RiskInfo:
    """The risk class: front-matter/YAML ``eu_ai_act.risk_class`` or ``risk_class``, else a
    ``Risk class: high`` line in the Markdown body; its justification likewise."""
    meta = doc.metadata if isinstance(doc.metadata, Mapping) else {}
    block = meta.get("eu_ai_act")
    if isinstance(block, Mapping) and "risk_class" in block:
        return RiskInfo(
            _lower(block.get("risk_class")),
            _text(block.get("justification")),
            "eu_ai_act.risk_class",
        )
    if "risk_class" in meta:
        return RiskInfo(
            _lower(meta.get("risk_class")),
            _text(meta.get("risk_justification") or meta.get("justification")),
            "risk_class",
        )
    if doc.kind == "markdown":
        m = BODY_RISK.search(doc.body)
        if m:
            j = BODY_JUSTIFICATION.search(doc.body)
            return RiskInfo(m.group(1).lower(), j.group(1).strip(" *_") if j else None, "body")
    return RiskInfo(None, None, "")


def _lower(value: Any) -> str | None:
    if isinstance(value, str) and value.strip():
        return value.strip().lower()
    return None if value is None else str(value).lower()


def _text(value: Any) -> str | None:
    text = _value_text(value).strip()
    return text if text and _filled(text) else None


def required_sections(config_value: Any) -> dict[str, tuple[str, ...]]:
    """``required_sections`` as name -> accepted wordings (a plain name also matches itself)."""
    if config_value is None:
        return dict(DEFAULT_SECTIONS)
    if isinstance(config_value, Mapping):
        return {
            str(k): tuple({str(k), *(v if isinstance(v, list) else [v])})
            for k, v in config_value.items()
        }
    return {str(n): DEFAULT_SECTIONS.get(normalise(str(n)), (str(n),)) for n in config_value}
