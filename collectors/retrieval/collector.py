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

settings.py declares the keys; measure.py reads repository files only (light) and never loads
an index; judge.py judges.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from aima_ci.models import Finding
from aima_ci.plugin import Collector, CollectorContext, Starter, load_checks

from .settings import SPEC, RetrievalSettings

if TYPE_CHECKING:
    from aima_ci.models import RepoFacts

NAME = "retrieval"
SOURCE_DIR = re.compile(r"""(?:DirectoryLoader|SimpleDirectoryReader)\(\s*(?:input_dir\s*=\s*)?["']([^"']+)["']""")  # fmt: skip
MAX_SCRIPT = 1 << 20


class RetrievalCollector(Collector):
    name = NAME
    version = "0.1.0"
    description = "RAG retrieval side: index provenance and format, PII filtering at ingestion"
    light = True
    default_timeout = 60.0
    checks = load_checks(__file__)
    spec = SPEC  # the keys, parsed once into ctx.settings; preflight checks every path in it

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

    def collect(self, ctx: CollectorContext) -> Iterator[Finding]:
        from .judge import findings
        from .measure import measure

        settings: RetrievalSettings = ctx.settings
        yield from findings(ctx, settings, measure(ctx, settings))
