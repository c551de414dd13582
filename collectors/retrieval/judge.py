"""Judge: the retrieval side's files (measure.py) -> the three retrieval checks.

- ``retrieval.index_source``: every index is written by a named ingestion script, from named
  sources that exist;
- ``retrieval.index_format``: no index file is a pickle;
- ``retrieval.ingestion_pii_filter``: an ingestion script passes documents through a PII filter
  (the built-in pattern, or ``pii_filter``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from aima_ci.models import Finding, Status
from aima_ci.plugin import CollectorContext

from .measure import Retrieval
from .settings import RetrievalSettings

PII_FILTER = r"presidio|scrubadub|anonymi[sz]e|redact|mask_pii|strip_pii|remove_pii|scrub_pii|pii_filter|filter_pii"  # fmt: skip
DETAILS = {"owasp_llm": ["LLM08:2025"]}


def findings(
    ctx: CollectorContext, settings: RetrievalSettings, found: Retrieval
) -> Iterator[Finding]:
    yield _source(ctx, found)
    yield _format(ctx, found)
    yield _pii(ctx, found, re.compile(settings.pii_filter or PII_FILTER, re.I))


def _source(ctx: CollectorContext, found: Retrieval) -> Finding:
    texts = found.texts
    problems = [f"ingest script {_rel(ctx, s)} is missing" for s in found.scripts if s not in texts]
    problems += [f"source {_rel(ctx, s)} is missing or empty" for s in found.empty_sources]
    if not found.scripts:
        problems.append("no ingestion script named (collectors.retrieval.ingest)")
    if not found.sources:
        problems.append("no sources named (collectors.retrieval.sources)")
    for index in found.indexes:
        if not any(index.name in text for text in texts.values()):
            problems.append(f"no ingestion script writes {_rel(ctx, index)}")
    status = Status.FAIL if problems else Status.PASS
    message = "; ".join(problems) or (
        f"{len(found.indexes)} index(es) built by {', '.join(_rel(ctx, s) for s in texts)} from"
        f" {', '.join(_rel(ctx, s) for s in found.sources)}"
    )
    return ctx.finding("retrieval.index_source", status, message=message, details=DETAILS)


def _format(ctx: CollectorContext, found: Retrieval) -> Finding:
    if not found.indexes:
        return ctx.finding("retrieval.index_format", Status.NOT_APPLICABLE, message="no index named", details=DETAILS)  # fmt: skip
    pickles = found.pickles
    subjects = [ctx.subject("vector_store", p) for p in pickles[:20]]
    if pickles:
        names = ", ".join(_rel(ctx, p) for p in pickles[:5])
        return ctx.finding("retrieval.index_format", Status.FAIL, message=f"pickled index file(s): {names}", subjects=subjects, details=DETAILS)  # fmt: skip
    return ctx.finding("retrieval.index_format", Status.PASS, message="no index file is a pickle", details=DETAILS)  # fmt: skip


def _pii(ctx: CollectorContext, found: Retrieval, pattern: re.Pattern[str]) -> Finding:
    texts = found.texts
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


def _rel(ctx: CollectorContext, path: Path) -> str:
    try:
        return path.resolve().relative_to(ctx.root.resolve()).as_posix()
    except ValueError:
        return path.name
