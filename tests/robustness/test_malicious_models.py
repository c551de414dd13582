"""A model file that runs a command when unpickled never runs it, through any collector that takes
a model path, unless ``trust_model: true`` says a person reviewed it.

The pickle's ``__reduce__`` calls ``os.system("touch <marker>")``; the marker file appearing is
proof of code execution. Each collector that accepts a model (fairlearn ``model``, art ``model``,
shap ``model``, supply_chain's scan, modelscan's scan) meets it under the names a pickle goes by
(.pkl, .pickle, .joblib) and disguised as a skops file, plus a real skops file holding an
untrusted type. They run through the real runner (a worker process each), exactly as in CI. The
control at the end opts in with ``trust_model: true`` and the marker does appear, so its absence
elsewhere means something.
"""

from __future__ import annotations

import os
import pickle
from pathlib import Path

import pytest
import yaml
from rb_support import make_repo

from aima_ci.config import load_config
from aima_ci.evidence.collect import collect
from aima_ci.evidence.directory import read_findings, read_json

pytestmark = pytest.mark.slow  # sklearn, shap, ART and modelscan are imported by the workers


class Evil:
    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):  # type: ignore[no-untyped-def]
        return (os.system, (f"touch {self.marker}",))


def plant(root: Path) -> Path:
    """The models folder: one malicious pickle under every name, plus a data file to go with it."""
    marker = root.parent / f"{root.name}-EXECUTED"
    models = root / "models"
    models.mkdir()
    payload = pickle.dumps(Evil(marker))
    for name in ("evil.pkl", "evil.pickle", "evil.joblib", "disguised.skops"):
        (models / name).write_bytes(payload)
    import skops.io as sio

    sio.dump(Evil(marker), models / "untrusted.skops")
    rows = ["y,g,x1,x2"] + [f"{i % 2},{'ab'[i % 3 == 0]},{i / 10},{(i * 7) % 5}" for i in range(60)]
    (root / "data.csv").write_text("\n".join(rows) + "\n")
    return marker


def run(root: Path, collectors: dict) -> dict:
    (root / "aima.yaml").write_text(yaml.safe_dump({"collectors": collectors}))
    collect(load_config(cwd=root), root / ".aima", jobs=2)
    by_collector: dict = {}
    for f in read_findings(root / ".aima"):
        by_collector.setdefault(f.collector, []).append(f)
    return by_collector


def model_collectors(fairlearn: str, art: str, shap: str) -> dict:
    return {
        "fairlearn": {
            "data": "data.csv",
            "label": "y",
            "model": f"models/{fairlearn}",
            "features": ["x1", "x2"],
            "sensitive_features": ["g"],
            "min_group_size": 5,
        },
        "art": {"model": f"models/{art}", "data": "data.csv", "label": "y"},
        "shap": {"model": f"models/{shap}", "data": "data.csv", "features": ["x1", "x2"]},
        "supply_chain": {"models": ["models/*"], "sbom": False, "modelscan": False},
        "modelscan": {"mode": "run", "path": "models"},
    }


@pytest.mark.parametrize(
    ("fairlearn", "art", "shap"),
    [
        ("evil.pkl", "evil.joblib", "disguised.skops"),
        ("untrusted.skops", "evil.pickle", "evil.pkl"),
        ("evil.joblib", "untrusted.skops", "evil.pickle"),
    ],
)
def test_no_collector_unpickles_an_untrusted_model(tmp_path, fairlearn, art, shap):
    root = make_repo(tmp_path)
    marker = plant(root)
    found = run(root, model_collectors(fairlearn, art, shap))
    assert not marker.exists(), "a collector executed the pickle"
    for name in ("fairlearn", "art", "shap"):
        assert found[name] and {str(f.status) for f in found[name]} == {"error"}, name
        message = found[name][0].message
        assert (
            "refusing to unpickle" in message
            or "not trusted by default" in message
            or "outside skops' trusted list" in message
            or "not a valid skops file" in message
            or "not a readable skops file" in message
        ), (name, message)
        assert "trust_model" in message or "skops" in message, (name, message)
    # the static scanners read every file opcode by opcode and name the dangerous import
    serialisation = [
        f for f in found["supply_chain"] if f.check == "supply_chain.unsafe_serialisation"
    ]
    assert serialisation and all(str(f.status) == "fail" for f in serialisation)
    assert any("system" in f.message for f in serialisation), [f.message for f in serialisation]
    (unsafe,) = [f for f in found["modelscan"] if f.check == "modelscan.unsafe_operators"]
    assert str(unsafe.status) == "fail", unsafe.message
    runs = {r["name"]: r for r in read_json(root / ".aima" / "run.json")["collectors"]}
    assert all(r["status"] in ("ok", "input_error") for r in runs.values()), runs


def test_trust_model_is_the_explicit_opt_in_and_it_does_load(tmp_path):
    """The control: with trust_model the pickle is loaded, and its command runs. This is the
    documented opt-in, for a model a person reviewed; nothing else unpickles."""
    root = make_repo(tmp_path)
    marker = plant(root)
    collectors = model_collectors("evil.pkl", "evil.pkl", "evil.pkl")
    found = run(root, {"fairlearn": {**collectors["fairlearn"], "trust_model": True}})
    assert marker.exists()
    assert {str(f.status) for f in found["fairlearn"]} == {"error"}  # os.system's 0 has no predict
