"""The AIMA v1.0 catalogue (domains, practices, streams, questions) loaded from packaged YAML.

The YAML is generated from the AIMA source by ``scripts/gen_catalogue.py`` and committed; this
module only reads it. IDs follow the scheme other tools rely on: domain ``VER``, practice
``VER-ST``, stream ``VER-ST-A``, question ``VER-ST-A2``.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

LEVELS = (1, 2, 3)
STREAM_LETTERS = ("A", "B")
# The ID scheme as patterns (QUESTION_ID, PRACTICE_ID, STREAM_ID), compiled when first read:
# scoring never needs them, and every compile at import is paid by every start of score.
_ID_PATTERNS = {
    "QUESTION_ID": r"^([A-Z]{3})-([A-Z]{2})-([AB])([123])$",
    "PRACTICE_ID": r"^[A-Z]{3}-[A-Z]{2}$",
    "STREAM_ID": r"^[A-Z]{3}-[A-Z]{2}-[AB]$",
}


def __getattr__(name: str) -> Any:
    if name in _ID_PATTERNS:
        import re

        pattern = globals()[name] = re.compile(_ID_PATTERNS[name])
        return pattern
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


@dataclass(frozen=True)
class Question:
    """One AIMA criterion: what a finding's link or an attestation answers."""

    id: str
    practice: str
    stream: str  # "A" or "B"
    level: int
    text: str
    descriptor: str = ""
    # True for the level-1 questions whose "yes" describes an immature state.
    inverted_phrasing: bool = False
    # True when the question asks about the whole organisation ("across all AI systems",
    # "organization-wide", "fully embedded"): one repository's automated evidence cannot answer
    # it, so only an attestation does.
    org_scope: bool = False
    note: str = ""
    answerable_by: str = "attestation"  # "attestation", "automated" or "both"
    checks: tuple[str, ...] = ()


@dataclass(frozen=True)
class Stream:
    """Stream A or B of a practice: its questions by level, as the toolkit scores them."""

    id: str
    letter: str
    title: str  # the worksheet's own stream title
    generic_title: str  # "Create & Promote" / "Measure & Improve"
    questions: tuple[Question, ...]

    def question(self, level: int) -> Question:
        return self.questions[level - 1]


@dataclass(frozen=True)
class Practice:
    """One of AIMA's 24 practices: the unit a maturity level is scored for."""

    id: str
    name: str
    domain: str
    objective: str
    streams: tuple[Stream, ...]
    aliases: tuple[str, ...] = ()

    @property
    def questions(self) -> tuple[Question, ...]:
        return tuple(q for s in self.streams for q in s.questions)


@dataclass(frozen=True)
class Domain:
    """One of AIMA's 8 domains: its practices, scored as their mean and minimum."""

    id: str
    name: str
    practices: tuple[Practice, ...]
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class Catalogue:
    """The AIMA catalogue as shipped (data/catalogue.json, parsed once per process by
    load_catalogue), so scoring on any machine judges against the same questions."""

    version: str
    meta: dict[str, Any]
    domains: tuple[Domain, ...]

    @functools.cached_property
    def practices(self) -> dict[str, Practice]:
        return {p.id: p for d in self.domains for p in d.practices}

    @functools.cached_property
    def questions(self) -> dict[str, Question]:
        return {q.id: q for p in self.practices.values() for q in p.questions}

    @functools.cached_property
    def domain_map(self) -> dict[str, Domain]:
        return {d.id: d for d in self.domains}

    @functools.cached_property
    def streams(self) -> dict[str, Stream]:
        return {s.id: s for p in self.practices.values() for s in p.streams}

    def kind_of(self, ident: str) -> str | None:
        """'domain', 'practice', 'stream' or 'question' for a known ID, else None."""
        if ident in self.domain_map:
            return "domain"
        if ident in self.practices:
            return "practice"
        if ident in self.streams:
            return "stream"
        if ident in self.questions:
            return "question"
        return None


def _question(raw: dict[str, Any], practice: str, letter: str) -> Question:
    return Question(
        id=raw["id"],
        practice=practice,
        stream=letter,
        level=int(raw["level"]),
        text=raw["text"],
        descriptor=raw.get("descriptor", ""),
        inverted_phrasing=bool(raw.get("inverted_phrasing", False)),
        org_scope=bool(raw.get("org_scope", False)),
        note=raw.get("note", ""),
        answerable_by=raw.get("answerable_by", "attestation"),
        checks=tuple(raw.get("checks", ())),
    )


def parse_catalogue(data: dict[str, Any]) -> Catalogue:
    domains = []
    for d in data["domains"]:
        practices = []
        for p in d["practices"]:
            streams = tuple(
                Stream(
                    id=s["id"],
                    letter=s["letter"],
                    title=s["title"],
                    generic_title=s.get("generic_title", ""),
                    questions=tuple(
                        sorted(
                            (_question(q, p["id"], s["letter"]) for q in s["questions"]),
                            key=lambda q: q.level,
                        )
                    ),
                )
                for s in p["streams"]
            )
            practices.append(
                Practice(
                    id=p["id"],
                    name=p["name"],
                    domain=d["id"],
                    objective=p.get("objective", ""),
                    streams=streams,
                    aliases=tuple(p.get("aliases", ())),
                )
            )
        domains.append(
            Domain(
                id=d["id"],
                name=d["name"],
                practices=tuple(practices),
                aliases=tuple(d.get("aliases", ())),
            )
        )
    meta = data.get("meta", {})
    return Catalogue(version=str(meta.get("version", "1.0")), meta=meta, domains=tuple(domains))


@functools.cache
def load_catalogue() -> Catalogue:
    """The packaged AIMA catalogue (parsed once per process), from its compiled JSON form
    (scripts/gen_catalogue.py writes it beside catalogue.yaml): parsing the YAML on every start
    cost score and gate more than their own work."""
    import json
    from pathlib import Path

    compiled = Path(__file__).resolve().parent.parent / "data" / "catalogue.json"
    if compiled.is_file():
        data = json.loads(compiled.read_text(encoding="utf-8"))
        meta = data.get("meta") or {}
        if isinstance(meta.get("levels"), dict):  # JSON keys are strings; the YAML's are 1, 2, 3
            meta["levels"] = {int(k): v for k, v in meta["levels"].items()}
        return parse_catalogue(data)
    from importlib import resources  # a zipped install: read through the resource API

    from aima_ci.safety.safeio import safe_load

    text = resources.files("aima_ci").joinpath("data/catalogue.yaml").read_text(encoding="utf-8")
    return parse_catalogue(safe_load(text))
