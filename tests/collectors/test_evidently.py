"""The evidently collector, run for real (no mocks of evidently), and its report mode on fixtures."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from aima_ci_collectors.evidently import EvidentlyCollector

from aima_ci.config import load_config
from aima_ci.evidence.collect import collect
from aima_ci.models import Finding, Status
from aima_ci.plugin import CollectorConfigError, CollectorContext, InputError

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "credit-model"
FIXTURE = REPO / "tests" / "fixtures" / "evidently" / "evidently-drift.json"
EXAMPLE_COLUMNS = [
    "income",
    "age",
    "employment_years",
    "debt_ratio",
    "credit_history_months",
    "loan_amount",
    "num_credit_lines",
    "sex",
    "age_band",
]


def run_collector(
    config: dict[str, Any], root: Path, out: Path, config_dir: Path | None = None
) -> list[Finding]:
    collector = EvidentlyCollector()
    collector.validate_config(config)
    ctx = CollectorContext(
        collector=collector,
        config=config,
        root=root,
        config_dir=config_dir or root,
        artefact_dir=out / "artefacts" / "evidently",
        evidence_dir=out,
    )
    return list(collector.collect(ctx))


def one(findings: list[Finding], check: str) -> Finding:
    (found,) = [f for f in findings if f.check == f"evidently.{check}"]
    return found


def columns(findings: list[Finding]) -> dict[str, Finding]:
    return {f.details["column"]: f for f in findings if f.check == "evidently.column_drift"}


def generator() -> Any:
    """The example's own data generator, so the control differs only by the planted shift."""
    spec = importlib.util.spec_from_file_location("credit_gen", EXAMPLE / "generate_data.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def bad(config: dict[str, Any], root: Path, out: Path) -> str:
    with pytest.raises(InputError) as info:
        run_collector(config, root, out)
    return str(info.value)


# --- run mode ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def example_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[Finding], Path]:
    out = tmp_path_factory.mktemp("ev-example")
    config = {
        "reference": "data/train.csv",
        "current": "data/current.csv",
        "columns": EXAMPLE_COLUMNS,
    }
    return run_collector(config, REPO, out, EXAMPLE), out


def test_the_two_planted_drifts_are_exactly_the_columns_detected(example_run) -> None:
    findings, _ = example_run
    per_column = columns(findings)
    assert set(per_column) == set(EXAMPLE_COLUMNS)
    drifted = {c for c, f in per_column.items() if f.status is Status.FAIL}
    # column_drift: warn (the default) reports drift at low severity: a finding that the
    # default outcome policy (fail_on: high) does not gate on
    assert {str(per_column[c].severity) for c in drifted} == {"low"}
    assert drifted == {"income", "debt_ratio"}
    assert {f.status for c, f in per_column.items() if c not in drifted} == {Status.PASS}
    # Measured Wasserstein (normed) distances: planted ~0.70 and ~0.75, the rest below 0.05.
    assert per_column["income"].value == pytest.approx(0.702, abs=0.01)
    assert per_column["debt_ratio"].value == pytest.approx(0.747, abs=0.01)
    assert max(f.value for c, f in per_column.items() if c not in drifted) < 0.05
    assert per_column["income"].message.startswith("income: drift detected (Wasserstein")
    share = one(findings, "drift_share")
    assert share.status is Status.PASS
    assert share.value == pytest.approx(2 / 9, abs=1e-4)
    assert share.message == "2 of 9 columns drifted (income, debt_ratio): share 0.22 < 0.3"
    assert share.details["drifted_columns"] == ["income", "debt_ratio"]
    missing = one(findings, "missing_values")
    assert missing.status is Status.PASS and missing.value == 0.0
    assert share.questions == ("OPS-EM-A1", "OPS-EM-A2")
    assert missing.questions == ("DAT-QI-A1", "DAT-QI-A2")


def test_run_mode_evidence_artefacts_and_subjects(example_run) -> None:
    findings, out = example_run
    digest = hashlib.sha256((EXAMPLE / "data" / "current.csv").read_bytes()).hexdigest()
    for f in findings:
        assert [s.kind for s in f.subjects] == ["dataset", "dataset"]
        assert f.subjects[1].digest == f"sha256:{digest}"
        assert f.artefacts == (
            "artefacts/evidently/drift-report.json",
            "artefacts/evidently/drift-report.html",
        )
    stored = json.loads((out / "artefacts/evidently/drift-report.json").read_text())
    assert {m["config"]["type"] for m in stored["metrics"]} >= {
        "evidently:metric_v2:DriftedColumnsCount",
        "evidently:metric_v2:ValueDrift",
        "evidently:metric_v2:MissingValueCount",
    }
    html = (out / "artefacts/evidently/drift-report.html").read_text(encoding="utf-8")
    assert "<html" in html.lower() and len(html) > 10_000


def test_no_drift_control_passes(repo, tmp_path) -> None:
    gen = generator()
    rng = np.random.default_rng(99)
    gen.applicants(rng, 4000).to_csv(repo / "ref.csv", index=False)
    gen.applicants(rng, 4000).to_csv(repo / "cur.csv", index=False)
    findings = run_collector({"reference": "ref.csv", "current": "cur.csv"}, repo, tmp_path)
    share = one(findings, "drift_share")
    assert share.status is Status.PASS and share.value == 0.0
    per_column = columns(findings)
    assert {f.status for f in per_column.values()} == {Status.PASS}
    assert max(f.value for f in per_column.values()) < 0.06


def test_policy_overrides_missing_values_and_failing_share(repo, tmp_path) -> None:
    reference = pd.read_csv(EXAMPLE / "data" / "train.csv")
    current = pd.read_csv(EXAMPLE / "data" / "current.csv")
    current.loc[current.index[:100], "loan_amount"] = np.nan  # 10 % missing
    reference.to_csv(repo / "ref.csv", index=False)
    current.to_csv(repo / "cur.csv", index=False)
    config = {
        "reference": "ref.csv",
        "current": "cur.csv",
        "columns": ["income", "debt_ratio", "age", "loan_amount"],
        "column_drift": "fail",
        "thresholds": {"drift_share": 0.5, "missing_share": 0.05, "columns": {"income": 5.0}},
    }
    findings = run_collector(config, repo, tmp_path)
    per_column = columns(findings)
    # income's threshold raised to 5.0 (normed Wasserstein 0.70 is below it): no longer drifted.
    assert per_column["income"].status is Status.PASS and per_column["income"].threshold == 5.0
    assert per_column["debt_ratio"].status is Status.FAIL  # column_drift: fail
    share = one(findings, "drift_share")
    assert share.value == pytest.approx(0.25) and share.status is Status.PASS  # 1/4 < 0.5
    missing = one(findings, "missing_values")
    assert missing.status is Status.FAIL
    assert missing.value == pytest.approx(0.1)
    assert "loan_amount 0.100" in missing.message
    # The same data under the default share (0.3) with income back to normal: 2/4 fails.
    config2 = {k: v for k, v in config.items() if k not in ("thresholds", "column_drift")}
    share2 = one(run_collector(config2, repo, tmp_path / "2"), "drift_share")
    assert share2.status is Status.FAIL
    assert share2.message == "2 of 4 columns drifted (income, debt_ratio): share 0.50 >= 0.3"


@pytest.mark.parametrize(
    ("prepare", "config", "expected"),
    [
        (
            lambda r: (r / "cur.csv").write_text("c,b\n1,x\n"),
            {},
            "collectors.evidently.current: cur.csv: no column 'a'",
        ),
        (
            lambda r: (r / "cur.csv").write_text("a,b\n\n"),
            {},
            "collectors.evidently.current: cur.csv: the file has no data rows",
        ),
        (lambda r: (r / "cur.csv").write_text(""), {}, "cur.csv: the file is empty"),
        (
            lambda r: (r / "cur.csv").write_text("a,b\n,x\n,y\n"),
            {},
            "collectors.evidently.current: cur.csv: column 'a' has no values (all missing)",
        ),
        (
            lambda r: (r / "cur.csv").write_text("a,b\n1,x\nabc,y\n"),
            {},
            "cur.csv: column 'a' is numeric in the reference data but not here (e.g. 'abc')",
        ),
        (
            lambda r: (r / "cur.csv").write_text("a,b\n1,x\n2,y\n"),
            {"columns": ["a", "c"]},
            "collectors.evidently.reference: ref.csv: no column 'c'",
        ),
        (
            lambda r: (r / "cur.csv").write_text("a,b\n1,x\n2,y\n"),
            {"method": "nonsense"},
            "No stattest found of name nonsense",
        ),
    ],
    ids=[
        "missing-column",
        "header-only",
        "empty",
        "nan-only",
        "type-change",
        "unknown-column",
        "bad-method",
    ],
)
def test_bad_run_input_fails_closed(repo, tmp_path, prepare, config, expected) -> None:
    (repo / "ref.csv").write_text("a,b\n" + "".join(f"{i},{'xy'[i % 2]}\n" for i in range(40)))
    prepare(repo)
    message = bad({"reference": "ref.csv", "current": "cur.csv", **config}, repo, tmp_path)
    assert expected in message


def test_end_to_end_through_the_runner_on_the_example(tmp_path) -> None:
    (run,) = collect(load_config(EXAMPLE / "aima.yaml"), tmp_path / "ev", only=["evidently"])
    assert run.status == "ok", run.message
    warned = sorted(
        f.details["column"]
        for f in run.findings
        if f.check == "evidently.column_drift" and f.status is Status.FAIL
    )
    assert warned == ["debt_ratio", "income"]
    assert (tmp_path / "ev/artefacts/evidently/drift-report.html").is_file()


# --- report mode ---------------------------------------------------------------------------


def report_config(name: str = "report.json") -> dict[str, Any]:
    return {"mode": "report", "report": name}


def test_report_mode_on_the_committed_fixture(repo, tmp_path) -> None:
    (repo / "report.json").write_bytes(FIXTURE.read_bytes())
    findings = run_collector(report_config(), repo, tmp_path)
    per_column = columns(findings)
    assert {c: f.status for c, f in per_column.items()} == {
        "age": Status.FAIL,
        "income": Status.PASS,
        "score": Status.FAIL,
        "segment": Status.FAIL,
    }
    # segment's score is a p-value (drift when low), the others distances (drift when high):
    # the statuses above come from the tests, which is why both directions come out right.
    assert per_column["segment"].value == pytest.approx(1.5976e-61, rel=1e-3)
    assert per_column["income"].value == pytest.approx(0.0403, abs=1e-4)
    share = one(findings, "drift_share")
    assert share.value == 0.75 and share.status is Status.FAIL
    assert share.message == "3 of 4 columns drifted (age, score, segment): share 0.75 >= 0.3"
    assert share.details["report_drift_share"] == 0.5
    missing = one(findings, "missing_values")
    assert missing.status is Status.NOT_RUN
    assert [s.kind for s in share.subjects] == ["report"]
    assert share.subjects[0].digest == "sha256:" + hashlib.sha256(FIXTURE.read_bytes()).hexdigest()
    assert (tmp_path / share.artefacts[0]).read_bytes() == FIXTURE.read_bytes()


def test_report_mode_columns_must_be_covered_and_restrict_the_share(repo, tmp_path) -> None:
    (repo / "report.json").write_bytes(FIXTURE.read_bytes())
    config = report_config() | {"columns": ["age", "income"]}
    findings = run_collector(config, repo, tmp_path)
    assert sorted(columns(findings)) == ["age", "income"]
    share = one(findings, "drift_share")
    assert share.value == 0.5 and share.status is Status.FAIL
    assert share.details["share_from"] == "column tests"
    message = bad(report_config() | {"columns": ["income", "salary"]}, repo, tmp_path / "2")
    assert message == (
        "collectors.evidently.report: report.json: no drift result for column 'salary';"
        " the report covers: age, income, score, segment"
    )


def test_report_mode_judges_a_stored_run_exactly_like_the_run(example_run, repo, tmp_path) -> None:
    findings, out = example_run
    (repo / "report.json").write_bytes((out / "artefacts/evidently/drift-report.json").read_bytes())
    again = run_collector(report_config(), repo, tmp_path)

    def summary(fs: list[Finding]) -> list[tuple[str, str, Any, str]]:
        return sorted((f.check, str(f.status), f.value, f.message) for f in fs)

    assert summary(again) == summary(findings)


def mutated(mutate: Any) -> str:
    data = json.loads(FIXTURE.read_text())
    mutate(data)
    return json.dumps(data)


def _drop_tests(d: dict[str, Any]) -> None:
    del d["tests"]


def _drop_income_test(d: dict[str, Any]) -> None:
    d["tests"] = [t for t in d["tests"] if t["name"] != "Value Drift for column income"]


def _status(d: dict[str, Any], value: str) -> None:
    d["tests"][1]["status"] = value


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (FIXTURE.read_text()[:1500], "not valid JSON"),
        ("", "the file is empty"),
        ("{not json", "not valid JSON"),
        (b"\xff\xfe{}", "not UTF-8"),
        ("[1, 2]", "no top-level 'metrics' list"),
        ('{"metrics": "x"}', "no top-level 'metrics' list"),
        ('{"metrics": [{"value": 1}]}', "metrics[0] has no config.type"),
        ('{"metrics": [], "tests": []}', "no DriftedColumnsCount or ValueDrift metrics"),
        (mutated(_drop_tests), "has no test statuses"),
        (
            mutated(lambda d: d["metrics"][1].update(value="high")),
            "metrics[1].value (column 'age') is not a finite number",
        ),
        (mutated(lambda d: d["metrics"][0]["value"].update(share=1.5)), "impossible share"),
        (mutated(lambda d: _status(d, "MAYBE")), "unknown status 'MAYBE'"),
    ],
    ids=[
        "truncated",
        "empty",
        "garbage",
        "binary",
        "list",
        "metrics-not-list",
        "no-type",
        "no-drift-metrics",
        "no-tests",
        "text-score",
        "share>1",
        "unknown-status",
    ],
)
def test_corrupt_or_wrong_shape_reports_fail_closed(repo, tmp_path, content, expected) -> None:
    path = repo / "report.json"
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    message = bad(report_config(), repo, tmp_path)
    assert message.startswith("collectors.evidently.report: report.json: ")
    assert expected in message


