"""The opening every model-facing collector (art, shap) shares: load the model, describe it, or fail.

The same steps were written out verbatim in art and shap: resolve the model reference, load it
under the one trust rule, build the subjects (model digest and format, data digest) and turn any
InputError into one error finding per check that keeps those digests. One copy keeps the error
behaviour identical across the collectors.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from aima_ci.models import Check, Finding, Status, Subject
from aima_ci.plugin import CollectorContext, InputError

from ._modelio import LoadedModel, ModelRef, data_subject, describe, load_ref


@dataclass(frozen=True)
class Prepared:
    loaded: LoadedModel
    data_path: Path | None
    subjects: tuple[Subject, ...]  # model first, then the data when there is one


def prepare(
    ctx: CollectorContext, ref: ModelRef, data: str | None, prefix: str, *, device: str = "cpu"
) -> Prepared:
    """Load the model and resolve the data path; an InputError carries the subjects known so far."""
    if ref.path is not None:  # a missing file has no digest to carry: the runner reports it
        ctx.path(ref.path, "model")
    data_path = ctx.path(data, "data") if data else None
    data_subjects = (data_subject(ctx, "data", data_path),) if data_path is not None else ()
    try:
        loaded, model = load_ref(ref, ctx, f"{prefix}.model: {ref.shown}", device=device)
    except InputError as exc:
        raise PrepareError(str(exc), (_describe(ctx, ref), *data_subjects)) from exc
    return Prepared(loaded, data_path, (model, *data_subjects))


def _describe(ctx: CollectorContext, ref: ModelRef) -> Subject:
    try:
        return describe(ref, ctx)
    except (InputError, OSError):
        return Subject(kind="model", name=ref.shown, path=ref.path or ref.uri)


class PrepareError(InputError):
    def __init__(self, message: str, subjects: Sequence[Subject]) -> None:
        super().__init__(message)
        self.subjects = tuple(subjects)


def error_findings(
    ctx: CollectorContext, checks: Iterable[Check], message: str, subjects: Sequence[Subject]
) -> list[Finding]:
    """One error per check: bad input never passes, and the finding still names the model."""
    return [ctx.finding(c.id, Status.ERROR, message=message, subjects=subjects) for c in checks]
