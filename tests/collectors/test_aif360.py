"""The aif360 collector: run mode with the real library on small CSVs (checked against the metric
definitions computed by hand), report mode on the JSON the run mode writes, and bad inputs."""

from __future__ import annotations

import csv
import importlib.util
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from aima_ci_collectors.aif360 import Aif360Collector

from aima_ci.models import Finding, Status
from aima_ci.plugin import CollectorConfigError, CollectorContext, InputError

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "aif360"
needs_aif360 = pytest.mark.skipif(importlib.util.find_spec("aif360") is None, reason="no aif360")
RUN_CONFIG = {
    "data": "applicants.csv",
    "label": "approved",
    "favorable": "yes",
    "protected": {"sex": ["male"], "age_band": ["25_to_60", "over_60"]},
}


def run(config: dict[str, Any], root: Path) -> dict[str, Finding]:
    collector = Aif360Collector()
    collector.validate_config(config)
    out = root / ".aima"
    ctx = CollectorContext(
        collector=collector,
        config=config,
        root=root,
        config_dir=root,
        artefact_dir=out / "artefacts" / "aif360",
        evidence_dir=out,
    )
    return {f.check: f for f in collector.collect(ctx)}


def base_rates(
    path: Path, label: str, fav: str, col: str, privileged: list[str]
) -> tuple[float, float]:
    """P(favourable | privileged), P(favourable | unprivileged), by hand."""
    with open(path, newline="") as fh:
        rows = list(csv.DictReader(fh))
    priv = [r[label] == fav for r in rows if r[col] in privileged]
    unpriv = [r[label] == fav for r in rows if r[col] not in privileged]
    return sum(priv) / len(priv), sum(unpriv) / len(unpriv)


def test_report_mode_on_the_real_fixture(repo: Path) -> None:
    shutil.copy(FIXTURES / "aif360-metrics.json", repo / "m.json")
    found = run({"report": "m.json"}, repo)
    di, spd = found["aif360.disparate_impact"], found["aif360.statistical_parity_difference"]
    assert di.status is Status.FAIL and di.value == pytest.approx(0.6146, abs=1e-4)
    assert di.details["failing_attributes"] == ["sex"]
    assert "sex DI 0.615" in di.message and "age_band DI 0.998" in di.message
    assert spd.status is Status.FAIL and spd.value == pytest.approx(0.2688, abs=1e-4)
    assert spd.details["failing_attributes"] == ["sex"]
    assert di.details["aif360_version"] == "0.6.1"
    assert di.questions == ("RAI-FB-A1", "RAI-FB-A2", "RAI-FB-B1")
    assert {(link.question, link.shows) for link in di.links} >= {("RAI-FB-A1", "performed")}


def test_the_fixture_matches_the_metric_definitions() -> None:
    """aif360's numbers (committed) equal the definitions computed from the CSV by hand."""
    data = json.loads((FIXTURES / "aif360-metrics.json").read_text())
    for row in data["metrics"]:
        col = row["protected_attribute"]
        p, u = base_rates(FIXTURES / "applicants.csv", "approved", "yes", col, row["privileged"])
        assert row["disparate_impact"] == pytest.approx(u / p, abs=1e-5)
        assert row["statistical_parity_difference"] == pytest.approx(u - p, abs=1e-5)


@needs_aif360
def test_run_mode_computes_with_aif360_and_matches_report_mode(repo: Path) -> None:
    shutil.copy(FIXTURES / "applicants.csv", repo / "applicants.csv")
    found = run(dict(RUN_CONFIG), repo)
    di = found["aif360.disparate_impact"]
    written = json.loads(
        (repo / ".aima" / "artefacts" / "aif360" / "aif360-metrics.json").read_text()
    )
    committed = json.loads((FIXTURES / "aif360-metrics.json").read_text())
    assert written["metrics"] == committed["metrics"]
    assert di.status is Status.FAIL and di.subjects[0].kind == "dataset" and di.subjects[0].digest
    relaxed = run(
        {
            **RUN_CONFIG,
            "thresholds": {"disparate_impact": 0.6, "statistical_parity_difference": 0.3},
        },
        repo,
    )
    assert {c: f.status for c, f in relaxed.items()} == {
        "aif360.disparate_impact": Status.PASS,
        "aif360.statistical_parity_difference": Status.PASS,
    }


