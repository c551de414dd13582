"""Judging the supply-chain measurements: unsafe serialisation per model file (with the owners'
declared trust), inventory coverage of models and datasets, and the SBOM."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from aima_ci.models import Finding, Severity, Status
from aima_ci.plugin import CollectorContext, InputError

from . import formats, inventory
from .measure import InventoryRead, Measured, SbomMade
from .settings import Settings


def judge(ctx: CollectorContext, measured: Measured, settings: Settings) -> Iterator[Finding]:
    yield from serialisation_findings(ctx, measured, settings)
    models = [path for path, r in measured.reports if r.is_model]
    yield from inventory_findings(ctx, measured.inventory, models, settings)
    if measured.sbom is not None:
        yield sbom_finding(ctx, measured.sbom)


def serialisation_findings(
    ctx: CollectorContext, measured: Measured, settings: Settings
) -> Iterator[Finding]:
    cid = "supply_chain.unsafe_serialisation"
    arts = [
        p
        for p in (ctx.artefact_dir / "model-scan.json", ctx.artefact_dir / "modelscan.json")
        if p.exists()
    ]
    for message in measured.refused:
        yield ctx.finding(cid, Status.ERROR, message=message, artefacts=arts)
    models = [(p, r) for p, r in measured.reports if r.is_model]
    trusted = declared_trusted(ctx, settings)
    if not models and not measured.refused:
        yield ctx.finding(
            cid,
            Status.NOT_APPLICABLE,
            message="no model files found (collectors.supply_chain.models)",
            artefacts=arts,
        )
        return
    for path, r in models:
        severity = Severity.CRITICAL if r.scan is not None and r.scan.dangerous else None
        if (
            r.status == "fail"
            and r.untrusted
            and any(formats.classify(t) == "dangerous" for t in r.untrusted)
        ):
            severity = Severity.CRITICAL
        status, message = r.status, r.message
        declared = trusted.get(path.resolve())
        if declared and status == "fail" and severity is not Severity.CRITICAL:
            # The owner declared this file trusted (models.<name>.trust): the collectors load
            # it, so the scanner records the accepted risk instead of a second verdict. A
            # dangerous global (os.system, eval ...) still fails: trust does not make it safe.
            status = "warn"
            message = f"{message}; accepted: declared trusted in models.{declared}.trust"
        yield ctx.finding(
            cid,
            status,
            message=message,
            subjects=[ctx.subject("model", path)],
            artefacts=arts,
            details={
                k: v
                for k, v in r.to_dict().items()
                if k in ("format", "compression", "modelscan", "untrusted_types", "engine")
            }
            | ({"globals": sorted(r.scan.globals)[:50]} if r.scan else {}),
            severity=severity or (Severity.HIGH if r.status == "fail" else None),
        )


def declared_trusted(ctx: CollectorContext, settings: Settings) -> dict[Path, str]:
    """Resolved path -> model name, for the models declared with ``trust: true``."""
    out: dict[Path, str] = {}
    for item in settings.declared_models:
        if item.get("trust") is True:
            try:
                out[ctx.path(str(item["path"]), "declared_models", must_exist=False)] = str(
                    item["name"]
                )
            except InputError:
                continue
    return out


def inventory_findings(
    ctx: CollectorContext, read: InventoryRead, models: list[Path], settings: Settings
) -> Iterator[Finding]:
    datasets = read.datasets
    if not read.configured:
        if models:
            yield ctx.finding(
                "supply_chain.model_inventory",
                Status.FAIL,
                message=f"{len(models)} model file(s) but no inventory configured (collectors.supply_chain.inventory)",
                value=len(models),
            )
        else:
            yield ctx.finding(
                "supply_chain.model_inventory",
                Status.NOT_APPLICABLE,
                message="no model files and no inventory configured",
            )
        status = Status.FAIL if datasets else Status.NOT_APPLICABLE
        yield ctx.finding(
            "supply_chain.dataset_inventory",
            status,
            message=(
                f"{len(datasets)} dataset file(s) but no inventory configured"
                if datasets
                else "no inventory configured and no dataset files listed (collectors.supply_chain.datasets)"
            ),
        )
        return
    if read.error is not None:
        for cid in ("supply_chain.model_inventory", "supply_chain.dataset_inventory"):
            yield ctx.finding(cid, Status.ERROR, message=read.error)
        return
    inv, subject = read.inventory, read.subject
    assert inv is not None and subject is not None
    for kind, files, cid in (
        ("models", models, "supply_chain.model_inventory"),
        ("datasets", datasets, "supply_chain.dataset_inventory"),
    ):
        problems, details = inventory.check_files(
            ctx.root, inv, kind, files, settings.allowed_licences
        )
        if not files and not inv.of(kind):
            yield ctx.finding(
                cid,
                Status.NOT_APPLICABLE,
                message=f"no {kind} in {inv.display} and no {kind} files found",
                subjects=[subject],
            )
            continue
        status = Status.FAIL if problems else Status.PASS
        message = (
            f"{len(problems)} problem(s): " + "; ".join(problems[:5])
            if problems
            else f"{len(inv.of(kind))} {kind} entries, {len(files)} file(s) claimed, all with version, licence and source"
        )
        yield ctx.finding(
            cid,
            status,
            value=len(problems),
            message=message,
            subjects=[subject],
            details={**details, "problems": problems[:100]},
        )


def sbom_finding(ctx: CollectorContext, made: SbomMade) -> Finding:
    if made.python is None:
        return _declared_sbom(ctx, made)
    if made.error is not None:
        return ctx.finding("supply_chain.sbom", Status.ERROR, message=made.error)
    result = made.result
    assert result is not None
    return ctx.finding(
        "supply_chain.sbom",
        result.status,
        value=result.components or None,
        message=result.message,
        artefacts=[made.out] if made.out.exists() else [],
        details={"spec_version": result.spec_version, "python": made.python},
    )


def _declared_sbom(ctx: CollectorContext, made: SbomMade) -> Finding:
    """The SBOM of what the project declares (never of aima-ci's own environment)."""
    deps, files, problems = made.deps, made.files, made.problems
    if problems:
        return ctx.finding(
            "supply_chain.sbom",
            Status.ERROR,
            message="unreadable dependency file(s): " + "; ".join(problems[:5]),
        )
    if not deps:
        return ctx.finding(
            "supply_chain.sbom",
            Status.NOT_RUN,
            message=(
                "the project declares no dependencies (requirements*.txt, pyproject.toml,"
                " poetry.lock, uv.lock, Pipfile.lock, environment.yml): nothing to list; set"
                " sbom.python to record an environment instead"
            ),
        )
    unpinned = [d.name for d in deps if not d.pinned]
    return ctx.finding(
        "supply_chain.sbom",
        Status.PASS,
        value=len(deps),
        message=(
            f"CycloneDX 1.6 SBOM of {len(deps)} declared dependencies from {', '.join(files)}"
            + (f"; {len(unpinned)} not pinned to a version" if unpinned else "")
        ),
        notes=[f"not pinned: {', '.join(unpinned[:20])}"] if unpinned else [],
        artefacts=[made.out],
        details={"source": "declared", "files": files, "unpinned": unpinned},
    )