def test_a_column_without_a_verdict_is_an_error_not_a_pass(repo, tmp_path) -> None:
    (repo / "report.json").write_text(mutated(_drop_income_test))
    findings = run_collector(report_config(), repo, tmp_path)
    assert columns(findings)["income"].status is Status.ERROR
    assert "missing from the result" in columns(findings)["income"].message
    assert one(findings, "drift_share").status is Status.ERROR
    (repo / "report.json").write_text(mutated(lambda d: _status(d, "ERROR")))
    findings = run_collector(report_config(), repo, tmp_path / "2")
    assert columns(findings)["age"].status is Status.ERROR
    assert one(findings, "drift_share").status is Status.ERROR


def test_report_mode_does_not_need_evidently_or_pandas(repo, tmp_path) -> None:
    """Block the imports in a fresh interpreter: report mode works, run mode says not installed."""
    (repo / "report.json").write_bytes(FIXTURE.read_bytes())
    script = textwrap.dedent(
        f"""
        import sys
        for blocked in ("evidently", "pandas", "numpy"):
            sys.modules[blocked] = None  # import fails, find_spec returns None
        from pathlib import Path
        from aima_ci.plugin import CollectorContext
        from aima_ci_collectors.evidently import EvidentlyCollector
        c = EvidentlyCollector()
        assert c.missing_requirements({{"mode": "report", "report": "report.json"}}) == []
        assert c.missing_requirements({{}}) == ["evidently", "pandas"]
        def ctx(config, out):
            return CollectorContext(collector=c, config=config, root=Path({str(repo)!r}),
                config_dir=Path({str(repo)!r}), artefact_dir=Path(out) / "a", evidence_dir=Path(out))
        found = list(c.collect(ctx({{"mode": "report", "report": "report.json"}}, {str(tmp_path / "r")!r})))
        print(sorted((f.check, str(f.status)) for f in found if f.check != "evidently.column_drift"))
        try:
            list(c.collect(ctx({{"reference": "report.json", "current": "report.json"}}, {str(tmp_path / "s")!r})))
        except ModuleNotFoundError as exc:
            print("not installed:", exc)
        print("loaded:", sorted(m for m, v in sys.modules.items() if v is not None and m.split(".")[0] in ("evidently", "pandas", "numpy")))
        """
    )
    proc = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=False
    )
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert (
        lines[0] == "[('evidently.drift_share', 'fail'), ('evidently.missing_values', 'not_run')]"
    )
    assert lines[1].startswith("not installed: ")  # run mode is guarded by the runner too
    assert lines[2] == "loaded: []"


