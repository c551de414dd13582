"""The fairlearn collector, run for real on small real data (no mocks of fairlearn or skops)."""

from __future__ import annotations

import json
import pickle
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from aima_ci_collectors.fairlearn import FairlearnCollector

from aima_ci.config import load_config
from aima_ci.evidence.collect import collect
from aima_ci.models import Finding, Status
from aima_ci.plugin import CollectorConfigError, CollectorContext, InputError

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "credit-model"


def run_collector(
    config: dict[str, Any], root: Path, out: Path, config_dir: Path | None = None
) -> list[Finding]:
    """In-process run with a real context (the runner path is covered by the end-to-end tests)."""
    collector = FairlearnCollector()
    collector.validate_config(config)
    ctx = CollectorContext(
        collector=collector,
        config=config,
        root=root,
        config_dir=config_dir or root,
        artefact_dir=out / "artefacts" / "fairlearn",
        evidence_dir=out,
    )
    return list(collector.collect(ctx))


def by_key(findings: list[Finding]) -> dict[tuple[str, str], Finding]:
    return {(f.check.split(".", 1)[1], f.details["sensitive_feature"]): f for f in findings}


def example_config(**overrides: Any) -> dict[str, Any]:
    config: dict[str, Any] = {
        "data": "data/predictions.csv",
        "label": "approved",
        "prediction": "predicted",
        "sensitive_features": ["sex", "age_band"],
    }
    config.update(overrides)
    return config


@pytest.fixture(scope="module")
def example_findings(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[Finding], Path]:
    out = tmp_path_factory.mktemp("fl-example")
    return run_collector(example_config(), REPO, out, EXAMPLE), out


def write_csv(repo: Path, frame: pd.DataFrame, name: str = "data.csv") -> str:
    frame.to_csv(repo / name, index=False)
    return name


def unbiased(n: int = 2000, seed: int = 7) -> pd.DataFrame:
    """Outcome and errors independent of the group: the control that must pass."""
    rng = np.random.default_rng(seed)
    label = (rng.random(n) < 0.5).astype(int)
    flip = rng.random(n) < 0.15
    return pd.DataFrame(
        {
            "y": label,
            "pred": np.where(flip, 1 - label, label),
            "group": np.where(rng.random(n) < 0.5, "a", "b"),
        }
    )


# --- the planted bias in the example -------------------------------------------------------


def test_planted_bias_fails_demographic_parity_with_measured_ratio(example_findings) -> None:
    findings, _ = example_findings
    found = by_key(findings)
    assert set(found) == {
        ("demographic_parity_ratio", "sex"),
        ("equalized_odds_difference", "sex"),
        ("demographic_parity_ratio", "age_band"),
        ("equalized_odds_difference", "age_band"),
    }
    dp = found[("demographic_parity_ratio", "sex")]
    assert dp.status is Status.FAIL
    assert 0.50 <= dp.value <= 0.62  # measured 0.558: female 0.323 vs male 0.578
    assert dp.threshold == 0.8
    assert dp.message.startswith("demographic parity ratio for sex 0.56 (female 0.32 vs male 0.58)")
    assert dp.message.endswith("< 0.8")
    groups = dp.details["groups"]
    assert groups["female"]["count"] + groups["male"]["count"] == 800
    assert groups["female"]["selection_rate"] == pytest.approx(0.3227, abs=1e-3)
    assert groups["male"]["selection_rate"] == pytest.approx(0.5780, abs=1e-3)
    # The ratio is exactly the ratio of the per-group selection rates fairlearn measured.
    assert dp.value == pytest.approx(
        groups["female"]["selection_rate"] / groups["male"]["selection_rate"], abs=1e-4
    )
    eo = found[("equalized_odds_difference", "sex")]
    assert eo.status is Status.FAIL
    assert 0.12 <= eo.value <= 0.20  # measured 0.155 (true-positive rates 0.57 vs 0.72)
    assert "> 0.1" in eo.message
    assert found[("demographic_parity_ratio", "age_band")].status is Status.FAIL
    assert found[("demographic_parity_ratio", "age_band")].value == pytest.approx(0.617, abs=0.01)
    assert {f.questions for f in findings} == {("RAI-FB-A1", "RAI-FB-A2", "RAI-FB-B1")}


