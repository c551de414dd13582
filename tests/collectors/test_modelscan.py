"""The modelscan collector: real modelscan reports (fixtures) and real scans of pickles generated
here and never loaded; thresholds; bad reports fail closed."""

from __future__ import annotations

import importlib.util
import json
import os
import pickle
import shutil
from pathlib import Path
from typing import Any

import pytest
from aima_ci_collectors.modelscan import ModelscanCollector

from aima_ci.models import Finding, Status
from aima_ci.plugin import CollectorConfigError, CollectorContext, InputError

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "modelscan"
needs_modelscan = pytest.mark.skipif(
    importlib.util.find_spec("modelscan") is None, reason="modelscan not installed"
)


class _RunsShell:
    """Pickles to os.system on load; only ever written, never unpickled."""

    def __reduce__(self) -> tuple[Any, ...]:
        return (os.system, ("echo this-must-never-run",))


def run(config: dict[str, Any], root: Path, timeout: float | None = 120) -> dict[str, Finding]:
    collector = ModelscanCollector()
    collector.validate_config(config)
    out = root / ".aima"
    ctx = CollectorContext(
        collector=collector,
        config=config,
        root=root,
        config_dir=root,
        artefact_dir=out / "artefacts" / "modelscan",
        evidence_dir=out,
        timeout=timeout,
    )
    return {f.check: f for f in collector.collect(ctx)}


def place(repo: Path, name: str) -> str:
    shutil.copy(FIXTURES / name, repo / name)
    return name


def test_real_report_with_unsafe_pickles_and_a_parse_error_fails(repo: Path) -> None:
    found = run({"mode": "report", "report": place(repo, "modelscan-report.json")}, repo)
    unsafe, errors = found["modelscan.unsafe_operators"], found["modelscan.scan_errors"]
    assert unsafe.status is Status.FAIL and unsafe.value == 3
    assert "3 unsafe operator(s) at LOW or above in 3 of 4 scanned file(s)" in unsafe.message
    # worst first: the two CRITICAL ones lead
    assert unsafe.message.index("CRITICAL") < unsafe.message.index("HIGH")
    assert unsafe.details["issues_by_severity"] == {"CRITICAL": 2, "HIGH": 1, "MEDIUM": 0, "LOW": 0}
    assert unsafe.details["modelscan_version"] == "0.8.8"
    assert errors.status is Status.FAIL and errors.value == 1
    assert "truncated.pkl" in errors.message
    assert unsafe.subjects[0].kind == "report" and unsafe.subjects[0].digest
    assert {s.name for s in unsafe.subjects[1:]} == {
        "weights.pkl",
        "helper.pkl",
        "tokenizer.pkl",
        "classifier.pkl",
    }


def test_min_severity_and_thresholds(repo: Path) -> None:
    name = place(repo, "modelscan-report.json")
    critical = run({"report": name, "min_severity": "critical"}, repo)
    assert critical["modelscan.unsafe_operators"].value == 2
    relaxed = run(
        {
            "report": name,
            "min_severity": "critical",
            "thresholds": {"unsafe_operators": 2, "scan_errors": 1},
        },
        repo,
    )
    assert relaxed["modelscan.unsafe_operators"].status is Status.PASS
    assert relaxed["modelscan.scan_errors"].status is Status.PASS


def test_clean_real_report_passes(repo: Path) -> None:
    found = run({"report": place(repo, "modelscan-clean.json")}, repo)
    assert {c: f.status for c, f in found.items()} == {
        "modelscan.unsafe_operators": Status.PASS,
        "modelscan.scan_errors": Status.PASS,
    }


@needs_modelscan
def test_run_mode_scans_generated_pickles_without_loading_them(repo: Path) -> None:
    models = repo / "models"
    models.mkdir()
    (models / "model.pkl").write_bytes(pickle.dumps(_RunsShell()))
    (models / "weights.pkl").write_bytes(pickle.dumps({"w": [0.5, 0.25]}))
    found = run({"mode": "run", "path": "models"}, repo)
    unsafe = found["modelscan.unsafe_operators"]
    assert unsafe.status is Status.FAIL and unsafe.value == 1
    assert "model.pkl (CRITICAL: posix.system)" in unsafe.message
    assert found["modelscan.scan_errors"].status is Status.PASS
    by_name = {s.name: s for s in unsafe.subjects}
    assert by_name["model.pkl"].digest and by_name["model.pkl"].path == "models/model.pkl"
    report = repo / ".aima" / "artefacts" / "modelscan" / "modelscan-report.json"
    assert json.loads(report.read_text())["summary"]["total_issues"] == 1
    (models / "model.pkl").unlink()
    clean = run({"mode": "run", "path": "models"}, repo)
    assert clean["modelscan.unsafe_operators"].status is Status.PASS


