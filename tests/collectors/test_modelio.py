"""One loader per format, each fed a real model made by its real library in the test.

The checks are behavioural: the loaded model must predict exactly what the original did, the
subject must carry digest and format, and every code-running format must be refused without
trust before a byte of it is deserialised.
"""

from __future__ import annotations

import os
import pickle
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from aima_ci_collectors._modelio import ModelRef, load_ref, parse_ref

from aima_ci.models import Subject
from aima_ci.plugin import CollectorConfigError, CollectorContext, InputError

torch = pytest.importorskip("torch")


class _Dummy:
    name = "art"
    checks = ()


def context(root: Path) -> CollectorContext:
    return CollectorContext(
        collector=_Dummy(),  # type: ignore[arg-type]
        config={},
        root=root,
        config_dir=root,
        artefact_dir=root / "out" / "artefacts" / "art",
        evidence_dir=root / "out",
        settings={},  # the loaders read no settings
    )


def declared(path: str, **extra: Any) -> ModelRef:
    from aima_ci.safety.modeldecl import format_for

    return parse_ref(
        {
            "name": "m",
            "path": path,
            "format": format_for(path, extra.pop("format", None), extra.get("factory")),
            **extra,
        },
        False,
        "collectors.art.model",
    )


def tiny_net() -> Any:
    torch.manual_seed(0)
    return torch.nn.Sequential(
        torch.nn.Conv2d(1, 2, 3, padding=1),
        torch.nn.ReLU(),
        torch.nn.Flatten(),
        torch.nn.Linear(32, 3),
    ).eval()


X = np.random.default_rng(0).random((5, 1, 4, 4), dtype=np.float32)


def expected(net: Any) -> np.ndarray:
    with torch.no_grad():
        return torch.softmax(net(torch.from_numpy(X)), dim=1).numpy()


@pytest.fixture
def root(tmp_path: Path) -> Path:
    (tmp_path / ".git").mkdir()
    return tmp_path


def test_torchscript_predicts_as_the_network_and_names_its_format(root: Path) -> None:
    net = tiny_net()
    torch.jit.save(torch.jit.script(net), str(root / "net.pt"))
    loaded, subject = load_ref(declared("net.pt"), context(root), "m")
    assert loaded.format == "torchscript" and loaded.estimator.torch_module is not None
    np.testing.assert_allclose(loaded.estimator.predict_proba(X), expected(net), rtol=1e-5)
    assert subject.format == "torchscript" and subject.digest.startswith("sha256:")
    assert dict(subject.meta) == {"declared_as": "m"}
    # The subject survives the evidence round trip with its new fields.
    assert Subject.from_dict(subject.to_dict()) == subject


def test_torch_export_program_with_a_dynamic_batch(root: Path) -> None:
    net = tiny_net()
    program = torch.export.export(
        net, (torch.from_numpy(X),), dynamic_shapes=({0: torch.export.Dim("batch")},)
    )
    torch.export.save(program, str(root / "net.pt2"))
    loaded, subject = load_ref(declared("net.pt2"), context(root), "m")
    assert loaded.estimator.input_shape == (1, 4, 4)  # from the program's example input
    np.testing.assert_allclose(loaded.estimator.predict_proba(X), expected(net), rtol=1e-5)
    assert subject.format == "torch_export"


def test_a_torch_save_pickle_named_pt_is_not_loaded_as_torchscript(root: Path) -> None:
    torch.save(tiny_net(), str(root / "whole.pt"))  # a pickled module: runs code when loaded
    with pytest.raises(InputError, match="not a TorchScript archive"):
        load_ref(declared("whole.pt"), context(root), "m")


FACTORY = """
import pathlib
pathlib.Path(__file__).with_name("factory-ran").write_text("ran")
import torch

def build():
    torch.manual_seed(1)
    return torch.nn.Sequential(
        torch.nn.Conv2d(1, 2, 3, padding=1), torch.nn.ReLU(), torch.nn.Flatten(), torch.nn.Linear(32, 3)
    )
"""


def test_state_dict_runs_the_repository_factory_only_with_trust(root: Path) -> None:
    net = tiny_net()
    torch.save(net.state_dict(), str(root / "weights.pt"))
    (root / "mynets.py").write_text(FACTORY)
    ref = declared("weights.pt", factory="mynets:build")
    assert ref.format == "state_dict"
    with pytest.raises(InputError, match="refusing to run the factory"):
        load_ref(ref, context(root), "m")
    assert not (root / "factory-ran").exists()  # refused before the module was imported
    trusted = declared("weights.pt", factory="mynets:build", trust=True)
    try:
        loaded, subject = load_ref(trusted, context(root), "m")
    finally:
        sys.modules.pop("mynets", None)
    assert (root / "factory-ran").exists()
    np.testing.assert_allclose(loaded.estimator.predict_proba(X), expected(net), rtol=1e-5)
    assert subject.format == "state_dict"


