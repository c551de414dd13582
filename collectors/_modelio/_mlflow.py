"""MLflow models: an ``MLmodel`` directory, or a ``models:/`` / ``runs:/`` URI from a tracking store.

The MLmodel file is read as YAML (no mlflow import); the flavour decides how the model itself is
loaded, through the same loaders and the same trust rule as a bare file:
- ``onnx``: the ONNX file, run by onnxruntime (safe);
- ``sklearn`` saved with ``serialization_format: skops``: the skops loader (safe);
- ``sklearn`` as (cloud)pickle, ``pytorch`` and anything else (``python_function``): pickles,
  loaded by mlflow only with ``trust: true``.

URIs are resolved against the tracking/registry store named by ``tracking_uri`` in the model
declaration, else ``MLFLOW_TRACKING_URI``; a local store (a folder or ``sqlite:///file``) must lie
inside the repository. The registered version and the run id go into the finding subjects.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from aima_ci.plugin import InputError

from ._loaded import DeepModel, LoadedModel


def read_mlmodel(directory: Path, where: str) -> dict[str, Any]:
    import yaml

    try:
        doc = yaml.safe_load((directory / "MLmodel").read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise InputError(f"{where}: unreadable MLmodel file ({exc})") from exc
    if not isinstance(doc, Mapping) or not isinstance(doc.get("flavors"), Mapping):
        raise InputError(f"{where}: the MLmodel file lists no flavors")
    return dict(doc)


def tracking_uri(decl: Mapping[str, Any], config_dir: Path, root: Path, where: str) -> str:
    """The store to resolve a URI in; local stores are checked to lie inside the repository."""
    uri = decl.get("tracking_uri") or os.environ.get("MLFLOW_TRACKING_URI")
    if not uri:
        raise InputError(
            f"{where}: no MLflow tracking store: set tracking_uri in the model declaration "
            "(sqlite:///mlflow.db or a folder such as mlruns) or MLFLOW_TRACKING_URI"
        )
    uri = str(uri)
    if uri.startswith(("http://", "https://", "databricks")):
        return uri
    if uri.startswith("sqlite:///"):
        local = uri[len("sqlite:///") :]
        path = _inside(local, config_dir, root, where)
        return f"sqlite:///{path}"
    local = uri[len("file://") :] if uri.startswith("file://") else uri
    return _inside(local, config_dir, root, where).as_uri()


def _inside(value: str, config_dir: Path, root: Path, where: str) -> Path:
    path = Path(value)
    path = (path if path.is_absolute() else config_dir / path).resolve()
    if not path.is_relative_to(root.resolve()):
        raise InputError(f"{where}: tracking store {value!r} lies outside the repository")
    if not path.exists():
        raise InputError(f"{where}: tracking store {value!r} does not exist")
    return path


def resolve_uri(
    uri: str, store: str, root: Path, scratch: Path, where: str
) -> tuple[Path, dict[str, str]]:
    """Download the model a URI names into ``scratch``; (its folder, version/run metadata)."""
    import mlflow

    meta = lookup_uri(uri, store, root, where)
    scratch.mkdir(parents=True, exist_ok=True)
    target = Path(tempfile.mkdtemp(prefix="mlflow-", dir=scratch))
    try:
        local = mlflow.artifacts.download_artifacts(
            artifact_uri=uri, dst_path=str(target), tracking_uri=store, registry_uri=store
        )
    except Exception as exc:
        raise InputError(f"{where}: cannot download {uri} ({type(exc).__name__}: {exc})") from None
    return Path(local), meta


def lookup_uri(uri: str, store: str, root: Path, where: str) -> dict[str, str]:
    """The registered version and run a URI names, asked of the store without downloading
    anything (what preflight checks); InputError when it does not resolve."""
    from mlflow.tracking import MlflowClient

    meta: dict[str, str] = {"uri": uri}
    try:
        client = MlflowClient(tracking_uri=store, registry_uri=store)
        if uri.startswith("models:/"):
            name, ref = uri[len("models:/") :].split("/", 1)
            version = (
                client.get_model_version_by_alias(name, ref[1:])
                if ref.startswith("@")
                else client.get_model_version(name, ref)
            )
            meta.update(registered_model=name, version=str(version.version))
            if version.run_id:
                meta["run_id"] = str(version.run_id)
            source = str(version.source)
        else:
            run_id = uri[len("runs:/") :].split("/", 1)[0]
            client.get_run(run_id)  # fails clearly when the run does not exist
            meta["run_id"] = run_id
            source = uri
    except Exception as exc:
        raise InputError(
            f"{where}: {uri} does not resolve in {store} ({type(exc).__name__}: "
            f"{str(exc).splitlines()[0] if str(exc) else ''}); check the name and version, or "
            "tracking_uri"
        ) from None
    _refuse_outside(source, root, where)
    return meta


def _refuse_outside(source: str, root: Path, where: str) -> None:
    """A local artefact location recorded in the store must be inside the repository too."""
    if "://" in source and not source.startswith("file://"):
        return  # runs:/, models:/, mlflow-artifacts:/, s3://: resolved by the store
    local = Path(source[len("file://") :] if source.startswith("file://") else source)
    if local.is_absolute() and not local.resolve().is_relative_to(root.resolve()):
        raise InputError(
            f"{where}: the store says the model lives in {source}, outside the repository"
        )


def load_directory(
    directory: Path, where: str, *, trust: bool, shape: tuple[int, ...] | None, device: str
) -> LoadedModel:
    from . import _onnx, _sklearn

    doc = read_mlmodel(directory, where)
    flavors: Mapping[str, Any] = doc["flavors"]
    if "onnx" in flavors:
        data = str(flavors["onnx"].get("data", "model.onnx"))
        loaded = _onnx.load_onnx(_member(directory, data, where), where, shape)
        return LoadedModel(loaded.estimator, "mlflow", meta={"flavor": "onnx"})
    sk = flavors.get("sklearn")
    if isinstance(sk, Mapping) and sk.get("serialization_format") == "skops":
        file = _member(directory, str(sk.get("pickled_model", "model.skops")), where)
        loaded = _sklearn.load_skops(file, where, trust)
        return LoadedModel(
            loaded.estimator, "mlflow", loaded.trusted_types, {"flavor": "sklearn/skops"}
        )
    flavour = next((f for f in ("sklearn", "pytorch", "keras") if f in flavors), "python_function")
    if not trust:
        raise InputError(
            f"{where}: MLflow {flavour} model stored as a pickle: loading it runs code from the "
            "file; log it with serialization_format='skops' or as ONNX, or set trust: true in "
            "its models: declaration if you produced it yourself"
        )
    import mlflow

    try:
        if flavour == "sklearn":
            model = mlflow.sklearn.load_model(str(directory))
            return LoadedModel(model, "mlflow", meta={"flavor": "sklearn/pickle"})
        if flavour == "pytorch":
            from ._torch import wrap_module

            module = mlflow.pytorch.load_model(str(directory), map_location=device)
            return LoadedModel(
                wrap_module(module, shape, device, "torch"), "mlflow", meta={"flavor": "pytorch"}
            )
        pyfunc = mlflow.pyfunc.load_model(str(directory))
    except Exception as exc:
        raise InputError(f"{where}: mlflow cannot load it ({type(exc).__name__}: {exc})") from exc
    import numpy as np

    def run(x: np.ndarray) -> np.ndarray:
        return np.asarray(pyfunc.predict(x.reshape(len(x), -1)))

    return LoadedModel(
        DeepModel(run, shape, runtime="mlflow.pyfunc"), "mlflow", meta={"flavor": flavour}
    )


def _member(directory: Path, name: str, where: str) -> Path:
    path = (directory / name).resolve()
    if not path.is_relative_to(directory.resolve()) or not path.is_file():
        raise InputError(
            f"{where}: the MLmodel names {name!r}, which is not a file in the model folder"
        )
    return path
