"""The ``models:`` section: each model declared once, with one trust decision, used by every collector.

Why one declaration: a team used to answer "may this file run code when it loads?" three times
(art's and shap's ``trust_model``, supply_chain's ``allow_globals``), and the answers disagreed on
which file types were dangerous. Here the format table below is the single definition of which
formats can execute code while loading (``CODE_FORMATS``); the model-loading collectors and
supply_chain import it, and a declared model carries one ``trust`` flag.

A collector's ``model:`` may name a declared model; ``expand_model_refs`` then replaces the name
with the declaration (a mapping with ``name``), so the collector sees everything it needs in its own
settings, including in the worker process. Standard library only: this runs on the gate path.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from aima_ci.safety.paths import PathError, resolve_inside

# format -> (file suffixes, can loading it execute code from the file or the repository?)
FORMATS: dict[str, tuple[tuple[str, ...], bool]] = {
    "skops": ((".skops",), False),  # rebuilt from an allow-list; other types need trust
    "pickle": ((".pkl", ".pickle", ".joblib", ".dat", ".dill"), True),  # unpickling runs code
    "onnx": ((".onnx",), False),  # a graph run by onnxruntime: no Python executed
    "torchscript": ((".pt", ".pth", ".ts"), False),  # TorchScript IR, no pickled classes
    "torch_export": ((".pt2",), False),  # a torch.export program
    "state_dict": ((), True),  # weights + the repository's own factory code: runs that code
    "keras": ((".keras",), False),  # loaded with safe_mode=True (Lambda bytecode refused)
    "mlflow": ((), False),  # an MLmodel directory; trust follows the flavour it holds
}
CODE_FORMATS = frozenset(f for f, (_, code) in FORMATS.items() if code)
# Every suffix whose loading is pickle-based (supply_chain scans these, loaders refuse them
# without trust). Legacy torch.save files (.pt/.pth/.bin/.ckpt) are pickles too unless they turn
# out to be TorchScript archives: the torch loader checks the archive before loading.
PICKLE_SUFFIXES = FORMATS["pickle"][0]
DECL_KEYS = {
    "path",
    "uri",
    "format",
    "trust",
    "input_shape",
    "clip_values",
    "nb_classes",
    "classes",
    "factory",
    "tracking_uri",
}
# Compiled when a config declares a model (_match): every start of score reads the config.
_NAME = r"^[A-Za-z][A-Za-z0-9_.-]{0,63}$"
_FACTORY = r"^[A-Za-z_][\w]*(\.[A-Za-z_]\w*)*:[A-Za-z_]\w*$"
_URI = r"^(models:/[^/\s]+/[^/\s]+|runs:/[0-9a-f]{1,64}/\S+)$"


def _match(pattern: str, value: str) -> bool:
    return re.match(pattern, value) is not None


MAX_DIM = 100_000
MAX_VALUE = 1e9

Err = Callable[[str, str], Exception]


def format_for(
    path: str | Path, declared: str | None = None, factory: str | None = None
) -> str | None:
    """The format a file is loaded as: declared, else told by its suffix (None: cannot be told).

    A directory holding an ``MLmodel`` file is an MLflow model; a ``.pt``/``.pth`` with a
    ``factory`` is a state_dict for that factory.
    """
    if declared:
        return declared
    p = Path(path)
    try:
        is_mlflow = (p / "MLmodel").is_file()
    except OSError:  # a name too long for the filesystem (ENAMETOOLONG) is no model folder
        is_mlflow = False
    if is_mlflow:
        return "mlflow"
    suffix = p.suffix.lower()
    if factory and suffix in (".pt", ".pth", ".bin", ".safetensors"):
        return "state_dict"
    for name, (suffixes, _) in FORMATS.items():
        if suffix in suffixes:
            return name
    return None


def needs_trust(fmt: str) -> bool:
    return fmt in CODE_FORMATS


def parse_models(raw: Any, base: Path, root: Path, err: Err) -> dict[str, dict[str, Any]]:
    """``models:`` checked key by key; every declaration comes back as a plain mapping."""
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        raise err("models", "must map model names to {path: ...} or {uri: ...}")
    out: dict[str, dict[str, Any]] = {}
    for name, decl in raw.items():
        key = f"models.{name}"
        if not isinstance(name, str) or not _match(_NAME, name):
            raise err(key, "a model name is a letter then letters, digits, '_', '.', '-'")
        if isinstance(decl, str):
            decl = {"path": decl}
        if not isinstance(decl, Mapping):
            raise err(key, "must be a mapping like {path: model/credit.skops}")
        out[name] = _declaration(dict(decl), key, base, root, err)
    return out


def _declaration(
    decl: dict[str, Any], key: str, base: Path, root: Path, err: Err
) -> dict[str, Any]:
    unknown = sorted(str(k) for k in decl if k not in DECL_KEYS)
    if unknown:
        raise err(
            f"{key}.{unknown[0]}", f"unknown key (expected one of: {', '.join(sorted(DECL_KEYS))})"
        )
    if ("path" in decl) == ("uri" in decl):
        raise err(
            key,
            "set exactly one of 'path' (a file or MLmodel folder) or 'uri' (models:/name/version, runs:/id/path)",
        )
    fmt = decl.get("format")
    if fmt is not None and fmt not in FORMATS:
        raise err(
            f"{key}.format", f"{fmt!r} is not a known format; use one of {', '.join(FORMATS)}"
        )
    factory = decl.get("factory")
    if factory is not None and (not isinstance(factory, str) or not _match(_FACTORY, factory)):
        raise err(
            f"{key}.factory", "must be 'package.module:function' (a module in the repository)"
        )
    if "trust" in decl and not isinstance(decl["trust"], bool):
        raise err(f"{key}.trust", "must be true or false")
    if "path" in decl:
        try:
            resolved = resolve_inside(base, decl["path"], root, must_exist=False)
        except PathError as exc:
            raise err(f"{key}.path", str(exc)) from None
        told = format_for(resolved, fmt, factory)
        if told is None:
            raise err(
                f"{key}.format",
                f"cannot tell the format of {decl['path']!r} from its name; set format: to one of "
                f"{', '.join(FORMATS)}",
            )
        if told == "state_dict" and not factory:
            raise err(
                f"{key}.factory",
                "a state_dict needs factory: 'module:function' that builds the network",
            )
    else:
        uri = decl["uri"]
        if not isinstance(uri, str) or not _match(_URI, uri):
            raise err(
                f"{key}.uri", "must be models:/<name>/<version or @alias> or runs:/<run id>/<path>"
            )
        if fmt not in (None, "mlflow"):
            raise err(f"{key}.format", "a uri is always an MLflow model")
        told = "mlflow"
        _check_sqlite_store(uri, decl.get("tracking_uri"), key, base, root, err)
    tracking = decl.get("tracking_uri")
    if tracking is not None and (not isinstance(tracking, str) or not tracking.strip()):
        raise err(
            f"{key}.tracking_uri",
            "must be a tracking URI (sqlite:///mlflow.db, a folder, http://...)",
        )
    if "input_shape" in decl:
        shape = decl["input_shape"]
        if (
            not isinstance(shape, list)
            or not shape
            or not all(
                isinstance(d, int) and not isinstance(d, bool) and 0 < d <= MAX_DIM for d in shape
            )
        ):
            raise err(
                f"{key}.input_shape",
                "must be a list of positive whole numbers, one sample's shape (no batch axis), e.g. [1, 8, 8]",
            )
    if "clip_values" in decl:
        clip = decl["clip_values"]
        if (
            not isinstance(clip, list)
            or len(clip) != 2
            or not all(_finite(v) for v in clip)
            or not clip[0] < clip[1]
        ):
            raise err(f"{key}.clip_values", "must be [min, max]: finite numbers with min < max")
    if "nb_classes" in decl:
        n = decl["nb_classes"]
        if isinstance(n, bool) or not isinstance(n, int) or not 2 <= n <= MAX_DIM:
            raise err(f"{key}.nb_classes", "must be a whole number of classes, at least 2")
    if "classes" in decl:
        classes = decl["classes"]
        if (
            not isinstance(classes, list)
            or len(classes) < 2
            or not all(isinstance(c, (str, int)) and not isinstance(c, bool) for c in classes)
            or len({str(c) for c in classes}) != len(classes)
        ):
            raise err(
                f"{key}.classes",
                "must list the model's output classes in order (at least 2, distinct)",
            )
        if "nb_classes" in decl and decl["nb_classes"] != len(classes):
            raise err(
                f"{key}.classes",
                f"lists {len(classes)} classes but nb_classes is {decl['nb_classes']}",
            )
    return {**decl, "format": told}


def _check_sqlite_store(
    uri: str, tracking: Any, key: str, base: Path, root: Path, err: Err
) -> None:
    """For the embedded SQLite store, check at config load that the URI resolves (exit 2).

    Read-only, standard library only: the gate path must not import mlflow. A store of another
    kind, or a schema this query does not know, is left to the collector.
    """
    import os
    import sqlite3

    store = tracking if isinstance(tracking, str) else os.environ.get("MLFLOW_TRACKING_URI", "")
    if not store.startswith("sqlite:///"):
        return
    try:
        db = resolve_inside(base, store[len("sqlite:///") :], root, must_exist=True)
    except PathError as exc:
        raise err(f"{key}.tracking_uri", f"the MLflow store {exc}") from None
    if uri.startswith("models:/"):
        name, ref = uri[len("models:/") :].split("/", 1)
        if ref.startswith("@"):
            sql = "SELECT 1 FROM registered_model_aliases WHERE name = ? AND alias = ?"
            args: tuple[Any, ...] = (name, ref[1:])
        else:
            sql, args = "SELECT 1 FROM model_versions WHERE name = ? AND version = ?", (name, ref)
        known = "SELECT version FROM model_versions WHERE name = ? ORDER BY version"
        known_args: tuple[Any, ...] = (name,)
    else:
        run_id = uri[len("runs:/") :].split("/", 1)[0]
        sql, args = "SELECT 1 FROM runs WHERE run_uuid = ?", (run_id,)
        known, known_args = "", ()
    try:
        with sqlite3.connect(f"{db.as_uri()}?mode=ro", uri=True) as conn:
            found = conn.execute(sql, args).fetchone() is not None
            versions = [str(r[0]) for r in conn.execute(known, known_args)] if known else []
    except sqlite3.Error:
        return  # not an MLflow schema this check knows: the collector resolves it
    if not found:
        hint = f" (registered versions: {', '.join(versions)})" if versions else ""
        raise err(
            f"{key}.uri",
            f"{uri} does not resolve in {store}{hint}; check the model name and version",
        )


def _finite(value: Any) -> bool:
    return (
        isinstance(value, (int, float))
        and not isinstance(value, bool)
        and math.isfinite(value)
        and abs(value) <= MAX_VALUE
    )


def expand_model_refs(
    collectors: Mapping[str, dict[str, Any]], models: Mapping[str, Mapping[str, Any]], err: Err
) -> None:
    """Replace ``model: <declared name>`` in each collector block with ``{name, **declaration}``.

    A ``model:`` that is neither a declared name nor something that looks like a path is an
    error here, so a misspelt model name fails at config load rather than as "file not found".
    A collector-level ``trust_model`` next to a declared model would be a second trust decision:
    refused.
    """
    scanner = collectors.get("supply_chain")
    if isinstance(scanner, dict) and models:
        # The scanner judges the same files: it learns which ones their owners declared trusted.
        scanner["declared_models"] = [
            {"name": n, "path": d["path"], "trust": bool(d.get("trust", False))}
            for n, d in models.items()
            if "path" in d
        ]
    for cname, settings in collectors.items():
        ref = settings.get("model")
        if isinstance(ref, str) and ref in models:
            if "trust_model" in settings:
                raise err(
                    f"collectors.{cname}.trust_model",
                    f"model {ref!r} is declared under models:, so trust is decided there "
                    f"(models.{ref}.trust); remove this key",
                )
            settings["model"] = {"name": ref, **models[ref]}
        elif isinstance(ref, str) and models and "/" not in ref and "." not in ref:
            raise err(
                f"collectors.{cname}.model",
                f"{ref!r} is not a declared model ({', '.join(sorted(models))}) nor a file path",
            )
