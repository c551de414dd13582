"""ONNX models, run by onnxruntime: a graph of operators, so loading never executes Python.

skl2onnx classifiers output a label and probabilities; networks output one score tensor. The
score output is the 2-D float tensor (or, for a ZipMap, the list of per-class dicts). There are no
gradients here: ART attacks ONNX models as a black box.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aima_ci.plugin import InputError

from ._loaded import DeepModel, LoadedModel
from ._mismatch import ShapeMismatch


def load_onnx(path: Path, where: str, shape: tuple[int, ...] | None) -> LoadedModel:
    import numpy as np
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = 2
    try:
        session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    except Exception as exc:
        raise InputError(
            f"{where}: onnxruntime cannot load it ({type(exc).__name__}: {exc})"
        ) from exc
    inputs = session.get_inputs()
    if len(inputs) != 1:
        raise InputError(
            f"{where}: the graph has {len(inputs)} inputs; one input tensor is supported"
        )
    name = inputs[0].name
    graph_shape = tuple(d if isinstance(d, int) else None for d in inputs[0].shape[1:])
    if shape is None and graph_shape and all(d is not None for d in graph_shape):
        shape = tuple(int(d) for d in graph_shape)  # type: ignore[arg-type]
    elif shape is not None and graph_shape and not _fits(graph_shape, shape):
        raise ShapeMismatch(
            f"{where}: input_shape {list(shape)} does not match the graph's input "
            f"{[d if d is not None else '?' for d in graph_shape]}; fix models.<name>.input_shape"
        )
    outputs = session.get_outputs()

    def run(x: np.ndarray) -> np.ndarray:
        results = session.run(None, {name: x.astype(np.float32)})
        return _scores(results, [o.name for o in outputs])

    return LoadedModel(DeepModel(run, shape, runtime="onnxruntime"), "onnx")


def _scores(results: list[Any], names: list[str]) -> Any:
    import numpy as np

    for value, name in zip(results, names, strict=True):
        if isinstance(value, list) and value and isinstance(value[0], dict):  # ZipMap
            keys = sorted(value[0])
            return np.asarray([[row[k] for k in keys] for row in value], dtype=np.float64)
        if name.lower().startswith("prob") and np.ndim(value) == 2:
            return np.asarray(value, dtype=np.float64)
    floats = [np.asarray(v) for v in results if np.ndim(v) == 2 and np.asarray(v).dtype.kind == "f"]
    if not floats:
        raise InputError("the ONNX graph has no 2-D score output (class probabilities or logits)")
    return floats[-1]


def _fits(graph: tuple[int | None, ...], shape: tuple[int, ...]) -> bool:
    """Symbolic dimensions (None) fit anything; fixed ones must match."""
    return len(graph) == len(shape) and all(
        g is None or g == s for g, s in zip(graph, shape, strict=True)
    )