def test_report_mode_through_the_runner(repo, tmp_path, write_config) -> None:
    (repo / "report.json").write_bytes(FIXTURE.read_bytes())
    (repo / "broken.json").write_text(FIXTURE.read_text()[:200])
    path = write_config({"collectors": {"evidently": {"mode": "report", "report": "report.json"}}})
    (run,) = collect(load_config(path), tmp_path / "ok", only=["evidently"])
    assert run.status == "ok"
    assert (
        sum(f.status is Status.FAIL and f.check == "evidently.column_drift" for f in run.findings)
        == 3
    )
    path = write_config({"collectors": {"evidently": {"mode": "report", "report": "broken.json"}}})
    (run,) = collect(load_config(path), tmp_path / "bad", only=["evidently"])
    assert run.status == "input_error"
    assert {f.status for f in run.findings} == {Status.ERROR}
    assert {f.check for f in run.findings} == {
        "evidently.drift_share",
        "evidently.column_drift",
        "evidently.missing_values",
    }


@pytest.mark.parametrize(
    ("config", "key"),
    [
        ({"mode": "report"}, "collectors.evidently.report"),
        (
            {"mode": "report", "report": "r.json", "reference": "a.csv"},
            "collectors.evidently.reference",
        ),
        (
            {"mode": "report", "report": "r.json", "thresholds": {"columns": {"a": 0.1}}},
            "collectors.evidently.thresholds.columns",
        ),
        (
            # no mode: report mode, as for every collector (the runner's rule), so the run keys
            # are the misplaced ones
            {"reference": "a.csv", "current": "b.csv", "report": "r.json"},
            "collectors.evidently.reference",
        ),
        ({"reference": "a.csv"}, "collectors.evidently.current"),
        (
            {"reference": "a.csv", "current": "b.csv", "thresholds": {"drift_share": 0}},
            "collectors.evidently.thresholds.drift_share",
        ),
        (
            {"reference": "a.csv", "current": "b.csv", "thresholds": {"drift": 0.1}},
            "collectors.evidently.thresholds.drift",
        ),
        (
            {"reference": "a.csv", "current": "b.csv", "column_drift": "ignore"},
            "collectors.evidently.column_drift",
        ),
        (
            {
                "reference": "a.csv",
                "current": "b.csv",
                "columns": ["a"],
                "column_methods": {"b": "psi"},
            },
            "collectors.evidently.column_methods.b",
        ),
        (
            {"reference": "a.csv", "current": "b.csv", "colums": ["a"]},
            "collectors.evidently.colums",
        ),
    ],
)
def test_config_errors_name_the_key(config, key) -> None:
    with pytest.raises(CollectorConfigError) as info:
        EvidentlyCollector().validate_config(config)
    assert info.value.key == key
