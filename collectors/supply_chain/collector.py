"""Model supply chain: unsafe serialisation, a model/dataset inventory, an environment SBOM.

A pickled model is a program: loading it may run anything its author wrote. This collector reads
every model file's bytes without loading it, records which models and datasets the project
uses with their licence and origin, and captures the Python environment as a CycloneDX SBOM.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from aima_ci_collectors._safeio import find_inside

from aima_ci.models import Check, Finding, Severity, Status
from aima_ci.plugin import (
    Collector,
    CollectorConfigError,
    CollectorContext,
    InputError,
    Starter,
    load_checks,
)
from aima_ci.safety.safeio import FileProblem, rel

from . import declared, formats, inventory, modelscan_run, sbom

if TYPE_CHECKING:
    from aima_ci.models import RepoFacts

NAME = "supply_chain"
KEYS = {
    "models",
    "exclude",
    "allow_globals",
    "max_file_mb",
    "modelscan",
    "modelscan_severity",
    "inventory",
    "datasets",
    "allowed_licences",
    "sbom",
    "skops_engine",
    "declared_models",  # set by the config loader from models: (one trust decision per model)
}
SBOM_KEYS = {"python", "timeout", "validate"}


class SupplyChainCollector(Collector):
    name = NAME
    # Config paths preflight() checks before any collector runs.
    input_paths: ClassVar[Mapping[str, str]] = {"inventory": "file"}
    version = "0.1.0"
    description = "Scans model files for code-executing serialisation, checks the model/dataset inventory, writes a CycloneDX SBOM"
    light = False  # the SBOM step inspects an interpreter; not for a pre-commit hook
    default_timeout = 600.0
    checks = load_checks(__file__)

    # -- configuration --------------------------------------------------------------------------
    def starter(self, facts: RepoFacts) -> Starter | None:
        """Every model file is scanned by default; an inventory file found is named."""
        if not (facts.models or facts.datasets):
            return None
        config = {"inventory": facts.inventories[0]} if facts.inventories else {}
        steps = tuple(
            f"{p}: a pickled vector store (LLM08): loading it unpickles whatever the file holds;"
            " supply_chain scans it for code-executing globals, and rebuilding the index from"
            " its sources in CI (or a non-pickle format) removes the risk"
            for p in facts.llm.vector_stores
        )
        return Starter(
            config,
            "Unsafe model serialisation (pickles that run code), model/dataset licences, an SBOM.",
            next_steps=steps,
        )

    def validate_config(self, config: Mapping[str, Any]) -> None:
        self.check_keys(config, KEYS)
        prefix = f"collectors.{NAME}"
        for key in ("models", "exclude", "allow_globals", "datasets", "allowed_licences"):
            value = config.get(key)
            if value is not None and not (
                isinstance(value, list) and all(isinstance(v, str) and v for v in value)
            ):
                raise CollectorConfigError(f"{prefix}.{key}", "must be a list of strings")
        mb = config.get("max_file_mb", 2048)
        if isinstance(mb, bool) or not isinstance(mb, (int, float)) or mb <= 0:
            raise CollectorConfigError(f"{prefix}.max_file_mb", "must be a positive number")
        if config.get("modelscan", "auto") not in ("auto", True, False):
            raise CollectorConfigError(f"{prefix}.modelscan", "must be auto, true or false")
        if config.get("modelscan_severity", "MEDIUM") not in modelscan_run.SEVERITIES:
            raise CollectorConfigError(
                f"{prefix}.modelscan_severity", f"one of {', '.join(modelscan_run.SEVERITIES)}"
            )
        if config.get("skops_engine", "auto") not in ("auto", "skops", "builtin"):
            raise CollectorConfigError(f"{prefix}.skops_engine", "must be auto, skops or builtin")
        inv = config.get("inventory")
        if inv is not None and not (isinstance(inv, str) and inv):
            raise CollectorConfigError(f"{prefix}.inventory", "must be a path")
        s = config.get("sbom", True)
        if isinstance(s, Mapping):
            bad = sorted(set(s) - SBOM_KEYS)
            if bad:
                raise CollectorConfigError(f"{prefix}.sbom.{bad[0]}", "unknown key")
            t = s.get("timeout", 300)
            if isinstance(t, bool) or not isinstance(t, (int, float)) or t <= 0:
                raise CollectorConfigError(f"{prefix}.sbom.timeout", "must be positive seconds")
            if "python" in s and not (isinstance(s["python"], str) and s["python"]):
                raise CollectorConfigError(f"{prefix}.sbom.python", "must be a path")
            if not isinstance(s.get("validate", False), bool):
                raise CollectorConfigError(f"{prefix}.sbom.validate", "must be true or false")
        elif not isinstance(s, bool):
            raise CollectorConfigError(f"{prefix}.sbom", "must be true, false or a mapping")

    def cache_inputs(self, config: Mapping[str, Any], ctx: CollectorContext) -> Iterable[Path]:
        """The declared-dependency files the SBOM reads are inputs too (no config names them)."""
        yield from super().cache_inputs(config, ctx)
        if config.get("sbom", True) is not False:
            yield from declared.dependency_files(ctx.root)

    def enabled_checks(self, config: Mapping[str, Any]) -> tuple[Check, ...]:
        if config.get("sbom", True) is False:
            return tuple(c for c in self.checks if c.id != "supply_chain.sbom")
        return self.checks

    # -- collection -----------------------------------------------------------------------------
    def collect(self, ctx: CollectorContext) -> Iterator[Finding]:
        self.validate_config(ctx.config)
        cfg = ctx.config
        max_bytes = int(float(cfg.get("max_file_mb", 2048)) * (1 << 20))
        allow = tuple(cfg.get("allow_globals") or ())
        ctx.progress("finding model files", 0.0)
        reports, refused = self._inspect_models(ctx, allow, max_bytes)
        yield from self._serialisation_findings(ctx, reports, refused)
        models = [(path, r) for path, r in reports if r.is_model]
        yield from self._inventory_findings(ctx, [p for p, _ in models])
        if cfg.get("sbom", True) is not False:
            ctx.progress("writing the SBOM", 0.8)
            yield self._sbom_finding(ctx)
        ctx.progress("done", 1.0)

    def _model_files(self, ctx: CollectorContext) -> tuple[list[Path], list[str]]:
        patterns = ctx.config.get("models") or formats.MODEL_PATTERNS
        exclude = ctx.config.get("exclude") or ()
        return find_inside(ctx.root, ctx.config_dir, patterns, exclude)

    def _inspect_models(
        self, ctx: CollectorContext, allow: tuple[str, ...], max_bytes: int
    ) -> tuple[list[tuple[Path, formats.FileReport]], list[str]]:
        files, refused = self._model_files(ctx)
        use_modelscan = ctx.config.get("modelscan", "auto")
        have_modelscan = modelscan_run.available()
        minimum = ctx.config.get("modelscan_severity", "MEDIUM")
        ms_reports: dict[str, Any] = {}
        reports = []
        for i, path in enumerate(files):
            display = rel(ctx.root, path)
            ctx.progress(f"scanning {display}", 0.1 + 0.6 * i / max(1, len(files)))
            report = formats.inspect_file(
                path, display, allow, max_bytes, ctx.config.get("skops_engine", "auto")
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

    def _serialisation_findings(
        self,
        ctx: CollectorContext,
        reports: list[tuple[Path, formats.FileReport]],
        refused: list[str],
    ) -> Iterator[Finding]:
        cid = "supply_chain.unsafe_serialisation"
        arts = [
            p
            for p in (ctx.artefact_dir / "model-scan.json", ctx.artefact_dir / "modelscan.json")
            if p.exists()
        ]
        for message in refused:
            yield ctx.finding(cid, Status.ERROR, message=message, artefacts=arts)
        models = [(p, r) for p, r in reports if r.is_model]
        trusted = self._declared_trusted(ctx)
        if not models and not refused:
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

    @staticmethod
    def _declared_trusted(ctx: CollectorContext) -> dict[Path, str]:
        """Resolved path -> model name, for the models declared with ``trust: true``."""
        out: dict[Path, str] = {}
        for item in ctx.config.get("declared_models") or ():
            if isinstance(item, Mapping) and item.get("trust") is True:
                try:
                    out[ctx.path(str(item["path"]), "declared_models", must_exist=False)] = str(
                        item["name"]
                    )
                except InputError:
                    continue
        return out

    def _inventory_findings(self, ctx: CollectorContext, models: list[Path]) -> Iterator[Finding]:
        cfg = ctx.config
        inv_key = cfg.get("inventory")
        datasets: list[Path] = []
        if cfg.get("datasets"):
            datasets = find_inside(ctx.root, ctx.config_dir, cfg["datasets"])[0]
        if not inv_key:
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
        try:
            path = ctx.path(inv_key, "inventory")
            inv = inventory.load_inventory(ctx.root, path)
        except (InputError, FileProblem) as exc:
            for cid in ("supply_chain.model_inventory", "supply_chain.dataset_inventory"):
                yield ctx.finding(cid, Status.ERROR, message=str(exc))
            return
        subject = ctx.subject("inventory", path)
        allowed = cfg.get("allowed_licences") or ()
        for kind, files, cid in (
            ("models", models, "supply_chain.model_inventory"),
            ("datasets", datasets, "supply_chain.dataset_inventory"),
        ):
            problems, details = inventory.check_files(ctx.root, inv, kind, files, allowed)
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

    def _declared_sbom(self, ctx: CollectorContext) -> Finding:
        """The SBOM of what the project declares (never of aima-ci's own environment)."""
        deps, files, problems = declared.declared_dependencies(ctx.root)
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
        out = ctx.artefact("sbom.cdx.json")
        declared.write_bom(deps, files, out)
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
            artefacts=[out],
            details={"source": "declared", "files": files, "unpinned": unpinned},
        )

    def _sbom_finding(self, ctx: CollectorContext) -> Finding:
        cfg = ctx.config.get("sbom", True)
        opts = cfg if isinstance(cfg, Mapping) else {}
        if "python" not in opts:
            return self._declared_sbom(ctx)
        python = sys.executable
        if "python" in opts:
            try:
                python = str(ctx.path(opts["python"], "sbom.python"))
            except InputError as exc:
                return ctx.finding("supply_chain.sbom", Status.ERROR, message=str(exc))
        out = ctx.artefact("sbom.cdx.json")
        result = sbom.generate(
            out, python, float(opts.get("timeout", 300)), bool(opts.get("validate", False))
        )
        return ctx.finding(
            "supply_chain.sbom",
            result.status,
            value=result.components or None,
            message=result.message,
            artefacts=[out] if out.exists() else [],
            details={
                "spec_version": result.spec_version,
                "python": python if "python" in opts else "current interpreter",
            },
        )
