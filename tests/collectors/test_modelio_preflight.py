"""Bad model input is a config error: exit 2 through the real CLI, before any collector runs.

Issue 14's four cases (a model whose format cannot be told, a declared input shape the model
cannot take, labels that are not the model's classes after mapping, an MLflow URI that does not
resolve), for each model family made here by its real library (TorchScript, ONNX, skops). Every
config lists the test plugin's ``testwork`` collector FIRST, told to write an artefact after
sleeping: its artefact must not exist, proving the refusal came before any collector started.
A control run with a good config shows the same models load and run (exit 0).
"""

from __future__ import annotations

import json
import pickle
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml

torch = pytest.importorskip("torch")
pytest.importorskip("onnx")
pytest.importorskip("aima_ci_testplugin")  # the marker collector (README installs it)
pytestmark = pytest.mark.slow

SLEEP = 60  # the marker collector's wait: longer than any refusal below takes


def tiny_net() -> Any:
    torch.manual_seed(0)
    return torch.nn.Sequential(
        torch.nn.Conv2d(1, 2, 3, padding=1),
        torch.nn.ReLU(),
        torch.nn.Flatten(),
        torch.nn.Linear(2 * 64, 3),
    ).eval()


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A repository with one network as TorchScript and ONNX, a skops forest, and data."""
    import pandas as pd
    import skops.io as sio
    from sklearn.linear_model import LogisticRegression

    root = tmp_path_factory.mktemp("preflight-repo")
    (root / ".git").mkdir()
    (root / "model").mkdir()
    (root / "data").mkdir()
    net = tiny_net()
    x = np.random.default_rng(0).random((12, 1, 8, 8), dtype=np.float32)
    torch.jit.save(torch.jit.script(net), str(root / "model" / "net.pt"))
    torch.onnx.export(
        net,
        (torch.from_numpy(x[:2]),),
        str(root / "model" / "net.onnx"),
        input_names=["x"],
        output_names=["logits"],
        dynamic_axes={"x": {0: "batch"}, "logits": {0: "batch"}},
        dynamo=False,
    )
    (root / "model" / "net").write_bytes((root / "model" / "net.pt").read_bytes())  # no suffix
    np.savez(root / "data" / "ok.npz", x=x, y=np.arange(12) % 3)
    np.savez(
        root / "data" / "label7.npz", x=x, y=np.where(np.arange(12) == 5, 7, np.arange(12) % 3)
    )
    rng = np.random.default_rng(1)
    frame = pd.DataFrame({"income": rng.normal(size=60), "debt": rng.normal(size=60)})
    frame["approved"] = np.where(frame["income"] > frame["debt"], "good", "bad")
    model = LogisticRegression().fit(
        frame[["income", "debt"]], (frame["approved"] == "good").astype(int)
    )
    sio.dump(model, root / "model" / "credit.skops")
    frame.to_csv(root / "data" / "credit.csv", index=False)
    return root


MODELS = {
    "net": {"path": "model/net.pt", "clip_values": [0, 1]},
    "net-onnx": {"path": "model/net.onnx", "clip_values": [0, 1]},
    "credit": {"path": "model/credit.skops"},
}
FAST = [{"name": "FastGradientMethod", "eps": 0.05}]


def run(
    world: Path,
    cli: Any,
    collectors: dict[str, Any],
    models: Any = None,
    sleep: int = SLEEP,
    env: dict[str, str] | None = None,
) -> Any:
    for old in world.glob("aima.yaml"):
        old.unlink()
    out = world / ".aima"
    if out.exists():
        import shutil

        shutil.rmtree(out)
    config = {
        "version": 1,
        "models": models if models is not None else MODELS,
        "collectors": {"testwork": {"sleep": sleep}, **collectors},
    }
    (world / "aima.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    start = time.monotonic()
    result = cli("collect", "--no-cache", cwd=world, timeout=600, env=env)
    result.elapsed = time.monotonic() - start
    return result


def refused(result: Any, world: Path, key: str, *words: str) -> str:
    """Exit 2, one line naming the key, no traceback, and the marker collector never started."""
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    line = result.stderr.strip().splitlines()[-1]
    assert f"{key}: " in line, line
    for word in words:
        assert word in line, line
    assert not (world / ".aima" / "artefacts" / "testwork").exists()
    assert not (world / ".aima" / "findings.jsonl").exists()
    assert result.elapsed < SLEEP  # nobody waited for the marker collector
    return line


def with_shape(name: str, shape: list[int]) -> dict[str, Any]:
    return {**MODELS, name: {**MODELS[name], "input_shape": shape}}


# ------------------------------------------------------------------------ control
def test_the_same_models_and_data_pass_preflight_and_run(world: Path, cli: Any) -> None:
    result = run(
        world,
        cli,
        {
            "art": {"model": "net", "data": "data/ok.npz", "attacks": FAST, "sample_size": 6},
            "shap": {"model": "net-onnx", "data": "data/ok.npz", "sample_size": 2},
        },
        models=with_shape("net", [1, 8, 8]),
        sleep=0,
    )
    assert result.returncode in (0, 1), result.stderr
    assert (world / ".aima" / "artefacts" / "testwork" / "work.txt").is_file()
    findings = [json.loads(line) for line in (world / ".aima" / "findings.jsonl").open()]
    mine = [f for f in findings if f["collector"] in ("art", "shap")]
    assert mine and all(f["status"] != "error" for f in mine), [f["message"] for f in mine]


# ------------------------------------------------------------------------ format
def test_a_path_whose_format_cannot_be_told(world: Path, cli: Any) -> None:
    result = run(world, cli, {"art": {"model": "model/net", "data": "data/ok.npz"}})
    refused(result, world, "collectors.art.model", "cannot tell the format", "format:")


def test_a_declared_model_whose_format_cannot_be_told(world: Path, cli: Any) -> None:
    models = {"net": {"path": "model/net"}}
    result = run(world, cli, {"shap": {"model": "net", "data": "data/ok.npz"}}, models)
    refused(result, world, "models.net.format", "cannot tell the format")


# ------------------------------------------------------------------------ input shape
@pytest.mark.parametrize(
    ("model", "shape"),
    [
        ("net", [1, 4, 4]),  # TorchScript: fewer values than one sample holds
        ("net", [64]),  # TorchScript: the same count of values, but a conv net needs 3 axes
        ("net-onnx", [1, 4, 16]),  # ONNX: the graph's fixed input is 1x8x8
    ],
)
@pytest.mark.parametrize("collector", ["art", "shap"])
def test_a_declared_input_shape_the_model_cannot_take(
    world: Path, cli: Any, model: str, shape: list[int], collector: str
) -> None:
    block = {"model": model, "data": "data/ok.npz"}
    result = run(world, cli, {collector: block}, with_shape(model, shape))
    refused(result, world, f"models.{model}.input_shape", "input_shape")


def test_declared_classes_that_the_outputs_do_not_match(world: Path, cli: Any) -> None:
    models = {**MODELS, "net": {**MODELS["net"], "classes": ["a", "b"]}}
    result = run(world, cli, {"art": {"model": "net", "data": "data/ok.npz"}}, models)
    refused(result, world, "models.net.classes", "outputs 3 scores")


# ------------------------------------------------------------------------ labels
def test_array_labels_outside_the_networks_classes(world: Path, cli: Any) -> None:
    result = run(world, cli, {"art": {"model": "net", "data": "data/label7.npz"}})
    refused(result, world, "collectors.art.data", "label 7", "label_map")
    result = run(world, cli, {"shap": {"model": "net", "data": "data/label7.npz"}})
    refused(result, world, "collectors.shap.data", "label 7")


def test_table_labels_outside_the_classes_after_mapping(world: Path, cli: Any) -> None:
    """skops: the model's classes are 0/1; the file says good/bad."""
    base = {"model": "credit", "data": "data/credit.csv", "label": "approved"}
    result = run(world, cli, {"art": base})
    line = refused(
        result, world, "collectors.art.label", "'good'", "not one of the model's classes"
    )
    assert "label_map" in line and line.count("collectors.art.label") == 1
    result = run(world, cli, {"art": {**base, "label_map": {"good": 1}}})
    refused(result, world, "collectors.art.label_map", "'bad'", "add it to label_map")
    result = run(world, cli, {"art": {**base, "label_map": {"good": 1, "bad": "maybe"}}})
    refused(result, world, "collectors.art.label_map", "'maybe'")


