"""The art collector, run for real: ART attacks on small scikit-learn models built here.

The white-box numbers are checked against an independent oracle: for a binary logistic regression
the strongest L-inf step moves every feature by eps against the sign of its weight, so the
adversarial accuracy of FGM can be computed in closed form with numpy.
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import skops.io as sio
import yaml
from aima_ci_collectors.art import ArtCollector
from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeClassifier

from aima_ci.config import load_config
from aima_ci.evidence.collect import collect
from aima_ci.models import Finding, Status
from aima_ci.plugin import CollectorConfigError, CollectorContext

FEATURES = ["income", "age", "debt", "tenure", "lines"]
SCALES = np.array([20_000.0, 12.0, 0.2, 5.0, 3.0])  # very different units on purpose
LABEL = "approved"


# --- data and models -------------------------------------------------------------------------


def make_frame(n: int, seed: int) -> pd.DataFrame:
    x, y = make_classification(
        n_samples=n,
        n_features=len(FEATURES),
        n_informative=3,
        n_redundant=1,
        class_sep=1.2,
        random_state=seed,
    )
    frame = pd.DataFrame(x * SCALES + SCALES * 3, columns=FEATURES)
    frame[LABEL] = y
    return frame


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A repository with a holdout CSV, a scaled logistic-regression pipeline and a tree."""
    root = tmp_path_factory.mktemp("art-repo")
    (root / ".git").mkdir()
    train = make_frame(600, seed=1)
    holdout = make_frame(600, seed=1).iloc[400:].reset_index(drop=True)
    train = train.iloc[:400]
    holdout.to_csv(root / "holdout.csv", index=False)
    pipe = Pipeline([("scale", StandardScaler()), ("clf", LogisticRegression())])
    pipe.fit(train[FEATURES], train[LABEL])
    sio.dump(pipe, root / "lr.skops")
    tree = DecisionTreeClassifier(max_depth=4, random_state=0).fit(train[FEATURES], train[LABEL])
    sio.dump(tree, root / "tree.skops")
    return {"root": root, "holdout": holdout, "pipe": pipe, "tree": tree}


def run_art(root: Path, config: dict[str, Any], out: Path) -> list[Finding]:
    """In-process run with a real context (the runner path is covered at the end)."""
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


def base(model: str = "lr.skops", **extra: Any) -> dict[str, Any]:
    return {"model": model, "data": "holdout.csv", "label": LABEL, **extra}


def ratio_findings(findings: list[Finding]) -> dict[str, Finding]:
    return {f.details["attack"]["name"]: f for f in findings if f.check == "art.robustness_ratio"}


def fgm_oracle(pipe: Pipeline, frame: pd.DataFrame, eps: float) -> float:
    """Adversarial accuracy of the optimal L-inf step on a binary logistic regression."""
    z = pipe[:-1].transform(frame[FEATURES])
    w, b = pipe[-1].coef_[0], pipe[-1].intercept_[0]
    y = frame[LABEL].to_numpy()
    step = eps * z.std(axis=0) * np.sign(w)
    adv = np.where(y[:, None] == 1, z - step, z + step)
    adv = np.clip(adv, z.min(axis=0), z.max(axis=0))
    return float((((adv @ w + b) > 0).astype(int) == y).mean())


# --- white-box attacks on a gradient model -------------------------------------------------


def test_small_budget_passes_with_the_oracle_numbers(world, tmp_path) -> None:
    holdout, pipe = world["holdout"], world["pipe"]
    findings = run_art(
        world["root"],
        base(attacks=[{"name": "FastGradientMethod", "eps": 0.05}], sample_size=10_000),
        tmp_path,
    )
    fgm = ratio_findings(findings)["FastGradientMethod"]
    clean = float((pipe.predict(holdout[FEATURES]) == holdout[LABEL]).mean())
    expected = fgm_oracle(pipe, holdout, 0.05)
    assert fgm.details["samples"] == 200
    assert fgm.details["clean_accuracy"] == pytest.approx(clean, abs=1e-9)
    assert fgm.details["adversarial_accuracy"] == pytest.approx(expected, abs=1 / 200)
    assert clean > 0.85 and expected < clean  # a real model, and the attack really bites
    assert fgm.status is Status.PASS
    assert fgm.value == pytest.approx(expected / clean, abs=0.01)
    assert fgm.value >= 0.7
    assert set(fgm.questions) == {"VER-ST-A1", "VER-ST-A2", "DES-SR-B2", "DES-SR-B1"}
    digest = "sha256:" + hashlib.sha256((world["root"] / "lr.skops").read_bytes()).hexdigest()
    assert fgm.subjects[0].digest == digest and fgm.subjects[1].kind == "data"


