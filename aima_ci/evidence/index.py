"""The findings index: what scoring reads of findings.jsonl, a few kilobytes instead of megabytes.

Scoring reads a handful of fields per finding (check, collector, status, severity, kind, links,
notes, timestamps, the declared time-to-live and the subjects bound to repository files), and of
the messages only the first of each kind. A garak scan or a replicated example writes thousands of
findings that differ only in their messages and unbound subjects, and parsing all of them (20 MB
of JSON for 10,000 findings) cost `aima-ci score` ten times a Python start. So the writer of
findings.jsonl also writes ``findings.index.json``: the findings grouped by everything scoring
reads, in the order each group first occurs, each group as its first finding plus a ``count``,
and the distinct subjects the manifest lists.

Why the grouping changes no verdict: within a group every field scoring compares is equal, so
waivers, time-to-live and subject binding treat every member alike; what scoring takes from one
finding (the worst finding's message, an outcome check's first message, a link) is always the
first in file order among equals, which is the first member of the earliest group. Undecided
findings (``inconclusive``, legacy ``warn``) contribute every distinct message ("not decided:
..."), so their message is part of the group. Stale findings are listed one by one in file order
in the freshness record, which groups cannot reproduce: scoring falls back to findings.jsonl then.

Trust: the index is used only when manifest.json lists it and findings.jsonl, both match, and
the index names the SHA-256 of the findings.jsonl beside it (so it is aima-ci's own summary of
those findings, sealed with them); anything else is read from findings.jsonl as before.
``aima-ci verify`` re-derives the index from findings.jsonl and reports any difference.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, cast

from aima_ci.errors import EvidenceError
from aima_ci.evidence.directory import FINDINGS_INDEX as INDEX

INDEX_VERSION = 1
# Statuses whose every distinct message reaches the assessment (scoring.aggregate_check).
UNDECIDED = frozenset({"inconclusive", "warn"})
# Fields scoring reads from every finding (besides subjects bound to a path and ttl_days).
_KEYED = (
    "check",
    "collector",
    "status",
    "severity",
    "kind",
    "questions",
    "links",
    "notes",
    "started_at",
    "finished_at",
)


def _view(finding: Mapping[str, Any]) -> dict[str, Any]:
    """The scoring view of one finding in its findings.jsonl form (Finding.to_dict)."""
    view = {key: finding.get(key) for key in _KEYED}
    view["subjects"] = [s for s in finding.get("subjects") or () if s.get("path")]
    details = finding.get("details") or {}
    if "ttl_days" in details:
        view["details"] = {"ttl_days": details["ttl_days"]}
    if view["status"] in UNDECIDED:
        view["message"] = finding.get("message") or ""
        view["next_step"] = finding.get("next_step") or ""
    return view


def build_index(findings: Iterable[Mapping[str, Any]], findings_sha256: str) -> dict[str, Any]:
    """The index of findings given in their findings.jsonl form, in file order."""
    groups: dict[str, dict[str, Any]] = {}
    subjects: dict[str, Mapping[str, Any]] = {}
    total = 0
    for finding in findings:
        total += 1
        view = _view(finding)
        key = json.dumps(view, sort_keys=True, ensure_ascii=False)
        group = groups.get(key)
        if group is None:
            view.setdefault("message", finding.get("message") or "")
            view.setdefault("next_step", finding.get("next_step") or "")
            view["count"] = 1
            groups[key] = view
        else:
            group["count"] += 1
        for subject in finding.get("subjects") or ():
            if subject.get("digest"):
                subjects.setdefault(json.dumps(subject, sort_keys=True), subject)
    return {
        "version": INDEX_VERSION,
        "findings_sha256": findings_sha256,
        "total": total,
        "groups": list(groups.values()),
        "subjects": [subjects[k] for k in sorted(subjects)],
    }


def write_index(directory: Path, findings: Sequence[Mapping[str, Any]], sha256: str) -> None:
    from aima_ci.evidence.directory import atomic_write

    index = build_index(findings, sha256)
    atomic_write(directory / INDEX, json.dumps(index, ensure_ascii=False, separators=(",", ":")))


def indexed_subjects(
    directory: Path, listed: Mapping[str, str | None], digest_of: Any
) -> list[dict[str, Any]] | None:
    """The distinct subjects of the findings, from the index when it may stand for
    findings.jsonl (the manifest lists them), else None."""
    index = load_index(directory, listed, digest_of)
    return None if index is None else index.subjects


def index_of_findings(directory: Path) -> dict[str, Any] | None:
    """The index findings.jsonl gives, built from its lines as they are (None: unreadable)."""
    import hashlib

    from aima_ci.evidence.directory import FINDINGS

    path = directory / FINDINGS
    if not path.is_file():
        return None
    raw = path.read_bytes()
    try:
        lines = [json.loads(line) for line in raw.decode("utf-8").splitlines() if line.strip()]
        return build_index(lines, hashlib.sha256(raw).hexdigest())
    except (UnicodeDecodeError, ValueError, RecursionError, AttributeError, TypeError):
        return None


def index_differences(directory: Path) -> list[str]:
    """For verify: the index beside findings.jsonl must be exactly what its findings give (the
    scoring reads the index, so an index that says something else would be scored unseen)."""
    from aima_ci.evidence.directory import read_json

    if not (directory / INDEX).is_file():
        return []
    expected = index_of_findings(directory)
    if expected is None:
        return [f"{INDEX}: findings.jsonl cannot be read, so the index cannot be checked"]
    if read_json(directory / INDEX) != expected:
        return [f"{INDEX}: does not follow from findings.jsonl (scoring reads it in their place)"]
    return []


def refresh_index(directory: Path, digest_of: Any) -> None:
    """After scoring from every line of findings.jsonl because the index could not stand for
    it (no manifest, an older aima-ci, findings rescored by hand): write the index those lines
    give, so the directory score leaves behind is consistent (verify checks it) and the next
    score reads the index. An index that could stand for the findings is left as it is."""
    from aima_ci.evidence.directory import atomic_write, listed_digests

    if load_index(directory, listed_digests(directory), digest_of) is not None:
        return
    index = index_of_findings(directory)
    if index is None:
        return  # scoring read the findings, so this is a race; the next score names it
    atomic_write(directory / INDEX, json.dumps(index, ensure_ascii=False, separators=(",", ":")))
    digest_of.forget(INDEX)


class Index:
    """A parsed, checked findings index: ``findings`` (Tally objects in first-occurrence order)
    and the distinct ``subjects`` for the manifest."""

    def __init__(self, findings: list[Any], subjects: list[dict[str, Any]], total: int) -> None:
        self.findings = findings
        self.subjects = subjects
        self.total = total


def parse_index(data: Any, findings_sha256: str, where: str) -> Index:
    """The index as scoring uses it; EvidenceError naming the file for anything malformed, or
    an index of other findings than ``findings_sha256``."""
    from dataclasses import replace

    from aima_ci.models import Tally

    if not isinstance(data, dict) or data.get("version") != INDEX_VERSION:
        raise EvidenceError(f"{where}: not a findings index of version {INDEX_VERSION}")
    if data.get("findings_sha256") != findings_sha256:
        raise EvidenceError(f"{where}: indexes other findings than the findings.jsonl beside it")
    groups, subjects, total = data.get("groups"), data.get("subjects"), data.get("total")
    if not isinstance(groups, list) or not isinstance(subjects, list):
        raise EvidenceError(f"{where}: 'groups' and 'subjects' must be lists")
    if not all(isinstance(s, dict) for s in subjects):
        raise EvidenceError(f"{where}: a subject is not an object")
    findings: list[Any] = []
    counted = 0
    for number, group in enumerate(groups):
        count = group.get("count") if isinstance(group, dict) else None
        if type(count) is not int or count < 1:
            raise EvidenceError(f"{where}: group {number} has no positive 'count'")
        try:
            first = cast(Tally, Tally.from_dict(group))  # from_dict builds its own class
        except (EvidenceError, ValueError, TypeError, KeyError) as exc:
            raise EvidenceError(f"{where}: group {number}: {exc}") from None
        findings.append(replace(first, count=count))
        counted += count
    if type(total) is not int or counted != total:
        raise EvidenceError(f"{where}: the group counts do not add up to 'total'")
    return Index(findings, subjects, total)


def load_index(
    directory: Path,
    listed: Mapping[str, str | None],
    digest_of: Any,
    *,
    check_findings: bool = True,
) -> Index | None:
    """The index of ``directory`` when it may stand for findings.jsonl, else None (read the
    findings). ``listed``: the manifest's SHA-256 per file (empty without a manifest);
    ``digest_of(name)``: the current SHA-256 of an evidence file, hashed once per command.
    ``check_findings=False``: take findings.jsonl's digest from the manifest without hashing
    it here; the caller checks the file against the manifest (check_listed) before anything
    derived from the index leaves it (score hashes a 20 MB findings.jsonl while it scores)."""
    from aima_ci.evidence.directory import FINDINGS, read_json

    path = directory / INDEX
    if INDEX not in listed or FINDINGS not in listed or not path.is_file():
        return None
    if not (directory / FINDINGS).is_file():
        return None  # read_findings names the problem
    findings_digest = digest_of(FINDINGS) if check_findings else listed[FINDINGS]
    if not isinstance(findings_digest, str) or listed[FINDINGS] != findings_digest:
        return None  # check_listed names the damage
    if digest_of(INDEX) != listed[INDEX]:
        raise EvidenceError(
            f"{path}: does not match manifest.json (changed or damaged after aima-ci wrote"
            f" it); run 'aima-ci verify {directory}' to see what differs, or collect again"
        )
    key = (str(path), listed[INDEX] or "", findings_digest)
    if key not in _PARSED:  # score reads it for the findings, then for the manifest's subjects
        _PARSED.clear()
        _PARSED[key] = parse_index(read_json(path), findings_digest, str(path))
    return _PARSED[key]


# The last index parsed, by its path and the SHA-256 just checked against the manifest (its
# content, not its modification time: an edit within one clock tick changes the key).
_PARSED: dict[tuple[str, str, str], Index] = {}
