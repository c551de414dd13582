"""An explanation artefact -> findings: is there a real explanation, and is it of this model?

The artefact is read back from disk (computed now, or given by ``explanation:``), so the checks
are about the evidence as stored: bound to the current model's digest, and saying something
(a model whose output never changes with its inputs has all-zero importances).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from aima_ci.models import Finding, Status, Subject
from aima_ci.plugin import CollectorContext, InputError

from . import _artefact
from .settings import PREFIX

IMPORTANCE = "shap.global_importance"
CURRENT = "shap.explanation_current"


def judge(
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


def _rel(ctx: CollectorContext, path: Path) -> str:
    try:
        return path.resolve().relative_to(ctx.root.resolve()).as_posix()
    except ValueError:
        return path.name
