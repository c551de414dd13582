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

import importlib.util
import subprocess
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from aima_ci_collectors._reportjson import load_json, need, read_report
from aima_ci_collectors._reportmode import check_thresholds, mode_of, require_path

from aima_ci.models import Finding, Status, Subject
from aima_ci.plugin import (
    Collector,
    CollectorConfigError,
    CollectorContext,
    InputError,
    load_checks,
)
from aima_ci.safety import childproc

NAME = "modelscan"
SEVERITIES = ("LOW", "MEDIUM", "HIGH", "CRITICAL")
MAX_SUBJECTS = 200


@dataclass(frozen=True)
class Issue:
    source: str
    severity: str
    operator: str
    module: str
    description: str


@dataclass(frozen=True)
class Scan:
    version: str
    scanned: list[str]
    issues: list[Issue]
    errors: list[dict[str, str]]
    skipped: int


class ModelscanCollector(Collector):
    name = NAME
    # Config paths preflight() checks before any collector runs.
    input_paths: ClassVar[Mapping[str, str]] = {
        "path": "any",
        "report": "file",
    }
    version = "0.1.0"
    description = "modelscan: model files that execute code when loaded (run it, or read its JSON)"
    tool = "modelscan"
    extra = "modelscan"
    requires = ("modelscan",)  # run mode; report mode reads its JSON with no tool installed
    checks = load_checks(__file__)

    def validate_config(self, config: Mapping[str, Any]) -> None:
        self.check_keys(config, {"report", "path", "min_severity"})
        if mode_of(config) == "report":
            require_path(config, NAME, "report", "required in report mode: modelscan's JSON report")
        else:
            require_path(
                config, NAME, "path", "required in run mode: the model file or folder to scan"
            )
        sev = config.get("min_severity", "low")
        if not isinstance(sev, str) or sev.upper() not in SEVERITIES:
            raise CollectorConfigError(
                f"collectors.{NAME}.min_severity",
                "must be low, medium, high or critical",
            )
        check_thresholds(config, NAME, ("unsafe_operators", "scan_errors"), "count")

    def collect(self, ctx: CollectorContext) -> Iterator[Finding]:
        if mode_of(ctx.config) == "report":
            source = read_report(ctx)
            data, where = source.data, source.where
            report = source.keep(ctx, "modelscan-report.json")
            subjects = [ctx.subject("report", source.path)]
            base = None
        else:
            base = ctx.path(ctx.config["path"], "path")
            report = run_modelscan(ctx, base)
            where = f"modelscan output {ctx.rel_artefact(report)}"
            data = load_json(report, where)
            subjects = []
        scan = parse_report(data, where)
        subjects += model_subjects(ctx, base, scan)
        floor = SEVERITIES.index(str(ctx.config.get("min_severity", "low")).upper())
        counted = [i for i in scan.issues if SEVERITIES.index(i.severity) >= floor]
        by_sev = {s: sum(1 for i in scan.issues if i.severity == s) for s in reversed(SEVERITIES)}
        common = {
            "modelscan_version": scan.version,
            "scanned_files": len(scan.scanned),
            "skipped_files": scan.skipped,
            "issues_by_severity": by_sev,
            "min_severity": SEVERITIES[floor],
        }
        limit = ctx.threshold("modelscan.unsafe_operators")
        files = sorted({i.source for i in counted})
        listed = ", ".join(
            f"{i.source} ({i.severity}: {i.module}.{i.operator})"
            for i in sorted(counted, key=lambda i: (-SEVERITIES.index(i.severity), i.source))[:5]
        )
        yield ctx.finding(
            "modelscan.unsafe_operators",
            Status.PASS if limit is not None and len(counted) <= limit else Status.FAIL,
            value=len(counted),
            threshold=limit,
            message=(
                f"{len(counted)} unsafe operator(s) at {SEVERITIES[floor]} or above in"
                f" {len(files)} of {len(scan.scanned)} scanned file(s)"
                + (f": {listed}" if counted else "")
            ),
            subjects=subjects,
            artefacts=[report],
            details={
                **common,
                "issues": [i.__dict__ for i in counted[:100]],
            },
        )
        err_limit = ctx.threshold("modelscan.scan_errors")
        failed = [e.get("source", "?") for e in scan.errors]
        yield ctx.finding(
            "modelscan.scan_errors",
            Status.PASS if err_limit is not None and len(failed) <= err_limit else Status.FAIL,
            value=len(failed),
            threshold=err_limit,
            message=(
                f"{len(failed)} file(s) modelscan could not scan"
                + (": " + ", ".join(failed[:5]) if failed else "")
            ),
            subjects=subjects,
            artefacts=[report],
            details={**common, "errors": scan.errors[:100]},
        )