# ------------------------------------------------------------------------ MLflow
def test_an_mlflow_uri_whose_store_does_not_exist(world: Path, cli: Any) -> None:
    models = {"scorer": {"uri": "models:/credit-scorer/1", "tracking_uri": "mlruns"}}
    result = run(world, cli, {"shap": {"model": "scorer", "data": "data/credit.csv"}}, models)
    refused(result, world, "models.scorer.tracking_uri", "does not exist")


def test_an_mlflow_uri_that_does_not_resolve_in_a_file_store(world: Path, cli: Any) -> None:
    pytest.importorskip("mlflow")
    (world / "mlruns").mkdir(exist_ok=True)
    models = {"scorer": {"uri": "models:/credit-scorer/4", "tracking_uri": "mlruns"}}
    block = {"art": {"model": "scorer", "data": "data/ok.npz"}}
    env = {"MLFLOW_ALLOW_FILE_STORE": "true"}  # MLflow 3 refuses file stores unless told
    result = run(world, cli, block, models, env=env)
    refused(result, world, "models.scorer.uri", "models:/credit-scorer/4 does not resolve")


# ------------------------------------------------------------------------ trust
class _Booby:
    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[Any, ...]:
        return (Path.write_text, (self.marker, "pwned"))


def test_a_pickle_without_trust_is_not_loaded_by_preflight_either(world: Path, cli: Any) -> None:
    """Preflight leaves it to the collector, which refuses it in an error finding."""
    marker = world / "pwned"
    (world / "model" / "evil.pkl").write_bytes(pickle.dumps(_Booby(marker)))
    result = run(
        world,
        cli,
        {"art": {"model": "model/evil.pkl", "data": "data/credit.csv", "label": "approved"}},
        models={},
        sleep=0,
    )
    assert not marker.exists()
    assert result.returncode in (0, 1), result.stderr
    findings = [json.loads(line) for line in (world / ".aima" / "findings.jsonl").open()]
    art = [f for f in findings if f["collector"] == "art"]
    assert art and all(f["status"] == "error" for f in art)
    assert "refusing to unpickle" in art[0]["message"]


def test_a_model_art_and_shap_both_name_is_loaded_once(world: Path) -> None:
    """Both preflights go to one helper process, whose cache holds the model once."""
    from aima_ci_collectors._modelio import _isolated
    from aima_ci_collectors.art import ArtCollector
    from aima_ci_collectors.shap import ShapCollector

    from aima_ci.plugin import Preflight

    _isolated.stop_helper()  # a helper an earlier test started holds other models
    declared = {"name": "net", "format": "torchscript", **with_shape("net", [1, 8, 8])["net"]}
    for collector in (ArtCollector(), ShapCollector()):
        config = {"model": declared, "data": "data/ok.npz"}
        collector.preflight(config, Preflight(collector.name, world, world))
    assert _isolated.cached_models() == 1
    onnx = {"name": "net-onnx", "format": "onnx", **MODELS["net-onnx"]}
    ArtCollector().preflight({"model": onnx, "data": "data/ok.npz"}, Preflight("art", world, world))
    assert _isolated.cached_models() == 2
