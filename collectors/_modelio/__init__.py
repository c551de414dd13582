"""Loading a user's model, whatever produced it, under one trust rule.

One module per format (``_sklearn``, ``_onnx``, ``_torch``, ``_keras``, ``_mlflow``); this module
decides the format and the trust question once, then dispatches. Which formats can run code while
loading is defined in ``aima_ci.safety.modeldecl`` (shared with supply_chain and the config loader):
those are never loaded without ``trust: true`` on the declared model (or ``trust_model: true`` for
a model given by path), and the refusal happens before a single byte is deserialised.

Shared by the collectors that load a model (art, shap, fairlearn). Heavy libraries (skops, torch,
onnxruntime, keras, mlflow) are imported inside the format modules only.
"""

from __future__ import annotations

import hashlib
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aima_ci.models import Subject
from aima_ci.plugin import CollectorConfigError, CollectorContext, InputError
from aima_ci.safety.modeldecl import FORMATS, format_for, needs_trust

from ._loaded import DeepModel, LoadedModel
from ._mismatch import LabelMismatch, ShapeMismatch
from ._preflight import checked_model, mismatches, model_format, model_key

__all__ = [
    "DeepModel",
    "LabelMismatch",
    "LoadedModel",
    "ModelRef",
    "ShapeMismatch",
    "checked_model",
    "data_subject",
    "describe",
    "fit_samples",
    "load_model",
    "load_ref",
    "mismatches",
    "model_format",
    "model_key",
    "parse_ref",
    "require_classifier",
]

DEVICES = ("auto", "cpu", "cuda")


@dataclass(frozen=True)
class ModelRef:
    """A collector's ``model:``: a declared model (expanded by the config loader) or a path."""

    name: str | None  # the models: name, None for a bare path
    path: str | None
    uri: str | None
    format: str | None  # None: a path with no suffix (an MLmodel folder is checked at load)
    trust: bool
    input_shape: tuple[int, ...] | None = None
    clip_values: tuple[float, float] | None = None
    nb_classes: int | None = None
    classes: tuple[Any, ...] | None = None
    factory: str | None = None
    tracking_uri: str | None = None

    @property
    def shown(self) -> str:
        return self.name or self.path or self.uri or "model"


def parse_ref(value: Any, trust_model: bool, key: str) -> ModelRef:
    """Read ``model:`` without touching the file; a format that cannot be told is a config error."""
    if isinstance(value, Mapping):  # a declaration, already validated by aima_ci.safety.modeldecl
        shape = value.get("input_shape")
        clip = value.get("clip_values")
        classes = value.get("classes")
        return ModelRef(
            name=str(value.get("name")),
            path=value.get("path"),
            uri=value.get("uri"),
            format=value.get("format"),
            trust=bool(value.get("trust", False)),
            input_shape=tuple(shape) if shape else None,
            clip_values=(float(clip[0]), float(clip[1])) if clip else None,
            nb_classes=value.get("nb_classes") or (len(classes) if classes else None),
            classes=tuple(classes) if classes else None,
            factory=value.get("factory"),
            tracking_uri=value.get("tracking_uri"),
        )
    if not isinstance(value, str) or not value.strip():
        raise CollectorConfigError(
            key, "must be a declared model name (models:) or a path to the model file"
        )
    fmt = format_for(value)
    if fmt is None and Path(value).suffix:
        raise CollectorConfigError(
            key,
            f"cannot tell the format of {value!r}; declare it under models: with format: "
            f"(one of {', '.join(FORMATS)})",
        )
    if fmt == "state_dict":
        raise CollectorConfigError(key, "a state_dict needs a factory: declare it under models:")
    return ModelRef(name=None, path=value, uri=None, format=fmt, trust=trust_model)


def parse_device(config: Mapping[str, Any], key: str) -> str:
    value = config.get("device", "auto")
    if value not in DEVICES:
        raise CollectorConfigError(key, f"must be one of {', '.join(DEVICES)}")
    return str(value)


