"""The ``collectors.policy`` keys (public contract: docs/collectors/policy.md), declared once.

The runner parses the block with ``SPEC`` before any collector starts (a typo is exit 2 naming
the key) and hands the collector a ``PolicySettings``; the same declaration gives the JSON
Schema of aima.yaml and the table in the docs.
"""

from __future__ import annotations

from dataclasses import dataclass

from aima_ci.options import FilePath, ListOf, Option, Spec, Text, Values

DEFAULT_QUERY = "data.aima.deny"
DEFAULT_POLICIES = "policies"
QUERY_PATTERN = r"data(\.[A-Za-z_][A-Za-z0-9_]*)+"


@dataclass(frozen=True)
class PolicySettings:
    input: str  # the model metadata document (YAML/JSON, or a Markdown card's front-matter)
    policies: tuple[str, ...]  # files or folders of *.rego
    query: str  # the Rego rule whose values are deny messages


def _build(values: Values) -> PolicySettings:
    return PolicySettings(
        input=values["input"],
        policies=values["policies"],
        query=values["query"],
    )


SPEC = Spec(
    options=(
        Option(
            "input",
            FilePath("file"),
            required=True,
            missing="required: the model metadata file to check",
            doc="The model metadata the policies judge: a YAML or JSON file, or a Markdown model"
            " card with YAML front-matter.",
        ),
        Option(
            "policies",
            ListOf(FilePath("any"), min_items=1, single=True, what="a folder, a file or a list"),
            default=(DEFAULT_POLICIES,),
            doc="Rego files, or folders searched for `*.rego` (`*_test.rego` skipped).",
        ),
        Option(
            "query",
            Text(QUERY_PATTERN, what="a rule like data.<package>.<rule>"),
            default=DEFAULT_QUERY,
            doc="The rule whose values are the deny messages.",
        ),
    ),
    build=_build,
)
