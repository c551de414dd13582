"""The ``retrieval`` collector class: the retrieval side of a RAG system, checked without a live model
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

Reads repository files only (light; measure.py); never loads an index. judge.py judges.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from aima_ci.models import Finding
from aima_ci.plugin import (
    Collector,
    CollectorConfigError,
    CollectorContext,
    Starter,
    load_checks,
)

if TYPE_CHECKING:
    from aima_ci.models import RepoFacts

NAME = "retrieval"
KEYS = {"indexes", "ingest", "sources", "pii_filter"}
SOURCE_DIR = re.compile(r"""(?:DirectoryLoader|SimpleDirectoryReader)\(\s*(?:input_dir\s*=\s*)?["']([^"']+)["']""")  # fmt: skip
MAX_SCRIPT = 1 << 20


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
        from .judge import findings
        from .measure import measure

        yield from findings(ctx, measure(ctx))