def test_disparities_agree_with_fairlearns_own_metric_functions(example_findings) -> None:
    from fairlearn.metrics import (
        demographic_parity_difference,
        demographic_parity_ratio,
        equalized_odds_difference,
        equalized_odds_ratio,
    )

    findings, _ = example_findings
    frame = pd.read_csv(EXAMPLE / "data" / "predictions.csv")
    for feature in ("sex", "age_band"):
        f = by_key(findings)[("demographic_parity_ratio", feature)]
        expected = {
            fn.__name__: fn(
                frame["approved"], frame["predicted"], sensitive_features=frame[feature]
            )
            for fn in (
                demographic_parity_difference,
                demographic_parity_ratio,
                equalized_odds_difference,
                equalized_odds_ratio,
            )
        }
        assert f.details["metrics_all_groups"] == pytest.approx(expected, abs=1e-12)
        assert f.details["metrics_judged"] == pytest.approx(expected, abs=1e-12)


def test_findings_carry_subject_digests_and_existing_artefacts(example_findings) -> None:
    findings, out = example_findings
    data_digest = (
        "sha256:"
        + __import__("hashlib")
        .sha256((EXAMPLE / "data" / "predictions.csv").read_bytes())
        .hexdigest()
    )
    for f in findings:
        assert f.subjects[0].kind == "dataset"
        assert f.subjects[0].digest == data_digest
        assert f.subjects[0].path == "examples/credit-model/data/predictions.csv"
        assert len(f.artefacts) == 2
        for artefact in f.artefacts:
            assert (out / artefact).is_file()
    report = json.loads((out / "artefacts/fairlearn/fairness-report.json").read_text())
    assert report["rows"] == 800
    assert [feat["feature"] for feat in report["features"]] == ["sex", "age_band"]
    sex = report["features"][0]
    assert sex["verdicts"]["demographic_parity_ratio"]["status"] == "fail"
    assert set(sex["groups"]["female"]) >= {
        "count",
        "selection_rate",
        "accuracy",
        "true_positive_rate",
        "false_positive_rate",
        "false_negative_rate",
    }
    svg = ET.parse(out / "artefacts/fairlearn/fairness-sex.svg").getroot()
    assert svg.tag.endswith("svg")
    assert len([e for e in svg.iter() if e.tag.endswith("rect")]) == 2 * 4 + 4  # bars + legend


def test_model_mode_predicts_the_same_decisions_as_the_committed_predictions(tmp_path) -> None:
    config = example_config(prediction=None, model="model/credit_model.skops")
    del config["prediction"]
    findings = run_collector(config, REPO, tmp_path, EXAMPLE)
    dp = by_key(findings)[("demographic_parity_ratio", "sex")]
    assert dp.status is Status.FAIL
    assert dp.value == pytest.approx(0.5584, abs=1e-4)
    assert [s.kind for s in dp.subjects] == ["dataset", "model"]
    assert dp.subjects[1].digest.startswith("sha256:")


def test_threshold_override_and_optional_checks(tmp_path) -> None:
    config = example_config(
        sensitive_features=["sex"],
        thresholds={"demographic_parity_ratio": 0.5, "demographic_parity_difference": 0.3},
    )
    found = by_key(run_collector(config, REPO, tmp_path, EXAMPLE))
    assert found[("demographic_parity_ratio", "sex")].status is Status.PASS  # 0.558 >= 0.5
    assert found[("demographic_parity_ratio", "sex")].threshold == 0.5
    diff = found[("demographic_parity_difference", "sex")]
    assert diff.status is Status.PASS
    assert diff.value == pytest.approx(0.5780 - 0.3227, abs=1e-3)
    assert found[("equalized_odds_difference", "sex")].status is Status.FAIL  # default 0.1 kept


# --- controls and small groups -------------------------------------------------------------


