"""Attestations: people's answers to questions no tool can answer, with owner, date and expiry.

A malformed or expired entry earns nothing and becomes a reported Problem rather than an error
that stops the run: one bad line should not hide the rest of the assessment.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from aima_ci.config import ConfigError, parse_date
from aima_ci.models import Attestation, Problem
from aima_ci.safety.hashing import sha256_file
from aima_ci.safety.paths import PathError, resolve_inside
from aima_ci.safety.safeio import FileProblem, read_text, strict_yaml

ANSWER_VALUES = {"yes": 1.0, "no": 0.0, "0": 0.0, "1": 1 / 3, "2": 2 / 3, "3": 1.0}
MAX_BYTES = 4 << 20


def answer_value(answer: Any) -> tuple[str, float] | None:
    """Normalise an answer: yes/no, or the toolkit's 0-3 scale (divided by 3)."""
    if isinstance(answer, bool):  # YAML turns bare yes/no into booleans
        return ("yes", 1.0) if answer else ("no", 0.0)
    if isinstance(answer, int) and 0 <= answer <= 3:
        return str(answer), ANSWER_VALUES[str(answer)]
    if isinstance(answer, str) and answer.strip().lower() in ANSWER_VALUES:
        key = answer.strip().lower()
        return key, ANSWER_VALUES[key]
    return None


def load_attestations(
    paths: Iterable[Path], root: Path, known_questions: Iterable[str], today: dt.date
) -> tuple[list[Attestation], list[Problem]]:
    known = set(known_questions)
    accepted: list[Attestation] = []
    problems: list[Problem] = []
    for path in paths:
        display = _display(path, root)
        entries = _entries(path, display)
        for i, entry in enumerate(entries):
            source = f"{display}#attestations[{i}]"
            result = parse_attestation(entry, source, path.parent, root, known, today)
            if isinstance(result, Problem):
                problems.append(result)
            else:
                accepted.append(result)
    return accepted, problems


def check_files(paths: Iterable[Path], root: Path) -> None:
    """Read every attestation file as scoring will, so a broken one (a directory, a FIFO, an
    alias bomb, a duplicate key) stops the command with exit 2 before any collector runs."""
    for path in paths:
        _entries(path, _display(path, root))


def _entries(path: Path, display: str) -> list[Any]:
    data = _read(path, display)
    if data is None:  # an empty file: nothing attested yet
        return []
    entries = data.get("attestations", ()) if isinstance(data, dict) else ()
    if entries is None:  # ``attestations:`` with every entry still commented out
        entries = []
    if not isinstance(entries, list):
        raise ConfigError(
            display, "attestations", "the file needs a top-level 'attestations:' list"
        )
    return entries


def _display(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return str(path)


def _read(path: Path, display: str) -> Any:
    """The file through the strict reader: a regular file (a FIFO would block, a directory is
    not a file), bounded size, UTF-8, no aliases (alias bombs), no duplicate keys (a second
    ``answer:`` must not win), dates kept as text for the strict date check."""
    try:
        return strict_yaml(read_text(path, display, MAX_BYTES), display)
    except FileProblem as exc:
        raise ConfigError(display, "", exc.reason, exc.line) from None


def parse_attestation(
    entry: Any, source: str, base: Path, root: Path, known: set[str], today: dt.date
) -> Attestation | Problem:
    def problem(message: str, qid: str | None = None) -> Problem:
        return Problem(kind="attestation", source=source, id=qid, message=message)

    if not isinstance(entry, Mapping):
        return problem("must be a mapping with question, answer, owner, date, expires")
    qid = entry.get("question")
    if not isinstance(qid, str) or qid not in known:
        return problem(f"unknown question id {qid!r}", qid if isinstance(qid, str) else None)
    answer = answer_value(entry.get("answer"))
    if answer is None:
        return problem("answer must be yes/no or 0-3 (toolkit scale)", qid)
    owner = entry.get("owner")
    if not isinstance(owner, str) or not owner.strip():
        return problem("owner is required", qid)
    date = parse_date(entry.get("date"))
    expires = parse_date(entry.get("expires"))
    if date is None:
        return problem("date must be an ISO date (YYYY-MM-DD)", qid)
    if expires is None:
        return problem("expires must be an ISO date (YYYY-MM-DD)", qid)
    if expires < date:
        return problem("expires is before date", qid)
    if date > today:
        return problem(f"dated in the future ({date.isoformat()})", qid)
    if expires < today:
        return problem(f"expired on {expires.isoformat()}", qid)
    evidence = entry.get("evidence")
    digest = None
    if evidence is not None:
        if not isinstance(evidence, str) or not evidence.strip():
            return problem("evidence must be a URL or a repository path", qid)
        if "://" not in evidence:
            try:
                target = resolve_inside(base, evidence, root, must_exist=True)
            except PathError as exc:
                return problem(f"evidence {exc}", qid)
            if not target.is_file():
                return problem(f"evidence {evidence!r} is not a file", qid)
            digest = "sha256:" + sha256_file(target)
    note = entry.get("note", "")
    return Attestation(
        question=qid,
        value=answer[1],
        answer=answer[0],
        owner=owner.strip(),
        date=date.isoformat(),
        expires=expires.isoformat(),
        evidence=evidence,
        evidence_sha256=digest,
        note=note if isinstance(note, str) else "",
        source=source,
    )
