"""MLflow: a model logged and registered in a SQLite store inside the repository, then named by URI.

MLflow creates its database schema on first use (tens of seconds on a 2-core runner), so the store
is built once for the module and the test is marked slow.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from aima_ci_collectors._modelio import load_ref, parse_ref
from aima_ci_collectors.shap import ShapCollector

from aima_ci.models import Status
from aima_ci.plugin import CollectorContext, InputError

mlflow = pytest.importorskip("mlflow")
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    import pandas as pd
    from sklearn.linear_model import LogisticRegression

    root = tmp_path_factory.mktemp("mlflow-repo")
    (root / ".git").mkdir()
    uri = f"sqlite:///{root / 'mlflow.db'}"
    mlflow.set_tracking_uri(uri)
    experiment = mlflow.create_experiment(
        "credit", artifact_location=(root / "mlartifacts").as_uri()
    )
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"income": rng.normal(size=200), "debt": rng.normal(size=200)})
    frame["approved"] = (frame["income"] - frame["debt"] > 0).astype(int)
    model = LogisticRegression().fit(frame[["income", "debt"]], frame["approved"])
    with mlflow.start_run(experiment_id=experiment) as run:
        mlflow.sklearn.log_model(
            model,
            name="model",
            serialization_format="skops",
            registered_model_name="credit-scorer",
            pip_requirements=["scikit-learn"],
        )
    frame.to_csv(root / "holdout.csv", index=False)
    return {"root": root, "run_id": run.info.run_id, "model": model, "frame": frame}


def ctx_for(root: Path, config: dict[str, Any] | None = None) -> CollectorContext:
    """A context for the loaders (no settings) or, given a config, for the shap collector."""
    return CollectorContext(
        collector=ShapCollector(),
        config=config or {},
        root=root,
        config_dir=root,
        artefact_dir=root / "out" / "artefacts" / "shap",
        evidence_dir=root / "out",
        settings=None if config else {},
    )


def declared(uri: str, **extra: Any) -> dict[str, Any]:
    return {
        "name": "scorer",
        "uri": uri,
        "format": "mlflow",
        "tracking_uri": "sqlite:///mlflow.db",
        **extra,
    }


def test_a_registered_version_resolves_and_is_recorded(store) -> None:
    root = store["root"]
    ref = parse_ref(declared("models:/credit-scorer/1"), False, "collectors.shap.model")
    loaded, subject = load_ref(ref, ctx_for(root), "scorer")
    x = store["frame"][["income", "debt"]]
    np.testing.assert_allclose(loaded.estimator.predict_proba(x), store["model"].predict_proba(x))
    meta = dict(subject.meta)
    assert meta["registered_model"] == "credit-scorer" and meta["version"] == "1"
    assert meta["run_id"] == store["run_id"] and meta["flavor"] == "sklearn/skops"
    assert subject.format == "mlflow" and subject.path == "models:/credit-scorer/1"
    assert subject.digest and subject.digest.startswith("sha256:")


def test_shap_explains_a_registered_model(store) -> None:
    root = store["root"]
    config = {
        "model": declared("models:/credit-scorer/1"),
        "data": "holdout.csv",
        "sample_size": 30,
    }
    collector = ShapCollector()
    collector.validate_config(config)
    findings = list(collector.collect(ctx_for(root, config)))
    assert {f.status for f in findings} == {Status.PASS}, findings[0].message
    assert dict(findings[0].subjects[0].meta)["version"] == "1"


def test_an_unknown_version_names_the_uri_and_the_fix(store) -> None:
    ref = parse_ref(declared("models:/credit-scorer/7"), False, "collectors.shap.model")
    with pytest.raises(
        InputError, match=r"models:/credit-scorer/7 does not resolve.*check the name"
    ):
        load_ref(ref, ctx_for(store["root"]), "scorer")


def test_a_store_outside_the_repository_is_refused(store, tmp_path) -> None:
    ref = parse_ref(
        declared("models:/credit-scorer/1", tracking_uri=f"sqlite:///{tmp_path}/x.db"), False, "k"
    )
    with pytest.raises(InputError, match="outside the repository"):
        load_ref(ref, ctx_for(store["root"]), "scorer")


def test_an_unresolvable_uri_is_a_config_error_before_any_collector(store) -> None:
    """The embedded SQLite store is read at config load: exit 2, naming the key and the versions."""
    import yaml

    from aima_ci.config import ConfigError, load_config

    root = store["root"]
    for uri, ok in (("models:/credit-scorer/1", True), ("models:/credit-scorer/9", False)):
        (root / "aima.yaml").write_text(
            yaml.safe_dump(
                {"models": {"scorer": {"uri": uri, "tracking_uri": "sqlite:///mlflow.db"}}}
            )
        )
        if ok:
            assert load_config(root / "aima.yaml").models["scorer"]["format"] == "mlflow"
            continue
        with pytest.raises(ConfigError) as info:
            load_config(root / "aima.yaml")
        assert info.value.key == "models.scorer.uri"
        assert (
            "does not resolve" in info.value.reason
            and "registered versions: 1" in info.value.reason
        )
