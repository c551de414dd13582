"""The evidence data model shared by collectors, scoring, gate and reports.

Everything here is plain data (frozen dataclasses plus dict round-trips) so that an evidence
directory written by one CI job can be read back, merged and re-scored by another without the
collectors that produced it being installed.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from aima_ci.errors import EvidenceError

__all__ = ["EvidenceError"]


class Status(StrEnum):
    PASS = "pass"
    FAIL = "fail"
    # Not enough data to decide (too few outputs, too few rows): no credit either way.
    INCONCLUSIVE = "inconclusive"
    # Legacy (evidence written before ``inconclusive`` existed): read as inconclusive.
    WARN = "warn"
    ERROR = "error"
    NOT_APPLICABLE = "not_applicable"
    NOT_RUN = "not_run"
    WAIVED = "waived"


class Severity(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"


SEVERITY_ORDER = {Severity.LOW: 0, Severity.MEDIUM: 1, Severity.HIGH: 2, Severity.CRITICAL: 3}

SHOWS = ("performed", "effective")
STRENGTHS = ("direct", "partial")


@dataclass(frozen=True)
class Link:
    """Why one check is evidence for one AIMA question, and what kind of evidence it is.

    ``performed``: the check ran on real input under a configured policy, which proves the
    practice's process exists whatever the outcome; ``effective``: the check passed, which is what
    an outcome question asks. ``partial`` links answer part of the question only and never give it
    full credit on their own. The rationale is what an auditor reads to judge the link.
    """

    question: str
    shows: str = "effective"
    strength: str = "direct"
    rationale: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "question": self.question,
            "shows": self.shows,
            "strength": self.strength,
            "rationale": self.rationale,
        }

    @classmethod
    def from_dict(cls, data: Any) -> Link:
        if not isinstance(data, Mapping):
            raise EvidenceError("a link must be an object")
        shows = data.get("shows", "effective")
        strength = data.get("strength", "direct")
        if shows not in SHOWS:
            raise EvidenceError(f"link 'shows' must be one of {', '.join(SHOWS)}, not {shows!r}")
        if strength not in STRENGTHS:
            raise EvidenceError(
                f"link 'strength' must be one of {', '.join(STRENGTHS)}, not {strength!r}"
            )
        return cls(
            question=_str(data, "question"),
            shows=shows,
            strength=strength,
            rationale=_opt_str(data, "rationale") or "",
        )


def links_for(questions: Sequence[str], links: Sequence[Link]) -> tuple[Link, ...]:
    """The links of a finding: its declared links, or for evidence written before links existed
    (and for plugins that declare only ``questions``), one direct ``effective`` link per question,
    which is exactly how such evidence was scored before."""
    if links:
        return tuple(links)
    return tuple(Link(q) for q in questions)


@dataclass(frozen=True)
class Check:
    """A machine-verifiable control defined by a collector.

    ``questions`` ties the check to AIMA question IDs (e.g. ``VER-ST-A2``); that link is what lets a
    tool result count as maturity evidence.
    """

    id: str
    title: str
    questions: tuple[str, ...]
    severity: Severity = Severity.MEDIUM
    description: str = ""
    threshold: float | None = None
    # How ``value`` is compared with ``threshold``: ">=" means higher is better.
    comparison: str | None = None
    next_step: str = ""
    # Evidence older than this many days is stale (``not_run``) at scoring time; None = no limit.
    ttl_days: float | None = None
    # What each question link shows (see Link); empty for plugins that declare only questions.
    links: tuple[Link, ...] = ()
    # ``outcome``: the check judges the system (bias, drift, attacks); its failure is a finding
    # the outcome policy gates on. ``process``: it judges whether a practice's evidence exists.
    kind: str = "process"

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "kind": self.kind,
            "questions": list(self.questions),
            "links": [link.to_dict() for link in self.links],
            "severity": str(self.severity),
            "description": self.description,
            "threshold": self.threshold,
            "comparison": self.comparison,
            "next_step": self.next_step,
            "ttl_days": self.ttl_days,
        }


@dataclass(frozen=True)
class Subject:
    """What a finding is about: a model file, a dataset, an endpoint, with its digest where one exists."""

    kind: str
    name: str
    digest: str | None = None
    path: str | None = None
    # A model's serialisation format (skops, onnx, torchscript, mlflow ...): the same bytes mean
    # different things, and different risks, in different formats.
    format: str | None = None
    # Provenance a digest alone does not give (an MLflow registered version, its run id).
    meta: tuple[tuple[str, str], ...] = ()

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "kind": self.kind,
            "name": self.name,
            "digest": self.digest,
            "path": self.path,
        }
        if self.format is not None:
            out["format"] = self.format
        if self.meta:
            out["meta"] = dict(self.meta)
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Subject:
        meta = data.get("meta") or {}
        # Most subjects carry no provenance: an empty mapping passes the check below as is.
        if meta and (
            not isinstance(meta, Mapping)
            or not all(isinstance(k, str) and isinstance(v, str) for k, v in meta.items())
        ):
            raise EvidenceError("'meta' must map strings to strings")
        return cls(
            kind=_str(data, "kind"),
            name=_str(data, "name"),
            digest=_opt_str(data, "digest"),
            path=_opt_str(data, "path"),
            format=_opt_str(data, "format"),
            meta=tuple(sorted(meta.items())) if meta else (),
        )


@dataclass(frozen=True)
class Finding:
    """One result of one check from one collector run."""

    check: str
    collector: str
    status: Status
    message: str = ""
    questions: tuple[str, ...] = ()
    value: float | int | str | bool | None = None
    threshold: float | None = None
    severity: Severity = Severity.MEDIUM
    subjects: tuple[Subject, ...] = ()
    artefacts: tuple[str, ...] = ()
    collector_version: str = ""
    tool: str | None = None
    tool_version: str | None = None
    started_at: str | None = None
    finished_at: str | None = None
    next_step: str = ""
    details: Mapping[str, Any] = field(default_factory=dict)
    links: tuple[Link, ...] = ()
    kind: str = "process"
    # Pass-with-notes: what could not be measured on a passing check (credit stands).
    notes: tuple[str, ...] = ()

    @property
    def question_links(self) -> tuple[Link, ...]:
        return links_for(self.questions, self.links)

    @property
    def subject(self) -> Subject | None:
        return self.subjects[0] if self.subjects else None

    def to_dict(self) -> dict[str, Any]:
        value = self.value
        if isinstance(value, float) and not math.isfinite(value):
            value = str(value)
        return {
            "check": self.check,
            "collector": self.collector,
            "collector_version": self.collector_version,
            "status": str(self.status),
            "value": value,
            "threshold": self.threshold,
            "message": self.message,
            "questions": list(self.questions),
            "severity": str(self.severity),
            "subject": self.subject.to_dict() if self.subject else None,
            "subjects": [s.to_dict() for s in self.subjects],
            "artefacts": list(self.artefacts),
            "tool": self.tool,
            "tool_version": self.tool_version,
            "started_at": self.started_at,
            "finished_at": self.finished_at,
            "next_step": self.next_step,
            "details": dict(self.details),
            "links": [link.to_dict() for link in self.links],
            "kind": self.kind,
            "notes": list(self.notes),
        }

    @classmethod
    def from_dict(cls, data: Any) -> Finding:
        """Parse one stored finding; anything malformed raises EvidenceError (never a silent pass)."""
        if not isinstance(data, Mapping):
            raise EvidenceError("a finding must be a JSON object")
        try:
            status = Status(_str(data, "status"))
        except ValueError as exc:
            raise EvidenceError(f"unknown status {data.get('status')!r}") from exc
        try:
            severity = Severity(data.get("severity") or "medium")
        except ValueError as exc:
            raise EvidenceError(f"unknown severity {data.get('severity')!r}") from exc
        value = data.get("value")
        if value is not None and not isinstance(value, (int, float, str, bool)):
            raise EvidenceError("'value' must be a number, string, boolean or null")
        threshold = data.get("threshold")
        if threshold is not None and (
            isinstance(threshold, bool) or not isinstance(threshold, (int, float))
        ):
            raise EvidenceError("'threshold' must be a number or null")
        subjects_raw = data.get("subjects")
        if subjects_raw is None:
            subjects_raw = [data["subject"]] if data.get("subject") else []
        if not isinstance(subjects_raw, list):
            raise EvidenceError("'subjects' must be a list")
        details = data.get("details") or {}
        if not isinstance(details, Mapping):
            raise EvidenceError("'details' must be an object")
        links_raw = data.get("links") or []
        if not isinstance(links_raw, list):
            raise EvidenceError("'links' must be a list")
        kind = data.get("kind") or "process"
        if kind not in ("process", "outcome"):
            raise EvidenceError(f"unknown check kind {kind!r}")
        return cls(
            check=_str(data, "check"),
            collector=_str(data, "collector"),
            status=status,
            message=_opt_str(data, "message") or "",
            questions=_str_tuple(data, "questions"),
            value=value,
            threshold=float(threshold) if threshold is not None else None,
            severity=severity,
            subjects=tuple(
                Subject.from_dict(s) if isinstance(s, Mapping) else _bad("subject")
                for s in subjects_raw
            ),
            artefacts=_str_tuple(data, "artefacts"),
            collector_version=_opt_str(data, "collector_version") or "",
            tool=_opt_str(data, "tool"),
            tool_version=_opt_str(data, "tool_version"),
            started_at=_opt_str(data, "started_at"),
            finished_at=_opt_str(data, "finished_at"),
            next_step=_opt_str(data, "next_step") or "",
            details=dict(details),
            links=tuple(Link.from_dict(link) for link in links_raw),
            kind=kind,
            notes=_str_tuple(data, "notes"),
        )


@dataclass(frozen=True)
class Tally(Finding):
    """``count`` findings that scoring cannot tell apart, standing as one (the findings index,
    evidence/index.py): the first of them in file order, so every "first" or "worst" the scoring
    picks is the one it picks from the findings one by one. Never written to findings.jsonl."""

    count: int = 1


def weight(finding: Finding) -> int:
    """How many findings ``finding`` stands for (a Tally: its count; any other finding: one)."""
    return finding.count if isinstance(finding, Tally) else 1


@dataclass(frozen=True)
class Attestation:
    """A person's answer to a question no tool can answer (training, policies, roles)."""

    question: str
    value: float  # in [0, 1]: yes = 1, no = 0, toolkit 0-3 divided by 3
    answer: str  # as written: "yes", "no", "0".."3"
    owner: str
    date: str
    expires: str
    evidence: str | None = None
    evidence_sha256: str | None = None
    note: str = ""
    source: str = ""  # file:line it came from

    def to_dict(self) -> dict[str, Any]:
        return {
            "question": self.question,
            "answer": self.answer,
            "value": self.value,
            "owner": self.owner,
            "date": self.date,
            "expires": self.expires,
            "evidence": self.evidence,
            "evidence_sha256": self.evidence_sha256,
            "note": self.note,
            "source": self.source,
        }


