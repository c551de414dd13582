"""Read model cards and model metadata: YAML, JSON, or Markdown with YAML front-matter and headings.

Shared with the ``policy`` collector (its Rego input is often the card's front-matter) so the two
read a card the same way. Everything fails closed with ``file:line``: a malformed card is an
``error``, never a card with no sections.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aima_ci.safety.safeio import FileProblem, read_text, strict_yaml

MARKDOWN_SUFFIXES = (".md", ".markdown")
YAML_SUFFIXES = (".yaml", ".yml")
ATX = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$")
SETEXT = re.compile(r"^ {0,3}(=+|-+)[ \t]*$")
FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")


@dataclass(frozen=True)
class Section:
    level: int
    title: str
    line: int
    content: str  # text up to the next heading of the same or a higher level


@dataclass(frozen=True)
class Document:
    display: str
    kind: str  # "markdown", "yaml" or "json"
    metadata: Any  # front-matter / the whole YAML or JSON document; None if a card has none
    sections: tuple[Section, ...]
    body: str


def split_front_matter(text: str) -> tuple[str | None, str, int]:
    """(front-matter YAML or None, body, line number where the body starts)."""
    lines = text.splitlines(keepends=True)
    if not lines or lines[0].rstrip() != "---":
        return None, text, 1
    for i in range(1, len(lines)):
        if lines[i].rstrip() in ("---", "..."):
            return "".join(lines[1:i]), "".join(lines[i + 1 :]), i + 2
    return None, text, 1  # an unclosed '---' is a thematic break, not front-matter


def parse_sections(body: str, first_line: int = 1) -> tuple[Section, ...]:
    """Markdown headings (ATX ``#`` and setext underlines), skipping fenced code blocks."""
    lines = body.splitlines()
    heads: list[tuple[int, int, str]] = []  # (index of the first content line, level, title)
    starts: list[int] = []  # index of the heading's first line
    fence: str | None = None
    for i, line in enumerate(lines):
        m = FENCE.match(line)
        if m:
            marker = m.group(1)[0]
            if fence is None:
                fence = marker
            elif fence == marker:
                fence = None
            continue
        if fence is not None:
            continue
        atx = ATX.match(line)
        if atx:
            heads.append((i + 1, len(atx.group(1)), (atx.group(2) or "").strip()))
            starts.append(i)
            continue
        setext = SETEXT.match(line)
        if setext and i > 0 and lines[i - 1].strip() and (not starts or starts[-1] != i - 1):
            prev = lines[i - 1]
            if not ATX.match(prev) and not FENCE.match(prev):
                heads.append((i + 1, 1 if setext.group(1)[0] == "=" else 2, prev.strip()))
                starts.append(i - 1)
    sections = []
    for n, (content_start, level, title) in enumerate(heads):
        end = len(lines)
        for k in range(n + 1, len(heads)):
            if heads[k][1] <= level:
                end = starts[k]
                break
        content = "\n".join(lines[content_start:end]).strip()
        sections.append(Section(level, title, starts[n] + first_line, content))
    return tuple(sections)


def _load_json(text: str, display: str) -> Any:
    def reject(name: str) -> Any:
        raise ValueError(f"{name} is not valid JSON")

    try:
        return json.loads(text, parse_constant=reject)
    except json.JSONDecodeError as exc:
        raise FileProblem(display, f"invalid JSON: {exc.msg}", exc.lineno) from None
    except ValueError as exc:
        raise FileProblem(display, f"invalid JSON: {exc}") from None


def load_document(path: Path, display: str) -> Document:
    """Read a card or metadata file by its suffix; FileProblem names the file and line."""
    text = read_text(path, display)
    suffix = path.suffix.lower()
    if suffix in MARKDOWN_SUFFIXES:
        front, body, body_line = split_front_matter(text)
        metadata = strict_yaml(front, display, first_line=2) if front is not None else None
        if front is not None and metadata is not None and not isinstance(metadata, dict):
            raise FileProblem(display, "front-matter must be a YAML mapping", 2)
        return Document(display, "markdown", metadata, parse_sections(body, body_line), body)
    if suffix in YAML_SUFFIXES:
        data = strict_yaml(text, display)
    elif suffix == ".json":
        data = _load_json(text, display)
    else:
        raise FileProblem(display, "unsupported file type: use .md, .yaml, .yml or .json")
    if not isinstance(data, dict):
        raise FileProblem(display, "must be a mapping (key: value) at the top level", 1)
    return Document(display, suffix.lstrip(".").replace("yml", "yaml"), data, (), "")


def normalise(title: str) -> str:
    """Heading or key text for matching: lower case, words only (``2. Intended_Use:`` -> ``intended use``)."""
    words = re.sub(r"[^0-9a-z]+", " ", title.lower().replace("_", " ")).split()
    while words and words[0].isdigit():
        words.pop(0)
    return " ".join(words)
