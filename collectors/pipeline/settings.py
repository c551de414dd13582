"""The ``collectors.pipeline`` keys (public contract: docs/collectors/pipeline.md), declared once.

The runner parses the block with ``SPEC`` before any collector starts (a bad value is exit 2
naming the key) and hands the collector a ``PipelineSettings``; the same declaration gives the
JSON Schema of aima.yaml and the table in the docs. CI file paths are relative to the repository
root (not the config), so they are text here, checked when the collector reads them.
"""

from __future__ import annotations

from dataclasses import dataclass

from aima_ci.options import Choice, ListOf, Option, Spec, Text, Values

from .ci import GITHUB_PATTERNS, GITLAB_FILE
from .integrations import INTEGRATIONS

NAME = "pipeline"
# The short names of the checks (``pipeline.<short>``): the gate and one per integration.
CHECK_NAMES = ("gate", *(i.short for i in INTEGRATIONS))
CHECKS_WHAT = f"a list from: {', '.join(sorted(CHECK_NAMES))}"


@dataclass(frozen=True)
class PipelineSettings:
    github_workflows: tuple[str, ...]  # globs of GitHub Actions workflow files
    gitlab_ci: str  # the GitLab CI file
    checks: tuple[str, ...]  # short names of the checks reported (all by default)

    @property
    def enabled(self) -> tuple[str, ...]:
        """The check ids this configuration reports on, in their declared order."""
        return tuple(f"{NAME}.{c}" for c in CHECK_NAMES if c in self.checks)


def _build(values: Values) -> PipelineSettings:
    return PipelineSettings(
        github_workflows=values["github_workflows"] or GITHUB_PATTERNS,
        gitlab_ci=values["gitlab_ci"],
        checks=values["checks"] or CHECK_NAMES,
    )


SPEC = Spec(
    options=(
        Option(
            "github_workflows",
            ListOf(Text(what="a glob"), what="a list of globs"),
            default=GITHUB_PATTERNS,
            doc="GitHub Actions workflow files (globs, relative to the repository root).",
        ),
        Option(
            "gitlab_ci",
            Text(what="a path"),
            default=GITLAB_FILE,
            doc="The GitLab CI file (relative to the repository root; local includes followed).",
        ),
        Option(
            "checks",
            ListOf(
                Choice(*sorted(CHECK_NAMES), what="one of: " + ", ".join(sorted(CHECK_NAMES))),
                min_items=1,
                what=CHECKS_WHAT,
            ),
            doc="Report only these checks (default: all).",
        ),
    ),
    build=_build,
)
