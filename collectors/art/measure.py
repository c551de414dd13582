"""What the art collector measures: ART's attacks on the model, and the report a reviewer reads.

``measure`` loads the data for the model it is given (a table, arrays or images), runs each
configured attack with ART and writes ``report.json``; it returns the raw outcomes and makes no
findings (``judge`` does). Bad input is an InputError naming the key.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from aima_ci.models import Subject
from aima_ci.plugin import CollectorContext, InputError, now_iso

from .._arrays import apply_label_map, is_array_data
from .._modelio import LoadedModel
from .._tabular import load_classifier_table, sample_indices
from ._attacks import AttackOutcome, run_attack
from ._data import label_indices
from ._space import ModelSpace, build_space
from ._tool import gradient_classifier, import_art
from .settings import PREFIX, ArtSettings, default_attacks

RATIO = "art.robustness_ratio"
REPORT_SCHEMA = "aima-ci/art-report/v1"
COLLECTOR_VERSION = "0.1.0"


@dataclass(frozen=True)
class Measured:
    """Every attack's outcome and the report that records them."""

    outcomes: list[AttackOutcome]
    report: Path
    eps_units: str
    label: str | None  # the table's label column (named in messages), None for arrays
    strongest: Any = None  # arrays and images: the strongest attack per eps


def measure(
    ctx: CollectorContext,
    settings: ArtSettings,
    loaded: LoadedModel,
    data_path: Path,
    subjects: Sequence[Subject],
) -> Measured:
    """Attack the model on the data: tables in feature space, networks on their input tensor."""
    if loaded.is_deep or is_array_data(data_path):
        return _measure_deep(ctx, settings, loaded, data_path, subjects)
    return _measure_table(ctx, settings, loaded, data_path, subjects)


def _measure_table(
    ctx: CollectorContext,
    settings: ArtSettings,
    loaded_model: LoadedModel,
    data_path: Path,
    subjects: Sequence[Subject],
) -> Measured:
    ctx.progress("loading data", 0.0)
    eps_units = settings.eps_units or "std"
    loaded, frame, features, y = table_labels(loaded_model, data_path, settings)
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
    attacks = settings.attacks or default_attacks(gradient_classifier(art, space)[0] is not None)
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
        rows = sample_indices(len(frame), spec.sample_size or settings.sample_size, settings.seed)
        outcomes.append(run_attack(art, spec, space, rows, y, seed=settings.seed))
    threshold = ctx.threshold(RATIO)
    report = ctx.artefact("report.json")
    _write_report(
        report, ctx, settings, loaded, space, features, subjects, outcomes, art, threshold
    )
    ctx.progress("done", 1.0)
    return Measured(outcomes, report, eps_units, settings.label, None)


def _measure_deep(
    ctx: CollectorContext,
    settings: ArtSettings,
    loaded: LoadedModel,
    data_path: Path,
    subjects: Sequence[Subject],
) -> Measured:
    from ._deep import DeepSpace, run_deep_attack, strongest_by_eps
    from ._deep_data import deep_space

    ctx.progress("loading data", 0.0)
    labels = ctx.path(settings.labels, "labels") if settings.labels else None
    space: DeepSpace = deep_space(loaded, data_path, labels, settings, ctx.config_dir)
    eps_units = settings.eps_units or "absolute"
    ctx.progress("importing ART", 0.1)
    art = import_art(ctx.artefact_dir)
    attacks = settings.attacks or default_attacks(space.model.torch_module is not None, deep=True)
    outcomes: list[AttackOutcome] = []
    for i, spec in enumerate(attacks):
        ctx.progress(f"{spec.label()}", 0.2 + 0.7 * i / len(attacks))
        rows = sample_indices(len(space.x), spec.sample_size or settings.sample_size, settings.seed)
        outcomes.append(run_deep_attack(art, spec, space, rows, seed=settings.seed))
    threshold = ctx.threshold(RATIO)
    strongest = strongest_by_eps(outcomes)
    report = ctx.artefact("report.json")
    model, *data = subjects
    doc = {
        "schema": REPORT_SCHEMA,
        "created_at": now_iso(),
        "tool": {"name": "adversarial-robustness-toolbox", "version": art.version},
        "collector": {"name": "art", "version": COLLECTOR_VERSION},
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
    return Measured(outcomes, report, eps_units, None, strongest)


def table_labels(
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
        "collector": {"name": "art", "version": COLLECTOR_VERSION},
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
