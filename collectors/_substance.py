"""Evidence minimums: is a piece of documentation text real content, or a placeholder?

A section that says "x", a threat whose mitigation is "tbd", a justification of nine "x"s: the
file exists, but it documents nothing, so it must earn nothing (issue 13: a stub repository whose
every file said "x" earned 30 questions). The rule is deliberately simple and explainable: at
least ``min_words`` distinct words (two letters or more, or numbers), and not a known
placeholder. It
cannot tell good text from bad; it only refuses text that cannot be an answer.
"""

from __future__ import annotations

import re

MIN_WORDS = 2
# a word: two letters or more, or a number ("AUC 0.81" is two words; "x" is none)
_WORD = re.compile(r"[^\W\d_]{2,}|\d+(?:[.,]\d+)*", re.UNICODE)
_PLACEHOLDERS = frozenset(
    {
        "todo",
        "tbd",
        "tba",
        "fixme",
        "xxx",
        "na",
        "none",
        "placeholder",
        "lorem",
        "ipsum",
        "more",
        "information",
        "needed",
        "to",
        "be",
        "done",
        "defined",
        "determined",
        "later",
        "wip",
    }
)


def words(text: str) -> list[str]:
    """The distinct words of two letters or more, lower case, in order."""
    return list(dict.fromkeys(w.casefold() for w in _WORD.findall(text or "")))


def placeholder_reason(text: str | None, min_words: int = MIN_WORDS) -> str | None:
    """Why ``text`` is not real content (None when it is)."""
    if text is None or not str(text).strip():
        return "empty"
    found = words(str(text))
    if all(w in _PLACEHOLDERS for w in found) and found:
        return f"placeholder text ({str(text).strip()[:40]!r})"
    if len(found) < min_words:
        shown = str(text).strip()
        shown = shown if len(shown) <= 40 else shown[:37] + "..."
        return f"trivially short ({shown!r}: fewer than {min_words} distinct words)"
    return None


def substantive(text: str | None, min_words: int = MIN_WORDS) -> bool:
    return placeholder_reason(text, min_words) is None