def test_unbiased_control_passes(repo, tmp_path) -> None:
    name = write_csv(repo, unbiased())
    config = {"data": name, "label": "y", "prediction": "pred", "sensitive_features": ["group"]}
    found = by_key(run_collector(config, repo, tmp_path))
    dp = found[("demographic_parity_ratio", "group")]
    eo = found[("equalized_odds_difference", "group")]
    assert dp.status is Status.PASS and dp.value >= 0.9
    assert eo.status is Status.PASS and eo.value <= 0.05


def test_small_group_passes_with_a_note(repo, tmp_path) -> None:
    """Passed on the groups large enough to measure: credit, with the excluded group as a note."""
    frame = unbiased()
    frame.loc[:11, "group"] = "c"  # 12 rows: below min_group_size 30
    name = write_csv(repo, frame)
    config = {"data": name, "label": "y", "prediction": "pred", "sensitive_features": ["group"]}
    found = by_key(run_collector(config, repo, tmp_path))
    dp = found[("demographic_parity_ratio", "group")]
    assert dp.status is Status.PASS
    assert dp.notes == ("group: c (12 rows < min_group_size 30) not judged (group size)",)
    assert "c (12 rows < min_group_size 30)" in dp.message
    assert dp.value >= 0.9  # judged over a and b only
    assert dp.details["excluded_groups"]["demographic_parity"] == {
        "c": "12 rows < min_group_size 30"
    }
    # Lowering min_group_size makes c judgeable: no longer a warning about size.
    found = by_key(run_collector({**config, "min_group_size": 10}, repo, tmp_path / "2"))
    assert "min_group_size" not in found[("demographic_parity_ratio", "group")].message


def _rai_fb(findings: list[Finding]) -> float:
    from aima_ci.assess.catalogue import load_catalogue
    from aima_ci.assess.scoring import score

    return score(load_catalogue(), findings).practice("RAI-FB").score


@pytest.mark.parametrize(
    "region",
    [
        # a third feature with two large groups and one tiny one: pass with a note
        lambda n: np.where(np.arange(n) < 5, "tiny", np.where(np.arange(n) % 2 == 0, "n", "s")),
        # a feature with one large group and one tiny one: nothing to compare (inconclusive)
        lambda n: np.where(np.arange(n) < 5, "tiny", "big"),
    ],
    ids=["pass-with-notes", "inconclusive"],
)
def test_adding_a_feature_with_a_tiny_group_never_lowers_rai_fb(repo, tmp_path, region) -> None:
    """Looking harder must never lower a score (the audit saw RAI-FB drop from 1.50 to 1.00)."""
    frame = unbiased()
    frame["region"] = region(len(frame))
    name = write_csv(repo, frame)
    base = {"data": name, "label": "y", "prediction": "pred", "sensitive_features": ["group"]}
    before = run_collector(base, repo, tmp_path / "1")
    after = run_collector({**base, "sensitive_features": ["group", "region"]}, repo, tmp_path / "2")
    assert {f.status for f in before} == {Status.PASS}
    assert any(
        (f.details["sensitive_feature"] == "region" and f.notes) or f.status is Status.INCONCLUSIVE
        for f in after
    )
    assert _rai_fb(after) >= _rai_fb(before) > 0


def test_a_failure_among_large_groups_is_not_softened_by_a_small_group(repo, tmp_path) -> None:
    frame = unbiased()
    b = frame["group"] == "b"
    frame.loc[b, "pred"] = (np.arange(b.sum()) % 5 == 0).astype(int)  # b selected 20 %
    frame.loc[:9, "group"] = "tiny"
    name = write_csv(repo, frame)
    config = {"data": name, "label": "y", "prediction": "pred", "sensitive_features": ["group"]}
    dp = by_key(run_collector(config, repo, tmp_path))[("demographic_parity_ratio", "group")]
    assert dp.status is Status.FAIL
    assert dp.value < 0.5


