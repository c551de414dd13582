"""The shap collector, run for real: SHAP explanations of small scikit-learn models built here."""

from __future__ import annotations

import csv
import hashlib
import json
import shutil
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import skops.io as sio
import yaml
from aima_ci_collectors.shap import ShapCollector
from sklearn.compose import ColumnTransformer
from sklearn.dummy import DummyClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from sklearn.svm import LinearSVC

from aima_ci.config import load_config
from aima_ci.evidence.collect import collect
from aima_ci.evidence.runner import Job, Runner
from aima_ci.models import Finding, Status
from aima_ci.plugin import CollectorConfigError, CollectorContext, InputError

FEATURES = ["noise_a", "driver", "noise_b", "noise_c", "noise_d"]


def dominated(n: int, seed: int) -> pd.DataFrame:
    """'driver' decides the label by construction; the other columns are pure noise."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({name: rng.normal(size=n) for name in FEATURES})
    frame["noise_b"] *= 1000.0  # a large scale must not make a noise column look important
    frame["label"] = (frame["driver"] + 0.1 * rng.normal(size=n) > 0).astype(int)
    return frame


def scaled_lr() -> Pipeline:
    return Pipeline([("scale", StandardScaler()), ("clf", LogisticRegression())])


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("shap-repo")
    (root / ".git").mkdir()
    data = dominated(600, seed=3)
    data.to_csv(root / "data.csv", index=False)
    model_a = scaled_lr().fit(data[FEATURES], data["label"])
    sio.dump(model_a, root / "model_a.skops")
    # Same kind of model, other training rows: a different file, so a different digest.
    other = dominated(600, seed=4)
    sio.dump(scaled_lr().fit(other[FEATURES], other["label"]), root / "model_b.skops")
    return {"root": root, "data": data, "model_a": model_a}


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


def by_check(findings: list[Finding]) -> dict[str, Finding]:
    assert len({f.check for f in findings}) == len(findings)
    return {f.check: f for f in findings}


def sha256(path: Path) -> str:
    return "sha256:" + hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def computed(
    world, tmp_path_factory: pytest.TempPathFactory
) -> tuple[dict[str, Finding], Path, float]:
    out = tmp_path_factory.mktemp("shap-out")
    start = time.monotonic()
    findings = run_shap(
        world["root"], {"model": "model_a.skops", "data": "data.csv", "top_k": 2}, out
    )
    return by_check(findings), out / "artefacts" / "shap", time.monotonic() - start


# --- computing an explanation ---------------------------------------------------------------


def test_the_dominant_feature_ranks_first(computed) -> None:
    findings, artefacts, _ = computed
    importance = findings["shap.global_importance"]
    assert importance.status is Status.PASS
    assert importance.value == "driver"
    assert importance.questions == ("RAI-TE-A2", "RAI-TE-A1")
    doc = json.loads((artefacts / "explanation.json").read_text())
    table = {row["feature"]: row for row in doc["importance"]}
    assert doc["importance"][0]["feature"] == "driver"
    assert table["driver"]["share"] > 0.8
    # The noise column with a 1000x scale stays unimportant: importance is about the output.
    assert table["noise_b"]["share"] < 0.05
    assert sum(row["share"] for row in doc["importance"]) == pytest.approx(1.0, abs=1e-4)
    # SHAP's efficiency property: values + base value reproduce predict_proba exactly.
    assert doc["additivity_error"] < 1e-9
    assert doc["method"]["explainer"] == "ExactExplainer"
    assert doc["method"]["sample_size"] == 200 and doc["method"]["background_size"] == 50


def test_top_k_is_respected_in_json_and_csv(computed) -> None:
    _, artefacts, _ = computed
    top = json.loads((artefacts / "shap_importance.json").read_text())
    assert top["top_k"] == 2
    assert [row["rank"] for row in top["features"]] == [1, 2]
    with open(artefacts / "shap_importance.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert [r["feature"] for r in rows] == [f["feature"] for f in top["features"]]
    assert rows[0]["feature"] == "driver" and float(rows[0]["mean_abs_shap"]) > float(
        rows[1]["mean_abs_shap"]
    )


def test_explanation_is_stamped_with_the_model_digest(world, computed) -> None:
    findings, artefacts, _ = computed
    digest = sha256(world["root"] / "model_a.skops")
    doc = json.loads((artefacts / "explanation.json").read_text())
    assert doc["model"]["digest"] == digest
    assert doc["data"]["digest"] == sha256(world["root"] / "data.csv")
    current = findings["shap.explanation_current"]
    assert current.status is Status.PASS and current.value == digest
    assert current.subjects[0].digest == digest
    assert (artefacts / "shap_summary.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "artefacts/shap/shap_summary.png" in current.artefacts


def test_runs_well_under_thirty_seconds(computed) -> None:
    _, _, seconds = computed
    assert seconds < 30


def test_text_columns_are_explained_through_the_pipeline(world, tmp_path) -> None:
    rng = np.random.default_rng(5)
    n = 400
    frame = pd.DataFrame(
        {
            "region": rng.choice(["north", "south", "east"], n),
            "amount": rng.normal(size=n),
            "noise": rng.normal(size=n),
        }
    )
    frame["label"] = ((frame["region"] == "south") ^ (rng.random(n) < 0.05)).astype(int)
    pre = ColumnTransformer(
        [("cat", OneHotEncoder(), ["region"]), ("num", StandardScaler(), ["amount", "noise"])]
    )
    model = Pipeline([("pre", pre), ("clf", LogisticRegression())]).fit(frame, frame["label"])
    root = world["root"]
    frame.to_csv(root / "mixed.csv", index=False)
    sio.dump(model, root / "mixed.skops")
    config = {
        "model": "mixed.skops",
        "data": "mixed.csv",
        "sample_size": 100,
        "background_size": 30,
    }
    findings = by_check(run_shap(root, config, tmp_path))
    assert findings["shap.global_importance"].status is Status.PASS
    assert findings["shap.global_importance"].value == "region"
    top = findings["shap.global_importance"].details["top_k"]
    assert top[0]["feature"] == "region" and top[0]["share"] > 0.8, top


def test_a_constant_model_has_an_uninformative_explanation(world, tmp_path) -> None:
    data = world["data"]
    model = DummyClassifier(strategy="prior").fit(data[FEATURES], data["label"])
    sio.dump(model, world["root"] / "dummy.skops")
    findings = by_check(
        run_shap(
            world["root"], {"model": "dummy.skops", "data": "data.csv", "sample_size": 20}, tmp_path
        )
    )
    assert findings["shap.global_importance"].status is Status.FAIL
    assert findings["shap.global_importance"].value == 0.0
    assert "zero SHAP importance" in findings["shap.global_importance"].message


# --- verifying an existing explanation ------------------------------------------------------


def test_verifying_a_current_explanation_passes(world, computed, tmp_path) -> None:
    _, artefacts, _ = computed
    shutil.copy(artefacts / "explanation.json", world["root"] / "explanation.json")
    config = {"model": "model_a.skops", "explanation": "explanation.json", "top_k": 3}
    findings = by_check(run_shap(world["root"], config, tmp_path))
    assert findings["shap.explanation_current"].status is Status.PASS
    assert findings["shap.global_importance"].status is Status.PASS
    assert findings["shap.global_importance"].value == "driver"
    assert len(findings["shap.global_importance"].details["top_k"]) == 3
    assert not (tmp_path / "artefacts" / "shap" / "explanation.json").exists()  # nothing computed


def test_an_explanation_of_another_model_fails(world, computed, tmp_path) -> None:
    _, artefacts, _ = computed
    shutil.copy(artefacts / "explanation.json", world["root"] / "explanation.json")
    config = {"model": "model_b.skops", "explanation": "explanation.json"}
    findings = by_check(run_shap(world["root"], config, tmp_path))
    current = findings["shap.explanation_current"]
    assert current.status is Status.FAIL
    assert "stale" in current.message
    assert current.details["explained_model_digest"] == sha256(world["root"] / "model_a.skops")
    assert current.details["model_digest"] == sha256(world["root"] / "model_b.skops")
    assert findings["shap.global_importance"].status is Status.FAIL


@pytest.mark.parametrize(
    ("edit", "needle"),
    [
        (lambda doc: doc["importance"][0].update(mean_abs_shap=9.9), "file was modified"),
        (lambda doc: doc.update(schema="other/v1"), "not an aima-ci SHAP explanation"),
    ],
)
def test_a_tampered_explanation_is_an_error(world, computed, tmp_path, edit, needle) -> None:
    _, artefacts, _ = computed
    doc = json.loads((artefacts / "explanation.json").read_text())
    edit(doc)
    (world["root"] / "tampered.json").write_text(json.dumps(doc))
    config = {"model": "model_a.skops", "explanation": "tampered.json"}
    findings = run_shap(world["root"], config, tmp_path)
    assert {f.status for f in findings} == {Status.ERROR}
    assert needle in findings[0].message


def test_a_non_json_explanation_is_an_error(world, tmp_path) -> None:
    (world["root"] / "junk.json").write_bytes(b"\x00\xffnot json")
    findings = run_shap(
        world["root"], {"model": "model_a.skops", "explanation": "junk.json"}, tmp_path
    )
    assert {f.status for f in findings} == {Status.ERROR}


# --- bad input fails closed -----------------------------------------------------------------


def test_missing_feature_column_is_named(world, tmp_path) -> None:
    world["data"].drop(columns=["noise_c"]).to_csv(world["root"] / "short.csv", index=False)
    findings = run_shap(world["root"], {"model": "model_a.skops", "data": "short.csv"}, tmp_path)
    assert {f.status for f in findings} == {Status.ERROR}
    assert "no column 'noise_c'" in findings[0].message
    assert findings[0].subjects[0].digest == sha256(world["root"] / "model_a.skops")


def test_missing_values_are_named(world, tmp_path) -> None:
    frame = world["data"].copy()
    frame.loc[[0, 1], "driver"] = np.nan  # the explained sample includes every row
    frame.to_csv(world["root"] / "holes.csv", index=False)
    config = {"model": "model_a.skops", "data": "holes.csv", "sample_size": 5000}
    findings = run_shap(world["root"], config, tmp_path)
    assert {f.status for f in findings} == {Status.ERROR}
    assert "'driver' (2)" in findings[0].message


def test_empty_data_and_unloadable_model_are_errors(world, tmp_path) -> None:
    root = world["root"]
    (root / "empty.csv").write_text("")
    (root / "broken.skops").write_bytes(b"PK\x03\x04 not really a zip")
    cases = [
        ({"model": "model_a.skops", "data": "empty.csv"}, "the file is empty"),
        ({"model": "broken.skops", "data": "data.csv"}, "not a readable skops file"),
    ]
    for config, needle in cases:
        findings = run_shap(root, config, tmp_path)
        assert {f.status for f in findings} == {Status.ERROR}, config
        assert needle in findings[0].message
    # A missing file has no digest to carry: the runner turns this into error findings.
    with pytest.raises(InputError, match=r"collectors\.shap\.model: 'model_a\.pkl' does not exist"):
        run_shap(root, {"model": "model_a.pkl", "data": "data.csv"}, tmp_path)


def test_a_model_without_probabilities_is_refused(world, tmp_path) -> None:
    data = world["data"]
    sio.dump(LinearSVC().fit(data[FEATURES], data["label"]), world["root"] / "svc.skops")
    findings = run_shap(world["root"], {"model": "svc.skops", "data": "data.csv"}, tmp_path)
    assert {f.status for f in findings} == {Status.ERROR}
    assert "has no predict_proba" in findings[0].message


@pytest.mark.parametrize(
    ("config", "key"),
    [
        ({"data": "d.csv"}, "collectors.shap.model"),
        ({"model": "m.skops"}, "collectors.shap.data"),
        ({"model": "m.skops", "data": "d.csv", "top_k": 0}, "collectors.shap.top_k"),
        (
            {"model": "m.skops", "data": "d.csv", "sample_size": "all"},
            "collectors.shap.sample_size",
        ),
        ({"model": "m.skops", "data": "d.csv", "features": "driver"}, "collectors.shap.features"),
        ({"model": "m.skops", "data": "d.csv", "explain": "x"}, "collectors.shap.explain"),
    ],
)
def test_config_errors_name_the_key(config, key) -> None:
    with pytest.raises(CollectorConfigError) as info:
        ShapCollector().validate_config(config)
    assert info.value.key == key


# --- through the real runner ----------------------------------------------------------------


def test_runner_end_to_end(world, tmp_path) -> None:
    root = world["root"]
    config = {
        "version": 1,
        "collectors": {"shap": {"model": "model_a.skops", "data": "data.csv", "sample_size": 50}},
    }
    (root / "aima.yaml").write_text(yaml.safe_dump(config))
    (run,) = collect(load_config(root / "aima.yaml"), tmp_path / "ev", only=["shap"])
    assert run.status == "ok", run.message
    statuses = {f.check: f.status for f in run.findings}
    assert statuses == {
        "shap.global_importance": Status.PASS,
        "shap.explanation_current": Status.PASS,
    }
    names = {p.name for p in (tmp_path / "ev" / "artefacts" / "shap").iterdir()}
    assert {
        "explanation.json",
        "shap_importance.csv",
        "shap_importance.json",
        "shap_summary.png",
    } <= names


def test_without_shap_the_checks_are_not_run_with_the_install_hint(world, tmp_path, monkeypatch):
    # find_spec treats a None entry in sys.modules as "not importable": shap is absent here.
    monkeypatch.setitem(sys.modules, "shap", None)
    runner = Runner(root=world["root"], config_dir=world["root"], evidence_dir=tmp_path)
    config = {"model": "model_a.skops", "data": "data.csv"}
    run = runner.run_one(Job(ShapCollector, config, 60.0))
    assert run.status == "not_installed"
    assert {f.check: f.status for f in run.findings} == {
        "shap.global_importance": Status.NOT_RUN,
        "shap.explanation_current": Status.NOT_RUN,
    }
    assert "pip install 'aima-ci[shap]'" in run.findings[0].next_step