@dataclass(frozen=True)
class Waiver:
    """An accepted, time-boxed exception for a check or a question."""

    target: str  # a check id or a question id
    reason: str
    owner: str
    expires: str  # ISO date (UTC)
    created: str | None = None
    source: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.target,
            "reason": self.reason,
            "owner": self.owner,
            "expires": self.expires,
            "created": self.created,
            "source": self.source,
        }


@dataclass(frozen=True)
class Problem:
    """An input that was rejected (expired attestation, malformed waiver...) and why; reported."""

    kind: str
    source: str
    message: str
    id: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "source": self.source, "id": self.id, "message": self.message}


def _bad(what: str) -> Any:
    raise EvidenceError(f"malformed {what}")


def _str(data: Mapping[str, Any], key: str) -> str:
    value = data.get(key)
    if type(value) is str and value:
        return value
    if not isinstance(value, str) or not value:
        raise EvidenceError(f"'{key}' must be a non-empty string")
    return value


def _opt_str(data: Mapping[str, Any], key: str) -> str | None:
    value = data.get(key)
    if value is None or type(value) is str:  # called 100,000 times on 10,000 findings
        return value
    if not isinstance(value, str):
        raise EvidenceError(f"'{key}' must be a string")
    return value


def _str_tuple(data: Mapping[str, Any], key: str) -> tuple[str, ...]:
    value = data.get(key) or []
    if type(value) is list:  # what json.loads gives: skip the abstract-class checks below
        for v in value:
            if type(v) is not str:
                break
        else:
            return tuple(value)
    if not isinstance(value, Sequence) or isinstance(value, str):
        raise EvidenceError(f"'{key}' must be a list of strings")
    if not all(isinstance(v, str) for v in value):
        raise EvidenceError(f"'{key}' must be a list of strings")
    return tuple(value)


