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
