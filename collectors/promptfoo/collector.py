"""The promptfoo collector class: LLM eval and red-team results as AIMA testing evidence (report mode).

Teams run ``promptfoo eval -o results.json`` or ``promptfoo redteam run -o results.json`` in CI;
this reads that file. A test record with ``metadata.pluginId`` is a red-team test (promptfoo's
generator sets it); any other record is an eval test. Two checks:
- ``promptfoo.pass_rate``: the eval tests' pass rate (requirement-based testing);
- ``promptfoo.redteam``: the lowest per-plugin pass rate of the red-team tests (security testing),
  with promptfoo's own OWASP LLM 2025 categories per plugin in the details (owasp.py).
A test that errored (``failureReason`` 2: the provider failed) never counts as passed; if every
test errored the check is ``error``: an unreachable target is no evidence. Format and config:
docs/collectors/promptfoo.md. No Node is needed: nothing is run. settings.py declares the keys,
measure.py reads and tallies the results, judge.py judges them.
"""

from __future__ import annotations

from collections.abc import Iterator

from aima_ci.models import Finding
from aima_ci.plugin import Collector, CollectorContext, load_checks

from .settings import SPEC, PromptfooSettings

NAME = "promptfoo"


class PromptfooCollector(Collector):
    name = NAME
    version = "0.1.0"
    description = "promptfoo eval / red-team results (reads promptfoo's -o results.json)"
    light = True  # reads one report file
    checks = load_checks(__file__)
    spec = SPEC  # the keys, parsed once into ctx.settings; preflight checks its report path

    def collect(self, ctx: CollectorContext) -> Iterator[Finding]:
        from .judge import findings
        from .measure import measure

        settings: PromptfooSettings = ctx.settings
        yield from findings(ctx, measure(ctx, settings))
