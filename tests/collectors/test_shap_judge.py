"""shap's judge from an explanation artefact alone (no shap, no model): the verdicts it reads.

The artefact is written here by the collector's own writer from a hand-made explanation, then
judged as ``judge`` judges any artefact read back from disk: bound to the current model digest
(else both checks fail: stale), and saying something (all-zero importances fail).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from aima_ci_collectors.shap import ShapCollector, _artefact
from aima_ci_collectors.shap._explain import Explanation
from aima_ci_collectors.shap.judge import judge

from aima_ci.models import Status, Subject
from aima_ci.plugin import CollectorContext

MODEL = Subject(kind="model", name="m.skops", digest="sha256:" + "a" * 64, path="m.skops")
OTHER = Subject(kind="model", name="m.skops", digest="sha256:" + "b" * 64, path="m.skops")
DATA = Subject(kind="data", name="d.csv", digest="sha256:" + "c" * 64, path="d.csv")


def artefact(tmp_path: Path, importance: list[float]) -> tuple[CollectorContext, Path]:
    ctx = CollectorContext(
        collector=ShapCollector(),
        config={"model": "m.skops", "data": "d.csv"},
        root=tmp_path,
        config_dir=tmp_path,
        artefact_dir=tmp_path / "ev" / "artefacts" / "shap",
        evidence_dir=tmp_path / "ev",
    )
    n = len(importance)
    explanation = Explanation(
        features=[f"f{i}" for i in range(n)],
        classes=[0, 1],
        importance=np.asarray(importance),
        values=np.zeros((3, n, 2)),
        data=np.zeros((3, n)),
        explainer="TreeExplainer",
        additivity_error=0.0,
        sample_size=3,
        background_size=0,
        max_evals=0,
    )
    path = ctx.artefact("explanation.json")
    doc = _artefact.document(explanation, model=MODEL, data=DATA, seed=0, tool_version="x")
    _artefact.write_json(path, doc)
    return ctx, path


def test_an_explanation_of_the_current_model_passes_and_names_the_leader(tmp_path: Path) -> None:
    ctx, path = artefact(tmp_path, [0.1, 0.7, 0.2])
    importance, current = judge(ctx, path, [MODEL, DATA], [path], 2, computed=True)
    assert importance.status is Status.PASS and importance.value == "f1"
    assert [r["feature"] for r in importance.details["top_k"]] == ["f1", "f2"]
    assert current.status is Status.PASS and current.value == MODEL.digest


def test_an_explanation_of_another_model_is_stale_for_both_checks(tmp_path: Path) -> None:
    ctx, path = artefact(tmp_path, [0.1, 0.7, 0.2])
    findings = judge(ctx, path, [OTHER, DATA], [], 10, computed=False)
    assert [f.status for f in findings] == [Status.FAIL, Status.FAIL]
    assert "stale" in findings[1].message


def test_all_zero_importances_say_nothing(tmp_path: Path) -> None:
    ctx, path = artefact(tmp_path, [0.0, 0.0])
    importance, current = judge(ctx, path, [MODEL, DATA], [path], 10, computed=True)
    assert importance.status is Status.FAIL and importance.value == 0.0
    assert current.status is Status.PASS


def test_an_edited_artefact_is_refused(tmp_path: Path) -> None:
    from aima_ci.plugin import InputError

    ctx, path = artefact(tmp_path, [0.1, 0.7, 0.2])
    path.write_text(path.read_text().replace('"f1"', '"f9"'))
    with pytest.raises(InputError, match=r"collectors\.shap\.explanation"):
        judge(ctx, path, [MODEL, DATA], [path], 10, computed=True)
