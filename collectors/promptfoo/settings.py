"""The ``collectors.promptfoo`` keys (public contract: docs/collectors/promptfoo.md), declared
once.

The runner parses the block with ``SPEC`` before any collector starts (a typo is exit 2 naming
the key) and hands the collector a ``PromptfooSettings``; the same declaration gives the JSON
Schema of aima.yaml and the table in the docs.
"""

from __future__ import annotations

from dataclasses import dataclass

from aima_ci.options import FilePath, Float, Option, Spec, Values

RATE = Float(minimum=0, maximum=1, what="a number between 0 and 1")


@dataclass(frozen=True)
class PromptfooSettings:
    report: str  # promptfoo's output JSON (-o results.json), as configured


def _build(values: Values) -> PromptfooSettings:
    return PromptfooSettings(report=values["report"])


SPEC = Spec(
    options=(
        Option(
            "report",
            FilePath("file"),
            required=True,
            missing="required: path to promptfoo's JSON output (-o)",
            doc="promptfoo's output JSON (`promptfoo eval -o results.json` or"
            " `promptfoo redteam run -o results.json`).",
        ),
    ),
    thresholds={"pass_rate": RATE, "redteam": RATE},
    modes=("report",),
    build=_build,
)
