"""Does the incident-response playbook cover the steps an AI incident needs?

A playbook is only useful in an incident if it says how to notice the problem, stop the harm,
get back to a known-good model, find out why and prove the fix. Each step must be a heading with
some text under it; headings are matched against synonyms, case-insensitively.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from aima_ci_collectors._substance import substantive

DEFAULT_SECTIONS: dict[str, list[str]] = {
    "detect": ["detect", "detection", "identify", "identification", "triage"],
    "isolate": ["isolate", "isolation", "contain", "containment", "quarantine"],
    "roll back": ["roll back", "rollback", "roll-back", "revert", "restore"],
    "root cause": ["root cause", "rca", "post-mortem", "postmortem", "investigat"],
    "retest": ["retest", "re-test", "verify", "verification", "validate", "validation"],
}
_ATX = re.compile(r"^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
_SETEXT = re.compile(r"^\s{0,3}(=+|-+)\s*$")
_FENCE = re.compile(r"^\s{0,3}(```|~~~)")


@dataclass
class Section:
    title: str
    line: int
    level: int
    body_chars: int = 0
    body: list[str] = field(default_factory=list)


def sections(text: str) -> list[Section]:
    """Markdown headings (ATX and setext) with how much text sits under each; code fences skipped."""
    out: list[Section] = []
    lines = text.splitlines()
    in_fence = False
    for i, line in enumerate(lines):
        if _FENCE.match(line):
            in_fence = not in_fence
            if out:
                out[-1].body_chars += 1
            continue
        if in_fence:
            if out:
                out[-1].body_chars += len(line.strip())
                out[-1].body.append(line.strip())
            continue
        m = _ATX.match(line)
        if m:
            out.append(Section(m.group(2), i + 1, len(m.group(1))))
            continue
        if (
            i + 1 < len(lines)
            and _SETEXT.match(lines[i + 1])
            and line.strip()
            and not _SETEXT.match(line)
        ):
            level = 1 if lines[i + 1].strip().startswith("=") else 2
            out.append(Section(line.strip(), i + 1, level))
            continue
        if _SETEXT.match(line) and out and out[-1].line == i:
            continue
        if out:
            out[-1].body_chars += len(line.strip())
            out[-1].body.append(line.strip())
    return out


def _covered(found: list[Section], idx: int) -> int:
    """Text under a heading including its sub-headings' text."""
    head = found[idx]
    total = head.body_chars
    for s in found[idx + 1 :]:
        if s.level <= head.level:
            break
        total += s.body_chars + len(s.title)
    return total


def _covered_text(found: list[Section], idx: int) -> str:
    head = found[idx]
    parts = list(head.body)
    for s in found[idx + 1 :]:
        if s.level <= head.level:
            break
        parts += [s.title, *s.body]
    return " ".join(parts)


def missing_sections(
    text: str, required: Sequence[str], synonyms: Mapping[str, Sequence[str]]
) -> tuple[list[str], dict[str, int]]:
    """Required steps with no heading (or an empty one), and the line each found step is on."""
    found = sections(text)
    missing: list[str] = []
    where: dict[str, int] = {}
    for step in required:
        words = [w.lower() for w in synonyms.get(step, [step])]
        hits = [i for i, s in enumerate(found) if any(w in s.title.lower() for w in words)]
        # evidence minimums: a step whose text is "x" or "tbd" documents nothing
        with_body = [i for i in hits if substantive(_covered_text(found, i), 1)]
        if with_body:
            where[step] = found[with_body[0]].line
        elif any(_covered(found, i) > 0 for i in hits):
            missing.append(step + " (placeholder text only)")
        else:
            missing.append(step + (" (heading has no text)" if hits else ""))
    return missing, where