def load_ref(
    ref: ModelRef, ctx: CollectorContext, where: str, *, device: str = "cpu"
) -> tuple[LoadedModel, Subject]:
    """Load the model and describe it for every finding: digest, format, MLflow version/run."""
    meta: dict[str, str] = {}
    if ref.uri is not None:
        from . import _mlflow

        store = _mlflow.tracking_uri(
            {"tracking_uri": ref.tracking_uri}, ctx.config_dir, ctx.root, where
        )
        scratch = Path(tempfile.gettempdir()) / "aima-ci-mlflow"
        directory, meta = _mlflow.resolve_uri(ref.uri, store, ctx.root, scratch, where)
        loaded = _mlflow.load_directory(
            directory, where, trust=ref.trust, shape=ref.input_shape, device=_device(device)
        )
        digest: str | None = directory_digest(directory)
        subject_path: str | None = ref.uri
        fmt = "mlflow"
    else:
        assert ref.path is not None
        path = ctx.path(ref.path, "model")
        found = format_for(path, ref.format, ref.factory)
        if found is None:
            raise InputError(
                f"{where}: cannot tell the model format (no known suffix and no MLmodel file); "
                f"declare it under models: with format: (one of {', '.join(FORMATS)})"
            )
        fmt = found
        loaded = _load_path(path, fmt, ref, ctx, where, device)
        base = data_subject(ctx, "model", path)
        digest, subject_path = base.digest, base.path
    meta.update({k: v for k, v in loaded.meta.items()})
    if ref.name:
        meta["declared_as"] = ref.name
    loaded = _with_declaration(loaded, ref)
    loaded = LoadedModel(loaded.estimator, fmt, loaded.trusted_types, dict(meta))
    subject = Subject(
        kind="model",
        name=ref.name or Path(subject_path or "model").name,
        digest=digest,
        path=subject_path,
        format=fmt,
        meta=tuple(sorted(meta.items())),
    )
    return loaded, subject


def describe(ref: ModelRef, ctx: CollectorContext) -> Subject:
    """The model's subject before (or without) loading it: what an error finding is about."""
    if ref.uri is not None:
        return Subject(kind="model", name=ref.shown, path=ref.uri, format="mlflow")
    assert ref.path is not None
    path = ctx.path(ref.path, "model")
    fmt = format_for(path, ref.format, ref.factory)
    base = data_subject(ctx, "model", path)
    return Subject(
        kind="model",
        name=ref.name or base.name,
        digest=base.digest,
        path=base.path,
        format=fmt,
        meta=(("declared_as", ref.name),) if ref.name else (),
    )


def data_subject(ctx: CollectorContext, kind: str, path: Path) -> Subject:
    """``ctx.subject`` for a file, or a folder (an image set, an MLmodel directory) by content."""
    if not path.is_dir():
        return ctx.subject(kind, path)
    try:
        rel = path.resolve().relative_to(ctx.root.resolve()).as_posix()
    except ValueError:
        rel = path.name
    return Subject(kind=kind, name=path.name, digest=directory_digest(path), path=rel)


def load_model(path: Path, where: str, *, trust_model: bool) -> LoadedModel:
    """A model file by its suffix (the path form most callers and tests use)."""
    fmt = format_for(path)
    if fmt is None:
        raise InputError(
            f"{where}: unsupported model format {path.suffix or '(no suffix)'!r}; "
            f"expected one of {', '.join(FORMATS)} (declare the format under models:)"
        )
    return _load_file(path, fmt, where, trust=trust_model, shape=None, device="cpu")


def _device(device: str) -> str:
    if device == "cpu":
        return "cpu"
    from ._torch import resolve_device

    return resolve_device(device)


def _load_path(
    path: Path, fmt: str, ref: ModelRef, ctx: CollectorContext, where: str, device: str
) -> LoadedModel:
    if fmt == "state_dict":
        _refuse_untrusted(fmt, ref.trust, where, path)
        from ._torch import load_state_dict

        assert ref.factory is not None
        return load_state_dict(path, where, ref.factory, ctx.root, ref.input_shape, _device(device))
    if fmt == "mlflow":
        from ._mlflow import load_directory

        return load_directory(
            path, where, trust=ref.trust, shape=ref.input_shape, device=_device(device)
        )
    return _load_file(path, fmt, where, trust=ref.trust, shape=ref.input_shape, device=device)


def _load_file(
    path: Path, fmt: str, where: str, *, trust: bool, shape: tuple[int, ...] | None, device: str
) -> LoadedModel:
    _refuse_untrusted(fmt, trust, where, path)
    if not path.is_file():
        raise InputError(f"{where}: not a file")
    if fmt == "skops":
        from ._sklearn import load_skops

        return load_skops(path, where, trust)
    if fmt == "pickle":
        from ._sklearn import load_pickle

        return load_pickle(path, where)
    if fmt == "onnx":
        from ._onnx import load_onnx

        return load_onnx(path, where, shape)
    if fmt == "torchscript":
        from ._torch import load_torchscript

        return load_torchscript(path, where, shape, _device(device))
    if fmt == "torch_export":
        from ._torch import load_export

        return load_export(path, where, shape, _device(device))
    if fmt == "keras":
        from ._keras import load_keras

        return load_keras(path, where, shape, _device(device))
    raise InputError(f"{where}: format {fmt!r} is not loadable from a single file")