def test_group_with_no_positive_labels_is_not_judged_on_error_rates(repo, tmp_path) -> None:
    frame = unbiased()
    frame.loc[frame["group"] == "b", "y"] = 0  # b: no positives, so no true-positive rate
    name = write_csv(repo, frame)
    config = {"data": name, "label": "y", "prediction": "pred", "sensitive_features": ["group"]}
    eo = by_key(run_collector(config, repo, tmp_path))[("equalized_odds_difference", "group")]
    assert eo.status is Status.INCONCLUSIVE  # one group left to compare: nothing to decide
    assert "no positive labels" in eo.message


def test_expected_group_absent_is_a_note(repo, tmp_path) -> None:
    name = write_csv(repo, unbiased())
    config = {
        "data": name,
        "label": "y",
        "prediction": "pred",
        "sensitive_features": [{"name": "group", "groups": ["a", "b", "c"]}],
    }
    dp = by_key(run_collector(config, repo, tmp_path))[("demographic_parity_ratio", "group")]
    assert dp.status is Status.PASS and dp.notes
    assert "c (expected, no rows)" in dp.message


# --- bad input fails closed ----------------------------------------------------------------


def bad(repo: Path, tmp_path: Path, config: dict[str, Any]) -> str:
    with pytest.raises(InputError) as info:
        run_collector(config, repo, tmp_path)
    return str(info.value)


def base(name: str, **extra: Any) -> dict[str, Any]:
    return {
        "data": name,
        "label": "y",
        "prediction": "pred",
        "sensitive_features": ["group"],
    } | extra


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (lambda f: f.drop(columns=["y"]), "no column 'y'"),
        (lambda f: f.drop(columns=["group"]), "no column 'group'"),
        (lambda f: f.assign(y=np.where(f["y"] == 1, "yes", "no")), "column 'y' is not numeric"),
        (lambda f: f.assign(pred=np.linspace(0, 1, len(f))), "column 'pred' is not binary"),
        (lambda f: f.assign(y=np.nan), "column 'y' has no values (all missing)"),
        (
            lambda f: f.assign(group=np.where(f.index == 3, None, f["group"])),
            "column 'group' has 1 missing",
        ),
        (lambda f: f.assign(y=f["y"] + 5), "positive_label 1 is not one of its values"),
    ],
    ids=[
        "missing-label",
        "missing-sensitive",
        "text-label",
        "scores",
        "nan-only",
        "partial-nan",
        "no-positive",
    ],
)
def test_bad_columns_raise_input_error_naming_file_and_column(
    repo, tmp_path, mutate, expected
) -> None:
    name = write_csv(repo, mutate(unbiased(200)))
    message = bad(repo, tmp_path, base(name))
    assert expected in message
    assert message.startswith("collectors.fairlearn.")
    assert "data.csv" in message


def test_text_label_works_with_positive_label(repo, tmp_path) -> None:
    frame = unbiased().assign(
        y=lambda f: np.where(f["y"] == 1, "yes", "no"),
        pred=lambda f: np.where(f["pred"] == 1, "yes", "no"),
    )
    name = write_csv(repo, frame)
    dp = by_key(run_collector(base(name, positive_label="yes"), repo, tmp_path))
    assert dp[("demographic_parity_ratio", "group")].status is Status.PASS


def test_empty_and_header_only_files(repo, tmp_path) -> None:
    (repo / "empty.csv").write_text("")
    assert "the file is empty" in bad(repo, tmp_path, base("empty.csv"))
    (repo / "header.csv").write_text("y,pred,group\n")
    assert "no data rows" in bad(repo, tmp_path, base("header.csv"))
    assert "does not exist" in bad(repo, tmp_path, base("missing.csv"))


def test_unknown_sensitive_value_with_expected_groups(repo, tmp_path) -> None:
    frame = unbiased(300)
    frame.loc[5:7, "group"] = "unknown"
    name = write_csv(repo, frame)
    config = base(name, sensitive_features=[{"name": "group", "groups": ["a", "b"]}])
    message = bad(repo, tmp_path, config)
    assert (
        "column 'group' has values outside its expected groups (a, b): 'unknown' (3 rows)"
        in message
    )