@needs_aif360
def test_run_mode_fair_data_passes_and_inverse_bias_fails(repo: Path) -> None:
    rows = ["g,y"] + [f"{g},{y}" for g in ("a", "b") for y in (1, 1, 0, 0, 1, 0, 1, 0)]
    (repo / "fair.csv").write_text("\n".join(rows) + "\n")
    found = run({"data": "fair.csv", "label": "y", "protected": {"g": ["a"]}}, repo)
    assert found["aif360.disparate_impact"].status is Status.PASS
    assert found["aif360.disparate_impact"].value == 1.0
    # the unprivileged group favoured: DI 2.0 is as far from parity as 0.5
    rows = ["g,y", *["a,1", "a,0", "a,0", "a,0"], *["b,1", "b,1", "b,0", "b,0"]]
    (repo / "inv.csv").write_text("\n".join(rows) + "\n")
    found = run({"data": "inv.csv", "label": "y", "protected": {"g": ["a"]}}, repo)
    assert found["aif360.disparate_impact"].status is Status.FAIL
    assert found["aif360.disparate_impact"].value == 0.5


@needs_aif360
@pytest.mark.parametrize(
    ("csv_text", "config", "message"),
    [
        ("g,y\na,1\nb,0\n", {"label": "outcome"}, r"no column\(s\) 'outcome'"),
        ("g,y\na,1\n,0\n", {}, r"empty values in g \(1 rows\)"),
        ("g,y\na,0\nb,0\n", {}, "no row has y == 1"),
        ("g,y\nb,1\nb,0\n", {}, "column 'g' has no privileged rows"),
        ("g,y\na,1\na,0\n", {}, "column 'g' has no unprivileged rows"),
        ("", {}, "not a readable CSV"),
    ],
)
def test_run_mode_bad_data_is_an_input_error(
    repo: Path, csv_text: str, config: dict[str, Any], message: str
) -> None:
    (repo / "d.csv").write_text(csv_text)
    with pytest.raises(InputError, match=message):
        run({"data": "d.csv", "label": "y", "protected": {"g": ["a"]}, **config}, repo)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ((FIXTURES / "aif360-metrics.json").read_text()[:250], "not valid JSON"),
        ('{"metrics": []}', "no protected attribute was measured"),
        ('{"rows": []}', "missing key 'metrics'"),
        (
            '{"metrics": [{"disparate_impact": 1, "statistical_parity_difference": 0}]}',
            "missing key 'protected_attribute'",
        ),
        (
            '{"metrics": [{"protected_attribute": "s", "statistical_parity_difference": 0}]}',
            "missing key 'disparate_impact'",
        ),
        (
            '{"metrics": [{"protected_attribute": "s", "disparate_impact": "0.9", "statistical_parity_difference": 0}]}',
            "must be a finite number",
        ),
        (
            '{"metrics": [{"protected_attribute": "s", "disparate_impact": -1, "statistical_parity_difference": 0}]}',
            "cannot be negative",
        ),
        (
            '{"metrics": [{"protected_attribute": "s", "disparate_impact": 1, "statistical_parity_difference": 3}]}',
            r"within \[-1, 1\]",
        ),
        (
            '{"metrics": [{"protected_attribute": "s", "disparate_impact": 1, "statistical_parity_difference": NaN}]}',
            "must be a finite number",
        ),
    ],
)
def test_bad_report_is_an_input_error(repo: Path, content: str, message: str) -> None:
    (repo / "bad.json").write_text(content)
    with pytest.raises(InputError, match=message) as info:
        run({"report": "bad.json"}, repo)
    assert "collectors.aif360.report: bad.json" in str(info.value)


