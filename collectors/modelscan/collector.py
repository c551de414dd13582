"""modelscan (Protect AI): model files that run code when loaded, as AIMA secure-build evidence.

A pickled (or Keras Lambda, or TF SavedModel) model can execute anything on load; modelscan reads
the bytes and names the unsafe operators without loading them. Two modes:
- ``report``: read the JSON a CI step already wrote (``modelscan -p models -r json -o out.json``);
- ``run``: run modelscan on ``path`` in a child process (it never loads the models either).

The verdict comes from the JSON, never from the exit code. A scan that scanned no file is an
error (nothing scanned is not "nothing unsafe"); files modelscan could not parse fail their own
check, because an unparseable model is not known to be safe. Format: docs/collectors/modelscan.md.
"""

from __future__ import annotations

from collections.abc import Iterator

from aima_ci.models import Finding
from aima_ci.plugin import Collector, CollectorContext, load_checks

from .judge import judge
from .measure import measure
from .settings import NAME, SPEC, Settings


class ModelscanCollector(Collector):
    name = NAME
    spec = SPEC  # the keys, their checks, the paths preflight checks, the schema and docs table
    version = "0.1.0"
    description = "modelscan: model files that execute code when loaded (run it, or read its JSON)"
    tool = "modelscan"
    extra = "modelscan"
    requires = ("modelscan",)  # run mode; report mode reads its JSON with no tool installed
    checks = load_checks(__file__)

    def collect(self, ctx: CollectorContext) -> Iterator[Finding]:
        settings: Settings = ctx.settings
        yield from judge(ctx, measure(ctx, settings), settings)
