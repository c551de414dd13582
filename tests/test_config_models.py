"""The ``models:`` section: validated at config load, expanded into the collectors that name it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from aima_ci.config import ConfigError, load_config
from aima_ci.safety.modeldecl import CODE_FORMATS, PICKLE_SUFFIXES, format_for


def write(repo: Path, data: dict[str, Any]) -> Path:
    path = repo / "aima.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def test_a_declared_model_is_expanded_with_its_format(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)  # no store: resolved at run time
    path = write(
        repo,
        {
            "models": {
                "credit": {"path": "model/credit.skops"},
                "digits": {"path": "model/d.pt", "input_shape": [1, 8, 8], "clip_values": [0, 16]},
                "scorer": {"uri": "models:/credit-scorer/3"},
            },
            "collectors": {
                "art": {"model": "digits", "data": "d.npz"},
                "shap": {"model": "credit", "data": "h.csv"},
                "fairlearn": {"model": "scorer", "data": "h.csv"},
            },
        },
    )
    config = load_config(path)
    assert config.collectors["art"]["model"] == {
        "name": "digits",
        "path": "model/d.pt",
        "input_shape": [1, 8, 8],
        "clip_values": [0, 16],
        "format": "torchscript",
    }
    assert config.collectors["shap"]["model"]["format"] == "skops"
    assert config.collectors["fairlearn"]["model"]["format"] == "mlflow"


@pytest.mark.parametrize(
    ("models", "key", "reason"),
    [
        ({"m": {"path": "model/w.xyz"}}, "models.m.format", "cannot tell the format"),
        ({"m": {"path": "a.onnx", "uri": "models:/a/1"}}, "models.m", "exactly one of"),
        ({"m": {"path": "a.onnx", "format": "tflite"}}, "models.m.format", "not a known format"),
        ({"m": {"path": "a.pt", "input_shape": [1, 0]}}, "models.m.input_shape", "positive"),
        ({"m": {"path": "a.pt", "clip_values": [1, 0]}}, "models.m.clip_values", "min < max"),
        ({"m": {"path": "a.pt", "trust": "yes"}}, "models.m.trust", "true or false"),
        ({"m": {"path": "w.pt", "format": "state_dict"}}, "models.m.factory", "needs factory"),
        ({"m": {"path": "w.pt", "factory": "os.system"}}, "models.m.factory", "module:function"),
        ({"m": {"uri": "http://x/model"}}, "models.m.uri", "models:/"),
        (
            {"m": {"uri": "models:/a/1", "tracking_uri": "sqlite:///none.db"}},
            "models.m.tracking_uri",
            "does not exist",
        ),
        ({"m": {"path": "../outside.onnx"}}, "models.m.path", "outside the repository"),
        ({"m": {"path": "a.pt", "classes": ["a", "a"]}}, "models.m.classes", "distinct"),
        ({"m": {"path": "a.pt", "colour": 1}}, "models.m.colour", "unknown key"),
    ],
)
def test_bad_declarations_name_the_key(repo: Path, models: Any, key: str, reason: str) -> None:
    with pytest.raises(ConfigError) as info:
        load_config(write(repo, {"models": models}))
    assert info.value.key == key
    assert reason in info.value.reason


def test_a_second_trust_decision_next_to_a_declared_model_is_refused(repo: Path) -> None:
    data = {
        "models": {"credit": {"path": "credit.pkl", "trust": True}},
        "collectors": {"art": {"model": "credit", "data": "h.csv", "trust_model": False}},
    }
    with pytest.raises(ConfigError) as info:
        load_config(write(repo, data))
    assert info.value.key == "collectors.art.trust_model"


def test_a_misspelt_model_name_is_not_taken_for_a_path(repo: Path) -> None:
    data = {
        "models": {"credit": {"path": "credit.skops"}},
        "collectors": {"shap": {"model": "credt", "data": "h.csv"}},
    }
    with pytest.raises(ConfigError) as info:
        load_config(write(repo, data))
    assert info.value.key == "collectors.shap.model" and "credit" in info.value.reason


def test_one_definition_of_code_running_formats() -> None:
    """supply_chain scans exactly the suffixes the loaders refuse without trust."""
    from aima_ci_collectors.supply_chain import formats

    assert frozenset(PICKLE_SUFFIXES) == formats.PICKLE_EXTS
    assert {format_for(f"m{s}") for s in PICKLE_SUFFIXES} == {"pickle"}
    assert {"pickle", "state_dict"} == CODE_FORMATS


def test_a_declared_model_file_that_is_missing_fails_preflight(repo: Path) -> None:
    """Checked before any collector runs (exit 2), like a model given by path."""
    from aima_ci_collectors.art import ArtCollector

    from aima_ci.plugin import CollectorConfigError, Preflight

    (repo / "d.npz").write_bytes(b"")
    block = dict(
        load_config(
            write(
                repo,
                {
                    "models": {"m": {"path": "model/missing.pt"}},
                    "collectors": {"art": {"model": "m", "data": "d.npz"}},
                },
            )
        ).collectors["art"]
    )
    with pytest.raises(
        CollectorConfigError, match=r"collectors\.art\.model\.path: .*does not exist"
    ):
        ArtCollector().preflight(block, Preflight("art", repo, repo))
