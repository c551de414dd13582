"""promptfoo: LLM eval and red-team results as AIMA testing evidence (report mode).

Teams run ``promptfoo eval -o results.json`` or ``promptfoo redteam run -o results.json`` in CI;
this reads that file. A test record with ``metadata.pluginId`` is a red-team test (promptfoo's
generator sets it); any other record is an eval test. Two checks:
- ``promptfoo.pass_rate``: the eval tests' pass rate (requirement-based testing);
- ``promptfoo.redteam``: the lowest per-plugin pass rate of the red-team tests (security testing),
  with promptfoo's own OWASP LLM 2025 categories per plugin in the details (owasp.py).
A test that errored (``failureReason`` 2: the provider failed) never counts as passed; if every
test errored the check is ``error``: an unreachable target is no evidence. Format and config:
docs/collectors/promptfoo.md. No Node is needed: nothing is run.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from aima_ci_collectors._reportjson import need, read_report
from aima_ci_collectors._reportmode import check_thresholds, report_only, require_path

from aima_ci.models import Finding, Status, Subject
from aima_ci.plugin import Collector, CollectorContext, InputError, load_checks

from .owasp import PROMPTFOO_VERSION, owasp_llm

NAME = "promptfoo"
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


class PromptfooCollector(Collector):
    name = NAME
    # Config paths preflight() checks before any collector runs.
    input_paths: ClassVar[Mapping[str, str]] = {"report": "file"}
    version = "0.1.0"
    description = "promptfoo eval / red-team results (reads promptfoo's -o results.json)"
    light = True  # reads one report file
    checks = load_checks(__file__)

    def validate_config(self, config: Mapping[str, Any]) -> None:
        self.check_keys(config, {"report"})
        report_only(config, NAME, "run promptfoo in CI with -o results.json")
        require_path(config, NAME, "report", "required: path to promptfoo's JSON output (-o)")
        check_thresholds(config, NAME, ("pass_rate", "redteam"), "rate")

    def collect(self, ctx: CollectorContext) -> Iterator[Finding]:
        report = read_report(ctx)
        evals, plugins, info = parse_results(report.data, report.where)
        copy = report.keep(ctx, "promptfoo-results.json")
        subjects = [ctx.subject("report", report.path)]
        common = {**info, "owasp_mapping_from": f"promptfoo {PROMPTFOO_VERSION}"}
        yield self._pass_rate(ctx, evals, subjects, copy, common)
        yield self._redteam(ctx, plugins, subjects, copy, common)

    def _pass_rate(
        self,
        ctx: CollectorContext,
        evals: Tally,
        subjects: list[Subject],
        copy: Path,
        common: dict[str, Any],
    ) -> Finding:
        limit = ctx.threshold("promptfoo.pass_rate")
        if evals.total == 0:
            return ctx.finding(
                "promptfoo.pass_rate",
                Status.NOT_APPLICABLE,
                message="no eval tests in the results (only red-team tests)",
                subjects=subjects,
                artefacts=[copy],
                details=common,
            )
        status = _judge(evals, limit)
        return ctx.finding(
            "promptfoo.pass_rate",
            status,
            value=round(evals.rate, 4),
            threshold=limit,
            message=f"{evals.passed}/{evals.total} eval tests passed ({evals.rate:.0%})"
            + (f", {evals.errors} errored" if evals.errors else "")
            + f"; threshold {limit:g}",
            subjects=subjects,
            artefacts=[copy],
            details={**common, "eval": evals.to_dict()},
        )

    def _redteam(
        self,
        ctx: CollectorContext,
        plugins: dict[str, Tally],
        subjects: list[Subject],
        copy: Path,
        common: dict[str, Any],
    ) -> Finding:
        limit = ctx.threshold("promptfoo.redteam")
        if not plugins:
            return ctx.finding(
                "promptfoo.redteam",
                Status.NOT_APPLICABLE,
                message="no red-team tests in the results (no record has metadata.pluginId)",
                subjects=subjects,
                artefacts=[copy],
                details=common,
            )
        per_plugin = {
            pid: {
                **t.to_dict(),
                "severity": sorted(t.severities),
                "owasp_llm_2025": owasp_llm(pid),
            }
            for pid, t in sorted(plugins.items())
        }
        total = Tally(
            passed=sum(t.passed for t in plugins.values()),
            failed=sum(t.failed for t in plugins.values()),
            errors=sum(t.errors for t in plugins.values()),
        )
        worst = min(t.rate for t in plugins.values())
        below = [
            pid
            for pid, t in sorted(plugins.items(), key=lambda kv: (kv[1].rate, kv[0]))
            if limit is None or t.rate < limit
        ]
        status = _judge(total, limit, value=worst)
        shown = "; ".join(
            f"{pid} {plugins[pid].rate:.0%}"
            + (
                f" ({', '.join(per_plugin[pid]['owasp_llm_2025'])})"
                if per_plugin[pid]["owasp_llm_2025"]
                else ""
            )
            for pid in below[:5]
        )
        message = (
            f"{len(below)} of {len(plugins)} red-team plugin(s) below {limit:g}"
            + (f": {shown}" if below else "")
            + f"; {total.passed}/{total.total} tests passed"
            + (f", {total.errors} errored" if total.errors else "")
        )
        return ctx.finding(
            "promptfoo.redteam",
            status,
            value=round(worst, 4),
            threshold=limit,
            message=message,
            subjects=subjects,
            artefacts=[copy],
            details={**common, "plugins": per_plugin, "failing_plugins": below},
        )


def _judge(tally: Tally, limit: float | None, value: float | None = None) -> Status:
    if tally.total and tally.errors == tally.total:
        return Status.ERROR  # nothing was actually tested
    rate = tally.rate if value is None else value
    return Status.PASS if limit is not None and rate >= limit - 1e-12 else Status.FAIL


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