# What `aima-ci init` found in a repository (aima_ci/repo_facts.py): part of this public data model,
# loaded on first use, since score and gate never need it.
_REPO_FACTS = frozenset(
    {
        "MIN_ROWS",
        "MAX_DISTINCT",
        "LABEL_NAMES",
        "UNFAVOURABLE_LABEL",
        "FAVOURABLE_VALUES",
        "SENSITIVE_NAMES",
        "MAX_GROUPS",
        "Table",
        "LLMFacts",
        "RepoFacts",
    }
)

if TYPE_CHECKING:
    from aima_ci.repo_facts import (
        FAVOURABLE_VALUES as FAVOURABLE_VALUES,
    )
    from aima_ci.repo_facts import (
        LABEL_NAMES as LABEL_NAMES,
    )
    from aima_ci.repo_facts import (
        MAX_DISTINCT as MAX_DISTINCT,
    )
    from aima_ci.repo_facts import (
        MAX_GROUPS as MAX_GROUPS,
    )
    from aima_ci.repo_facts import (
        MIN_ROWS as MIN_ROWS,
    )
    from aima_ci.repo_facts import (
        SENSITIVE_NAMES as SENSITIVE_NAMES,
    )
    from aima_ci.repo_facts import (
        UNFAVOURABLE_LABEL as UNFAVOURABLE_LABEL,
    )
    from aima_ci.repo_facts import (
        LLMFacts as LLMFacts,
    )
    from aima_ci.repo_facts import (
        RepoFacts as RepoFacts,
    )
    from aima_ci.repo_facts import (
        Table as Table,
    )


def __getattr__(name: str) -> Any:
    if name in _REPO_FACTS:
        from aima_ci import repo_facts

        return getattr(repo_facts, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
