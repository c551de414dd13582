"""The promptfoo collector on real promptfoo 0.121 output (tests/fixtures/promptfoo/README.md):
eval pass rate, per-plugin red-team pass rates with promptfoo's OWASP categories, errors never
counting as passes, and bad files failing closed."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from aima_ci_collectors.promptfoo import PromptfooCollector
from aima_ci_collectors.promptfoo.owasp import owasp_llm

from aima_ci.models import Finding, Status
from aima_ci.plugin import CollectorConfigError, CollectorContext, InputError

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "promptfoo"


def run(config: dict[str, Any], root: Path) -> dict[str, Finding]:
    collector = PromptfooCollector()
    collector.validate_config(config)
    out = root / ".aima"
    ctx = CollectorContext(
        collector=collector,
        config=config,
        root=root,
        config_dir=root,
        artefact_dir=out / "artefacts" / "promptfoo",
        evidence_dir=out,
    )
    return {f.check: f for f in collector.collect(ctx)}


def place(repo: Path, name: str) -> str:
    shutil.copy(FIXTURES / name, repo / name)
    return name


def test_real_output_splits_eval_and_redteam_tests(repo: Path) -> None:
    found = run({"report": place(repo, "promptfoo-results.json")}, repo)
    evals, red = found["promptfoo.pass_rate"], found["promptfoo.redteam"]
    assert evals.status is Status.PASS and evals.value == 1.0
    assert evals.details["eval"] == {
        "passed": 2,
        "failed": 0,
        "errors": 0,
        "total": 2,
        "pass_rate": 1.0,
    }
    assert red.status is Status.FAIL and red.value == 0.0
    plugins = red.details["plugins"]
    assert {p: (v["passed"], v["failed"], v["errors"]) for p, v in plugins.items()} == {
        "harmful:hate": (0, 0, 1),
        "indirect-prompt-injection": (1, 0, 0),
        "pii:direct": (1, 1, 0),
        "prompt-extraction": (0, 1, 0),
    }
    assert plugins["prompt-extraction"]["owasp_llm_2025"] == ["LLM01", "LLM02", "LLM07"]
    assert plugins["harmful:hate"]["severity"] == ["critical"]
    assert red.details["failing_plugins"] == ["harmful:hate", "prompt-extraction", "pii:direct"]
    assert "3 of 4 red-team plugin(s) below 1" in red.message
    assert "prompt-extraction 0% (LLM01, LLM02, LLM07)" in red.message
    assert "1 errored" in red.message
    assert red.details["promptfoo_version"] == "0.121.20"
    assert red.questions == ("VER-ST-A1", "VER-ST-A2")


def test_thresholds_relax_the_redteam_check_but_errors_never_pass(repo: Path) -> None:
    name = place(repo, "promptfoo-results.json")
    found = run({"report": name, "thresholds": {"redteam": 0.5}}, repo)
    red = found["promptfoo.redteam"]
    # pii:direct (0.5) is now fine; prompt-extraction (0) and the errored harmful:hate are not
    assert red.status is Status.FAIL
    assert red.details["failing_plugins"] == ["harmful:hate", "prompt-extraction"]
    found = run({"report": name, "thresholds": {"redteam": 0.0}}, repo)
    assert found["promptfoo.redteam"].status is Status.PASS


def test_eval_only_output_passes_and_redteam_is_not_applicable(repo: Path) -> None:
    found = run({"report": place(repo, "promptfoo-eval-pass.json")}, repo)
    assert found["promptfoo.pass_rate"].status is Status.PASS
    assert found["promptfoo.redteam"].status is Status.NOT_APPLICABLE


def _records(*records: dict[str, Any]) -> str:
    return json.dumps({"evalId": "e", "results": {"version": 3, "results": list(records)}})


def test_every_test_errored_is_an_error_not_a_fail_or_pass(repo: Path) -> None:
    err = {"success": False, "failureReason": 2, "error": "connect ECONNREFUSED 127.0.0.1:8000"}
    (repo / "r.json").write_text(_records(err, err))
    found = run({"report": "r.json", "thresholds": {"pass_rate": 0.0}}, repo)
    assert found["promptfoo.pass_rate"].status is Status.ERROR
    assert "2 errored" in found["promptfoo.pass_rate"].message


def test_metadata_only_on_the_test_case_still_marks_a_redteam_test(repo: Path) -> None:
    rec = {"success": True, "failureReason": 0, "testCase": {"metadata": {"pluginId": "hijacking"}}}
    (repo / "r.json").write_text(_records(rec))
    found = run({"report": "r.json"}, repo)
    assert found["promptfoo.redteam"].status is Status.PASS
    assert found["promptfoo.pass_rate"].status is Status.NOT_APPLICABLE


def test_owasp_table_is_promptfoos() -> None:
    assert owasp_llm("harmful:cybercrime") == ["LLM01"]
    assert owasp_llm("pii:social") == ["LLM02", "LLM07", "LLM08"]
    assert owasp_llm("excessive-agency") == ["LLM06"]
    assert owasp_llm("divergent-repetition") == ["LLM10"]
    assert owasp_llm("some-custom-plugin") == []


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ((FIXTURES / "promptfoo-results.json").read_text()[:1000], "not valid JSON"),
        ('{"evalId": "x"}', "missing key 'results'"),
        ('{"results": {"version": 3}}', "missing key 'results'"),
        ('{"results": {"results": []}}', "promptfoo ran no test"),
        ('{"results": {"results": [{"failureReason": 0}]}}', "missing key 'success'"),
        ('{"results": {"results": [{"success": "yes"}]}}', "'success' must be a boolean"),
        (
            '{"results": {"results": [{"success": true, "metadata": "x"}]}}',
            "metadata must be an object",
        ),
        (
            '{"results": {"results": [{"success": true, "metadata": {"pluginId": 3}}]}}',
            "pluginId must be a non-empty string",
        ),
        ('{"results": [1, 2]}', "'results' must be an object"),
    ],
)
def test_bad_output_is_an_input_error(repo: Path, content: str, message: str) -> None:
    (repo / "bad.json").write_text(content)
    with pytest.raises(InputError, match=message) as info:
        run({"report": "bad.json"}, repo)
    assert "collectors.promptfoo.report: bad.json" in str(info.value)


def test_missing_and_outside_paths_are_refused(repo: Path, tmp_path: Path) -> None:
    with pytest.raises(InputError, match="does not exist"):
        run({"report": "results.json"}, repo)
    shutil.copy(FIXTURES / "promptfoo-eval-pass.json", tmp_path / "r.json")
    with pytest.raises(InputError, match="outside the repository root"):
        run({"report": "../r.json"}, repo)


@pytest.mark.parametrize(
    ("config", "key"),
    [
        ({}, "collectors.promptfoo.report"),
        ({"report": "r.json", "mode": "run"}, "collectors.promptfoo.mode"),
        (
            {"report": "r.json", "thresholds": {"pass_rate": 90}},
            "collectors.promptfoo.thresholds.pass_rate",
        ),
        (
            {"report": "r.json", "thresholds": {"jailbreak": 0.9}},
            "collectors.promptfoo.thresholds.jailbreak",
        ),
        ({"report": "r.json", "config": "promptfooconfig.yaml"}, "collectors.promptfoo.config"),
    ],
)
def test_bad_config_names_the_key(config: dict[str, Any], key: str) -> None:
    with pytest.raises(CollectorConfigError) as info:
        PromptfooCollector().validate_config(config)
    assert info.value.key == key
