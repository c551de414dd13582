"""Privacy scan of training data: PII in a row sample, and columns beyond the declared purpose.

Two questions a reviewer would ask of any training set: does it hold personal data nobody
declared, and does it hold columns its stated purpose does not need? Both are answered from a
seeded sample of rows; findings and artefacts carry counts and masked examples, never values.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from aima_ci.models import Finding
from aima_ci.plugin import Collector, CollectorContext, Starter, load_checks

from .judge import judge
from .measure import measure
from .settings import NAME, SPEC, Settings

if TYPE_CHECKING:
    from aima_ci.models import RepoFacts


class PrivacyCollector(Collector):
    name = NAME
    spec = SPEC  # the keys, their checks, the paths preflight checks, the schema and docs table
    version = "0.1.0"
    description = "Scans training-data samples for PII and for columns beyond the declared purpose"
    light = True
    default_timeout = 300.0
    checks = load_checks(__file__)

    def starter(self, facts: RepoFacts) -> Starter | None:
        """PII in every dataset found (a small payload can leak too); the purpose is left for a
        person to declare."""
        tables = facts.datasets[:10]
        if not tables:
            return None
        notes = {} if facts.purpose_files else {"data": "declare purpose in data-purpose.yaml"}
        table = facts.training_table()  # the data the purpose is about, not an API payload
        columns = table.columns if table else next(iter(facts.csv_columns.values()), [])
        steps = (
            ()
            if facts.purpose_files
            else (
                "privacy: declare what the data is for in data-purpose.yaml: description,"
                f" needed_columns (of {', '.join(columns[:12]) or 'your columns'}),"
                " personal_data",
            )
        )
        return Starter(
            {"data": tables, "sample_rows": 1000},
            "PII in a sample of the training data; columns beyond the data's declared purpose.",
            notes=notes,
            next_steps=steps,
        )

    def collect(self, ctx: CollectorContext) -> Iterator[Finding]:
        settings: Settings = ctx.settings
        measured = measure(ctx, settings)
        yield from judge(ctx, measured)
        ctx.progress("done", 1.0)