def test_onnx_from_torch_runs_in_onnxruntime(root: Path) -> None:
    pytest.importorskip("onnxruntime")
    net = tiny_net()
    torch.onnx.export(
        net,
        (torch.from_numpy(X),),
        str(root / "net.onnx"),
        input_names=["x"],
        output_names=["logits"],
        dynamic_axes={"x": {0: "n"}},
        dynamo=False,
    )
    loaded, subject = load_ref(declared("net.onnx"), context(root), "m")
    assert loaded.estimator.torch_module is None  # no gradients: black-box only
    assert loaded.estimator.input_shape == (1, 4, 4)
    np.testing.assert_allclose(loaded.estimator.predict_proba(X), expected(net), rtol=1e-4)
    assert subject.format == "onnx"
    with pytest.raises(InputError, match="does not match the graph"):
        load_ref(declared("net.onnx", input_shape=[1, 5, 5]), context(root), "m")


def test_onnx_from_scikit_learn_reads_the_probability_output(root: Path) -> None:
    pytest.importorskip("skl2onnx")
    from skl2onnx import to_onnx
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(1)
    x = rng.normal(size=(60, 3)).astype(np.float32)
    y = (x[:, 0] > 0).astype(int)
    model = LogisticRegression().fit(x, y)
    (root / "lr.onnx").write_bytes(to_onnx(model, x[:1]).SerializeToString())
    loaded, _ = load_ref(declared("lr.onnx"), context(root), "m")
    np.testing.assert_allclose(loaded.estimator.predict_proba(x), model.predict_proba(x), atol=1e-5)


def test_keras_on_the_torch_backend_is_a_differentiable_module(root: Path) -> None:
    os.environ.setdefault("KERAS_BACKEND", "torch")
    keras = pytest.importorskip("keras")
    if keras.backend.backend() != "torch":
        pytest.skip("keras was imported with another backend")
    keras.utils.set_random_seed(0)
    model = keras.Sequential(
        [
            keras.Input((4, 4, 1)),
            keras.layers.Flatten(),
            keras.layers.Dense(3, activation="softmax"),
        ]
    )
    model.save(root / "net.keras")
    x = X.transpose(0, 2, 3, 1)  # channels last
    loaded, subject = load_ref(declared("net.keras"), context(root), "m")
    assert loaded.estimator.torch_module is not None and not loaded.estimator.channels_first
    np.testing.assert_allclose(
        loaded.estimator.predict_proba(x), model.predict(x, verbose=0), rtol=1e-5
    )
    assert subject.format == "keras"


class _Booby:
    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[Any, ...]:
        return (Path.write_text, (self.marker, "pwned"))


@pytest.mark.parametrize("name", ["evil.pkl", "evil.joblib", "evil.dat"])
def test_a_declared_pickle_without_trust_is_never_opened(root: Path, name: str) -> None:
    marker = root / "pwned"
    (root / name).write_bytes(pickle.dumps(_Booby(marker)))
    with pytest.raises(InputError, match="refusing to unpickle"):
        load_ref(declared(name), context(root), "m")
    assert not marker.exists()


def test_a_path_whose_format_cannot_be_told_is_a_config_error() -> None:
    with pytest.raises(CollectorConfigError, match="cannot tell the format"):
        parse_ref("model/weights.xyz", False, "collectors.art.model")


def test_skops_is_imported_without_torch_and_trusts_the_same_types() -> None:
    """The allow-list skops builds at import is identical whether torch is imported on the way."""
    import json
    import subprocess

    probe = (
        "import json, sys\n{}\nimport skops.io._trusted_types as t\n"
        "lists = {{n: sorted(map(str, v)) for n, v in vars(t).items()\n"
        "         if n.isupper() and isinstance(v, (list, tuple, set, frozenset))}}\n"
        "print(json.dumps([lists, 'torch' in sys.modules]))\n"
    )
    plain = "import skops.io"
    ours = "from aima_ci_collectors._modelio._sklearn import import_skops\nimport_skops()"
    results = []
    for setup in (plain, ours):
        out = subprocess.run(
            [sys.executable, "-c", probe.format(setup)], capture_output=True, text=True, check=True
        )
        results.append(json.loads(out.stdout))
    (reference, torch_plain), (lists, torch_ours) = results
    assert lists == reference and len(lists["SKLEARN_ESTIMATOR_TYPE_NAMES"]) > 100
    assert torch_plain and not torch_ours
    after = "from aima_ci_collectors._modelio._sklearn import import_skops\nimport_skops()\nimport torch"
    subprocess.run([sys.executable, "-c", after], check=True, capture_output=True)