def test_large_budget_fails_and_metrics_are_still_recorded(world, tmp_path) -> None:
    holdout, pipe = world["holdout"], world["pipe"]
    findings = run_art(
        world["root"],
        base(attacks=[{"name": "FastGradientMethod", "eps": 1.5}], sample_size=10_000),
        tmp_path,
    )
    fgm = ratio_findings(findings)["FastGradientMethod"]
    expected = fgm_oracle(pipe, holdout, 1.5)
    assert fgm.status is Status.FAIL
    assert fgm.details["adversarial_accuracy"] == pytest.approx(expected, abs=1 / 200)
    assert fgm.details["adversarial_accuracy"] < 0.3
    assert fgm.value < 0.7
    metrics = next(f for f in findings if f.check == "art.robustness_metrics")
    assert metrics.status is Status.PASS and metrics.value == 200
    assert metrics.questions == ("VER-ST-B2",)
    report = json.loads((tmp_path / "artefacts/art/report.json").read_text())
    (attack,) = report["attacks"]
    assert attack["rows_broken"] > 100
    example = attack["examples"][0]
    assert example["clean_prediction"] == example["label"] != example["adversarial_prediction"]
    # The example's raw values, pushed through the whole pipeline, really flip the decision.
    row = holdout.iloc[example["row"] - 1][FEATURES].astype(float).copy()
    assert all(abs(c["delta_eps_units"]) <= 1.5 + 1e-4 for c in example["changes"])
    for change in example["raw_changes"]:
        assert change["before"] == pytest.approx(row[change["feature"]], rel=1e-5)
        row[change["feature"]] = change["after"]
    flipped = pipe.predict(pd.DataFrame([row], columns=FEATURES))[0]
    assert flipped == example["adversarial_prediction"]


def test_default_attacks_for_a_gradient_model_agree_on_a_linear_model(world, tmp_path) -> None:
    findings = run_art(world["root"], base(sample_size=10_000), tmp_path)
    attacks = ratio_findings(findings)
    assert set(attacks) == {"FastGradientMethod", "ProjectedGradientDescent"}
    expected = fgm_oracle(world["pipe"], world["holdout"], 0.1)
    for finding in attacks.values():
        # On a linear model the one-step sign attack is already optimal: PGD cannot beat it.
        assert finding.details["adversarial_accuracy"] == pytest.approx(expected, abs=1 / 200)
        assert finding.status is Status.PASS
    assert attacks["ProjectedGradientDescent"].details["attack"]["max_iter"] == 20


def test_eps_in_absolute_units_is_much_weaker_on_large_scale_features(world, tmp_path) -> None:
    # 0.5 absolute is nothing for income (std 20 000) but a lot for debt (std 0.2).
    std = run_art(
        world["root"], base(attacks=[{"name": "FastGradientMethod", "eps": 0.5}]), tmp_path / "a"
    )
    absolute = run_art(
        world["root"],
        base(attacks=[{"name": "FastGradientMethod", "eps": 0.5}], eps_units="absolute"),
        tmp_path / "b",
    )
    acc_std = ratio_findings(std)["FastGradientMethod"].details["adversarial_accuracy"]
    acc_abs = ratio_findings(absolute)["FastGradientMethod"].details["adversarial_accuracy"]
    assert acc_std < acc_abs


# --- black-box attack on a model without gradients ------------------------------------------