def test_models_that_cannot_or_must_not_be_loaded(repo, tmp_path) -> None:
    shutil.copy(EXAMPLE / "data" / "predictions.csv", repo / "data.csv")
    config = {"data": "data.csv", "label": "approved", "sensitive_features": ["sex"]}
    (repo / "garbage.skops").write_bytes(b"not a zip file at all")
    message = bad(repo, tmp_path, config | {"model": "garbage.skops"})
    assert "collectors.fairlearn.model: garbage.skops: cannot be loaded" in message
    (repo / "model.pkl").write_bytes(pickle.dumps({"not": "a model"}))
    message = bad(repo, tmp_path, config | {"model": "model.pkl"})
    assert "refusing to unpickle" in message
    # Trusted explicitly, it loads, but a dict cannot predict: still an input error, never a pass.
    message = bad(repo, tmp_path, config | {"model": "model.pkl", "trust_model": True})
    assert "has no predict() method" in message
    shutil.copy(EXAMPLE / "model" / "credit_model.skops", repo / "m.skops")
    message = bad(repo, tmp_path, config | {"model": "m.skops", "features": ["income", "salary"]})
    assert "no column 'salary'" in message


def test_untrusted_skops_types_are_refused_unless_trusted(repo, tmp_path) -> None:
    import operator

    import skops.io as sio
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import FunctionTransformer

    frame = pd.read_csv(EXAMPLE / "data" / "predictions.csv")
    features = ["income", "debt_ratio"]
    model = Pipeline([("neg", FunctionTransformer(operator.neg)), ("clf", LogisticRegression())])
    sio.dump(model.fit(frame[features], frame["approved"]), repo / "custom.skops")
    frame.to_csv(repo / "data.csv", index=False)
    config = {
        "data": "data.csv",
        "label": "approved",
        "sensitive_features": ["sex"],
        "model": "custom.skops",
    }
    message = bad(repo, tmp_path, config)
    assert "not trusted by default" in message and "_operator.neg" in message
    findings = run_collector(config | {"trust_model": True}, repo, tmp_path / "trusted")
    dp = by_key(findings)[("demographic_parity_ratio", "sex")]
    assert dp.status is Status.FAIL  # income is the proxy: the bias survives the new model
    assert dp.value < 0.8


@pytest.mark.parametrize(
    ("config", "key"),
    [
        (
            {"label": "y", "prediction": "p", "sensitive_features": ["g"]},
            "collectors.fairlearn.data",
        ),
        (
            {"data": "d.csv", "label": "y", "sensitive_features": ["g"]},
            "collectors.fairlearn.prediction",
        ),
        (
            {
                "data": "d.csv",
                "label": "y",
                "prediction": "p",
                "model": "m.skops",
                "sensitive_features": ["g"],
            },
            "collectors.fairlearn.prediction",
        ),
        (
            {"data": "d.csv", "label": "y", "prediction": "p", "sensitive_features": []},
            "collectors.fairlearn.sensitive_features",
        ),
        (
            {
                "data": "d.csv",
                "label": "y",
                "prediction": "p",
                "sensitive_features": ["g"],
                "thresholds": {"demographic_parity_ratio": 1.5},
            },
            "collectors.fairlearn.thresholds.demographic_parity_ratio",
        ),
        (
            {
                "data": "d.csv",
                "label": "y",
                "prediction": "p",
                "sensitive_features": ["g"],
                "thresholds": {"accuracy": 0.9},
            },
            "collectors.fairlearn.thresholds.accuracy",
        ),
        (
            {
                "data": "d.csv",
                "label": "y",
                "prediction": "p",
                "sensitive_features": ["g"],
                "min_group_size": 0,
            },
            "collectors.fairlearn.min_group_size",
        ),
        (
            {
                "data": "d.csv",
                "label": "y",
                "prediction": "p",
                "sensitive_features": ["g"],
                "sensitiv": 1,
            },
            "collectors.fairlearn.sensitiv",
        ),
        (
            {"data": "d.csv", "label": "y", "prediction": "p", "sensitive_features": ["y"]},
            "collectors.fairlearn.sensitive_features",
        ),
    ],
)
def test_config_errors_name_the_key(config, key) -> None:
    with pytest.raises(CollectorConfigError) as info:
        FairlearnCollector().validate_config(config)
    assert info.value.key == key


