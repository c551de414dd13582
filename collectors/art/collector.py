"""The ``art`` collector: evasion attacks with IBM's Adversarial Robustness Toolbox (ART).

It answers one question for the build: does the model keep its accuracy when inputs are nudged by
an adversary within a stated budget? The measured numbers (clean accuracy, adversarial accuracy,
their ratio, per attack) are the robustness indicators AIMA's Security Testing practice asks for.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any, ClassVar

from aima_ci.models import Finding, Status, Subject
from aima_ci.plugin import (
    Collector,
    CollectorContext,
    InputError,
    Preflight,
    Starter,
    load_checks,
    now_iso,
)

from .._arrays import apply_label_map, is_array_data
from .._modelio import LoadedModel, checked_model, mismatches, model_format
from .._modelio._isolated import check_in_helper
from .._prelude import PrepareError, error_findings, prepare
from .._tabular import load_classifier_table, sample_indices
from ._attacks import AttackOutcome, run_attack
from ._config import BLACK_BOX_ATTACKS, PREFIX, ArtSettings, default_attacks, parse
from ._data import label_indices
from ._space import ModelSpace, build_space
from ._tool import gradient_classifier, import_art

if TYPE_CHECKING:
    from aima_ci.models import RepoFacts

RATIO = "art.robustness_ratio"
METRICS = "art.robustness_metrics"
REPORT_SCHEMA = "aima-ci/art-report/v1"


class ArtCollector(Collector):
    name = "art"
    # Config paths preflight() checks before any collector runs.
    input_paths: ClassVar[Mapping[str, str]] = {
        "model.path": "any",  # a model declared under models: (checked the same way)
        "labels": "file",
        "model": "any",
        "data": "any",
    }
    version = "0.1.0"
    description = (
        "Adversarial robustness of a scikit-learn classifier under ART evasion attacks "
        "(FGM, PGD, HopSkipJump)"
    )
    tool = "adversarial-robustness-toolbox"
    requires = ("art", "packaging", "numpy", "pandas", "sklearn", "skops")
    extra = "art"
    default_timeout = 600.0
    checks = load_checks(__file__)

    def starter(self, facts: RepoFacts) -> Starter | None:
        models = [m for m in facts.models if m.endswith((".skops", ".onnx", ".pt", ".keras"))]
        if not models:
            return None
        return Starter(
            {"model": models[0]},
            "Adversarial robustness of the model (ART): name its evaluation data, then uncomment.",
            enabled=False,
        )

    def validate_config(self, config: Mapping[str, Any]) -> None:
        parse(config, self.check_keys)

    def preflight(self, config: Mapping[str, Any], check: Preflight) -> None:
        """Besides the paths: the model checks of ``check_model_inputs``, run in the helper
        process that loads untrusted models away from aima-ci's own (see _modelio._isolated)."""
        super().preflight(config, check)
        model_format(self.name, parse(config, self.check_keys).model, check)  # cheap, here
        check_in_helper(self, config, check, "check_model_inputs")

    def check_model_inputs(self, config: Mapping[str, Any], check: Preflight) -> None:
        """Load the model (once per command, never an untrusted pickle) and run it on a few
        samples, so a declared input shape it cannot take, or labels that are not its classes
        after ``label_map``, exit 2 naming the key before any collector runs. Other bad input
        is left to ``collect``, which reports it as error findings."""
        settings = parse(config, self.check_keys)
        loaded = checked_model(self, settings.model, check)
        if loaded is None:
            return
        data_path = check.path("data", settings.data, "any")
        labels = check.path("labels", settings.labels) if settings.labels else None
        arrays = is_array_data(data_path)
        if settings.label_map is not None:
            label_key = "label_map"
        else:
            label_key = "labels" if settings.labels else ("data" if arrays else "label")
        with contextlib.suppress(InputError), mismatches(settings.model, self.name, label_key):
            if loaded.is_deep or arrays:
                from ._deep_data import deep_space

                deep_space(loaded, data_path, labels, settings, check.config_dir)
            else:
                _table(loaded, data_path, settings)

    def collect(self, ctx: CollectorContext) -> Iterator[Finding]:
        settings = parse(ctx.config, self.check_keys)
        try:
            prepared = prepare(ctx, settings.model, settings.data, PREFIX, device=settings.device)
        except PrepareError as exc:
            yield from error_findings(ctx, self.checks, str(exc), exc.subjects)
            return
        subjects = prepared.subjects
        assert prepared.data_path is not None
        try:
            if prepared.loaded.is_deep or is_array_data(prepared.data_path):
                findings = self._measure_deep(
                    ctx, settings, prepared.loaded, prepared.data_path, subjects
                )
            else:
                findings = self._measure(
                    ctx, settings, prepared.loaded, prepared.data_path, subjects
                )
        except InputError as exc:  # keep the digests on the error findings
            findings = error_findings(ctx, self.checks, str(exc), subjects)
        yield from findings

    def _measure(
        self,
        ctx: CollectorContext,
        settings: ArtSettings,
        loaded_model: LoadedModel,
        data_path: Path,
        subjects: Sequence[Subject],
    ) -> list[Finding]:
        ctx.progress("loading data", 0.0)
        eps_units = settings.eps_units or "std"
        loaded, frame, features, y = _table(loaded_model, data_path, settings)
        space = build_space(
            loaded.estimator,
            frame,
            features,
            eps_units=eps_units,
            clip_values=settings.clip_values,
            where=f"{PREFIX}.data",
            file=data_path.name,
        )
        ctx.progress("importing ART", 0.1)
        art = import_art(ctx.artefact_dir)
        attacks = settings.attacks or default_attacks(
            gradient_classifier(art, space)[0] is not None
        )
        outcomes: list[AttackOutcome] = []
        for i, spec in enumerate(attacks):
            ctx.progress(f"{spec.label()}", 0.2 + 0.7 * i / len(attacks))
            if spec.name in ("CarliniLInfMethod", "SquareAttack"):
                outcomes.append(
                    AttackOutcome(
                        spec=spec,
                        status="not_applicable",
                        message=f"{spec.name} is run on networks (array or image data) only",
                    )
                )
                continue
            rows = sample_indices(
                len(frame), spec.sample_size or settings.sample_size, settings.seed
            )
            outcomes.append(run_attack(art, spec, space, rows, y, seed=settings.seed))
        threshold = ctx.threshold(RATIO)
        report = ctx.artefact("report.json")
        _write_report(
            report, ctx, settings, loaded, space, features, subjects, outcomes, art, threshold
        )
        ctx.progress("done", 1.0)
        return [
            *self._ratio_findings(
                ctx, outcomes, threshold, subjects, report, eps_units, settings.label
            ),
            self._metrics_finding(ctx, outcomes, subjects, report),
        ]

    def _measure_deep(
        self,
        ctx: CollectorContext,
        settings: ArtSettings,
        loaded: LoadedModel,
        data_path: Path,
        subjects: Sequence[Subject],
    ) -> list[Finding]:
        from ._deep import DeepSpace, run_deep_attack, strongest_by_eps
        from ._deep_data import deep_space

        ctx.progress("loading data", 0.0)
        labels = ctx.path(settings.labels, "labels") if settings.labels else None
        space: DeepSpace = deep_space(loaded, data_path, labels, settings, ctx.config_dir)
        eps_units = settings.eps_units or "absolute"
        ctx.progress("importing ART", 0.1)
        art = import_art(ctx.artefact_dir)
        attacks = settings.attacks or default_attacks(
            space.model.torch_module is not None, deep=True
        )
        outcomes: list[AttackOutcome] = []
        for i, spec in enumerate(attacks):
            ctx.progress(f"{spec.label()}", 0.2 + 0.7 * i / len(attacks))
            rows = sample_indices(
                len(space.x), spec.sample_size or settings.sample_size, settings.seed
            )
            outcomes.append(run_deep_attack(art, spec, space, rows, seed=settings.seed))
        threshold = ctx.threshold(RATIO)
        strongest = strongest_by_eps(outcomes)
        report = ctx.artefact("report.json")
        model, *data = subjects
        doc = {
            "schema": REPORT_SCHEMA,
            "created_at": now_iso(),
            "tool": {"name": "adversarial-robustness-toolbox", "version": art.version},
            "collector": {"name": "art", "version": ArtCollector.version},
            "model": {
                **model.to_dict(),
                "runtime": space.model.runtime,
                "gradients": space.model.torch_module is not None,
                "device": space.model.device,
                "input_shape": list(space.x.shape[1:]),
                "classes": [_plain(c) for c in space.classes],
            },
            "data": {**(data[0].to_dict() if data else {}), "samples": len(space.x)},
            "attack_space": {
                "description": "the model's input tensor",
                "eps_units": eps_units,
                "eps_unit_value": space.scale,
                "clip_values": list(space.clip),
            },
            "seed": settings.seed,
            "robustness_ratio_threshold": threshold,
            "strongest_by_eps": strongest,
            "attacks": [o.to_dict() for o in outcomes],
        }
        report.write_text(json.dumps(doc, indent=2, default=str) + "\n", encoding="utf-8")
        ctx.progress("done", 1.0)
        findings = self._ratio_findings(ctx, outcomes, threshold, subjects, report, eps_units, None)
        metrics = self._metrics_finding(ctx, outcomes, subjects, report)
        details = {**metrics.details, "strongest_by_eps": strongest}
        return [*findings, replace(metrics, details=details)]

    def _ratio_findings(
        self,
        ctx: CollectorContext,
        outcomes: Sequence[AttackOutcome],
        threshold: float | None,
        subjects: Sequence[Subject],
        report: Path,
        eps_units: str,
        label: str | None,
    ) -> list[Finding]:
        limit = 0.7 if threshold is None else threshold
        any_ran = any(o.status == "ok" for o in outcomes)
        findings = []
        for o in outcomes:
            details = {**o.to_dict(), "eps_units": eps_units}
            details.pop("examples", None)
            common: dict[str, Any] = {
                "threshold": limit,
                "subjects": subjects,
                "artefacts": [report],
                "details": details,
            }
            if o.status == "not_applicable" and any_ran:
                findings.append(
                    ctx.finding(RATIO, Status.NOT_APPLICABLE, message=o.message, **common)
                )
            elif o.status == "not_applicable":
                message = f"{o.message}; no configured attack could run on this model"
                findings.append(ctx.finding(RATIO, Status.ERROR, message=message, **common))
            elif o.status == "error":
                findings.append(ctx.finding(RATIO, Status.ERROR, message=o.message, **common))
            elif o.ratio is None:
                what = f"the label column '{label}'" if label else "the labels"
                message = (
                    f"{o.spec.label()}: clean accuracy is 0 on {o.n} rows, so robustness cannot be "
                    f"measured; check {what} and the model"
                )
                findings.append(ctx.finding(RATIO, Status.ERROR, message=message, **common))
            else:
                ok = o.ratio >= limit
                message = (
                    f"{o.spec.label()} [{eps_units}]: adversarial accuracy "
                    f"{o.adversarial_accuracy:.3f} vs clean {o.clean_accuracy:.3f} on {o.n} rows, "
                    f"ratio {o.ratio:.3f} {'>=' if ok else '<'} {limit:g}"
                    + (
                        " (black-box: an upper bound, a white-box attacker may do better)"
                        if o.spec.name in BLACK_BOX_ATTACKS
                        else ""
                    )
                )
                findings.append(
                    ctx.finding(
                        RATIO,
                        Status.PASS if ok else Status.FAIL,
                        value=round(o.ratio, 4),
                        message=message,
                        **common,
                    )
                )
        return findings

    def _metrics_finding(
        self,
        ctx: CollectorContext,
        outcomes: Sequence[AttackOutcome],
        subjects: Sequence[Subject],
        report: Path,
    ) -> Finding:
        minimum = ctx.threshold(METRICS, "min_samples") or 0.0
        measured = [o for o in outcomes if o.status == "ok" and o.ratio is not None]
        failed = [
            o for o in outcomes if o.status == "error" or (o.status == "ok" and o.ratio is None)
        ]
        summary = [
            {"attack": o.spec.label(), "status": o.status, "samples": o.n, "ratio": o.ratio}
            for o in outcomes
        ]
        common: dict[str, Any] = {
            "threshold": minimum,
            "subjects": subjects,
            "artefacts": [report],
            "details": {"attacks": summary},
        }
        if failed or not measured:
            names = ", ".join(o.spec.label() for o in failed) or "every configured attack"
            return ctx.finding(
                METRICS,
                Status.ERROR,
                message=f"no robustness metric for {names}: see the art.robustness_ratio findings",
                **common,
            )
        fewest = min(o.n for o in measured)
        ok = fewest >= minimum
        return ctx.finding(
            METRICS,
            Status.PASS if ok else Status.FAIL,
            value=fewest,
            message=(
                f"{len(measured)} attack(s) measured, the smallest sample {fewest} rows "
                f"{'>=' if ok else '<'} {minimum:g}; recorded in {ctx.rel_artefact(report)}"
            ),
            **common,
        )


