"""SHAP beyond the permutation explainer: exact tree SHAP for forests, gradients for networks."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import skops.io as sio
from aima_ci_collectors.shap import ShapCollector
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import RandomForestClassifier
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from aima_ci.models import Finding, Status
from aima_ci.plugin import CollectorContext


def run_shap(root: Path, config: dict[str, Any], out: Path) -> list[Finding]:
    collector = ShapCollector()
    collector.validate_config(config)
    ctx = CollectorContext(
        collector=collector,
        config=config,
        root=root,
        config_dir=root,
        artefact_dir=out / "artefacts" / "shap",
        evidence_dir=out,
    )
    return list(collector.collect(ctx))


@pytest.fixture
def root(tmp_path: Path) -> Path:
    (tmp_path / ".git").mkdir()
    return tmp_path


def test_a_forest_in_a_pipeline_is_explained_exactly_and_fast(root: Path, tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    n = 600
    frame = pd.DataFrame(
        {
            "driver": rng.normal(size=n),
            "noise": rng.normal(size=n),
            "region": rng.choice(["north", "south"], size=n),
        }
    )
    frame["label"] = (frame["driver"] > 0).astype(int)
    pre = ColumnTransformer(
        [("num", StandardScaler(), ["driver", "noise"]), ("cat", OneHotEncoder(), ["region"])]
    )
    model = Pipeline(
        [("pre", pre), ("rf", RandomForestClassifier(n_estimators=100, random_state=0))]
    ).fit(frame[["driver", "noise", "region"]], frame["label"])
    sio.dump(model, root / "forest.skops")
    frame.to_csv(root / "data.csv", index=False)
    untrusted = [str(t) for t in sio.get_untrusted_types(file=root / "forest.skops")]
    config = {
        "model": {"name": "forest", "path": "forest.skops", "format": "skops", "trust": True},
        "data": "data.csv",
        "features": ["driver", "noise", "region"],
        "sample_size": 200,
    }
    assert untrusted  # the tree storage needs the declared trust
    start = time.monotonic()
    findings = run_shap(root, config, tmp_path)
    elapsed = time.monotonic() - start
    importance = next(f for f in findings if f.check == "shap.global_importance")
    assert importance.status is Status.PASS, importance.message
    doc = json.loads((tmp_path / "artefacts" / "shap" / "explanation.json").read_text())
    assert doc["method"]["explainer"] == "TreeExplainer"
    assert doc["importance"][0]["feature"] == "num__driver"
    assert doc["additivity_error"] < 1e-6  # exact: values + base add up to predict_proba
    assert elapsed < 30  # the permutation explainer took over a minute on this model
    assert findings[0].subjects[0].format == "skops"


torch = pytest.importorskip("torch")


def test_a_torch_network_is_explained_by_its_gradients(root: Path, tmp_path: Path) -> None:
    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    x = rng.random((60, 1, 4, 4), dtype=np.float32)
    y = (x[:, 0, 0, 0] > 0.5).astype(np.int64)  # only the top-left pixel decides
    net = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(16, 2))
    opt = torch.optim.Adam(net.parameters(), lr=0.1)
    for _ in range(200):
        opt.zero_grad()
        torch.nn.functional.cross_entropy(net(torch.from_numpy(x)), torch.from_numpy(y)).backward()
        opt.step()
    torch.jit.save(torch.jit.script(net.eval()), str(root / "net.pt"))
    np.savez(root / "px.npz", x=x, y=y)
    config = {
        "model": {"name": "net", "path": "net.pt", "format": "torchscript"},
        "data": "px.npz",
        "sample_size": 30,
        "background_size": 20,
    }
    findings = run_shap(root, config, tmp_path)
    assert {f.status for f in findings} == {Status.PASS}, findings[0].message
    doc = json.loads((tmp_path / "artefacts" / "shap" / "explanation.json").read_text())
    assert doc["method"]["explainer"] == "GradientExplainer"
    assert doc["importance"][0]["feature"] == "x[0,0,0]"
    assert findings[0].subjects[0].format == "torchscript"


def test_tree_shap_split_across_processes_equals_one_call() -> None:
    """The forked slices give the same numbers in the same order; a failed child is recomputed."""
    import os

    import shap
    from aima_ci_collectors.shap._parallel import split_rows

    rng = np.random.default_rng(0)
    x = rng.normal(size=(120, 5))
    forest = RandomForestClassifier(n_estimators=20, random_state=0).fit(x, x[:, 0] > 0)
    explainer = shap.TreeExplainer(forest, feature_perturbation="tree_path_dependent")

    def values(rows: np.ndarray) -> np.ndarray:
        return np.asarray(explainer.shap_values(rows, check_additivity=False), dtype=np.float64)

    serial = values(x)
    np.testing.assert_array_equal(split_rows(values, x, processes=3), serial)
    parent = os.getpid()

    def fails_in_children(rows: np.ndarray) -> np.ndarray:
        if os.getpid() != parent:
            raise RuntimeError("a child that dies")
        return values(rows)

    np.testing.assert_array_equal(split_rows(fails_in_children, x, processes=3), serial)
