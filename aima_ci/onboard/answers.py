"""The attestation workflow: which questions are still open, and appending an answer.

Editing a 700-line YAML file by hand is where onboarding stalled: an entry uncommented the wrong
way broke the file, and the error surfaced only after every collector had run. ``todo`` lists
what is left (most valuable first for the profile) and ``append_answer`` writes one entry that
is checked with the same parser scoring uses before the file is touched, so an answer written
by the command is an answer scoring credits.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from aima_ci.assess.attestations import answer_value, load_attestations, parse_attestation
from aima_ci.assess.catalogue import Catalogue, Question
from aima_ci.config import ConfigError
from aima_ci.errors import UserError
from aima_ci.models import Attestation
from aima_ci.safety.safeio import safe_load

DEFAULT_FILE = "aima-attestations.yaml"
HEADER = (
    "# aima-ci attestations: answers to AIMA questions that no tool can answer.\n"
    "# Add entries with `aima-ci attestations answer QUESTION --answer yes --owner EMAIL ...`.\n"
    "attestations:\n"
)


class PlainDumper(yaml.SafeDumper):
    """No anchors and aliases: the attestation reader refuses them (alias bombs), and a person
    reading the file should see every value where it applies."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


@dataclass(frozen=True)
class TodoItem:
    question: Question
    domain: str
    priority: int | None  # position in the profile's list, None when the profile does not name it
    blocking: bool = False  # below the gate's target for its practice: the gate fails on it


def open_questions(
    catalogue: Catalogue,
    covered: Iterable[str],
    attested: Iterable[str],
    priorities: Sequence[str] = (),
    targets: Mapping[str, int] | None = None,
) -> list[TodoItem]:
    """Questions neither an enabled collector nor a valid attestation answers.

    Ordered as a person should work through them: the profile's list first (its order), then
    the questions the gate's target needs (``targets``: practice -> level), then by level
    (level 1 unlocks a practice's first level), then in catalogue order.
    """
    done = set(covered) | set(attested)
    rank = {qid: i for i, qid in enumerate(priorities)}
    order = {qid: i for i, qid in enumerate(catalogue.questions)}
    goal = targets or {}
    items = [
        TodoItem(
            q,
            catalogue.practices[q.practice].domain,
            rank.get(q.id),
            q.level <= goal.get(q.practice, 0),
        )
        for q in catalogue.questions.values()
        if q.id not in done
    ]
    return sorted(
        items,
        key=lambda t: (
            t.priority is None,
            t.priority if t.priority is not None else 0,
            not t.blocking,
            t.question.level,
            order[t.question.id],
        ),
    )


def practice_targets(config: Any, catalogue: Catalogue) -> dict[str, int]:
    """The level the gate asks of each practice: its own goal, else its domain's, else the
    overall level (the highest that applies, as the gate reads them)."""
    target = config.target
    out: dict[str, int] = {}
    for pid, practice in catalogue.practices.items():
        levels = [int(target.level)]
        if "level" in target.domains.get(practice.domain, {}):
            levels.append(int(target.domains[practice.domain]["level"]))
        if "level" in target.practices.get(pid, {}):
            levels.append(int(target.practices[pid]["level"]))
        out[pid] = max(levels)
    return out


def render_todo(
    items: Sequence[TodoItem], catalogue: Catalogue, profile: str | None, total: int | None = None
) -> str:
    """First the profile's priorities, then the rest grouped by domain and level."""
    if not items:
        return "Nothing left to attest: every question has a collector or a valid answer.\n"
    count = len(items) if total is None else total
    shown = "" if count == len(items) else f" (the first {len(items)} shown)"
    lines = [f"{count} question(s) unanswered (no enabled collector, no valid attestation){shown}."]
    first = [t for t in items if t.priority is not None]
    if first:
        lines += ["", f"First, for the {profile} profile (most valuable first):"]
        lines += [_line(t) for t in first]
    gate = [t for t in items if t.priority is None and t.blocking]
    if gate:
        lines += ["", "Then, what the gate's target needs:"]
        lines += [_line(t) for t in gate]
    rest = [t for t in items if t.priority is None and not t.blocking]
    for domain in catalogue.domains:
        mine = [t for t in rest if t.domain == domain.id]
        if not mine:
            continue
        lines += ["", f"{domain.id} {domain.name}:"]
        for level in (1, 2, 3):
            at = [t for t in mine if t.question.level == level]
            if at:
                lines.append(f"  level {level}:")
                lines += ["  " + _line(t) for t in at]
    lines += [
        "",
        "Answer one: aima-ci attestations answer QUESTION --answer yes|no|0-3 --owner EMAIL"
        " --evidence PATH|URL",
    ]
    return "\n".join(lines) + "\n"


