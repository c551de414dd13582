"""Measuring the supply chain: what each model file holds, the inventory as written, the SBOM.

Model files are read as bytes and never loaded (``formats``, ``pickle_scan``), with modelscan's
second opinion when it is installed; the inventory is parsed, not yet compared with the files;
the SBOM is written. Nothing here decides pass or fail beyond each file's own scan report, which
``judge`` then weighs against the owners' declared trust.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aima_ci_collectors._safeio import find_inside

from aima_ci.models import Subject
from aima_ci.plugin import CollectorContext, InputError
from aima_ci.safety.safeio import FileProblem, rel

from . import declared, formats, inventory, modelscan_run, sbom
from .settings import Settings


@dataclass
class InventoryRead:
    datasets: list[Path]  # the dataset files the config lists
    configured: bool  # an inventory file is configured
    inventory: inventory.Inventory | None = None
    subject: Subject | None = None
    error: str | None = None  # the inventory could not be read


@dataclass
class SbomMade:
    """The SBOM step's raw outcome: declared dependencies, or an interpreter's environment."""

    out: Path
    python: str | None = None  # set when an environment was recorded (sbom.python)
    error: str | None = None  # sbom.python does not resolve inside the repository
    deps: list[declared.Dependency] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # unreadable dependency files
    result: sbom.SbomResult | None = None  # the environment SBOM's own result


@dataclass
class Measured:
    reports: list[tuple[Path, formats.FileReport]]
    refused: list[str]  # model globs that matched something outside the repository
    inventory: InventoryRead
    sbom: SbomMade | None  # None: sbom: false


def measure(ctx: CollectorContext, settings: Settings) -> Measured:
    ctx.progress("finding model files", 0.0)
    reports, refused = inspect_models(ctx, settings)
    models = [path for path, r in reports if r.is_model]
    inv = read_inventory(ctx, settings, bool(models))
    made = None
    if settings.sbom is not None:
        ctx.progress("writing the SBOM", 0.8)
        made = make_sbom(ctx, settings)
    return Measured(reports, refused, inv, made)


def inspect_models(
    ctx: CollectorContext, settings: Settings
) -> tuple[list[tuple[Path, formats.FileReport]], list[str]]:
    """Each model file's scan report (modelscan's issues folded in), written to model-scan.json."""
    patterns = settings.models or formats.MODEL_PATTERNS
    files, refused = find_inside(ctx.root, ctx.config_dir, patterns, settings.exclude)
    allow = settings.allow_globals
    use_modelscan = settings.modelscan
    have_modelscan = modelscan_run.available()
    minimum = settings.modelscan_severity
    ms_reports: dict[str, Any] = {}
    reports = []
    for i, path in enumerate(files):
        display = rel(ctx.root, path)
        ctx.progress(f"scanning {display}", 0.1 + 0.6 * i / max(1, len(files)))
        report = formats.inspect_file(
            path, display, allow, settings.max_bytes, settings.skops_engine
        )
        if report.is_model and use_modelscan is not False and have_modelscan:
            ms = modelscan_run.scan(path, timeout=120)
            ms_reports[display] = ms
            flagged = modelscan_run.issues_at_or_above(ms, minimum)
            report.details["modelscan"] = {"issues": flagged, "error": ms.get("error")}
            if flagged and report.status == "pass":
                report.status = "fail"
                report.message = f"{display}: modelscan reports {'; '.join(flagged[:3])}"
        elif report.is_model and use_modelscan is True and not have_modelscan:
            report.details["modelscan"] = {"error": "modelscan is not installed"}
            if report.status == "pass":
                report.status = "error"
                report.message = f"{display}: modelscan: true but modelscan is not installed"
        reports.append((path, report))
    out = ctx.artefact("model-scan.json")
    out.write_text(
        json.dumps(
            {
                "files": [r.to_dict() for _, r in reports],
                "refused": refused,
                "allow_globals": list(allow),
            },
            indent=2,
        ),
        encoding="utf-8",
    )
    if ms_reports:
        ctx.artefact("modelscan.json").write_text(
            json.dumps(ms_reports, indent=2), encoding="utf-8"
        )
    return reports, refused


def read_inventory(ctx: CollectorContext, settings: Settings, have_models: bool) -> InventoryRead:
    """The listed dataset files and the parsed inventory (or why it could not be read)."""
    datasets: list[Path] = []
    if settings.datasets:
        datasets = find_inside(ctx.root, ctx.config_dir, settings.datasets)[0]
    if not settings.inventory:
        return InventoryRead(datasets, configured=False)
    try:
        path = ctx.path(settings.inventory, "inventory")
        inv = inventory.load_inventory(ctx.root, path)
    except (InputError, FileProblem) as exc:
        return InventoryRead(datasets, configured=True, error=str(exc))
    return InventoryRead(datasets, True, inv, ctx.subject("inventory", path))


def make_sbom(ctx: CollectorContext, settings: Settings) -> SbomMade:
    """The SBOM of what the project declares, or of the interpreter ``sbom.python`` names
    (never of aima-ci's own environment)."""
    assert settings.sbom is not None
    if settings.sbom.python is None:
        deps, files, problems = declared.declared_dependencies(ctx.root)
        out = ctx.artefact("sbom.cdx.json")
        if not problems and deps:
            declared.write_bom(deps, files, out)
        return SbomMade(out, deps=deps, files=files, problems=problems)
    python = sys.executable
    try:
        python = str(ctx.path(settings.sbom.python, "sbom.python"))
    except InputError as exc:
        return SbomMade(ctx.artefact("sbom.cdx.json"), python=python, error=str(exc))
    out = ctx.artefact("sbom.cdx.json")
    result = sbom.generate(out, python, settings.sbom.timeout, settings.sbom.validate)
    return SbomMade(out, python=python, result=result)
