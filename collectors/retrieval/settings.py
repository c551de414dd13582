"""The ``collectors.retrieval`` keys (public contract: docs/collectors/retrieval.md), declared
once.

The runner parses the block with ``SPEC`` before any collector starts (a typo is exit 2 naming
the key) and hands the collector a ``RetrievalSettings``; the same declaration gives the JSON
Schema of aima.yaml and the table in the docs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from aima_ci.options import FilePath, Invalid, ListOf, Option, Raw, Spec, Values

PATHS = "a list of paths"


@dataclass(frozen=True)
class RetrievalSettings:
    indexes: tuple[str, ...]  # index files or folders the app loads
    ingest: tuple[str, ...]  # the ingestion scripts that build them
    sources: tuple[str, ...]  # the documents they are built from
    pii_filter: str | None  # a regular expression naming the PII step (None: the built-in one)


def _pattern(value: Any) -> str:
    """A regular expression that compiles: a broken one would only fail once collect ran."""
    if not isinstance(value, str) or not value.strip():
        raise Invalid("must be a regular expression")
    try:
        re.compile(value)
    except re.error as exc:
        raise Invalid(f"invalid pattern: {exc}") from None
    return value


def _build(values: Values) -> RetrievalSettings:
    if not values["indexes"] and not values["ingest"]:
        raise values.error("indexes", "name an index or an ingest script")
    return RetrievalSettings(
        indexes=values["indexes"],
        ingest=values["ingest"],
        sources=values["sources"],
        pii_filter=values["pii_filter"],
    )


SPEC = Spec(
    options=(
        Option(
            "indexes",
            ListOf(FilePath("any"), what=PATHS),
            default=(),
            doc="The vector indexes the app loads (files or folders).",
        ),
        Option(
            "ingest",
            ListOf(FilePath("file"), what=PATHS),
            default=(),
            doc="The ingestion scripts that build the indexes.",
        ),
        Option(
            "sources",
            ListOf(FilePath("any"), what=PATHS),
            default=(),
            doc="The documents the indexes are built from (files or folders).",
        ),
        Option(
            "pii_filter",
            Raw(
                schema={"type": "string", "minLength": 1},
                check=_pattern,
                what="a regular expression",
                type_name="regular expression",
            ),
            doc="A regular expression that finds the PII step in the ingestion scripts"
            " (default: Presidio, scrubadub, redact/anonymise/mask_pii and the like).",
        ),
    ),
    build=_build,
)
