"""What the shap collector measures: a global SHAP explanation, written as artefacts.

``measure`` explains the model on the data (exact tree SHAP for forests, gradients for networks,
a model-agnostic explainer otherwise) and writes explanation.json (stamped with the model's
digest), the top-k importance table and the summary plot; ``judge`` reads the explanation back.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from aima_ci.models import Subject
from aima_ci.plugin import CollectorContext

from .._modelio import LoadedModel
from . import _artefact
from .settings import PREFIX, ShapSettings


def measure(
    ctx: CollectorContext,
    settings: ShapSettings,
    loaded_model: LoadedModel,
    data_path: Path,
    subjects: Sequence[Subject],
    tool_version: str | None,
) -> tuple[Path, list[Path]]:
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
        tool_version=tool_version,
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
    return explanation_path, artefacts
