"""The ``shap`` collector: a global SHAP explanation, bound to the model it explains.

Two modes. By default it computes the explanation (global importance = mean |SHAP|) for the
current model and writes it with the model's digest. With ``explanation: <file>`` it computes
nothing and verifies that a previously produced explanation belongs to the model being built, so a
team that explains offline can still gate on the explanation not being stale.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from aima_ci.models import Finding, Subject
from aima_ci.plugin import (
    Collector,
    CollectorContext,
    InputError,
    Preflight,
    Starter,
    load_checks,
)

from .._modelio import (
    checked_model,
    data_subject,
    describe,
    mismatches,
    model_format,
)
from .._modelio._isolated import check_in_helper
from .._prelude import PrepareError, error_findings, prepare
from .judge import CURRENT, IMPORTANCE, judge
from .measure import measure
from .settings import PREFIX, SPEC, ShapSettings

if TYPE_CHECKING:
    from aima_ci.models import RepoFacts

__all__ = ["CURRENT", "IMPORTANCE", "ShapCollector"]


class ShapCollector(Collector):
    name = "shap"
    # The model path preflight() checks before any collector runs (the others: the spec's).
    input_paths: ClassVar[Mapping[str, str]] = {
        "model.path": "any",  # a model declared under models: (checked the same way)
        "model": "any",
    }
    version = "0.1.0"
    description = "Global SHAP feature importance of a classifier, stamped with the model digest"
    tool = "shap"
    requires = ("shap", "numpy", "pandas", "sklearn", "skops", "matplotlib")
    extra = "shap"
    default_timeout = 600.0
    checks = load_checks(__file__)
    spec = SPEC

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

    def preflight(self, config: Mapping[str, Any], check: Preflight) -> None:
        """Besides the paths: the model checks of ``check_model_inputs``, run in the helper
        process that loads untrusted models away from aima-ci's own (see _modelio._isolated).
        Verifying an ``explanation`` loads nothing, here as in ``collect``."""
        super().preflight(config, check)
        settings: ShapSettings = self.parse_settings(config)
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
        settings: ShapSettings = self.parse_settings(config)
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
        settings: ShapSettings = ctx.settings
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
        assert prepared.data_path is not None  # the spec requires data without explanation
        try:
            path, artefacts = measure(
                ctx,
                settings,
                prepared.loaded,
                prepared.data_path,
                prepared.subjects,
                self.tool_version(),
            )
            # Read back what was written: the check is about the artefact, not the in-memory result.
            findings = judge(ctx, path, prepared.subjects, artefacts, settings.top_k, computed=True)
        except InputError as exc:
            findings = error_findings(ctx, self.checks, str(exc), prepared.subjects)
        yield from findings

    def _verify(
        self, ctx: CollectorContext, settings: ShapSettings, subjects: Sequence[Subject]
    ) -> list[Finding]:
        assert settings.explanation is not None
        path = ctx.path(settings.explanation, "explanation")
        return judge(ctx, path, subjects, [], settings.top_k, computed=False)


def _arrays(check: Preflight, data: str) -> bool:
    from .._arrays import is_array_data

    return is_array_data(check.path("data", data, "any"))


def _describe_only(ctx: CollectorContext, settings: ShapSettings) -> Subject:
    return describe(settings.model, ctx)
