"""The model check a collector's ``preflight`` runs before any collector starts (collect path only).

Four kinds of bad input are config mistakes, and a user should learn of them in a second with
exit 2 naming the key, not as ``error`` findings after minutes of other collectors: a model whose
format cannot be told, an MLflow URI that does not resolve, a declared input shape the model
cannot run on, and labels that are not the model's classes. The last two can only be seen by
loading the model and running it once, so this module does that, under the same trust rule as
the collectors (a pickle-based format without trust is never loaded here either) and on the CPU.

A model several collectors name (art, shap and fairlearn on one declared model) is loaded once per
command: loads are cached by location, content digest and declaration. Each caller gets its own
shallow copy of a network, because checking data settles the copy's shape and class count.

Anything else that goes wrong here (an unreadable file, a model that fails to load) is left to the
collector, which reports it as ``error`` findings carrying the model's digest, as it always has.
"""

from __future__ import annotations

import contextlib
import dataclasses
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aima_ci.plugin import (
    Collector,
    CollectorConfigError,
    CollectorContext,
    InputError,
    Preflight,
)
from aima_ci.safety.modeldecl import FORMATS, format_for, needs_trust

from ._loaded import DeepModel, LoadedModel
from ._mismatch import LabelMismatch, ShapeMismatch

if TYPE_CHECKING:
    from . import ModelRef

_CACHE: dict[tuple[Any, ...], LoadedModel] = {}


def model_key(ref: ModelRef, collector: str, field: str) -> str:
    """The key that fixes a model problem: the declaration's, or the collector's bare path."""
    return f"models.{ref.name}.{field}" if ref.name else f"collectors.{collector}.model"


def model_format(collector: str, ref: ModelRef, check: Preflight) -> str | None:
    """The format the model will be loaded as, checked without loading anything (cheap: runs in
    aima-ci's own process). None for a URI (always MLflow) or a path that does not exist yet."""
    if ref.uri is not None:
        return None
    assert ref.path is not None
    path = check.path("model.path" if ref.name else "model", ref.path, "any")
    if not path.exists():
        return None  # the default preflight has refused a missing path already
    fmt = format_for(path, ref.format, ref.factory)
    if fmt is None:
        raise CollectorConfigError(
            model_key(ref, collector, "format"),
            f"cannot tell the format of {ref.path!r} (no known suffix and no MLmodel file); "
            f"set format: to one of {', '.join(FORMATS)} in a models: declaration",
        )
    return fmt


def checked_model(collector: Collector, ref: ModelRef, check: Preflight) -> LoadedModel | None:
    """The model, loaded once per command; None when it must not (no trust) or cannot be loaded
    here (the collector reports why). CollectorConfigError for the config mistakes above."""
    name = collector.name
    where = f"{ref.shown} (collectors.{name}.model)"
    ctx = _context(collector, check)
    if ref.uri is not None:
        key = _uri_key(ref, ctx, name, where)
    else:
        fmt = model_format(name, ref, check)
        if fmt is None:
            return None
        assert ref.path is not None
        path = check.path("model.path" if ref.name else "model", ref.path, "any")
        if needs_trust(fmt) and not ref.trust:
            return None  # never unpickled without trust; the collector says so in its findings
        key = ("path", str(path.resolve()), _digest(ctx, path), fmt, ref.trust, ref.factory)
    key = (*key, ref.input_shape, ref.nb_classes, ref.classes)
    if key not in _CACHE:
        from . import load_ref

        with mismatches(ref, name):
            try:
                _CACHE[key] = load_ref(ref, ctx, where, device="cpu")[0]
            except (ShapeMismatch, LabelMismatch):
                raise
            except InputError:
                return None
    return _own_copy(_CACHE[key])


@contextlib.contextmanager
def mismatches(ref: ModelRef, collector: str, label_key: str = "data") -> Iterator[None]:
    """Turn a shape or label mismatch raised inside into exit 2 naming the key that fixes it."""
    try:
        yield
    except ShapeMismatch as exc:
        key = model_key(ref, collector, exc.field)
        reason = str(exc)
        if ref.name:
            reason = reason.replace("models.<name>.", f"models.{ref.name}.")
        raise CollectorConfigError(key, reason) from None
    except LabelMismatch as exc:
        key = f"collectors.{collector}.{label_key}"
        raise CollectorConfigError(key, str(exc).removeprefix(f"{key}: ")) from None


def clear_cache() -> None:
    """Forget loaded models (tests; a long-lived process that checks many configs)."""
    _CACHE.clear()


def _uri_key(ref: ModelRef, ctx: CollectorContext, collector: str, where: str) -> tuple[Any, ...]:
    """Resolve the URI in its store (no download): an unknown name or version is exit 2."""
    from . import _mlflow

    assert ref.uri is not None
    try:
        store = _mlflow.tracking_uri(
            {"tracking_uri": ref.tracking_uri}, ctx.config_dir, ctx.root, where
        )
    except InputError as exc:
        raise CollectorConfigError(model_key(ref, collector, "tracking_uri"), str(exc)) from None
    try:
        meta = _mlflow.lookup_uri(ref.uri, store, ctx.root, where)
    except InputError as exc:
        raise CollectorConfigError(model_key(ref, collector, "uri"), str(exc)) from None
    return ("uri", ref.uri, store, meta.get("version"), meta.get("run_id"), ref.trust)


def _digest(ctx: CollectorContext, path: Path) -> str:
    from . import directory_digest

    return directory_digest(path) if path.is_dir() else ctx.digest(path)


def _context(collector: Collector, check: Preflight) -> CollectorContext:
    """What the loaders need: the repository and config folder (they write no artefacts)."""
    scratch = Path(tempfile.gettempdir()) / "aima-ci-preflight"
    return CollectorContext(
        collector=collector,
        config={},
        root=check.root,
        config_dir=check.config_dir,
        artefact_dir=scratch / collector.name,
        evidence_dir=scratch,
        settings={},  # the loaders read no settings (None would parse the empty config)
    )


def _own_copy(loaded: LoadedModel) -> LoadedModel:
    model = loaded.estimator
    if isinstance(model, DeepModel):
        return dataclasses.replace(loaded, estimator=dataclasses.replace(model))
    return loaded
