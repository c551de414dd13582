"""Labels and groups as a real credit file has them: string labels, raw codes, intersections.

The file imitates the German credit data: ``credit_risk`` is ``good``/``bad`` and
``personal_status`` holds codes A91..A95 that encode sex and marital status. The config maps them;
the user writes no script. Expected rates are computed here with pandas from the same rows.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from aima_ci_collectors.fairlearn import FairlearnCollector

from aima_ci.models import Finding, Status
from aima_ci.plugin import CollectorConfigError, CollectorContext, InputError

SEX = {"male": ["A91", "A93", "A94"], "female": ["A92", "A95"]}


def credit_frame(n: int = 1200) -> pd.DataFrame:
    rng = np.random.default_rng(3)
    status = rng.choice(["A91", "A92", "A93", "A94", "A95"], size=n)
    age_band = rng.choice(["young", "old"], size=n)
    income = rng.normal(size=n)
    female = np.isin(status, SEX["female"])
    # Young women are approved less often: the disparity an intersection must reveal.
    score = income - 1.2 * (female & (age_band == "young"))
    return pd.DataFrame(
        {
            "income": income,
            "personal_status": status,
            "age_band": age_band,
            "credit_risk": np.where(income > 0, "good", "bad"),
            "decision": np.where(score > 0, "approve", "reject"),
        }
    )


def run(root: Path, config: dict[str, Any]) -> list[Finding]:
    collector = FairlearnCollector()
    collector.validate_config(config)
    out = root / "out"
    ctx = CollectorContext(
        collector=collector,
        config=config,
        root=root,
        config_dir=root,
        artefact_dir=out / "artefacts" / "fairlearn",
        evidence_dir=out,
    )
    return list(collector.collect(ctx))


@pytest.fixture
def root(tmp_path: Path) -> Path:
    (tmp_path / ".git").mkdir()
    credit_frame().to_csv(tmp_path / "credit.csv", index=False)
    return tmp_path


def base(**extra: Any) -> dict[str, Any]:
    return {
        "data": "credit.csv",
        "label": "credit_risk",
        "prediction": "decision",
        "label_map": {"good": 1, "bad": 0},
        "prediction_map": {"approve": 1, "reject": 0},
        "positive_label": 1,
        "sensitive_features": [{"name": "personal_status", "groups": SEX}, "age_band"],
        "intersections": [["personal_status", "age_band"]],
        **extra,
    }


def test_codes_map_to_groups_and_intersections_are_measured(root: Path) -> None:
    frame = credit_frame()
    findings = run(root, base())
    dp = {
        f.details["sensitive_feature"]: f
        for f in findings
        if f.check == "fairlearn.demographic_parity_ratio"
    }
    assert set(dp) == {"personal_status", "age_band", "personal_status x age_band"}
    sex = np.where(frame["personal_status"].isin(SEX["female"]), "female", "male")
    approved = frame["decision"].eq("approve")
    by_sex = approved.groupby(sex).mean()
    assert dp["personal_status"].value == pytest.approx(by_sex.min() / by_sex.max(), abs=1e-4)
    combo = pd.Series(sex) + " & " + frame["age_band"]
    by_combo = approved.groupby(combo).mean()
    assert dp["personal_status x age_band"].value == pytest.approx(
        by_combo.min() / by_combo.max(), abs=1e-4
    )
    # The intersection shows the disparity more sharply than either feature alone.
    assert dp["personal_status x age_band"].value < dp["personal_status"].value
    assert dp["personal_status x age_band"].status is Status.FAIL


def test_an_unmapped_code_or_label_is_bad_input(root: Path) -> None:
    """The runner turns these InputErrors into error findings (never a pass)."""
    only_male = {"male": ["A91", "A93", "A94"], "female": ["A92"]}  # A95 left out
    config = base(sensitive_features=[{"name": "personal_status", "groups": only_male}])
    config["intersections"] = None
    with pytest.raises(InputError, match=r"'A95'.*add them to its groups"):
        run(root, config)
    with pytest.raises(InputError, match=r"label_map.*'bad'"):
        run(root, base(label_map={"good": 1}))


def test_an_intersection_of_an_undeclared_feature_is_a_config_error(root: Path) -> None:
    with pytest.raises(CollectorConfigError) as info:
        FairlearnCollector().validate_config(base(intersections=[["personal_status", "job"]]))
    assert "intersections[0]" in str(info.value)


def test_model_mode_predicts_from_an_onnx_model(root: Path) -> None:
    pytest.importorskip("skl2onnx")
    from skl2onnx import to_onnx
    from sklearn.linear_model import LogisticRegression

    frame = credit_frame()
    x = frame[["income"]].to_numpy(dtype=np.float32)
    model = LogisticRegression().fit(x, (frame["decision"] == "approve").astype(int))
    (root / "decide.onnx").write_bytes(to_onnx(model, x[:1]).SerializeToString())
    config = base(prediction=None, prediction_map=None, features=["income"])
    config["model"] = {"name": "decide", "path": "decide.onnx", "format": "onnx"}
    del config["prediction"], config["prediction_map"]
    findings = run(root, config)
    assert Status.ERROR not in {f.status for f in findings}, findings[0].message
    subject = next(s for s in findings[0].subjects if s.kind == "model")
    assert subject.format == "onnx" and subject.name == "decide"


def test_judge_from_readings_alone() -> None:
    """Verdicts from fairlearn's numbers as measure.py returns them: no tool, no file."""
    from aima_ci_collectors.fairlearn._metrics import FeatureResult
    from aima_ci_collectors.fairlearn.judge import judge

    rates = {"female": 0.30, "male": 0.50, "other": 0.10}
    result = FeatureResult(
        feature="sex",
        groups={g: {"selection_rate": r, "count": 100.0} for g, r in rates.items()},
        positives={"female": 40, "male": 40, "other": 2},
        overall={},
        all_groups={"demographic_parity_ratio": 0.2},
        judged={"demographic_parity_ratio": 0.6},
        judged_groups={"demographic_parity": ("female", "male")},
        excluded={"demographic_parity": {"other": "5 rows < min_group_size 30"}},
    )
    failed = judge("demographic_parity_ratio", result, 0.8, ">=", [])
    assert failed.status is Status.FAIL and failed.value == 0.6
    assert failed.message == (
        "demographic parity ratio for sex 0.60 (female 0.30 vs male 0.50) < 0.8"
    )
    passed = judge("demographic_parity_ratio", result, 0.5, ">=", ["nonbinary"])
    assert passed.status is Status.PASS
    assert passed.notes == (
        "sex: other (5 rows < min_group_size 30) not judged (group size)",
        "sex: nonbinary (expected, no rows) not judged (group size)",
    )
    lonely = FeatureResult(
        **{**result.__dict__, "judged_groups": {"demographic_parity": ("male",)}}
    )
    assert judge("demographic_parity_ratio", lonely, 0.8, ">=", []).status is Status.INCONCLUSIVE
