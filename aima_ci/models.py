"""The evidence data model shared by collectors, scoring, gate and reports.

Everything here is plain data (frozen dataclasses plus dict round-trips) so that an evidence
directory written by one CI job can be read back, merged and re-scored by another without the
collectors that produced it being installed.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

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


# -- what `aima-ci init` found in a repository: the input of Collector.starter -----------------
# Pure data and derivations; the reading lives in aima_ci.onboard.facts. Here, in the public data
# model, because collectors (first- and third-party) receive it through the plugin API.
MIN_ROWS = 20  # fewer rows than this is a sample payload, not data to measure
MAX_DISTINCT = 50
# Column names that usually hold the outcome, and ones that usually hold a protected attribute.
LABEL_NAMES = re.compile(
    r"^(target|label|labels|y|class|outcome|default|defaulted|approved|approval|churn|churned|"
    r"fraud|is_fraud|risk|credit_risk|bad|good_bad|response|survived|decision|loan_status|result)$",
    re.I,
)
UNFAVOURABLE_LABEL = re.compile(r"default|fraud|churn|bad|risk|delinquen", re.I)
FAVOURABLE_VALUES = ("1", "1.0", "yes", "true", "good", "approved", "accept", "accepted", "granted", "paid")  # fmt: skip
SENSITIVE_NAMES = re.compile(
    r"(^|_)(sex|gender|age|age_?group|age_?band|race|ethnic|ethnicity|religion|marital|"
    r"marital_status|personal_status|nationality|foreign|foreign_worker|citizenship|disability|"
    r"pregnan\w*|national_origin)($|_)",
    re.I,
)
MAX_GROUPS = 10  # a protected attribute with more values is a number, not groups


@dataclass
class Table:
    """A dataset file: header, rows seen, distinct values per column (capped)."""

    path: str
    columns: list[str] = field(default_factory=list)
    rows: int = 0  # rows read (exact when ``complete``)
    complete: bool = False
    distinct: dict[str, list[str]] = field(default_factory=dict)  # column -> up to 50 values
    counts: dict[str, list[int]] = field(default_factory=dict)  # ... and how often each occurs
    numeric: dict[str, bool] = field(default_factory=dict)

    @property
    def measurable(self) -> bool:
        return self.rows >= MIN_ROWS and len(self.columns) >= 2

    def cardinality(self, column: str) -> int:
        values = self.distinct.get(column, [])
        return len(values) if len(values) < MAX_DISTINCT else MAX_DISTINCT


@dataclass
class LLMFacts:
    """How the repository talks to a language model, as far as its source shows."""

    clients: list[str] = field(
        default_factory=list
    )  # openai, ollama, huggingface, langchain, llamaindex
    base_url: str | None = None
    model: str | None = None
    app_file: str | None = None
    app_port: int | None = None
    app_route: str | None = None
    request_field: str | None = None
    response_field: str | None = None
    vector_stores: list[str] = field(default_factory=list)
    ingestion_files: list[str] = field(default_factory=list)
    retrieval: bool = False


@dataclass
class RepoFacts:
    """What init found, as POSIX paths relative to the folder the config is written to."""

    root: Path = field(default_factory=Path)
    models: list[str] = field(default_factory=list)
    datasets: list[str] = field(default_factory=list)
    raw_data: list[str] = field(default_factory=list)
    images: int = 0
    notebooks: list[str] = field(default_factory=list)
    training_scripts: list[str] = field(default_factory=list)
    llm_libraries: list[str] = field(default_factory=list)
    ci_files: list[str] = field(default_factory=list)
    model_cards: list[str] = field(default_factory=list)
    threat_models: list[str] = field(default_factory=list)
    alert_rules: list[str] = field(default_factory=list)
    playbooks: list[str] = field(default_factory=list)
    registries: list[str] = field(default_factory=list)
    inventories: list[str] = field(default_factory=list)
    purpose_files: list[str] = field(default_factory=list)
    rego_policies: list[str] = field(default_factory=list)
    manifests: list[str] = field(default_factory=list)
    promptfoo_configs: list[str] = field(default_factory=list)
    dvc_files: list[str] = field(default_factory=list)  # dvc.lock and *.dvc
    dvc_outs: list[str] = field(default_factory=list)
    mlflow_uris: list[str] = field(default_factory=list)
    mlflow_files: list[str] = field(default_factory=list)  # where the URIs / calls were seen
    tables: dict[str, Table] = field(default_factory=dict)
    llm: LLMFacts = field(default_factory=LLMFacts)
    profile: Any = None  # the chosen aima_ci.onboard.profiles.Profile

    # -- derived --------------------------------------------------------------------------------
    @property
    def csv_columns(self) -> dict[str, list[str]]:
        return {p: t.columns for p, t in self.tables.items() if t.columns}

    @property
    def empty(self) -> bool:
        return not any(
            (
                self.models, self.datasets, self.raw_data, self.notebooks, self.llm_libraries,
                self.ci_files, self.model_cards, self.threat_models, self.alert_rules,
                self.playbooks, self.llm.clients, self.training_scripts,
            )
        )  # fmt: skip

    def measurable_tables(self) -> list[Table]:
        return [t for t in self.tables.values() if t.measurable]

    def split(self) -> tuple[Table, Table] | None:
        """(reference, current) for drift: train vs a production sample, else vs the test split,
        with the same columns."""
        tables = self.measurable_tables()
        trains = [t for t in tables if _word(t.path, ("train", "reference", "ref"))]
        for train in trains:
            # a production sample says more about drift than a held-out split of the same data
            for words in (
                ("current", "prod", "production", "live"),
                ("test", "holdout", "valid", "eval"),
            ):
                for other in tables:
                    if other is train or not _word(other.path, words):
                        continue
                    # a production sample may lack the label: its columns need only be a
                    # subset (the drift check then compares those, see shared_columns)
                    shared = set(other.columns) & set(train.columns)
                    if set(other.columns) <= set(train.columns) and len(shared) >= 2:
                        return train, other
        return None

    @staticmethod
    def shared_columns(reference: Table, current: Table) -> list[str]:
        return [c for c in reference.columns if c in current.columns]

    def training_table(self) -> Table | None:
        """The table the model learns from: a train split, else the largest measurable table."""
        pair = self.split()
        if pair:
            return pair[0]
        tables = self.measurable_tables()
        named = [t for t in tables if _word(t.path, ("train",))]
        pool = named or tables
        return max(pool, key=lambda t: t.rows) if pool else None

    def label_candidates(self, table: Table) -> list[str]:
        """Binary columns, name matches first (``approved``, ``default``, ``target`` ...)."""
        binary = [c for c in table.columns if table.cardinality(c) == 2]
        by_name = [c for c in binary if LABEL_NAMES.match(c.strip())]
        loose = [
            c for c in binary if c not in by_name and re.search(r"label|target|outcome", c, re.I)
        ]
        return by_name + loose

    def sensitive_candidates(self, table: Table) -> list[str]:
        """Columns named like a protected attribute with few enough values to form groups."""
        return [
            c
            for c in table.columns
            if SENSITIVE_NAMES.search(c.strip()) and 2 <= table.cardinality(c) <= MAX_GROUPS
        ]

    def favourable(self, table: Table, label: str) -> str:
        values = table.distinct.get(label, [])
        for v in values:
            if v.strip().lower() in FAVOURABLE_VALUES:
                good = v
                break
        else:
            good = _majority(table, label)
        if UNFAVOURABLE_LABEL.search(label) and len(values) == 2:
            good = next(v for v in values if v != good)
        return good

    def export_model_steps(self) -> tuple[str, ...]:
        """With data but no model file: the two lines that export one for the model checks."""
        if any(m.endswith((".skops", ".onnx")) for m in self.models):
            return ()
        if self.mlflow_uris:
            where = f"(MLflow model {self.mlflow_uris[0]})"
            load = f'mlflow.sklearn.load_model("{self.mlflow_uris[0]}")'
            first = "import mlflow, skops.io as sio"
        else:
            script = self.training_scripts[0] if self.training_scripts else "the training script"
            where = f"(at the end of {script}, where the fitted model is `model`)"
            load, first = "model", "import skops.io as sio"
        return (
            f"no model file is committed: export it {where} for fairlearn, shap and art:",
            f"    {first}",
            f'    sio.dump({load}, "models/model.skops")',
            "  then run `aima-ci init --force` again to configure the model checks.",
        )

    def majority(self, table: Table, column: str) -> str:
        return _majority(table, column)

    def summary(self) -> list[str]:
        rows = [
            ("model files", self.models),
            ("datasets", self.datasets),
            ("raw data files (confirm their schema)", self.raw_data),
            ("notebooks", self.notebooks),
            ("training scripts", self.training_scripts),
            ("DVC files", self.dvc_files),
            ("MLflow model URIs", self.mlflow_uris),
            ("LLM client libraries", self.llm_libraries),
            ("LLM clients in code", self.llm.clients),
            ("pickled vector stores", self.llm.vector_stores),
            ("CI files", self.ci_files),
            ("model cards", self.model_cards),
            ("threat models", self.threat_models),
            ("alert rule files", self.alert_rules),
            ("incident playbooks", self.playbooks),
        ]
        out = [f"{label}: {_shorten(items)}" for label, items in rows if items]
        small = [t.path for t in self.tables.values() if t.columns and not t.measurable]
        if small:
            out.append(f"tables too small to measure (< {MIN_ROWS} rows): {_shorten(small)}")
        return out


def _word(path: str, words: Sequence[str]) -> bool:
    name = path.rsplit("/", 1)[-1].lower()
    return any(re.search(rf"(^|[^a-z]){w}([^a-z]|$)", name) for w in words)


def _majority(table: Table, column: str) -> str:
    counts = table.counts.get(column)
    values = table.distinct.get(column, [])
    if counts:
        return max(zip(values, counts, strict=False), key=lambda vc: vc[1])[0]
    return values[0] if values else ""


def _shorten(items: Sequence[str]) -> str:
    shown = ", ".join(items[:3])
    return shown + (f" (+{len(items) - 3} more)" if len(items) > 3 else "")