def test_undefined_disparate_impact_fails(repo: Path) -> None:
    doc = {
        "metrics": [
            {
                "protected_attribute": "s",
                "disparate_impact": None,
                "statistical_parity_difference": 0.4,
            }
        ]
    }
    (repo / "m.json").write_text(json.dumps(doc))
    found = run({"report": "m.json"}, repo)
    assert found["aif360.disparate_impact"].status is Status.FAIL
    assert "undefined for s" in found["aif360.disparate_impact"].message


def test_missing_and_outside_paths_are_refused(repo: Path, tmp_path: Path) -> None:
    with pytest.raises(InputError, match="does not exist"):
        run({"report": "m.json"}, repo)
    shutil.copy(FIXTURES / "applicants.csv", tmp_path / "d.csv")
    with pytest.raises(InputError, match="outside the repository root"):
        run(
            {"data": str(tmp_path / "d.csv"), "label": "approved", "protected": {"sex": ["male"]}},
            repo,
        )


@pytest.mark.parametrize(
    ("config", "key"),
    [
        ({}, "collectors.aif360.data"),
        ({"mode": "report"}, "collectors.aif360.report"),
        ({"data": "d.csv", "label": "y"}, "collectors.aif360.protected"),
        ({"data": "d.csv", "label": "y", "protected": ["sex"]}, "collectors.aif360.protected"),
        (
            {"data": "d.csv", "label": "y", "protected": {"sex": "male"}},
            "collectors.aif360.protected.sex",
        ),
        ({"data": "d.csv", "label": "", "protected": {"sex": ["m"]}}, "collectors.aif360.label"),
        ({"report": "m.json", "data": "d.csv"}, "collectors.aif360.data"),
        (
            {"report": "m.json", "thresholds": {"disparate_impact": 80}},
            "collectors.aif360.thresholds.disparate_impact",
        ),
        ({"report": "m.json", "thresholds": {"eod": 0.1}}, "collectors.aif360.thresholds.eod"),
    ],
)
def test_bad_config_names_the_key(config: dict[str, Any], key: str) -> None:
    with pytest.raises(CollectorConfigError) as info:
        Aif360Collector().validate_config(config)
    assert info.value.key == key


# --- labels and groups as a real credit file has them (issue 14) -----------------------------

SEX = {"male": ["A91", "A93", "A94"], "female": ["A92", "A95"]}


def credit_rows(n: int = 1200) -> list[dict[str, str]]:
    """German-credit-like rows: ``good``/``bad`` labels, sex hidden in codes A91..A95, and a gap
    only young women see (so the intersection must show what each feature alone dilutes)."""
    import random

    rng = random.Random(14)
    rows = []
    for _ in range(n):
        status = rng.choice(["A91", "A92", "A93", "A94", "A95"])
        age = rng.choice(["young", "old"])
        income = rng.gauss(0, 1)
        young_woman = status in SEX["female"] and age == "young"
        rows.append(
            {
                "personal_status": status,
                "age_band": age,
                "credit_risk": "good" if income > 0 else "bad",
                "decision": "approve" if income - 1.2 * young_woman > 0 else "reject",
                "income": f"{income:.4f}",
            }
        )
    return rows


