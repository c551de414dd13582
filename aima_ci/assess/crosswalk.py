"""aima-ci's own crosswalks from AIMA questions and aima-ci checks to other frameworks' items.

OWASP AIMA v1.0 has no mapping tables to other frameworks; the packaged files under
``data/crosswalk/`` are aima-ci's reading, each one says so in its header and in ``notice``. They
are data, not code, so a compliance team can review a mapping line by line, and so one file's
mistake cannot change scoring: a view only *re-presents* an assessment, it never re-scores it.

Loading is strict (a malformed file raises CrosswalkError naming the file and the key) and light:
PyYAML and the standard library only, so ``report --view`` works wherever ``gate`` does.
"""

from __future__ import annotations

import fnmatch
import functools
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Any

import yaml

from aima_ci.errors import UserError
from aima_ci.safety.safeio import safe_load

FRAMEWORKS = ("eu-ai-act", "nist-ai-rmf", "iso-42001", "owasp-llm-2025", "atlas")
STRENGTHS = ("direct", "partial", "supporting")
CHECK_ID = re.compile(r"^[a-z0-9_]+(\.[A-Za-z0-9_*:\-]+)+$")


class CrosswalkError(UserError, ValueError):
    """A crosswalk file that cannot be trusted; the message names the file and key."""


@dataclass(frozen=True)
class Link:
    """One mapping from an AIMA question or an aima-ci check to a framework item."""

    kind: str  # "question" or "check"
    ref: str  # a question ID, or a check ID (a glob such as "garak.*" matches a family)
    strength: str  # direct / partial / supporting
    rationale: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "ref": self.ref,
            "strength": self.strength,
            "rationale": self.rationale,
        }


@dataclass(frozen=True)
class Item:
    id: str
    title: str
    links: tuple[Link, ...]
    note: str = ""


@dataclass(frozen=True)
class Crosswalk:
    id: str
    framework: str
    version: str
    source: str
    notice: str
    id_pattern: str
    items: tuple[Item, ...]
    # The framework applies only when one of these collectors ran (the LLM Top 10 needs an LLM
    # collector); empty: it always applies.
    applies_when: tuple[str, ...] = ()

    @property
    def pattern(self) -> re.Pattern[str]:
        return re.compile(self.id_pattern)


def _need_str(data: Mapping[str, Any], key: str, where: str) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value.strip():
        raise CrosswalkError(f"{where}.{key}: must be a non-empty string")
    return value.strip()


def parse_crosswalk(data: Any, name: str) -> Crosswalk:
    """Parse one crosswalk document; anything malformed raises CrosswalkError naming the key."""
    if not isinstance(data, Mapping):
        raise CrosswalkError(f"{name}: must be a mapping with 'crosswalk' and 'items'")
    head = data.get("crosswalk")
    if not isinstance(head, Mapping):
        raise CrosswalkError(f"{name}: crosswalk: must be a mapping (id, framework, version ...)")
    where = f"{name}: crosswalk"
    pattern = _need_str(head, "id_pattern", where)
    try:
        compiled = re.compile(pattern)
    except re.error as exc:
        raise CrosswalkError(
            f"{where}.id_pattern: not a valid regular expression ({exc})"
        ) from None
    raw_items = data.get("items")
    if not isinstance(raw_items, list) or not raw_items:
        raise CrosswalkError(f"{name}: items: must be a non-empty list")
    items: list[Item] = []
    seen: set[str] = set()
    for i, raw in enumerate(raw_items):
        at = f"{name}: items[{i}]"
        if not isinstance(raw, Mapping):
            raise CrosswalkError(f"{at}: must be a mapping")
        iid = _need_str(raw, "id", at)
        if not compiled.fullmatch(iid):
            raise CrosswalkError(f"{at}.id: {iid!r} does not match {pattern}")
        if iid in seen:
            raise CrosswalkError(f"{at}.id: {iid!r} appears twice")
        seen.add(iid)
        links = _parse_links(raw.get("map"), f"{at} ({iid}).map")
        items.append(
            Item(
                id=iid,
                title=_need_str(raw, "title", at),
                links=links,
                note=str(raw.get("note") or ""),
            )
        )
    return Crosswalk(
        id=_need_str(head, "id", where),
        framework=_need_str(head, "framework", where),
        version=_need_str(head, "version", where),
        source=_need_str(head, "source", where),
        notice=" ".join(_need_str(head, "notice", where).split()),
        id_pattern=pattern,
        items=tuple(items),
        applies_when=_applies_when(head, where),
    )