def test_hopskipjump_attacks_a_tree_and_its_examples_really_flip(world, tmp_path) -> None:
    holdout, tree = world["holdout"], world["tree"]
    config = base(
        "tree.skops",
        trust_model=True,
        attacks=[
            {"name": "HopSkipJump", "eps": 1.0, "sample_size": 30, "max_iter": 5, "max_eval": 300}
        ],
    )
    findings = run_art(world["root"], config, tmp_path)
    hsj = ratio_findings(findings)["HopSkipJump"]
    assert hsj.status in (Status.PASS, Status.FAIL)
    d = hsj.details
    assert d["samples"] == 30
    assert d["adversarial_accuracy"] <= d["clean_accuracy"]
    assert d["rows_broken"] == round((d["clean_accuracy"] - d["adversarial_accuracy"]) * 30)
    assert d["rows_broken"] >= 1  # one std per feature flips some decisions of a depth-4 tree
    report = json.loads((tmp_path / "artefacts/art/report.json").read_text())
    for example in report["attacks"][0]["examples"]:
        assert example["linf_eps_units"] <= 1.0 + 1e-6
        row = holdout.iloc[example["row"] - 1][FEATURES].astype(float).copy()
        assert example["raw_changes"] is None  # a bare model: the attacked values are raw
        for change in example["changes"]:
            row[change["feature"]] = change["after"]
        assert (
            tree.predict(pd.DataFrame([row], columns=FEATURES))[0]
            == example["adversarial_prediction"]
        )
        assert example["adversarial_prediction"] != example["label"]


def test_hopskipjump_repeats_exactly_with_the_same_seed(world, tmp_path) -> None:
    # ART seeds nothing for HopSkipJump's starting points; the collector does, so a gate on it
    # cannot flip between two runs of the same build.
    attack = {"name": "HopSkipJump", "eps": 1.0, "sample_size": 25, "max_iter": 3, "max_eval": 200}
    config = base("tree.skops", trust_model=True, attacks=[attack])
    first, second = (
        ratio_findings(run_art(world["root"], config, tmp_path / name))["HopSkipJump"].details
        for name in ("a", "b")
    )
    assert first["adversarial_accuracy"] == second["adversarial_accuracy"]
    assert first["mean_linf_of_broken"] == second["mean_linf_of_broken"]
    assert first["rows_broken"] == second["rows_broken"] >= 1


def test_default_attack_for_a_tree_is_black_box(world, tmp_path) -> None:
    config = base("tree.skops", trust_model=True)
    findings = run_art(world["root"], config, tmp_path)
    assert set(ratio_findings(findings)) == {"HopSkipJump"}
    assert ratio_findings(findings)["HopSkipJump"].details["samples"] == 50


def test_gradient_attack_on_a_tree_is_never_a_pass(world, tmp_path) -> None:
    only = run_art(
        world["root"],
        base("tree.skops", trust_model=True, attacks=[{"name": "FastGradientMethod", "eps": 0.1}]),
        tmp_path / "a",
    )
    assert {f.status for f in only} == {Status.ERROR}
    assert "needs loss gradients" in only[0].message and "DecisionTreeClassifier" in only[0].message
    mixed = run_art(
        world["root"],
        base(
            "tree.skops",
            trust_model=True,
            attacks=[
                {"name": "ProjectedGradientDescent", "eps": 0.1},
                {
                    "name": "HopSkipJump",
                    "eps": 0.1,
                    "sample_size": 20,
                    "max_iter": 3,
                    "max_eval": 200,
                },
            ],
        ),
        tmp_path / "b",
    )
    by_attack = ratio_findings(mixed)
    assert by_attack["ProjectedGradientDescent"].status is Status.NOT_APPLICABLE
    assert by_attack["HopSkipJump"].status in (Status.PASS, Status.FAIL)


# --- unsafe model files ---------------------------------------------------------------------