def write_rows(path: Path, rows: list[dict[str, str]]) -> None:
    with open(path, "w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def rate(rows: list[dict[str, str]], column: str, value: str, keep: Any) -> float:
    chosen = [r[column] == value for r in rows if keep(r)]
    return sum(chosen) / len(chosen)


def sex(row: dict[str, str]) -> str:
    return "female" if row["personal_status"] in SEX["female"] else "male"


CREDIT = {
    "data": "credit.csv",
    "label": "credit_risk",
    "label_map": {"good": 1, "bad": 0},
    "positive_label": 1,
    "protected": {
        "personal_status": {"privileged": ["male"], "groups": SEX},
        "age_band": ["old"],
    },
}


@pytest.fixture
def credit(repo: Path) -> list[dict[str, str]]:
    rows = credit_rows()
    write_rows(repo / "credit.csv", rows)
    return rows


@needs_aif360
def test_string_labels_and_raw_codes_are_mapped_in_config(
    repo: Path, credit: list[dict[str, str]]
) -> None:
    found = run(dict(CREDIT), repo)
    rows = {
        m["protected_attribute"]: m for m in found["aif360.disparate_impact"].details["metrics"]
    }
    assert set(rows) == {"personal_status", "age_band"}
    p = rate(credit, "credit_risk", "good", lambda r: sex(r) == "male")
    u = rate(credit, "credit_risk", "good", lambda r: sex(r) == "female")
    assert rows["personal_status"]["disparate_impact"] == pytest.approx(u / p, abs=1e-5)
    assert rows["personal_status"]["statistical_parity_difference"] == pytest.approx(
        u - p, abs=1e-5
    )
    assert rows["personal_status"]["instances_unprivileged"] == sum(
        sex(r) == "female" for r in credit
    )
    assert rows["personal_status"]["groups"] == SEX
    # positive_label on the raw strings, without a map, measures the same thing
    direct = {**CREDIT, "positive_label": "good"}
    del direct["label_map"]
    again = run(direct, repo)["aif360.disparate_impact"].details["metrics"]
    assert again[0]["disparate_impact"] == rows["personal_status"]["disparate_impact"]


@needs_aif360
def test_intersections_are_measured_in_addition_to_each_feature(
    repo: Path, credit: list[dict[str, str]]
) -> None:
    config = {
        **CREDIT,
        "prediction": "decision",
        "prediction_map": {"approve": 1, "reject": 0},
        "intersections": [["personal_status", "age_band"]],
    }
    found = run(config, repo)
    di = found["aif360.disparate_impact"]
    rows = {m["protected_attribute"]: m for m in di.details["metrics"]}
    name = "personal_status x age_band"
    assert set(rows) == {
        "personal_status",
        "age_band",
        f"{name}: female & young",
        f"{name}: female & old",
        f"{name}: male & young",
    }
    reference = lambda r: sex(r) == "male" and r["age_band"] == "old"  # noqa: E731
    p = rate(credit, "decision", "approve", reference)
    u = rate(
        credit, "decision", "approve", lambda r: sex(r) == "female" and r["age_band"] == "young"
    )
    young_women = rows[f"{name}: female & young"]
    assert young_women["privileged"] == ["male & old"]
    assert young_women["disparate_impact"] == pytest.approx(u / p, abs=1e-5)
    assert young_women["statistical_parity_difference"] == pytest.approx(u - p, abs=1e-5)
    # decisions judged against the labels: aif360's ClassificationMetric, context in the row
    assert "equal_opportunity_difference" in young_women
    # the gap only young women see is sharper than sex alone, and it is what fails
    assert young_women["disparate_impact"] < rows["personal_status"]["disparate_impact"]
    assert di.status is Status.FAIL and di.value == pytest.approx(u / p, abs=1e-4)
    assert f"{name}: female & young" in di.details["failing_attributes"]
    assert f"{name}: female & old" not in di.details["failing_attributes"]
    # the kept artefact is what report mode reads, and judges the same
    shutil.copy(repo / ".aima" / "artefacts" / "aif360" / "aif360-metrics.json", repo / "m.json")
    again = run({"report": "m.json"}, repo)["aif360.disparate_impact"]
    assert (again.status, again.value) == (di.status, di.value)


@needs_aif360
def test_an_unmapped_code_or_label_is_bad_input(repo: Path, credit: list[dict[str, str]]) -> None:
    """The runner turns these InputErrors into error findings (never a pass)."""
    partial = {"privileged": ["male"], "groups": {"male": SEX["male"], "female": ["A92"]}}
    config = {**CREDIT, "protected": {"personal_status": partial}}
    with pytest.raises(
        InputError, match=r"protected\.personal_status\.groups: .*'A95'.*its groups"
    ):
        run(config, repo)
    with pytest.raises(InputError, match=r"label_map: credit.csv: .*'bad'; add them to label_map"):
        run({**CREDIT, "label_map": {"good": 1}}, repo)
    with pytest.raises(InputError, match=r"no column\(s\) 'sex'"):
        run({**CREDIT, "protected": {"sex": ["male"]}}, repo)


@pytest.mark.parametrize(
    ("change", "key"),
    [
        (
            {
                "protected": {
                    "ps": {"privileged": ["male"], "groups": {"male": ["A91"], "female": ["A91"]}}
                }
            },
            "collectors.aif360.protected.ps.groups.female",
        ),
        (
            {"protected": {"ps": {"privileged": ["males"], "groups": SEX}}},
            "collectors.aif360.protected.ps.privileged",
        ),
        (
            {"protected": {"ps": {"privileged": ["male", "female"], "groups": SEX}}},
            "collectors.aif360.protected.ps.privileged",
        ),
        ({"protected": {"ps": {"groups": SEX}}}, "collectors.aif360.protected.ps.privileged"),
        (
            {"protected": {"ps": {"privileged": ["male"], "group": SEX}}},
            "collectors.aif360.protected.ps.group",
        ),
        ({"intersections": [["personal_status", "job"]]}, "collectors.aif360.intersections[0]"),
        ({"intersections": [["age_band"]]}, "collectors.aif360.intersections[0]"),
        ({"favorable": 1}, "collectors.aif360.positive_label"),
        ({"positive_label": True}, "collectors.aif360.positive_label"),
        ({"label_map": {"good": [1]}}, "collectors.aif360.label_map.good"),
        ({"prediction_map": {"approve": 1}}, "collectors.aif360.prediction_map"),
        ({"prediction": "decision", "model": "m.skops"}, "collectors.aif360.prediction"),
        ({"features": ["income"]}, "collectors.aif360.features"),
        ({"model": "m.bin"}, "collectors.aif360.model"),
        ({"protected": {"credit_risk": ["good"]}}, "collectors.aif360.protected.credit_risk"),
    ],
)
def test_bad_mapping_config_names_the_key(change: dict[str, Any], key: str) -> None:
    with pytest.raises(CollectorConfigError) as info:
        Aif360Collector().validate_config({**CREDIT, **change})
    assert info.value.key == key


@pytest.mark.parametrize(
    ("change", "key", "reason"),
    [
        (
            {
                "protected": {
                    "personal_status": {
                        "privileged": ["male"],
                        "groups": {"male": ["A91", "A93"], "female": ["A92", "A93"]},
                    }
                }
            },
            "collectors.aif360.protected.personal_status.groups.female",
            "'A93' is already in group 'male'",
        ),
        (
            {"intersections": [["personal_status", "job"]]},
            "collectors.aif360.intersections[0]",
            "'job' is not under protected",
        ),
    ],
)
def test_bad_mapping_config_exits_2_naming_the_key(
    repo: Path, write_config: Any, cli: Any, change: dict[str, Any], key: str, reason: str
) -> None:
    write_config({"collectors": {"aif360": {**CREDIT, **change}}})
    (repo / "credit.csv").write_text("personal_status,age_band,credit_risk\nA91,old,good\n")
    proc = cli("collect", "--only", "aif360", "--out", str(repo / "ev"), cwd=repo)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert key in proc.stderr and reason in proc.stderr
    assert "Traceback" not in proc.stderr


@needs_aif360
def test_an_unnamed_code_through_the_runner_is_error_never_pass(
    repo: Path, credit: list[dict[str, str]], write_config: Any
) -> None:
    from aima_ci.config import load_config
    from aima_ci.evidence.collect import collect

    partial = {"privileged": ["male"], "groups": {"male": SEX["male"], "female": ["A92"]}}
    path = write_config({"collectors": {"aif360": {**CREDIT, "protected": {"ps": partial}}}})
    (repo / "credit.csv").write_text(
        (repo / "credit.csv").read_text().replace("personal_status", "ps", 1)
    )
    (ran,) = collect(load_config(path), repo / "ev", only=["aif360"])
    assert ran.status == "input_error" and "'A95'" in ran.message
    assert {f.status for f in ran.findings} == {Status.ERROR}
    assert len(ran.findings) == 2


@needs_aif360
def test_model_mode_judges_a_declared_onnx_models_decisions(
    repo: Path, credit: list[dict[str, str]], write_config: Any
) -> None:
    from aima_ci.config import load_config
    from aima_ci.evidence.collect import collect

    pytest.importorskip("skl2onnx")
    import numpy as np
    from skl2onnx import to_onnx
    from sklearn.linear_model import LogisticRegression

    x = np.array([[float(r["income"])] for r in credit], dtype=np.float32)
    approve = np.array([r["decision"] == "approve" for r in credit], dtype=int)
    model = LogisticRegression().fit(x, approve)
    (repo / "decide.onnx").write_bytes(to_onnx(model, x[:1]).SerializeToString())
    # declared once under models: and named by the collector, through the real config loader
    path = write_config(
        {
            "models": {"decide": {"path": "decide.onnx"}},
            "collectors": {"aif360": {**CREDIT, "model": "decide", "features": ["income"]}},
        }
    )
    (ran,) = collect(load_config(path), repo / "ev", only=["aif360"])
    assert ran.status == "ok", ran.message
    assert {s.name for f in ran.findings for s in f.subjects if s.kind == "model"} == {"decide"}
    config = {
        **CREDIT,
        "model": {"name": "decide", "path": "decide.onnx", "format": "onnx"},
        "features": ["income"],
    }
    found = run(config, repo)
    di = found["aif360.disparate_impact"]
    model_subject = next(s for s in di.subjects if s.kind == "model")
    assert model_subject.format == "onnx" and model_subject.name == "decide"
    decided = model.predict(x)
    male = np.array([sex(r) == "male" for r in credit])
    by_hand = decided[~male].mean() / decided[male].mean()
    rows = {m["protected_attribute"]: m for m in di.details["metrics"]}
    assert rows["personal_status"]["disparate_impact"] == pytest.approx(by_hand, abs=1e-5)
    assert rows["personal_status"]["selection_rate_unprivileged"] == pytest.approx(
        decided[~male].mean(), abs=1e-5
    )


def test_model_mode_never_unpickles_without_trust(repo: Path, credit: list[dict[str, str]]) -> None:
    (repo / "m.pkl").write_bytes(b"\x80\x04N.")  # a pickle; must not be loaded
    with pytest.raises(InputError, match=r"collectors\.aif360\.model: .*trust"):
        run({**CREDIT, "model": "m.pkl", "features": ["income"]}, repo)


def test_judge_from_readings_alone() -> None:
    """The point of the measure/judge split: verdicts from a metrics list, no tool, no file."""
    from aima_ci_collectors.aif360.judge import GroupMetric, disparate_impact, statistical_parity

    metrics = [
        GroupMetric("sex", 0.5, -0.2, {}),
        GroupMetric("age_band", 2.0, 0.05, {}),  # favours the unprivileged: as far from parity
        GroupMetric("sex x age_band: female & young", None, 0.0, {}),  # undefined: fails
        GroupMetric("region", 0.9, 0.1, {}),
    ]
    di = disparate_impact(metrics, 0.8)
    assert di.value == 0.5 and di.threshold == 0.8
    assert di.failing == ("sex", "age_band", "sex x age_band: female & young")
    assert di.message.endswith("; undefined for sex x age_band: female & young")
    spd = statistical_parity(metrics, 0.1)
    assert spd.value == pytest.approx(0.2) and spd.failing == ("sex",)  # 0.1 itself passes
    assert spd.message.startswith("largest |SPD| 0.200 (needs <= 0.1): sex SPD -0.200")
    assert statistical_parity(metrics, 0.25).failing == ()