def run_modelscan(ctx: CollectorContext, target: Path) -> Path:
    """Run modelscan in a child process; its JSON lands in the artefact folder."""
    if importlib.util.find_spec("modelscan") is None:
        raise ModuleNotFoundError("modelscan is not installed: pip install 'aima-ci[modelscan]'")
    out = ctx.artefact("modelscan-report.json")
    out.unlink(missing_ok=True)
    ctx.progress(f"scanning {target.name}", None)
    cmd = [
        sys.executable,
        "-c",
        "import sys; from modelscan.cli import main; sys.argv[0] = 'modelscan'; main()",
        "scan",
        "-p",
        str(target),
        "-r",
        "json",
        "-o",
        str(out),
        "--show-skipped",
    ]
    try:
        proc = childproc.run(
            cmd,
            cwd=out.parent,  # no stray modelscan-settings.toml from the repository changes rules
            text=True,
            timeout=ctx.timeout,
        )
    except subprocess.TimeoutExpired:
        raise InputError(f"modelscan did not finish within {ctx.timeout:g}s") from None
    (out.parent / "modelscan.log").write_text(proc.stdout + proc.stderr, encoding="utf-8")
    # 0 clean, 1 issues, 2 scan errors, 3 no supported files: all leave a JSON to judge.
    if proc.returncode not in (0, 1, 2, 3) or not out.is_file():
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
        raise InputError(f"modelscan exited {proc.returncode} without a report: {' | '.join(tail)}")
    return out


def parse_report(data: Any, where: str) -> Scan:
    summary = need(data, "summary", dict, where)
    scanned_block = summary.get("scanned") or {}
    if not isinstance(scanned_block, Mapping):
        raise InputError(f"{where}: summary.scanned must be an object")
    scanned = scanned_block.get("scanned_files") or []
    if not isinstance(scanned, list) or not all(isinstance(s, str) for s in scanned):
        raise InputError(f"{where}: summary.scanned.scanned_files must be a list of paths")
    total = scanned_block.get("total_scanned", len(scanned))
    if isinstance(total, bool) or not isinstance(total, int):
        raise InputError(f"{where}: summary.scanned.total_scanned must be a number")
    if total == 0:
        raise InputError(
            f"{where}: modelscan scanned no file (no supported model format at the path?);"
            " nothing scanned is not evidence of safe models"
        )
    issues = []
    for i, raw in enumerate(need(data, "issues", list, where)):
        at = f"{where}: issues[{i}]"
        sev = need(raw, "severity", str, at).upper()
        if sev not in SEVERITIES:
            raise InputError(f"{at}: unknown severity {sev!r}")
        issues.append(
            Issue(
                source=str(need(raw, "source", str, at)),
                severity=sev,
                operator=str(raw.get("operator", "")),
                module=str(raw.get("module", "")),
                description=str(raw.get("description", "")),
            )
        )
    errors = []
    for i, raw in enumerate(need(data, "errors", list, where)):
        if not isinstance(raw, Mapping):
            raise InputError(f"{where}: errors[{i}]: expected a JSON object")
        errors.append(
            {k: str(v) for k, v in raw.items() if k in ("category", "description", "source")}
        )
    skipped_block = summary.get("skipped") or {}
    skipped = skipped_block.get("total_skipped", 0) if isinstance(skipped_block, Mapping) else 0
    return Scan(
        version=str(summary.get("modelscan_version", "")),
        scanned=scanned,
        issues=issues,
        errors=errors,
        skipped=skipped if isinstance(skipped, int) else 0,
    )


def model_subjects(ctx: CollectorContext, base: Path | None, scan: Scan) -> list[Subject]:
    """Scanned model files as subjects: with their digest when this run scanned them (run mode)."""
    out: list[Subject] = []
    for rel in scan.scanned[:MAX_SUBJECTS]:
        if base is not None:
            target = (base / rel) if base.is_dir() else base
            try:
                inside = ctx.path(str(target), "path")
            except InputError:
                continue
            if inside.is_file():
                out.append(ctx.subject("model", inside))
                continue
        out.append(Subject(kind="model", name=rel))
    return out