class _Booby:
    """Unpickling this creates a marker file: proof that code from the pickle ran."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[Any, ...]:
        return (Path.touch, (self.marker,))


@pytest.mark.parametrize("suffix", [".pkl", ".joblib"])
def test_pickle_is_refused_and_never_executed(world, tmp_path, suffix) -> None:
    root = world["root"]
    marker = tmp_path / "pwned"
    (root / f"evil{suffix}").write_bytes(pickle.dumps(_Booby(marker)))
    findings = run_art(root, base(f"evil{suffix}"), tmp_path / "out")
    assert {f.status for f in findings} == {Status.ERROR}
    assert "refusing to unpickle" in findings[0].message
    assert not marker.exists()
    assert findings[0].subjects[0].name == f"evil{suffix}"


def test_the_booby_trapped_pickle_really_runs_code_when_trusted(world, tmp_path) -> None:
    # The control for the test above: the same file, trusted, does execute (and is no model).
    root = world["root"]
    marker = tmp_path / "pwned"
    (root / "evil-trusted.pkl").write_bytes(pickle.dumps(_Booby(marker)))
    findings = run_art(root, base("evil-trusted.pkl", trust_model=True), tmp_path / "out")
    assert marker.exists()
    assert {f.status for f in findings} == {Status.ERROR}
    assert "a fitted classifier is needed" in findings[0].message


def test_skops_file_with_untrusted_types_needs_trust_model(world, tmp_path) -> None:
    findings = run_art(world["root"], base("tree.skops"), tmp_path)
    assert {f.status for f in findings} == {Status.ERROR}
    assert "sklearn.tree._tree.Tree" in findings[0].message
    assert "trust_model" in findings[0].message


def test_trusted_pickle_loads(world, tmp_path) -> None:
    import joblib

    joblib.dump(world["pipe"], world["root"] / "lr.joblib")
    config = base(
        "lr.joblib", trust_model=True, attacks=[{"name": "FastGradientMethod", "eps": 0.05}]
    )
    (fgm,) = ratio_findings(run_art(world["root"], config, tmp_path)).values()
    assert fgm.status is Status.PASS


# --- bad input fails closed, naming the column ----------------------------------------------


def _bad(frame: pd.DataFrame, case: str) -> pd.DataFrame:
    frame = frame.copy()
    if case == "no_label":
        return frame.drop(columns=[LABEL])
    if case == "text_label":
        frame[LABEL] = frame[LABEL].map({0: "no", 1: "yes"})
    elif case == "nan_column":
        frame["debt"] = np.nan
    elif case == "some_nan":
        frame.loc[3, "age"] = np.nan
    elif case == "no_feature":
        frame = frame.drop(columns=["tenure"])
    return frame


@pytest.mark.parametrize(
    ("case", "needle"),
    [
        ("no_label", "no label column 'approved'"),
        ("text_label", "label column 'approved' has value 'no'"),
        ("nan_column", "column 'debt' has no values (all NaN)"),
        ("some_nan", "feature 'age' has missing or infinite values"),
        ("no_feature", "no column 'tenure'"),
    ],
)
def test_bad_data_is_an_error_naming_the_column(world, tmp_path, case, needle) -> None:
    root = world["root"]
    _bad(world["holdout"], case).to_csv(root / f"bad-{case}.csv", index=False)
    config = {**base(), "data": f"bad-{case}.csv"}
    findings = run_art(root, config, tmp_path)
    assert {f.check for f in findings} == {"art.robustness_ratio", "art.robustness_metrics"}
    assert {f.status for f in findings} == {Status.ERROR}
    assert needle in findings[0].message, findings[0].message
    assert findings[0].subjects[0].digest and findings[0].subjects[1].digest


def test_empty_and_header_only_files_are_errors(world, tmp_path) -> None:
    root = world["root"]
    (root / "empty.csv").write_text("")
    (root / "header.csv").write_text(",".join([*FEATURES, LABEL]) + "\n")
    for name, needle in (("empty.csv", "the file is empty"), ("header.csv", "no rows")):
        findings = run_art(root, {**base(), "data": name}, tmp_path / name)
        assert {f.status for f in findings} == {Status.ERROR}
        assert needle in findings[0].message


def test_a_non_numeric_column_for_a_bare_model_is_named(world, tmp_path) -> None:
    root = world["root"]
    frame = world["holdout"].copy()
    frame["lines"] = frame["lines"].astype(str)
    frame.loc[5, "lines"] = "many"
    frame.to_csv(root / "text-feature.csv", index=False)
    config = base("tree.skops", trust_model=True, data="text-feature.csv")
    findings = run_art(root, config, tmp_path)
    assert {f.status for f in findings} == {Status.ERROR}
    assert "column 'lines' is not numeric (e.g. 'many')" in findings[0].message


def test_clip_values_must_contain_the_data(world, tmp_path) -> None:
    findings = run_art(world["root"], base(clip_values=[0, 1]), tmp_path)
    assert {f.status for f in findings} == {Status.ERROR}
    assert "collectors.art.clip_values" in findings[0].message


@pytest.mark.parametrize(
    ("config", "key"),
    [
        ({"data": "d.csv", "label": "y"}, "collectors.art.model"),
        ({**base(), "atacks": []}, "collectors.art.atacks"),
        ({**base(), "attacks": [{"name": "CarliniWagner"}]}, "collectors.art.attacks[0].name"),
        (
            {**base(), "attacks": [{"name": "FastGradientMethod", "eps": -1}]},
            "collectors.art.attacks[0].eps",
        ),
        (
            {**base(), "attacks": [{"name": "FastGradientMethod", "max_iter": 3}]},
            "collectors.art.attacks[0].max_iter",
        ),
        (
            {
                **base(),
                "attacks": [{"name": "ProjectedGradientDescent", "eps": 0.1, "eps_step": 0.5}],
            },
            "collectors.art.attacks[0].eps_step",
        ),
        (
            {**base(), "thresholds": {"robustness_ratio": "high"}},
            "collectors.art.thresholds.robustness_ratio",
        ),
        ({**base(), "eps_units": "percent"}, "collectors.art.eps_units"),
        # Found by tests/robustness fuzzing: an unhashable name crashed with TypeError.
        ({**base(), "attacks": [{"name": []}]}, "collectors.art.attacks[0].name"),
        (
            {**base(), "thresholds": {"robustness_ratio": float("nan")}},
            "collectors.art.thresholds.robustness_ratio",
        ),
        ({**base(), "seed": 2**40}, "collectors.art.seed"),
        ({**base(), "clip_values": [0, float("inf")]}, "collectors.art.clip_values"),
        (
            {**base(), "attacks": [{"name": "FastGradientMethod", "eps": 10**400}]},
            "collectors.art.attacks[0].eps",
        ),
        ({**base(), "trust_model": "yes"}, "collectors.art.trust_model"),
    ],
)
def test_config_errors_name_the_key(config, key) -> None:
    with pytest.raises(CollectorConfigError) as info:
        ArtCollector().validate_config(config)
    assert info.value.key == key


# --- through the real runner (a worker process) ---------------------------------------------


def test_runner_end_to_end_keeps_art_out_of_home(world, tmp_path, monkeypatch) -> None:
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    root = world["root"]
    config = {
        "version": 1,
        "collectors": {
            "art": base(
                attacks=[{"name": "FastGradientMethod", "eps": 1.5}],
                thresholds={"robustness_ratio": 0.5},
            )
        },
    }
    (root / "aima.yaml").write_text(yaml.safe_dump(config))
    (run,) = collect(load_config(root / "aima.yaml"), tmp_path / "ev", only=["art"])
    assert run.status == "ok", run.message
    ratio = next(f for f in run.findings if f.check == "art.robustness_ratio")
    assert ratio.status is Status.FAIL and ratio.threshold == 0.5
    assert ratio.details["adversarial_accuracy"] == pytest.approx(
        fgm_oracle(world["pipe"], world["holdout"], 1.5), abs=1 / 200
    )
    assert not (home / ".art").exists()
    artefacts = tmp_path / "ev" / "artefacts" / "art"
    assert sorted(p.name for p in artefacts.iterdir() if p.name != "collector.log") == [
        "report.json"
    ]
    assert os.environ["HOME"] == str(home)