def _table(
    loaded_model: LoadedModel, data_path: Path, settings: ArtSettings
) -> tuple[LoadedModel, Any, list[str], Any]:
    """The table, its feature columns and each row's label as an index into the model's classes
    (after ``label_map``); also what ``preflight`` checks before any collector runs."""
    if settings.label is None:
        raise InputError(
            f"{PREFIX}.label: is required for a table (the column with the true class)"
        )
    loaded, frame, features = load_classifier_table(
        loaded_model,
        data_path,
        prefix=PREFIX,
        proba=False,
        configured=settings.features,
        exclude=[settings.label],
    )
    if settings.label_map is not None:
        frame = frame.assign(
            **{
                settings.label: apply_label_map(
                    frame[settings.label].to_numpy(),
                    settings.label_map,
                    f"{PREFIX}.label_map: {data_path.name}",
                )
            }
        )
    y = label_indices(
        frame,
        settings.label,
        list(loaded.estimator.classes_),
        where=f"{PREFIX}.label",
        file=data_path.name,
    )
    return loaded, frame, features, y


def _write_report(
    path: Path,
    ctx: CollectorContext,
    settings: ArtSettings,
    loaded: LoadedModel,
    space: ModelSpace,
    features: Sequence[str],
    subjects: Sequence[Subject],
    outcomes: Sequence[AttackOutcome],
    art: SimpleNamespace,
    threshold: float | None,
) -> None:
    """The evidence a reviewer reads: what was attacked, how, and what changed."""
    model, data = subjects
    report = {
        "schema": REPORT_SCHEMA,
        "created_at": now_iso(),
        "tool": {"name": "adversarial-robustness-toolbox", "version": art.version},
        "collector": {"name": "art", "version": ArtCollector.version},
        "model": {
            **model.to_dict(),
            "format": loaded.format,
            "trusted_types": list(loaded.trusted_types),
            "steps": space.steps,
            "classes": [c.item() if hasattr(c, "item") else c for c in space.classes],
        },
        "data": {**data.to_dict(), "label": settings.label, "features": list(features)},
        "attack_space": {
            "description": (
                "the final estimator's input features (after the pipeline's preprocessing)"
                if space.prefix is not None
                else "the data columns as given"
            ),
            "features": space.names,
            "eps_units": settings.eps_units or "std",
            "clip_values": "data min/max per feature"
            if settings.clip_values is None
            else list(settings.clip_values),
        },
        "seed": settings.seed,
        "robustness_ratio_threshold": threshold,
        "attacks": [o.to_dict() for o in outcomes],
    }
    path.write_text(json.dumps(report, indent=2, default=str) + "\n", encoding="utf-8")


def _plain(value: Any) -> Any:
    return value.item() if hasattr(value, "item") else value
