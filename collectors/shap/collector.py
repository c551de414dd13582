"""The ``shap`` collector: a global SHAP explanation, bound to the model it explains.

Two modes. By default it computes the explanation (global importance = mean |SHAP|) for the
current model and writes it with the model's digest. With ``explanation: <file>`` it computes
nothing and verifies that a previously produced explanation belongs to the model being built, so a
team that explains offline can still gate on the explanation not being stale.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from aima_ci.models import Finding, Status, Subject
from aima_ci.plugin import (
    Collector,
    CollectorContext,
    InputError,
    Preflight,
    Starter,
    load_checks,
)

from .._modelio import (
    LoadedModel,
    checked_model,
    data_subject,
    describe,
    mismatches,
    model_format,
)
from .._modelio._isolated import check_in_helper
from .._prelude import PrepareError, error_findings, prepare
from . import _artefact
from ._config import PREFIX, ShapSettings, parse

if TYPE_CHECKING:
    from aima_ci.models import RepoFacts

IMPORTANCE = "shap.global_importance"
CURRENT = "shap.explanation_current"


class ShapCollector(Collector):
    name = "shap"
    # Config paths preflight() checks before any collector runs.
    input_paths: ClassVar[Mapping[str, str]] = {
        "model.path": "any",  # a model declared under models: (checked the same way)
        "labels": "file",
        "model": "any",
        "data": "any",
        "explanation": "file",
    }
    version = "0.1.0"
    description = "Global SHAP feature importance of a classifier, stamped with the model digest"
    tool = "shap"
    requires = ("shap", "numpy", "pandas", "sklearn", "skops", "matplotlib")
    extra = "shap"
    default_timeout = 600.0
    checks = load_checks(__file__)

    def starter(self, facts: RepoFacts) -> Starter | None:
        skops = [m for m in facts.models if m.endswith((".skops", ".onnx"))]
        pair = facts.split()
        table = pair[1] if pair else facts.training_table()
        if table is None:
            return None
        if not skops:
            return Starter(
                {},
                "Explanations of the model's predictions need the model.",
                enabled=False,
                next_steps=facts.export_model_steps(),
            )
        return Starter(
            {"model": skops[0], "data": table.path},
            "Explanations of the model's predictions: check the model and data, then uncomment.",
            enabled=False,
        )

    def validate_config(self, config: Mapping[str, Any]) -> None:
        parse(config, self.check_keys)

    def preflight(self, config: Mapping[str, Any], check: Preflight) -> None:
        """Besides the paths: the model checks of ``check_model_inputs``, run in the helper
        process that loads untrusted models away from aima-ci's own (see _modelio._isolated).
        Verifying an ``explanation`` loads nothing, here as in ``collect``."""
        super().preflight(config, check)
        settings = parse(config, self.check_keys)
        if settings.verify_only:
            return
        fmt = model_format(self.name, settings.model, check)
        if fmt in ("skops", "pickle") and settings.data and not _arrays(check, settings.data):
            return  # a scikit-learn model on a table: no shape or labels to mismatch
        check_in_helper(self, config, check, "check_model_inputs")

    def check_model_inputs(self, config: Mapping[str, Any], check: Preflight) -> None:
        """Load the model (once per command, never an untrusted pickle) and, for a network or
        array data, run it on the samples' shape, so a declared input shape it cannot take, or
        array labels that are not its classes, exit 2 naming the key before any collector runs."""
        settings = parse(config, self.check_keys)
        loaded = checked_model(self, settings.model, check)
        if loaded is None or settings.data is None:
            return
        from .._arrays import is_array_data

        data_path = check.path("data", settings.data, "any")
        if not (loaded.is_deep or is_array_data(data_path)):
            return  # a table explained by a scikit-learn model: nothing here to mismatch
        from ._deep import deep_inputs

        labels = check.path("labels", settings.labels) if settings.labels else None
        label_key = "labels" if settings.labels else "data"
        with contextlib.suppress(InputError), mismatches(settings.model, self.name, label_key):
            deep_inputs(loaded, data_path, labels, settings)

    def collect(self, ctx: CollectorContext) -> Iterator[Finding]:
        settings = parse(ctx.config, self.check_keys)
        if settings.verify_only:  # the explanation is checked against the digest; no load
            subjects = [_describe_only(ctx, settings)]
            if settings.data:
                subjects.append(data_subject(ctx, "data", ctx.path(settings.data, "data")))
            try:
                yield from self._verify(ctx, settings, subjects)
            except InputError as exc:
                yield from error_findings(ctx, self.checks, str(exc), subjects)
            return
        try:
            prepared = prepare(ctx, settings.model, settings.data, PREFIX, device=settings.device)
        except PrepareError as exc:
            yield from error_findings(ctx, self.checks, str(exc), exc.subjects)
            return
        assert prepared.data_path is not None  # parse() requires data without explanation
        try:
            findings = self._compute(
                ctx, settings, prepared.loaded, prepared.data_path, prepared.subjects
            )
        except InputError as exc:
            findings = error_findings(ctx, self.checks, str(exc), prepared.subjects)
        yield from findings

    # -- compute ---------------------------------------------------------------------------
    def _compute(
        self,
        ctx: CollectorContext,
        settings: ShapSettings,
        loaded_model: LoadedModel,
        data_path: Path,
        subjects: Sequence[Subject],
    ) -> list[Finding]:
        from .._arrays import is_array_data
        from .._tabular import load_classifier_table
        from ._explain import explain
        from ._plot import summary_plot

        ctx.progress("loading data", 0.0)
        if loaded_model.is_deep or is_array_data(data_path):
            from ._deep import explain_deep

            labels = ctx.path(settings.labels, "labels") if settings.labels else None
            explanation = explain_deep(loaded_model, data_path, labels, settings)
        else:
            loaded, frame, features = load_classifier_table(
                loaded_model,
                data_path,
                prefix=PREFIX,
                proba=True,
                configured=settings.features,
            )
            ctx.progress("computing SHAP values", 0.2)
            explanation = explain(
                loaded.estimator,
                frame,
                features,
                sample_size=settings.sample_size,
                background_size=settings.background_size,
                seed=settings.seed,
                where=f"{PREFIX}.data",
                file=data_path.name,
            )
        ctx.progress("writing artefacts", 0.9)
        doc = _artefact.document(
            explanation,
            model=subjects[0],
            data=subjects[1],
            seed=settings.seed,
            tool_version=self.tool_version(),
        )
        explanation_path = ctx.artefact("explanation.json")
        _artefact.write_json(explanation_path, doc)
        top_json, top_csv = (
            ctx.artefact("shap_importance.json"),
            ctx.artefact("shap_importance.csv"),
        )
        _artefact.write_top_k(top_json, top_csv, doc, settings.top_k)
        plot = ctx.artefact("shap_summary.png")
        summary_plot(plot, explanation, settings.top_k)
        artefacts = [explanation_path, top_json, top_csv, plot]
        # Read back what was written: the check is about the artefact, not the in-memory result.
        return self._judge(
            ctx, explanation_path, subjects, artefacts, settings.top_k, computed=True
        )

    # -- verify ----------------------------------------------------------------------------
    def _verify(
        self, ctx: CollectorContext, settings: ShapSettings, subjects: Sequence[Subject]
    ) -> list[Finding]:
        assert settings.explanation is not None
        path = ctx.path(settings.explanation, "explanation")
        return self._judge(ctx, path, subjects, [], settings.top_k, computed=False)

    def _judge(
        self,
        ctx: CollectorContext,
        path: Path,
        subjects: Sequence[Subject],
        artefacts: Sequence[Path],
        top_k: int,
        *,
        computed: bool,
    ) -> list[Finding]:
        shown = ctx.rel_artefact(path) if computed else _rel(ctx, path)
        try:
            doc = _artefact.read(path)
        except (_artefact.ArtefactError, OSError) as exc:
            raise InputError(f"{PREFIX}.explanation: {exc}") from exc
        current = subjects[0].digest
        recorded = doc["model"]["digest"]
        table = doc["importance"]
        top = table[:top_k]
        details = {
            "explanation": shown,
            "model_digest": current,
            "explained_model_digest": recorded,
            "method": doc.get("method"),
            "additivity_error": doc.get("additivity_error"),
            "top_k": top,
        }
        common: dict[str, Any] = {"subjects": subjects, "artefacts": artefacts, "details": details}
        if recorded != current:
            stale = (
                f"{shown} explains model {recorded[:19]}…, but the current model "
                f"{subjects[0].path} is {str(current)[:19]}…: the explanation is stale"
            )
            return [
                ctx.finding(
                    IMPORTANCE,
                    Status.FAIL,
                    message=f"no explanation for the current model: {stale}",
                    **common,
                ),
                ctx.finding(CURRENT, Status.FAIL, message=stale, **common),
            ]
        total = sum(float(r["mean_abs_shap"]) for r in table)
        leaders = ", ".join(f"{r['feature']} ({r['share']:.0%})" for r in top[:3])
        if total <= 0:
            importance = ctx.finding(
                IMPORTANCE,
                Status.FAIL,
                value=0.0,
                message=(
                    "every feature has zero SHAP importance: the model's output does not change "
                    "with its inputs on this data, so the explanation says nothing"
                ),
                **common,
            )
        else:
            verb = "computed" if computed else "verified"
            importance = ctx.finding(
                IMPORTANCE,
                Status.PASS,
                value=str(top[0]["feature"]),
                message=f"global importance {verb} for {len(table)} features; top: {leaders}",
                **common,
            )
        current_finding = ctx.finding(
            CURRENT,
            Status.PASS,
            value=str(current),
            message=f"{shown} is bound to the current model {str(current)[:19]}…",
            **common,
        )
        return [importance, current_finding]


def _arrays(check: Preflight, data: str) -> bool:
    from .._arrays import is_array_data

    return is_array_data(check.path("data", data, "any"))


def _rel(ctx: CollectorContext, path: Path) -> str:
    try:
        return path.resolve().relative_to(ctx.root.resolve()).as_posix()
    except ValueError:
        return path.name


def _describe_only(ctx: CollectorContext, settings: ShapSettings) -> Subject:
    return describe(settings.model, ctx)
