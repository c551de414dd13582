"""The ``collectors.model_card`` keys (public contract: docs/collectors/model_card.md), declared once.

The runner parses the block with ``SPEC`` before any collector starts (a bad value is exit 2
naming the key) and hands the collector a ``ModelCardSettings``; the same declaration gives the
JSON Schema of aima.yaml and the table in the docs. ``path`` is text, not a ``FilePath``: a card
that is missing or outside the repository is a finding of this collector (``fail``/``error``),
not a config error, as it always was.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from aima_ci.options import Bool, Int, Option, Raw, Spec, Text, Values

from .card import required_sections

DEFAULT_PATH = "MODEL_CARD.md"
SECTIONS_WHAT = "a non-empty list of section names, or a mapping name -> [wordings]"


@dataclass(frozen=True)
class ModelCardSettings:
    path: str  # the card, relative to the config file
    required: Mapping[str, tuple[str, ...]]  # section name -> accepted heading/key wordings
    risk_class_required: bool  # false: only model_card.sections runs
    min_justification_words: int

    @property
    def enabled(self) -> tuple[str, ...]:
        """The checks this configuration reports on."""
        if self.risk_class_required:
            return ("model_card.sections", "model_card.risk_class", "model_card.risk_justification")
        return ("model_card.sections",)


def _sections(value: Any) -> Any:
    """A non-empty list of names, or a mapping name -> a wording or a list of wordings."""
    ok = (isinstance(value, list) and all(isinstance(s, str) and s for s in value)) or (
        isinstance(value, Mapping)
        and all(
            isinstance(v, str) or (isinstance(v, list) and all(isinstance(a, str) for a in v))
            for v in value.values()
        )
    )
    if not ok or not value:
        raise ValueError(f"must be {SECTIONS_WHAT}")
    return value


def _build(values: Values) -> ModelCardSettings:
    return ModelCardSettings(
        path=values["path"],
        required=required_sections(values["required_sections"]),
        risk_class_required=values["risk_class_required"],
        min_justification_words=values["min_justification_words"],
    )


SPEC = Spec(
    options=(
        Option(
            "path",
            Text(what="the model card's path"),
            default=DEFAULT_PATH,
            doc="The model card: Markdown (.md/.markdown, with optional YAML front-matter),"
            " YAML or JSON.",
        ),
        Option(
            "required_sections",
            Raw(
                schema={
                    "anyOf": [
                        {
                            "type": "array",
                            "items": {"type": "string", "minLength": 1},
                            "minItems": 1,
                        },
                        {
                            "type": "object",
                            "minProperties": 1,
                            "additionalProperties": {
                                "anyOf": [
                                    {"type": "string"},
                                    {"type": "array", "items": {"type": "string"}},
                                ]
                            },
                        },
                    ]
                },
                check=_sections,
                what=SECTIONS_WHAT,
                type_name="list of text, or mapping of name to wordings",
            ),
            doc="Sections the card must fill (default: intended use, limitations, training data,"
            " evaluation, fairness, contacts); a name that is not a default matches itself, a"
            " mapping gives each name its accepted wordings.",
        ),
        Option(
            "risk_class_required",
            Bool(),
            default=True,
            doc="Check the EU AI Act risk class and its justification (false: only"
            " `model_card.sections` runs).",
        ),
        Option(
            "min_justification_words",
            Int(minimum=1, what="a number >= 1"),
            default=8,
            doc="Distinct words the risk class justification needs.",
        ),
    ),
    build=_build,
)