def _applies_when(head: Mapping[str, Any], where: str) -> tuple[str, ...]:
    raw = head.get("applies_when_any_ran", [])
    if not isinstance(raw, list) or not all(isinstance(c, str) and c for c in raw):
        raise CrosswalkError(f"{where}.applies_when_any_ran: must be a list of collector names")
    return tuple(raw)


def _parse_links(raw: Any, at: str) -> tuple[Link, ...]:
    if not isinstance(raw, list) or not raw:
        raise CrosswalkError(f"{at}: must be a non-empty list of mappings")
    links: list[Link] = []
    for j, entry in enumerate(raw):
        here = f"{at}[{j}]"
        if not isinstance(entry, Mapping):
            raise CrosswalkError(f"{here}: must be a mapping")
        kinds = [k for k in ("question", "check") if k in entry]
        if len(kinds) != 1:
            raise CrosswalkError(f"{here}: needs exactly one of 'question' or 'check'")
        unknown = set(entry) - {"question", "check", "strength", "rationale"}
        if unknown:
            raise CrosswalkError(f"{here}: unknown key(s) {', '.join(sorted(unknown))}")
        strength = entry.get("strength")
        if strength not in STRENGTHS:
            raise CrosswalkError(f"{here}.strength: must be one of {', '.join(STRENGTHS)}")
        links.append(
            Link(
                kind=kinds[0],
                ref=_need_str(entry, kinds[0], here),
                strength=strength,
                rationale=" ".join(_need_str(entry, "rationale", here).split()),
            )
        )
    if all(link.strength == "supporting" for link in links):
        raise CrosswalkError(f"{at}: needs at least one 'direct' or 'partial' mapping")
    return tuple(links)


def _read(fid: str) -> Any:
    ref = resources.files("aima_ci").joinpath(f"data/crosswalk/{fid}.yaml")
    try:
        text = ref.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise CrosswalkError(f"no crosswalk named {fid!r}") from None
    try:
        return safe_load(text)
    except yaml.YAMLError as exc:
        raise CrosswalkError(f"{fid}.yaml: not valid YAML ({exc})") from None


@functools.cache
def load_crosswalk(fid: str) -> Crosswalk:
    """The packaged crosswalk for one framework (parsed once per process)."""
    if fid not in FRAMEWORKS:
        raise CrosswalkError(f"unknown framework {fid!r}: choose one of {', '.join(FRAMEWORKS)}")
    cw = parse_crosswalk(_read(fid), f"{fid}.yaml")
    if cw.id != fid:
        raise CrosswalkError(f"{fid}.yaml: crosswalk.id is {cw.id!r}, expected {fid!r}")
    return cw


def load_all() -> dict[str, Crosswalk]:
    return {fid: load_crosswalk(fid) for fid in FRAMEWORKS}


def validate(cw: Crosswalk, question_ids: Iterable[str], check_ids: Iterable[str]) -> list[str]:
    """References that point nowhere: unknown questions, and checks no collector declares."""
    questions = set(question_ids)
    checks = set(check_ids)
    problems: list[str] = []
    for item in cw.items:
        for link in item.links:
            where = f"{cw.id}: {item.id}: {link.kind} {link.ref}"
            if link.kind == "question" and link.ref not in questions:
                problems.append(f"{where}: not an AIMA question ID")
            elif link.kind == "check":
                if not CHECK_ID.fullmatch(link.ref):
                    problems.append(f"{where}: not a well-formed check ID")
                elif not match_checks(link.ref, checks):
                    problems.append(f"{where}: no installed collector declares such a check")
    return problems


def match_checks(ref: str, check_ids: Iterable[str]) -> list[str]:
    """The check IDs a mapping refers to: itself, or every ID a glob such as 'garak.*' matches."""
    if any(c in ref for c in "*?["):
        return sorted(c for c in check_ids if fnmatch.fnmatchcase(c, ref))
    return [ref] if ref in set(check_ids) else []
