"""Model supply chain: unsafe serialisation, a model/dataset inventory, an environment SBOM.

A pickled model is a program: loading it may run anything its author wrote. This collector reads
every model file's bytes without loading it, records which models and datasets the project
uses with their licence and origin, and captures the Python environment as a CycloneDX SBOM.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aima_ci.models import Check, Finding
from aima_ci.plugin import Collector, CollectorContext, Starter, load_checks

from . import declared
from .judge import judge
from .measure import measure
from .settings import NAME, SPEC, Settings

if TYPE_CHECKING:
    from aima_ci.models import RepoFacts


class SupplyChainCollector(Collector):
    name = NAME
    spec = SPEC  # the keys, their checks, the paths preflight checks, the schema and docs table
    version = "0.1.0"
    description = "Scans model files for code-executing serialisation, checks the model/dataset inventory, writes a CycloneDX SBOM"
    light = False  # the SBOM step inspects an interpreter; not for a pre-commit hook
    default_timeout = 600.0
    checks = load_checks(__file__)

    # -- configuration --------------------------------------------------------------------------
    def starter(self, facts: RepoFacts) -> Starter | None:
        """Every model file is scanned by default; an inventory file found is named."""
        if not (facts.models or facts.datasets):
            return None
        config = {"inventory": facts.inventories[0]} if facts.inventories else {}
        steps = tuple(
            f"{p}: a pickled vector store (LLM08): loading it unpickles whatever the file holds;"
            " supply_chain scans it for code-executing globals, and rebuilding the index from"
            " its sources in CI (or a non-pickle format) removes the risk"
            for p in facts.llm.vector_stores
        )
        return Starter(
            config,
            "Unsafe model serialisation (pickles that run code), model/dataset licences, an SBOM.",
            next_steps=steps,
        )

    def cache_inputs(self, config: Mapping[str, Any], ctx: CollectorContext) -> Iterable[Path]:
        """The declared-dependency files the SBOM reads are inputs too (no config names them)."""
        yield from super().cache_inputs(config, ctx)
        if config.get("sbom", True) is not False:
            yield from declared.dependency_files(ctx.root)

    def enabled_checks(self, config: Mapping[str, Any]) -> tuple[Check, ...]:
        if config.get("sbom", True) is False:
            return tuple(c for c in self.checks if c.id != "supply_chain.sbom")
        return self.checks

    # -- collection -----------------------------------------------------------------------------
    def collect(self, ctx: CollectorContext) -> Iterator[Finding]:
        settings: Settings = ctx.settings
        yield from judge(ctx, measure(ctx, settings), settings)
        ctx.progress("done", 1.0)
