"""The ``collectors.ops_readiness`` keys (public contract: docs/collectors/ops_readiness.md), declared once.

The runner parses the block with ``SPEC`` before any collector starts (a bad value is exit 2
naming the key) and hands the collector an ``OpsSettings`` with the defaults already merged in
(the watch categories, the playbook steps); the same declaration gives the JSON Schema of
aima.yaml and the table in the docs. ``playbook`` and ``rollback.registry_file`` are paths the
preflight checks; ``alert_rules`` may hold globs, expanded when the collector runs.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from aima_ci.options import FilePath, Invalid, ListOf, MapOf, Obj, Option, Spec, Text, Values

from .playbook import DEFAULT_SECTIONS
from .promrules import DEFAULT_WATCH

ROLLBACK_WHAT = "a mapping with registry_file and/or git_tag_pattern"
PATTERNS_WHAT = "a mapping of name to a list of patterns"
PATTERNS = ListOf(Text(what="a pattern"), min_items=1, what="a non-empty list of patterns")


@dataclass(frozen=True)
class OpsSettings:
    alert_rules: tuple[str, ...]  # paths and globs; empty: discover rule files
    watch: Mapping[str, Sequence[str]]  # category -> metric-name regexes (defaults if unset)
    required_watch: tuple[str, ...]  # categories an alert must watch (default: all)
    playbook: str | None  # None: discover the playbook
    sections: Mapping[str, Sequence[str]]  # step -> heading synonyms, defaults included
    required_sections: tuple[str, ...]  # steps the playbook must cover
    registry_file: str | None
    git_tag_pattern: str | None

    @property
    def rollback_configured(self) -> bool:
        return self.registry_file is not None or self.git_tag_pattern is not None


def _rollback(values: Values) -> Values:
    if values["registry_file"] is None and values["git_tag_pattern"] is None:
        raise Invalid(ROLLBACK_WHAT)
    return values


def _build(values: Values) -> OpsSettings:
    watch: Mapping[str, Sequence[str]] = values["watch"] or DEFAULT_WATCH
    for cat, patterns in (values["watch"] or {}).items():
        for p in patterns:
            try:
                re.compile(p)
            except re.error as exc:
                raise values.error(f"watch.{cat}", f"{p!r}: {exc}") from None
    required_watch = values["required_watch"]
    if required_watch is not None and not all(r in watch for r in required_watch):
        raise values.error(
            "required_watch", f"a list of categories from watch ({', '.join(watch)})"
        )
    sections = {**DEFAULT_SECTIONS, **(values["sections"] or {})}
    required_sections = values["required_sections"]
    if required_sections is not None and not all(r in sections for r in required_sections):
        raise values.error("required_sections", f"a list from: {', '.join(sections)}")
    rollback = values["rollback"]
    return OpsSettings(
        alert_rules=values["alert_rules"] or (),
        watch=watch,
        required_watch=tuple(required_watch or watch),
        playbook=values["playbook"],
        sections=sections,
        required_sections=tuple(required_sections or DEFAULT_SECTIONS),
        registry_file=rollback["registry_file"] if rollback else None,
        git_tag_pattern=rollback["git_tag_pattern"] if rollback else None,
    )


SPEC = Spec(
    options=(
        Option(
            "alert_rules",
            ListOf(Text(what="a path or glob"), single=True, what="a path, glob or list of them"),
            doc="Prometheus alerting-rule files (paths or globs); default: discovered"
            " (`*alert*`/`*rules*` YAML holding `groups`).",
        ),
        Option(
            "watch",
            MapOf(PATTERNS, min_items=1, what=PATTERNS_WHAT),
            doc="Metric categories an alert must watch -> metric-name regexes (default: drift,"
            " confidence, error_rate).",
        ),
        Option(
            "required_watch",
            ListOf(Text(what="a category from watch"), what="a list of categories from watch"),
            doc="The watch categories that need an alert (default: all of them).",
        ),
        Option(
            "playbook",
            FilePath("file", what="a path"),
            doc="The incident-response playbook (Markdown); default: discovered"
            " (`*incident*`/`*playbook*`/`*runbook*`.md).",
        ),
        Option(
            "sections",
            MapOf(PATTERNS, min_items=1, what=PATTERNS_WHAT),
            doc="Playbook steps to add or override -> accepted heading wordings.",
        ),
        Option(
            "required_sections",
            ListOf(Text(what="a playbook step"), min_items=1, what="a list of playbook steps"),
            doc="Steps the playbook must cover (default: detect, isolate, roll back, root cause,"
            " retest).",
        ),
        Option(
            "rollback",
            Obj(
                Option(
                    "registry_file",
                    FilePath("file", what="a non-empty string"),
                    doc="The project's model registry (YAML or JSON) listing versions.",
                ),
                Option(
                    "git_tag_pattern",
                    Text(what="a non-empty string"),
                    doc="A git tag pattern (e.g. `model-v*`) marking releases.",
                ),
                build=_rollback,
                what=ROLLBACK_WHAT,
            ),
            doc="Where a version to roll back to is recorded: `registry_file` and/or"
            " `git_tag_pattern`.",
        ),
    ),
    build=_build,
)
