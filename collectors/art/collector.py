"""The ``art`` collector: evasion attacks with IBM's Adversarial Robustness Toolbox (ART).

It answers one question for the build: does the model keep its accuracy when inputs are nudged by
an adversary within a stated budget? The measured numbers (clean accuracy, adversarial accuracy,
their ratio, per attack) are the robustness indicators AIMA's Security Testing practice asks for.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from aima_ci.models import Finding
from aima_ci.plugin import (
    Collector,
    CollectorContext,
    InputError,
    Preflight,
    Starter,
    load_checks,
)

from .._arrays import is_array_data
from .._modelio import checked_model, mismatches, model_format
from .._modelio._isolated import check_in_helper
from .._prelude import PrepareError, error_findings, prepare
from .judge import judge
from .measure import COLLECTOR_VERSION, measure, table_labels
from .settings import PREFIX, SPEC, ArtSettings

if TYPE_CHECKING:
    from aima_ci.models import RepoFacts


class ArtCollector(Collector):
    name = "art"
    # The model path preflight() checks before any collector runs (data and labels: the spec's).
    input_paths: ClassVar[Mapping[str, str]] = {
        "model.path": "any",  # a model declared under models: (checked the same way)
        "model": "any",
    }
    version = COLLECTOR_VERSION
    description = (
        "Adversarial robustness of a scikit-learn classifier under ART evasion attacks "
        "(FGM, PGD, HopSkipJump)"
    )
    tool = "adversarial-robustness-toolbox"
    requires = ("art", "packaging", "numpy", "pandas", "sklearn", "skops")
    extra = "art"
    default_timeout = 600.0
    checks = load_checks(__file__)
    spec = SPEC

    def starter(self, facts: RepoFacts) -> Starter | None:
        models = [m for m in facts.models if m.endswith((".skops", ".onnx", ".pt", ".keras"))]
        if not models:
            return None
        return Starter(
            {"model": models[0]},
            "Adversarial robustness of the model (ART): name its evaluation data, then uncomment.",
            enabled=False,
        )

    def preflight(self, config: Mapping[str, Any], check: Preflight) -> None:
        """Besides the paths: the model checks of ``check_model_inputs``, run in the helper
        process that loads untrusted models away from aima-ci's own (see _modelio._isolated)."""
        super().preflight(config, check)
        settings: ArtSettings = self.parse_settings(config)
        model_format(self.name, settings.model, check)  # cheap, so here
        check_in_helper(self, config, check, "check_model_inputs")

    def check_model_inputs(self, config: Mapping[str, Any], check: Preflight) -> None:
        """Load the model (once per command, never an untrusted pickle) and run it on a few
        samples, so a declared input shape it cannot take, or labels that are not its classes
        after ``label_map``, exit 2 naming the key before any collector runs. Other bad input
        is left to ``collect``, which reports it as error findings."""
        settings: ArtSettings = self.parse_settings(config)
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
                table_labels(loaded, data_path, settings)

    def collect(self, ctx: CollectorContext) -> Iterator[Finding]:
        settings: ArtSettings = ctx.settings
        try:
            prepared = prepare(ctx, settings.model, settings.data, PREFIX, device=settings.device)
        except PrepareError as exc:
            yield from error_findings(ctx, self.checks, str(exc), exc.subjects)
            return
        subjects = prepared.subjects
        assert prepared.data_path is not None
        try:
            measured = measure(ctx, settings, prepared.loaded, prepared.data_path, subjects)
            findings = judge(ctx, measured, subjects)
        except InputError as exc:  # keep the digests on the error findings
            findings = error_findings(ctx, self.checks, str(exc), subjects)
        yield from findings
