"""ART on networks: a CNN trained here on scikit-learn's digits, saved as TorchScript and ONNX.

The central claim: the figures the collector reports are ART's own. The test computes FGSM and
PGD with ART directly (PyTorchClassifier on the same TorchScript file, the same samples) and
expects exactly the same adversarial accuracies.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from aima_ci_collectors.art import ArtCollector

from aima_ci.config import load_config
from aima_ci.models import Finding, Status
from aima_ci.plugin import CollectorContext

torch = pytest.importorskip("torch")
pytest.importorskip("art")

N_TEST = 80


def train_cnn() -> tuple[Any, np.ndarray, np.ndarray]:
    from sklearn.datasets import load_digits

    torch.manual_seed(0)
    digits = load_digits()
    x = (digits.images / 16.0).astype(np.float32)[:, None]
    y = digits.target
    net = torch.nn.Sequential(
        torch.nn.Conv2d(1, 4, 3, padding=1),
        torch.nn.ReLU(),
        torch.nn.Flatten(),
        torch.nn.Linear(4 * 64, 10),
    )
    opt = torch.optim.Adam(net.parameters(), lr=0.02)
    xt, yt = torch.from_numpy(x[:1200]), torch.from_numpy(y[:1200])
    for _ in range(40):
        opt.zero_grad()
        torch.nn.functional.cross_entropy(net(xt), yt).backward()
        opt.step()
    return net.eval(), x[1200 : 1200 + N_TEST], y[1200 : 1200 + N_TEST]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("deep-repo")
    (root / ".git").mkdir()
    net, x, y = train_cnn()
    torch.jit.save(torch.jit.script(net), str(root / "digits.pt"))
    torch.onnx.export(
        net,
        (torch.from_numpy(x[:2]),),
        str(root / "digits.onnx"),
        input_names=["x"],
        output_names=["logits"],
        dynamic_axes={"x": {0: "n"}},
        dynamo=False,
    )
    np.savez(root / "test.npz", x=x, y=y)
    return {"root": root, "x": x, "y": y}


def run_art(root: Path, config: dict[str, Any], out: Path) -> list[Finding]:
    collector = ArtCollector()
    collector.validate_config(config)
    ctx = CollectorContext(
        collector=collector,
        config=config,
        root=root,
        config_dir=root,
        artefact_dir=out / "artefacts" / "art",
        evidence_dir=out,
    )
    return list(collector.collect(ctx))


def model(path: str, **extra: Any) -> dict[str, Any]:
    from aima_ci.safety.modeldecl import format_for

    return {"name": "digits", "path": path, "format": format_for(path), **extra}


def art_direct(root: Path, x: np.ndarray, y: np.ndarray, eps: float) -> dict[str, float]:
    """ART's numbers, computed the way ART's own examples do, without the collector."""
    from art.attacks.evasion import FastGradientMethod, ProjectedGradientDescent
    from art.estimators.classification import PyTorchClassifier

    classifier = PyTorchClassifier(
        model=torch.jit.load(str(root / "digits.pt")),
        loss=torch.nn.CrossEntropyLoss(),
        input_shape=(1, 8, 8),
        nb_classes=10,
        clip_values=(0.0, 1.0),
        device_type="cpu",
    )
    onehot = np.eye(10, dtype=np.float32)[y]
    out = {}
    for name, attack in (
        ("FastGradientMethod", FastGradientMethod(classifier, norm=np.inf, eps=eps, eps_step=eps)),
        (
            "ProjectedGradientDescent",
            ProjectedGradientDescent(
                classifier, norm=np.inf, eps=eps, eps_step=eps / 10, max_iter=20, verbose=False
            ),
        ),
    ):
        adv = attack.generate(x=x, y=onehot)
        out[name] = float((classifier.predict(adv).argmax(axis=1) == y).mean())
    out["clean"] = float((classifier.predict(x).argmax(axis=1) == y).mean())
    return out


def by_attack(findings: list[Finding]) -> dict[str, Finding]:
    return {f.details["attack"]["name"]: f for f in findings if f.check == "art.robustness_ratio"}


def test_torchscript_figures_equal_arts_own(world, tmp_path) -> None:
    root, x, y = world["root"], world["x"], world["y"]
    config = {
        "model": model("digits.pt", clip_values=[0, 1]),
        "data": "test.npz",
        "sample_size": N_TEST,
        "attacks": [
            {"name": "FastGradientMethod", "eps": 0.1},
            {"name": "ProjectedGradientDescent", "eps": 0.1},
        ],
    }
    findings = run_art(root, config, tmp_path)
    direct = art_direct(root, x, y, 0.1)
    got = by_attack(findings)
    for name in ("FastGradientMethod", "ProjectedGradientDescent"):
        details = got[name].details
        assert details["samples"] == N_TEST
        assert details["clean_accuracy"] == pytest.approx(direct["clean"], abs=1e-9)
        assert details["adversarial_accuracy"] == pytest.approx(direct[name], abs=1e-9)
    assert direct["ProjectedGradientDescent"] < direct["clean"]  # the attack really bites
    metrics = next(f for f in findings if f.check == "art.robustness_metrics")
    (strongest,) = metrics.details["strongest_by_eps"]
    assert strongest["bound"] == "white-box"
    assert strongest["adversarial_accuracy"] == pytest.approx(
        min(direct["FastGradientMethod"], direct["ProjectedGradientDescent"]), abs=1e-9
    )
    subject = findings[0].subjects[0]
    assert subject.format == "torchscript" and subject.digest.startswith("sha256:")
    report = json.loads((tmp_path / "artefacts" / "art" / "report.json").read_text())
    assert report["model"]["gradients"] is True and report["model"]["format"] == "torchscript"


def test_onnx_gets_black_box_attacks_and_an_upper_bound(world, tmp_path) -> None:
    pytest.importorskip("onnxruntime")
    config = {
        "model": model("digits.onnx", clip_values=[0, 1]),
        "data": "test.npz",
        "sample_size": 40,
        "attacks": [
            {"name": "FastGradientMethod", "eps": 0.2},
            {"name": "SquareAttack", "eps": 0.2, "max_iter": 30},
        ],
    }
    findings = run_art(world["root"], config, tmp_path)
    got = by_attack(findings)
    assert got["FastGradientMethod"].status is Status.NOT_APPLICABLE
    square = got["SquareAttack"]
    assert "upper bound" in square.message
    assert square.details["rows_broken"] > 0  # a real attack, not a no-op
    metrics = next(f for f in findings if f.check == "art.robustness_metrics")
    assert metrics.details["strongest_by_eps"][0]["bound"].startswith("upper bound")
    assert findings[0].subjects[0].format == "onnx"


def test_an_image_folder_is_data_too(world, tmp_path) -> None:
    from PIL import Image

    root = world["root"]
    folder = root / "images"
    for i, (img, label) in enumerate(zip(world["x"][:30], world["y"][:30], strict=True)):
        (folder / str(label)).mkdir(parents=True, exist_ok=True)
        Image.fromarray(np.rint(img[0] * 255).astype(np.uint8), mode="L").save(
            folder / str(label) / f"{i}.png"
        )
    config = {
        "model": model("digits.pt", input_shape=[1, 8, 8], clip_values=[0, 1]),
        "data": "images",
        "attacks": [{"name": "FastGradientMethod", "eps": 0.1}],
    }
    findings = run_art(root, config, tmp_path)
    (fgm,) = by_attack(findings).values()
    assert fgm.details["samples"] == 30 and fgm.details["clean_accuracy"] > 0.7
    data = findings[0].subjects[1]
    assert data.path == "images" and data.digest.startswith("sha256:")


def test_a_wrong_input_shape_is_an_error_naming_the_key(world, tmp_path) -> None:
    config = {"model": model("digits.pt", input_shape=[1, 4, 4]), "data": "test.npz"}
    findings = run_art(world["root"], config, tmp_path)
    assert {f.status for f in findings} == {Status.ERROR}
    assert "input_shape" in findings[0].message


def test_labels_outside_the_declared_classes_are_an_error(world, tmp_path) -> None:
    classes = [f"digit-{i}" for i in range(10)]
    config = {"model": model("digits.pt", classes=classes), "data": "test.npz"}
    findings = run_art(world["root"], config, tmp_path)
    assert {f.status for f in findings} == {Status.ERROR}
    assert "not one of the model's classes" in findings[0].message


def test_models_declared_in_config_reach_the_collector(world, tmp_path) -> None:
    """The config loader expands ``model: digits`` into the declaration the collector reads."""
    root = world["root"]
    (root / "aima.yaml").write_text(
        yaml.safe_dump(
            {
                "models": {"digits": {"path": "digits.pt", "clip_values": [0, 1]}},
                "collectors": {
                    "art": {
                        "model": "digits",
                        "data": "test.npz",
                        "sample_size": 30,
                        "attacks": [{"name": "FastGradientMethod", "eps": 0.05}],
                    }
                },
            }
        )
    )
    config = load_config(root / "aima.yaml")
    block = config.collectors["art"]
    assert block["model"]["name"] == "digits" and block["model"]["format"] == "torchscript"
    (fgm,) = by_attack(run_art(root, dict(block), tmp_path)).values()
    assert fgm.subjects[0].name == "digits" and fgm.details["samples"] == 30


def test_string_labels_are_mapped_in_config(world, tmp_path) -> None:
    names = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
    root = world["root"]
    np.savez(root / "named.npz", x=world["x"], y=np.array([names[i] for i in world["y"]]))
    attacks = [{"name": "FastGradientMethod", "eps": 0.1}]
    base = {
        "model": model("digits.pt", clip_values=[0, 1]),
        "data": "named.npz",
        "attacks": attacks,
    }
    unmapped = run_art(root, base, tmp_path / "a")
    assert {f.status for f in unmapped} == {Status.ERROR}
    assert "is not one of the model's classes" in unmapped[0].message
    assert "label_map" in unmapped[0].message
    mapped = run_art(
        root, {**base, "label_map": {n: i for i, n in enumerate(names)}}, tmp_path / "b"
    )
    plain = run_art(root, {**base, "data": "test.npz"}, tmp_path / "c")
    ((got,), (want,)) = (list(by_attack(mapped).values()), list(by_attack(plain).values()))
    assert got.details["adversarial_accuracy"] == want.details["adversarial_accuracy"]


def test_npy_pair_and_carlini_wagner_count_only_within_eps(world, tmp_path) -> None:
    """CW L-inf is a minimal-perturbation attack: a row counts as broken only inside eps."""
    root = world["root"]
    np.save(root / "x.npy", world["x"][:20])
    np.save(root / "y.npy", world["y"][:20])
    config = {
        "model": model("digits.pt", clip_values=[0, 1]),
        "data": "x.npy",
        "labels": "y.npy",
        "attacks": [{"name": "CarliniLInfMethod", "eps": 0.1, "max_iter": 5, "sample_size": 20}],
    }
    findings = run_art(root, config, tmp_path)
    (cw,) = by_attack(findings).values()
    assert cw.status in (Status.PASS, Status.FAIL), cw.message
    details = cw.details
    assert details["samples"] == 20
    if details["rows_broken"]:
        assert details["mean_linf_of_broken"] <= 0.1 + 1e-5


def test_a_keras_model_gets_white_box_attacks_on_the_torch_backend(world, tmp_path) -> None:
    import os

    os.environ.setdefault("KERAS_BACKEND", "torch")
    keras = pytest.importorskip("keras")
    if keras.backend.backend() != "torch":
        pytest.skip("keras was imported with another backend")
    root = world["root"]
    x = world["x"].transpose(0, 2, 3, 1)  # Keras is channels-last
    keras.utils.set_random_seed(0)
    net = keras.Sequential(
        [
            keras.Input((8, 8, 1)),
            keras.layers.Flatten(),
            keras.layers.Dense(10, activation="softmax"),
        ]
    )
    net.compile("adam", "sparse_categorical_crossentropy")
    net.fit(x, world["y"], epochs=40, verbose=0)
    net.save(root / "digits.keras")
    np.savez(root / "last.npz", x=x, y=world["y"])
    config = {
        "model": model("digits.keras", clip_values=[0, 1]),
        "data": "last.npz",
        "attacks": [{"name": "FastGradientMethod", "eps": 0.2}],
    }
    (fgm,) = by_attack(run_art(root, config, tmp_path)).values()
    assert fgm.status in (Status.PASS, Status.FAIL), fgm.message  # gradients, not not_applicable
    assert fgm.details["rows_broken"] > 0 and fgm.subjects[0].format == "keras"