@needs_modelscan
def test_run_mode_with_nothing_to_scan_is_an_error(repo: Path) -> None:
    (repo / "models").mkdir()
    (repo / "models" / "notes.txt").write_text("not a model\n")
    with pytest.raises(InputError, match="scanned no file"):
        run({"mode": "run", "path": "models"}, repo)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ((FIXTURES / "modelscan-report.json").read_text()[:300], "not valid JSON"),
        ('{"issues": [], "errors": []}', "missing key 'summary'"),
        (
            '{"summary": {"scanned": {"total_scanned": 0}}, "issues": [], "errors": []}',
            "scanned no file",
        ),
        (
            '{"summary": {"scanned": {"total_scanned": 1, "scanned_files": ["a.pkl"]}}, "errors": []}',
            "missing key 'issues'",
        ),
        (
            '{"summary": {"scanned": {"total_scanned": 1, "scanned_files": ["a.pkl"]}},'
            ' "issues": [{"source": "a.pkl", "severity": "SEVERE"}], "errors": []}',
            "unknown severity 'SEVERE'",
        ),
        (
            '{"summary": {"scanned": {"total_scanned": 1, "scanned_files": ["a.pkl"]}},'
            ' "issues": [{"severity": "HIGH"}], "errors": []}',
            "missing key 'source'",
        ),
        (
            '{"summary": {"scanned": "all"}, "issues": [], "errors": []}',
            "summary.scanned must be an object",
        ),
    ],
)
def test_bad_report_is_an_input_error(repo: Path, content: str, message: str) -> None:
    (repo / "bad.json").write_text(content)
    with pytest.raises(InputError, match=message) as info:
        run({"report": "bad.json"}, repo)
    assert "collectors.modelscan.report: bad.json" in str(info.value)


def test_missing_and_outside_paths_are_refused(repo: Path, tmp_path: Path) -> None:
    with pytest.raises(InputError, match="does not exist"):
        run({"report": "missing.json"}, repo)
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    shutil.copy(FIXTURES / "modelscan-clean.json", outside / "r.json")
    with pytest.raises(InputError, match="outside the repository root"):
        run({"report": str(outside / "r.json")}, repo)
    with pytest.raises(InputError, match="outside the repository root"):
        run({"mode": "run", "path": "../elsewhere"}, repo)


@pytest.mark.parametrize(
    ("config", "key"),
    [
        ({}, "collectors.modelscan.path"),
        ({"mode": "report"}, "collectors.modelscan.report"),
        ({"report": ""}, "collectors.modelscan.report"),
        ({"report": "r.json", "min_severity": "severe"}, "collectors.modelscan.min_severity"),
        (
            {"report": "r.json", "thresholds": {"issues": 0}},
            "collectors.modelscan.thresholds.issues",
        ),
        (
            {"report": "r.json", "thresholds": {"scan_errors": True}},
            "collectors.modelscan.thresholds.scan_errors",
        ),
        ({"report": "r.json", "model": "x"}, "collectors.modelscan.model"),
    ],
)
def test_bad_config_names_the_key(config: dict[str, Any], key: str) -> None:
    with pytest.raises(CollectorConfigError) as info:
        ModelscanCollector().validate_config(config)
    assert info.value.key == key


def test_the_other_modes_path_is_tolerated_and_each_mode_needs_its_own() -> None:
    """As before the spec: a block naming both paths works in either mode (switching the mode
    is one line), and the mode's own path is required."""
    c = ModelscanCollector()
    both = {"report": "r.json", "path": "models"}
    assert c.settings_for(both).mode == "report"
    run_mode = c.settings_for({**both, "mode": "run"})
    assert (run_mode.mode, run_mode.path) == ("run", "models")
    assert c.settings_for({"report": "r.json", "min_severity": "High"}).min_severity == "HIGH"
    with pytest.raises(CollectorConfigError) as info:
        c.validate_config({"mode": "run", "report": "r.json"})
    assert info.value.key == "collectors.modelscan.path"


@needs_modelscan
def test_a_planted_module_in_the_working_folder_is_not_imported(repo: Path) -> None:
    """modelscan runs with the artefact folder as its working directory; a file there named
    like modelscan's own package must not be imported in its place (python -P)."""
    folder = repo / ".aima" / "artefacts" / "modelscan"
    folder.mkdir(parents=True)
    marker = repo / "planted-ran"
    (folder / "modelscan.py").write_text(
        f"import pathlib\npathlib.Path({str(marker)!r}).write_text('ran')\nraise SystemExit(9)\n"
    )
    (repo / "models").mkdir()
    (repo / "models" / "model.pkl").write_bytes(pickle.dumps(_RunsShell()))
    found = run({"mode": "run", "path": "models"}, repo)
    assert not marker.exists()
    assert found["modelscan.unsafe_operators"].value == 1
