"""The ``collectors.threat_model`` keys (public contract: docs/collectors/threat_model.md), declared once.

The runner parses the block with ``SPEC`` before any collector starts (a bad value is exit 2
naming the key) and hands the collector a ``ThreatModelSettings``; the same declaration gives the
JSON Schema of aima.yaml and the table in the docs. ``path`` and ``watch`` are text, not
``FilePath``s: a threat model that is missing, or a watched path outside the repository, is a
finding of this collector, not a config error, as it always was.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aima_ci.options import Choice, Float, ListOf, Option, Raw, Spec, Text, Values

from .owasp_llm import normalise_required
from .readers import KINDS

DEFAULT_PATH = "THREAT_MODEL.md"
# pytm's severities, lowest first; ``fail_on_severity`` is one of them (any case).
SEVERITY_RANK = {"very low": 0, "info": 0, "low": 1, "medium": 2, "high": 3, "very high": 4}


@dataclass(frozen=True)
class ThreatModelSettings:
    path: str
    kind: str  # auto, pytm, yaml or markdown
    watch: tuple[str, ...]  # paths whose change requires a review of the threat model
    required_llm_risks: list[str] | None  # normalised ids (LLM01..); None: none required
    fail_on_severity: str  # as written (shown in the findings)
    severity_floor: int  # its rank: pytm threats at or above it need a mitigation
    pytm_timeout: float


def _severity(value: Any) -> Any:
    if str(value).lower() not in SEVERITY_RANK:
        raise ValueError(f"must be one of {', '.join(SEVERITY_RANK)}")
    return value


def _build(values: Values) -> ThreatModelSettings:
    return ThreatModelSettings(
        path=values["path"],
        kind=values["kind"],
        watch=values["watch"],
        required_llm_risks=values["required_llm_risks"],
        fail_on_severity=values["fail_on_severity"],
        severity_floor=SEVERITY_RANK[str(values["fail_on_severity"]).lower()],
        pytm_timeout=values["pytm_timeout"],
    )


SPEC = Spec(
    options=(
        Option(
            "path",
            Text(what="the threat model's path"),
            default=DEFAULT_PATH,
            doc="The threat model: a pytm model (.py), YAML (a `threats` list) or Markdown.",
        ),
        Option(
            "kind",
            Choice(*KINDS),
            default="auto",
            doc="How to read it (`auto`: by the file's suffix).",
        ),
        Option(
            "watch",
            ListOf(Text(what="a path"), single=True, what="a list of paths"),
            default=(),
            doc="Paths whose change requires a review of the threat model (e.g. `[model/,"
            " prompts/]`); none: `threat_model.current` is not applicable.",
        ),
        Option(
            "required_llm_risks",
            Raw(
                schema={
                    "anyOf": [
                        {"const": "all"},
                        {"type": "array", "items": {"type": "string", "pattern": "^LLM"}},
                    ]
                },
                check=normalise_required,
                what="'all' or a list such as [LLM01, LLM02]",
                type_name="`all` or list of text",
            ),
            doc="OWASP LLM Top 10 (2025) risks the model must name: `all`, or a list such as"
            " `[LLM01, LLM02]`.",
        ),
        Option(
            "fail_on_severity",
            Raw(
                schema={"type": "string"},
                check=_severity,
                what=f"one of {', '.join(SEVERITY_RANK)}",
                type_name="text",
            ),
            default="high",
            doc="pytm: the lowest severity whose threats need a mitigation ("
            + ", ".join(f"`{s}`" for s in SEVERITY_RANK)
            + ").",
        ),
        Option(
            "pytm_timeout",
            Float(minimum=0, exclusive_minimum=True, what="a number of seconds > 0"),
            default=120.0,
            doc="Seconds the pytm model may run.",
        ),
    ),
    build=_build,
)