def _line(t: TodoItem) -> str:
    q = t.question
    star = " (*)" if q.inverted_phrasing else ""
    return f"  {q.id}  L{q.level}{star}  {q.text}"


def todo_json(items: Sequence[TodoItem]) -> list[dict[str, Any]]:
    return [
        {
            "id": t.question.id,
            "domain": t.domain,
            "practice": t.question.practice,
            "level": t.question.level,
            "stream": t.question.stream,
            "text": t.question.text,
            "profile_priority": t.priority,
            "blocks_target": t.blocking,
        }
        for t in items
    ]


def valid_attested(
    paths: Iterable[Path], root: Path, catalogue: Catalogue, today: dt.date
) -> set[str]:
    existing = [p for p in paths if p.is_file()]
    accepted, _ = load_attestations(existing, root, catalogue.questions, today)
    return {a.question for a in accepted}


# -- answering ----------------------------------------------------------------------------------
def build_entry(
    question: str,
    answer: str,
    owner: str,
    evidence: str | None,
    today: dt.date,
    expires: dt.date,
    note: str | None = None,
) -> dict[str, Any]:
    """The entry as YAML will hold it; ``answer`` is kept as text so ``yes`` stays ``yes``."""
    if answer_value(answer) is None:
        raise UserError(f"--answer: {answer!r} is not yes, no or 0-3")
    entry: dict[str, Any] = {
        "question": question,
        "answer": answer.strip().lower(),
        "owner": owner,
        "date": today,
        "expires": expires,
    }
    if evidence is not None:
        entry["evidence"] = evidence
    if note:
        entry["note"] = note
    return entry


def check_entry(
    entry: Mapping[str, Any], file: Path, root: Path, catalogue: Catalogue, today: dt.date
) -> Attestation:
    """Parse the entry exactly as scoring will; refuse it (exit 2) when scoring would not credit it."""
    result = parse_attestation(
        dict(entry), f"{file.name}#new", file.parent, root, set(catalogue.questions), today
    )
    if not isinstance(result, Attestation):
        raise UserError(f"{entry.get('question')}: {result.message}")
    return result


def entry_text(entry: Mapping[str, Any]) -> str:
    """One block-sequence item at column 0, the layout the starter file's entries use."""
    # safe_dump quotes 'yes'/'no'/'3', so the answer reads back as the word that was given.
    return yaml.dump(
        [dict(entry)], Dumper=PlainDumper, sort_keys=False, allow_unicode=True, width=1000
    )


def append_answer(file: Path, entry: Mapping[str, Any]) -> None:
    """Append ``entry`` to the file's ``attestations`` list, keeping every comment.

    The text is appended, then the result is parsed: it must hold exactly the old entries plus
    the new one last. Files whose list is not the trailing block (flow style, another key
    after it) cannot be extended by appending; they are refused rather than rewritten, so a
    person's comments are never lost.
    """
    from aima_ci.evidence.directory import atomic_write

    display = file.name
    if file.exists():
        text = file.read_text(encoding="utf-8")
        before = _entries(text, display)
        # The old template's `attestations: []` cannot take items after it; open the list.
        stripped = [ln for ln in text.splitlines() if ln.strip() == "attestations: []"]
        if stripped and not before:
            text = text.replace("attestations: []", "attestations:", 1)
    else:
        text, before = HEADER, []
    if text and not text.endswith("\n"):
        text += "\n"
    new_text = text + entry_text(entry)
    try:
        after: list[Any] | None = _entries(new_text, display)
    except ConfigError:
        after = None
    if after != [*before, dict(_plain(entry))]:
        raise ConfigError(
            display,
            "attestations",
            "cannot append: the list is not the last block of the file (flow style or another"
            " key after it); add the entry by hand",
        )
    atomic_write(file, new_text)


def _plain(entry: Mapping[str, Any]) -> dict[str, Any]:
    """The entry as it reads back from YAML (dates become dates)."""
    return safe_load(yaml.safe_dump(dict(entry)))


def _entries(text: str, display: str) -> list[Any]:
    try:
        data = safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise ConfigError(
            display,
            "",
            f"invalid YAML: {getattr(exc, 'problem', exc)}",
            mark.line + 1 if mark else None,
        ) from None
    if data is None:
        return []
    if not isinstance(data, dict) or "attestations" not in data:
        raise ConfigError(
            display, "attestations", "the file needs a top-level 'attestations:' list"
        )
    entries = data["attestations"]
    if entries is None:
        return []
    if not isinstance(entries, list):
        raise ConfigError(display, "attestations", "must be a list")
    return entries
