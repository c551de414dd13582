"""The ``retrieval`` collector: the retrieval side of a RAG system, checked without a live model
(OWASP LLM08:2025, vector and embedding weaknesses).

- ``retrieval.index_source`` (DAT-QI-B1: integrity checks on data): every index the app loads is
  built by an ingestion script in the repository from sources that are there, so the index can
  be rebuilt and reviewed instead of trusted as an opaque file.
- ``retrieval.index_format`` (DES-SA-A1: security considered in deployment): no index is a
  pickle. LangChain's FAISS store pickles its docstore, and loading it needs
  ``allow_dangerous_deserialization=True``: whoever can change the file runs code in the app.
- ``retrieval.ingestion_pii_filter`` (PRV-DM-A1: data minimisation): the ingestion code passes
  documents through a PII filter (Presidio, scrubadub, or a redact/anonymise step) before
  they are embedded, so personal data is not retrievable by any user of the app.

Reads repository files only (light); never loads an index.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from aima_ci.models import Finding, Status
from aima_ci.plugin import (
    Collector,
    CollectorConfigError,
    CollectorContext,
    InputError,
    Starter,
    load_checks,
)

if TYPE_CHECKING:
    from aima_ci.models import RepoFacts

NAME = "retrieval"
KEYS = {"indexes", "ingest", "sources", "pii_filter"}
PICKLE_EXTS = (".pkl", ".pickle")
PII_FILTER = r"presidio|scrubadub|anonymi[sz]e|redact|mask_pii|strip_pii|remove_pii|scrub_pii|pii_filter|filter_pii"  # fmt: skip
SOURCE_DIR = re.compile(r"""(?:DirectoryLoader|SimpleDirectoryReader)\(\s*(?:input_dir\s*=\s*)?["']([^"']+)["']""")  # fmt: skip
MAX_SCRIPT = 1 << 20
DETAILS = {"owasp_llm": ["LLM08:2025"]}


class RetrievalCollector(Collector):
    name = NAME
    version = "0.1.0"
    description = "RAG retrieval side: index provenance and format, PII filtering at ingestion"
    light = True
    default_timeout = 60.0
    # Checked before any collector runs: inside the repository, present, of the right kind.
    input_paths: ClassVar[Mapping[str, str]] = {
        "indexes": "any",
        "ingest": "file",
        "sources": "any",
    }
    checks = load_checks(__file__)

    def starter(self, facts: RepoFacts) -> Starter | None:
        llm = facts.llm
        if not (llm.retrieval or llm.vector_stores):
            return None
        indexes = sorted({p.rsplit("/", 1)[0] if "/" in p else p for p in llm.vector_stores})
        sources: list[str] = []
        for rel in llm.ingestion_files:
            text = (facts.root / rel).read_text(encoding="utf-8", errors="replace")[:MAX_SCRIPT]
            sources += [s for s in SOURCE_DIR.findall(text) if s not in sources]
        config: dict[str, Any] = {"indexes": indexes, "ingest": llm.ingestion_files[:5]}
        if sources:
            config["sources"] = sources
        return Starter(
            config,
            "RAG retrieval side (OWASP LLM08): where the index comes from, its format, PII at"
            " ingestion.",
            enabled=bool(indexes or llm.ingestion_files),
        )

    def validate_config(self, config: Mapping[str, Any]) -> None:
        self.check_keys(config, KEYS)
        for key in ("indexes", "ingest", "sources"):
            value = config.get(key, [])
            if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
                raise CollectorConfigError(f"collectors.{NAME}.{key}", "must be a list of paths")
        if not config.get("indexes") and not config.get("ingest"):
            raise CollectorConfigError(
                f"collectors.{NAME}.indexes", "name an index or an ingest script"
            )
        pii = config.get("pii_filter")
        if pii is not None and not (isinstance(pii, str) and pii.strip()):
            raise CollectorConfigError(
                f"collectors.{NAME}.pii_filter", "must be a regular expression"
            )
        if isinstance(pii, str):
            try:
                re.compile(pii)
            except re.error as exc:
                raise CollectorConfigError(
                    f"collectors.{NAME}.pii_filter", f"invalid pattern: {exc}"
                ) from None

    def collect(self, ctx: CollectorContext) -> Iterator[Finding]:
        cfg = ctx.config
        indexes = [ctx.path(p, "indexes", must_exist=False) for p in cfg.get("indexes", [])]
        scripts = [ctx.path(p, "ingest", must_exist=False) for p in cfg.get("ingest", [])]
        sources = [ctx.path(p, "sources", must_exist=False) for p in cfg.get("sources", [])]
        texts = {s: _read(s) for s in scripts if s.is_file()}
        yield self._source(ctx, indexes, scripts, sources, texts)
        yield self._format(ctx, indexes)
        yield self._pii(ctx, texts, re.compile(cfg.get("pii_filter") or PII_FILTER, re.I))

    def _source(self, ctx: CollectorContext, indexes: list[Path], scripts: list[Path], sources: list[Path], texts: Mapping[Path, str]) -> Finding:  # fmt: skip
        problems = [f"ingest script {_rel(ctx, s)} is missing" for s in scripts if s not in texts]
        problems += [
            f"source {_rel(ctx, s)} is missing or empty" for s in sources if not _has_files(s)
        ]
        if not scripts:
            problems.append("no ingestion script named (collectors.retrieval.ingest)")
        if not sources:
            problems.append("no sources named (collectors.retrieval.sources)")
        for index in indexes:
            if not any(index.name in text for text in texts.values()):
                problems.append(f"no ingestion script writes {_rel(ctx, index)}")
        status = Status.FAIL if problems else Status.PASS
        message = "; ".join(problems) or (
            f"{len(indexes)} index(es) built by {', '.join(_rel(ctx, s) for s in texts)} from"
            f" {', '.join(_rel(ctx, s) for s in sources)}"
        )
        return ctx.finding("retrieval.index_source", status, message=message, details=DETAILS)

    def _format(self, ctx: CollectorContext, indexes: list[Path]) -> Finding:
        if not indexes:
            return ctx.finding("retrieval.index_format", Status.NOT_APPLICABLE, message="no index named", details=DETAILS)  # fmt: skip
        pickles = [
            p for p in _files(indexes) if p.suffix.lower() in PICKLE_EXTS or _pickle_magic(p)
        ]
        subjects = [ctx.subject("vector_store", p) for p in pickles[:20]]
        if pickles:
            names = ", ".join(_rel(ctx, p) for p in pickles[:5])
            return ctx.finding("retrieval.index_format", Status.FAIL, message=f"pickled index file(s): {names}", subjects=subjects, details=DETAILS)  # fmt: skip
        return ctx.finding("retrieval.index_format", Status.PASS, message="no index file is a pickle", details=DETAILS)  # fmt: skip

    def _pii(self, ctx: CollectorContext, texts: Mapping[Path, str], pattern: re.Pattern[str]) -> Finding:  # fmt: skip
        if not texts:
            return ctx.finding("retrieval.ingestion_pii_filter", Status.FAIL, message="no ingestion script to inspect", details=DETAILS)  # fmt: skip
        hits = {_rel(ctx, p): m.group(0) for p, t in texts.items() if (m := pattern.search(t))}
        if hits:
            where = ", ".join(f"{k} ({v})" for k, v in hits.items())
            return ctx.finding("retrieval.ingestion_pii_filter", Status.PASS, message=f"PII filter in {where}", details=DETAILS)  # fmt: skip
        return ctx.finding(
            "retrieval.ingestion_pii_filter",
            Status.FAIL,
            message="no PII filter in " + ", ".join(_rel(ctx, p) for p in texts),
            details=DETAILS,
        )


def _read(path: Path) -> str:
    if path.stat().st_size > MAX_SCRIPT:
        raise InputError(f"{path.name} is larger than {MAX_SCRIPT} bytes")
    return path.read_bytes().decode("utf-8", "replace")


def _rel(ctx: CollectorContext, path: Path) -> str:
    try:
        return path.resolve().relative_to(ctx.root.resolve()).as_posix()
    except ValueError:
        return path.name


def _files(paths: list[Path]) -> list[Path]:
    out: list[Path] = []
    for p in paths:
        if p.is_file():
            out.append(p)
        elif p.is_dir():
            out += sorted(f for f in p.rglob("*") if f.is_file() and not f.is_symlink())
    return out


def _has_files(path: Path) -> bool:
    return path.is_file() or (path.is_dir() and any(f.is_file() for f in path.rglob("*")))


def _pickle_magic(path: Path) -> bool:
    """Protocol 2+ pickles start with 0x80 and the protocol number."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(2)
    except OSError:
        return False
    return len(head) == 2 and head[0] == 0x80 and 2 <= head[1] <= 5
