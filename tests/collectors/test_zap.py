"""The zap collector on ZAP traditional-JSON reports (fixtures written from ZAP's documented
template: tests/fixtures/zap/README.md), thresholds, and every way a bad report fails closed."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from aima_ci_collectors.zap import ZapCollector

from aima_ci.models import Finding, Status
from aima_ci.plugin import CollectorConfigError, CollectorContext, InputError

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "zap"


def run(config: dict[str, Any], root: Path) -> dict[str, Finding]:
    collector = ZapCollector()
    collector.validate_config(config)
    out = root / ".aima"
    ctx = CollectorContext(
        collector=collector,
        config=config,
        root=root,
        config_dir=root,
        artefact_dir=out / "artefacts" / "zap",
        evidence_dir=out,
    )
    return {f.check: f for f in collector.collect(ctx)}


def place(repo: Path, name: str = "zap-report.json") -> str:
    shutil.copy(FIXTURES / name, repo / name)
    return name


def test_fixture_counts_alerts_per_risk_and_ignores_false_positives(repo: Path) -> None:
    found = run({"report": place(repo)}, repo)
    assert set(found) == {"zap.high_risk", "zap.medium_risk"}  # low is not gated by default
    high, medium = found["zap.high_risk"], found["zap.medium_risk"]
    assert high.status is Status.FAIL and high.value == 1 and high.threshold == 0
    assert "Cross Site Scripting (Reflected) [1]" in high.message
    # the Medium "Application Error Disclosure" has confidence 0 (false positive): not counted
    assert medium.status is Status.FAIL and medium.value == 1
    assert "Content Security Policy (CSP) Header Not Set [2]" in medium.message
    counts = high.details["alerts_by_risk"]
    assert counts == {"High": 1, "Medium": 1, "Low": 1, "Informational": 1}
    assert high.details["ignored_below_confidence"] == 1
    assert high.details["zap_version"] == "2.16.1"
    assert [s.kind for s in high.subjects] == ["report", "endpoint"]
    assert high.subjects[0].digest and high.subjects[1].name == "http://127.0.0.1:8080"
    assert high.artefacts == ("artefacts/zap/zap-report.json",)
    assert (repo / ".aima" / "artefacts" / "zap" / "zap-report.json").is_file()
    assert high.questions == ("VER-ST-A1", "IMP-SD-B1", "DES-SA-A1")


def test_clean_scan_passes(repo: Path) -> None:
    found = run({"report": place(repo, "zap-clean.json")}, repo)
    assert {c: f.status for c, f in found.items()} == {
        "zap.high_risk": Status.PASS,
        "zap.medium_risk": Status.PASS,
    }
    assert found["zap.high_risk"].value == 0


def test_thresholds_and_min_confidence(repo: Path) -> None:
    name = place(repo)
    found = run({"report": name, "thresholds": {"high": 1, "medium": 1, "low": 0}}, repo)
    assert found["zap.high_risk"].status is Status.PASS
    assert found["zap.medium_risk"].status is Status.PASS
    assert found["zap.low_risk"].status is Status.FAIL and found["zap.low_risk"].value == 1
    # High confidence only: the XSS (confidence Medium) no longer counts, the CSP (High) does
    strict = run({"report": name, "min_confidence": "high"}, repo)
    assert strict["zap.high_risk"].status is Status.PASS
    assert strict["zap.medium_risk"].value == 1


def test_enabled_checks_follow_the_low_threshold() -> None:
    c = ZapCollector()
    assert [k.id for k in c.enabled_checks({"report": "x"})] == ["zap.high_risk", "zap.medium_risk"]
    assert "zap.low_risk" in [k.id for k in c.enabled_checks({"thresholds": {"low": 3}})]


def _bad(repo: Path, text: str | bytes) -> str:
    path = repo / "bad.json"
    path.write_bytes(text.encode() if isinstance(text, str) else text)
    return "bad.json"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ((FIXTURES / "zap-report.json").read_text()[:900], "not valid JSON"),
        ("", "the file is empty"),
        (b"\xff\xfe{}", "not UTF-8"),
        ("[1, 2]", "expected a JSON object"),
        ('{"@version": "2.16.1"}', "missing key 'site'"),
        ('{"site": []}', "lists no site"),
        ('{"site": [{"@name": "http://x", "alerts": {}}]}', "'alerts' must be an array"),
        ('{"site": [{"alerts": []}]}', "missing key '@name'"),
        (
            '{"site": [{"@name": "http://x", "alerts": [{"name": "A", "riskcode": "9"}]}]}',
            "'riskcode' is 9, outside 0-3",
        ),
        (
            '{"site": [{"@name": "http://x", "alerts": [{"name": "A", "riskcode": "high"}]}]}',
            "'riskcode' is 'high', not a ZAP code",
        ),
        (
            '{"site": [{"@name": "http://x", "alerts": [{"riskcode": "3"}]}]}',
            "missing the alert's 'name'",
        ),
    ],
)
def test_bad_report_is_an_input_error_naming_the_file(
    repo: Path, content: Any, message: str
) -> None:
    with pytest.raises(InputError, match=message) as info:
        run({"report": _bad(repo, content)}, repo)
    assert "collectors.zap.report: bad.json" in str(info.value)


def test_missing_and_escaping_paths_are_refused(repo: Path, tmp_path: Path) -> None:
    with pytest.raises(InputError, match="does not exist"):
        run({"report": "nope.json"}, repo)
    outside = tmp_path / "outside.json"
    shutil.copy(FIXTURES / "zap-clean.json", outside)
    with pytest.raises(InputError, match="outside the repository root"):
        run({"report": str(outside)}, repo)
    with pytest.raises(InputError, match="outside the repository root"):
        run({"report": "../outside.json"}, repo)
    (repo / "link.json").symlink_to(outside)
    with pytest.raises(InputError, match="outside the repository root"):
        run({"report": "link.json"}, repo)


@pytest.mark.parametrize(
    ("config", "key"),
    [
        ({}, "collectors.zap.report"),
        ({"report": 3}, "collectors.zap.report"),
        ({"report": "r.json", "mode": "run"}, "collectors.zap.mode"),
        ({"report": "r.json", "severity": "high"}, "collectors.zap.severity"),
        ({"report": "r.json", "min_confidence": "false_positive"}, "collectors.zap.min_confidence"),
        ({"report": "r.json", "min_confidence": ["high"]}, "collectors.zap.min_confidence"),
        ({"report": "r.json", "min_confidence": {"a": 1}}, "collectors.zap.min_confidence"),
        ({"report": "r.json", "thresholds": {"critical": 0}}, "collectors.zap.thresholds.critical"),
        ({"report": "r.json", "thresholds": {"high": -1}}, "collectors.zap.thresholds.high"),
        ({"report": "r.json", "thresholds": {"high": 0.5}}, "collectors.zap.thresholds.high"),
    ],
)
def test_bad_config_names_the_key(config: dict[str, Any], key: str) -> None:
    with pytest.raises(CollectorConfigError) as info:
        ZapCollector().validate_config(config)
    assert info.value.key == key


def test_truncated_report_through_the_runner_is_error_never_pass(repo, write_config, cli) -> None:
    (repo / "zap.json").write_text((FIXTURES / "zap-clean.json").read_text()[:200])
    write_config({"collectors": {"zap": {"report": "zap.json"}}})
    res = cli("run", cwd=repo)
    assert res.returncode in (1, 2), res.stderr
    lines = (repo / ".aima" / "findings.jsonl").read_text().splitlines()
    findings = [json.loads(line) for line in lines]
    assert {f["check"]: f["status"] for f in findings} == {
        "zap.high_risk": "error",
        "zap.medium_risk": "error",
    }
    assert all("not valid JSON" in f["message"] for f in findings)
