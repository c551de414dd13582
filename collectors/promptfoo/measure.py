"""Measure: promptfoo's ``-o results.json`` -> tallies of eval tests and of red-team tests per
plugin, and a copy of the report. Raw results only; judge.py judges them.

A test record with ``metadata.pluginId`` is a red-team test; a test that errored
(``failureReason`` 2: the provider failed) is counted apart, never as passed.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aima_ci_collectors._reportjson import need, open_report

from aima_ci.plugin import CollectorContext, InputError

from .settings import PromptfooSettings

FAILURE_ERROR = 2


@dataclass
class Tally:
    passed: int = 0
    failed: int = 0
    errors: int = 0
    severities: set[str] = field(default_factory=set)

    @property
    def total(self) -> int:
        return self.passed + self.failed + self.errors

    @property
    def rate(self) -> float:
        return self.passed / self.total if self.total else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "passed": self.passed,
            "failed": self.failed,
            "errors": self.errors,
            "total": self.total,
            "pass_rate": round(self.rate, 4),
        }


@dataclass(frozen=True)
class Results:
    """The tallies, the report's identity, and where the judged bytes are kept."""

    report: Path  # the file as configured
    copy: Path  # the copy in the artefact folder
    evals: Tally
    plugins: dict[str, Tally]
    info: dict[str, Any]


def measure(ctx: CollectorContext, settings: PromptfooSettings) -> Results:
    report = open_report(ctx, settings.report)
    evals, plugins, info = parse_results(report.data, report.where)
    copy = report.keep(ctx, "promptfoo-results.json")
    return Results(report.path, copy, evals, plugins, info)


def parse_results(data: Any, where: str) -> tuple[Tally, dict[str, Tally], dict[str, Any]]:
    """(eval tally, red-team tally per plugin, info) from promptfoo's output JSON."""
    block = need(data, "results", dict, where)
    records = need(block, "results", list, f"{where}: results")
    if not records:
        raise InputError(f"{where}: results.results is empty: promptfoo ran no test")
    evals = Tally()
    plugins: dict[str, Tally] = defaultdict(Tally)
    for i, rec in enumerate(records):
        at = f"{where}: results.results[{i}]"
        success = need(rec, "success", bool, at)
        reason = rec.get("failureReason", 0)
        errored = reason == FAILURE_ERROR or (
            not success and rec.get("gradingResult") is None and bool(rec.get("error"))
        )
        meta = _metadata(rec, at)
        plugin = meta.get("pluginId")
        if plugin is not None and (not isinstance(plugin, str) or not plugin):
            raise InputError(f"{at}: metadata.pluginId must be a non-empty string")
        tally = plugins[plugin] if plugin else evals
        if success and not errored:
            tally.passed += 1
        elif errored:
            tally.errors += 1
        else:
            tally.failed += 1
        if plugin and isinstance(meta.get("severity"), str):
            tally.severities.add(meta["severity"])
    meta_top = data.get("metadata") if isinstance(data.get("metadata"), Mapping) else {}
    info = {
        "eval_id": str(data.get("evalId", "")),
        "promptfoo_version": str(meta_top.get("promptfooVersion", "")),
        "results_version": block.get("version"),
        "tests": len(records),
    }
    return evals, dict(plugins), info


def _metadata(rec: Mapping[str, Any], at: str) -> Mapping[str, Any]:
    """The test case's metadata overlaid with the record's (older outputs keep it only in one)."""
    case = rec.get("testCase")
    if case is not None and not isinstance(case, Mapping):
        raise InputError(f"{at}: testCase must be an object")
    merged: dict[str, Any] = {}
    for source in ((case or {}).get("metadata"), rec.get("metadata")):
        if source is None:
            continue
        if not isinstance(source, Mapping):
            raise InputError(f"{at}: metadata must be an object")
        merged.update(source)
    return merged