def _refuse_untrusted(fmt: str, trust: bool, where: str, path: Path) -> None:
    if not needs_trust(fmt) or trust:
        return
    if fmt == "state_dict":
        what = "refusing to run the factory: building a state_dict model runs the repository's code"
    else:
        what = f"refusing to unpickle: loading a {path.suffix or fmt} file runs code from it"
    raise InputError(
        f"{where}: {what}; save the model with skops, ONNX or TorchScript, or set trust: true "
        "in its models: declaration (trust_model: true for a path) only if you produced it yourself"
    )


def _with_declaration(loaded: LoadedModel, ref: ModelRef) -> LoadedModel:
    """Declared classes and shape win over what the file says; the class count from one pass."""
    model = loaded.estimator
    if not isinstance(model, DeepModel):
        return loaded
    if ref.input_shape is not None:
        model.input_shape = ref.input_shape
    if ref.classes is not None:
        model.labels = list(ref.classes)
    if ref.nb_classes is not None:
        model.nb_classes = ref.nb_classes
    return loaded


def directory_digest(directory: Path) -> str:
    """One SHA-256 over a folder's files (relative names and contents, in sorted order)."""
    h = hashlib.sha256()
    for file in sorted(p for p in directory.rglob("*") if p.is_file()):
        h.update(file.relative_to(directory).as_posix().encode() + b"\0")
        with file.open("rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                h.update(chunk)
        h.update(b"\0")
    return "sha256:" + h.hexdigest()


def require_classifier(estimator: Any, where: str, *, proba: bool) -> None:
    """Refuse objects that are not fitted classifiers (a regressor, a transformer, junk).

    ``proba``: class probabilities are required (SHAP explains them); otherwise ``predict`` with
    ``classes_`` is enough (ART turns hard predictions into one-hot scores). A DeepModel always
    gives probabilities; its class count is settled by ``settle_classes``.
    """
    if isinstance(estimator, DeepModel):
        return
    method = "predict_proba" if proba else "predict"
    if not callable(getattr(estimator, method, None)):
        raise InputError(
            f"{where}: {type(estimator).__name__} has no {method}: a fitted classifier is needed"
        )
    try:
        classes = estimator.classes_
    except AttributeError:
        classes = None
    if classes is None or len(classes) < 2:
        raise InputError(
            f"{where}: {type(estimator).__name__} is not a fitted classifier (no classes_ with "
            "at least two classes)"
        )


def fit_samples(model: DeepModel, x: Any, ref: ModelRef, where: str) -> Any:
    """The samples in the model's input shape; the shape comes from the data when undeclared.

    A declared shape holding a different number of values than one sample is refused here, before
    a reshape error deep inside numpy (art and shap both read samples this way).
    """
    import numpy as np

    if model.input_shape is None:
        model.input_shape = tuple(int(d) for d in x.shape[1:])
    elif int(np.prod(model.input_shape)) != int(np.prod(x.shape[1:])):
        raise ShapeMismatch(
            f"{where}: the declared input_shape {list(model.input_shape)} does not match "
            f"the data's samples {list(x.shape[1:])}; fix models.{ref.name or '<name>'}.input_shape"
        )
    return x.reshape((len(x), *model.input_shape))


def settle_classes(model: DeepModel, sample: Any, where: str) -> None:
    """Run one forward pass: the declared input shape must fit, and it tells the class count."""
    import numpy as np

    try:
        out = model.outputs(np.asarray(sample[:3], dtype=np.float32))
    except Exception as exc:
        shape = list(model.input_shape) if model.input_shape else "the data's shape"
        raise ShapeMismatch(
            f"{where}: the model cannot run on inputs of shape {shape} "
            f"({type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}); "
            "fix models.<name>.input_shape to the shape of one sample"
        ) from None
    try:  # a second batch size: a graph exported for one fixed batch size fails here
        model.outputs(np.asarray(sample[:1], dtype=np.float32))
    except Exception as exc:
        raise InputError(
            f"{where}: the model runs on a batch of {min(3, len(sample))} but not on a batch of 1 "
            f"({type(exc).__name__}); export it with a dynamic batch dimension"
        ) from None
    n = out.shape[1] if out.shape[1] > 1 else 2
    if model.labels is not None and len(model.labels) != n:  # classes: also sets nb_classes
        raise ShapeMismatch(
            f"{where}: declared {len(model.labels)} classes but the model outputs {n} scores",
            "classes",
        )
    if model.nb_classes is not None and model.nb_classes != n:
        raise ShapeMismatch(
            f"{where}: declared nb_classes {model.nb_classes} but the model outputs {n} scores",
            "nb_classes",
        )
    model.nb_classes = n
