"""Measuring model files with modelscan: run it in a child process, or read the JSON it wrote.

Either way the JSON goes through ``parse_report``, which refuses a scan that scanned nothing
(nothing scanned is not "nothing unsafe"); the exit code is never the verdict.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aima_ci_collectors._reportjson import load_json, need, read_report

from aima_ci.models import Subject
from aima_ci.plugin import CollectorContext, InputError
from aima_ci.safety import childproc

from .settings import SEVERITIES, Settings

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


@dataclass(frozen=True)
class Measured:
    scan: Scan
    report: Path  # modelscan's JSON, kept in the artefact folder
    subjects: list[Subject]


def measure(ctx: CollectorContext, settings: Settings) -> Measured:
    """modelscan's result for the configured report or path, with the files it names."""
    if settings.mode == "report":
        source = read_report(ctx)
        data, where = source.data, source.where
        report = source.keep(ctx, "modelscan-report.json")
        subjects = [ctx.subject("report", source.path)]
        base = None
    else:
        assert settings.path is not None
        base = ctx.path(settings.path, "path")
        report = run_modelscan(ctx, base)
        where = f"modelscan output {ctx.rel_artefact(report)}"
        data = load_json(report, where)
        subjects = []
    scan = parse_report(data, where)
    subjects += model_subjects(ctx, base, scan)
    return Measured(scan, report, subjects)


def run_modelscan(ctx: CollectorContext, target: Path) -> Path:
    """Run modelscan in a child process; its JSON lands in the artefact folder."""
    if importlib.util.find_spec("modelscan") is None:
        raise ModuleNotFoundError("modelscan is not installed: pip install 'aima-ci[modelscan]'")
    out = ctx.artefact("modelscan-report.json")
    out.unlink(missing_ok=True)
    ctx.progress(f"scanning {target.name}", None)
    # -P: the child's working directory (the artefact folder) is not put on sys.path, so no file
    # there can stand in for modelscan's own modules.
    cmd = [
        sys.executable,
        "-P",
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