# --- through the real runner and CLI -------------------------------------------------------


def test_end_to_end_through_the_runner_on_the_example(tmp_path) -> None:
    config = load_config(EXAMPLE / "aima.yaml")
    runs = collect(config, tmp_path / "evidence", only=["fairlearn"])
    (run,) = runs
    assert run.status == "ok", run.message
    statuses = {(f.check, f.details["sensitive_feature"]): f.status for f in run.findings}
    assert statuses[("fairlearn.demographic_parity_ratio", "sex")] is Status.FAIL
    lines = (tmp_path / "evidence" / "findings.jsonl").read_text().splitlines()
    assert len(lines) == 4
    assert (tmp_path / "evidence/artefacts/fairlearn/fairness-report.json").is_file()


def test_bad_input_through_the_runner_is_error_never_pass(repo, tmp_path, write_config) -> None:
    frame = unbiased(200).drop(columns=["pred"])
    write_csv(repo, frame)
    path = write_config({"collectors": {"fairlearn": base("data.csv")}})
    (run,) = collect(load_config(path), tmp_path / "ev", only=["fairlearn"])
    assert run.status == "input_error"
    assert "no column 'pred'" in run.message
    assert {f.status for f in run.findings} == {Status.ERROR}
    assert {f.check for f in run.findings} == {
        "fairlearn.demographic_parity_ratio",
        "fairlearn.equalized_odds_difference",
    }


def test_example_gate_fails_on_fairness_through_the_cli(tmp_path) -> None:
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "aima_ci",
            "run",
            "--no-cache",
            "--only",
            "fairlearn",
            "--only",
            "evidently",
            "--out",
            str(tmp_path / "ev"),
            "-f",
            "json",
        ],
        cwd=EXAMPLE,
        check=False,
        capture_output=True,
        text=True,
        timeout=300,
        env={**__import__("os").environ, "NO_COLOR": "1"},
    )
    # The planted bias is found by real fairlearn: that proves the bias assessment process
    # (RAI-FB-A1/A2 credited, so RAI-FB reaches its maturity target of 2) AND is a high-severity
    # finding, which fails the gate through the outcome policy whatever the maturity.
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "maturity: passed   findings: failed" in proc.stdout
    assert "fairlearn.demographic_parity_ratio (high): demographic parity ratio for sex 0.56" in (
        proc.stdout
    )
    assessment = json.loads((tmp_path / "ev" / "assessment.json").read_text())
    practices = {p["id"]: p for d in assessment["domains"] for p in d["practices"]}
    assert practices["RAI-FB"]["level"] == 2
    assert practices["DAT-QI"]["level"] == 2
    questions = {q["id"]: q for s in practices["RAI-FB"]["streams"] for q in s["questions"]}
    for qid in ("RAI-FB-A1", "RAI-FB-A2"):
        assert questions[qid]["basis"] == "automated" and questions[qid]["satisfied"], qid
        dp = next(c for c in questions[qid]["checks"] if c["check"].endswith("parity_ratio"))
        assert (dp["status"], dp["shows"], dp["credit"], dp["passed"]) == (
            "fail",
            "performed",
            True,
            False,
        )
    gate = assessment["gate"]
    assert gate["passed"] is False
    assert gate["verdicts"] == {"maturity": "passed", "findings": "failed"}
    assert {f["id"] for f in gate["failures"] if f["kind"] == "finding"} == {
        "fairlearn.demographic_parity_ratio",
        "fairlearn.equalized_odds_difference",
    }
    assert assessment["outcomes"]["fail_on"] == "high"
    # a tabular-only run: the OWASP LLM Top 10 view does not apply and fails nothing
    from aima_ci.reports.views import framework_view

    llm = framework_view(assessment, "owasp-llm-2025")
    assert llm["applicable"] is False and llm["summary"]["failing"] == 0
