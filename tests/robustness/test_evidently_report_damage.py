"""Damaged evidently results (report mode) end in an input error or in findings, never in a new pass.

The evidently collector's report mode reads a stored ``Snapshot.json()`` with the standard
library. Byte damage (flips, cuts, junk) and structural damage (a field of the wrong type, NaN,
a huge number, a key removed or added) must either be refused with the collector's documented
``InputError`` (the runner then makes every check ``error``) or produce findings in which no
finding passes unless the same finding passed on the intact result. Findings are identified by
check and column (``evidently.column_drift`` has one per column).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from aima_ci_collectors.evidently import EvidentlyCollector
from hypothesis import given
from hypothesis import strategies as st
from rb_support import FIXTURES, budget, damaged, dumps_loose, make_repo, mutated_json

from aima_ci.plugin import CollectorContext, InputError

FIXTURE = FIXTURES / "evidently" / "evidently-drift.json"
KNOWN = {"pass", "fail", "inconclusive", "error", "not_run"}


class Evidently(EvidentlyCollector):
    """The real collector; only its version lookup (a metadata scan per finding) is cached."""

    def tool_version(self) -> str | None:
        return "0.7"


def judge(root: Path, raw: bytes) -> dict[tuple[str, str], str] | str:
    """(check, column) -> status, or the InputError message the runner turns into errors."""
    (root / "result.json").write_bytes(raw)
    config: dict[str, Any] = {"mode": "report", "report": "result.json"}
    collector = Evidently()
    collector.validate_config(config)
    out = root / ".aima"
    shutil.rmtree(out, ignore_errors=True)
    ctx = CollectorContext(
        collector=collector,
        config=config,
        root=root,
        config_dir=root,
        artefact_dir=out / "artefacts" / "evidently",
        evidence_dir=out,
    )
    try:
        findings = list(collector.collect(ctx))
    except InputError as exc:
        assert str(exc).startswith("collectors.evidently.report: result.json: "), exc
        return str(exc)
    out_map: dict[tuple[str, str], str] = {}
    for f in findings:
        assert str(f.status) in KNOWN
        key = (f.check, str(f.details.get("column") or ""))
        assert key not in out_map, f"two findings for {key}"
        out_map[key] = str(f.status)
    return out_map


@pytest.fixture(scope="module")
def intact(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], str]:
    result = judge(make_repo(tmp_path_factory.mktemp("evidently")), FIXTURE.read_bytes())
    assert isinstance(result, dict)
    return result


def assert_no_false_pass(intact: dict[tuple[str, str], str], hurt: Any) -> None:
    if isinstance(hurt, str):  # refused: every check becomes error in the runner
        return
    for key, status in hurt.items():
        if status == "pass":
            assert intact.get(key) == "pass", f"{key} passes only on the damaged result: {hurt}"


def test_the_intact_result_holds_a_pass_and_a_failure(intact):
    assert intact[("evidently.drift_share", "")] == "fail"  # 3 of 4 columns drifted
    assert intact[("evidently.column_drift", "income")] == "pass"
    assert intact[("evidently.column_drift", "age")] == "fail"  # drift found: a (low) finding


@budget(120)
@given(data=st.data())
def test_byte_damage_never_creates_a_pass(tmp_path, intact, data):
    raw = data.draw(damaged(FIXTURE.read_bytes()))
    assert_no_false_pass(intact, judge(make_repo(tmp_path), raw))


@budget(120)
@given(data=st.data())
def test_wrong_types_and_missing_keys_never_crash(tmp_path, data):
    """Structural damage may produce a different valid document (a status edited to SUCCESS is
    a forgery, not corruption), so this property only demands a clean outcome."""
    doc = data.draw(mutated_json(json.loads(FIXTURE.read_text())))
    result = judge(make_repo(tmp_path), dumps_loose(doc).encode())
    assert isinstance(result, (dict, str))


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "the file is empty"),
        ("{", "not valid JSON"),
        ("[]", "no top-level 'metrics' list"),
        ('{"metrics": []}', "no DriftedColumnsCount or ValueDrift metrics"),
        ('{"metrics": [{"config": {}}]}', "has no config.type"),
        ("\udcff", "not UTF-8 text"),
    ],
)
def test_malformed_results_are_input_errors_naming_the_file(tmp_path, text, reason):
    raw = text.encode("utf-8", "surrogateescape")
    result = judge(make_repo(tmp_path), raw)
    assert isinstance(result, str) and reason in result, result


def test_cut_at_every_line_never_creates_a_pass(tmp_path, intact):
    root = make_repo(tmp_path)
    text = json.dumps(json.loads(FIXTURE.read_text()), indent=1).encode()
    starts = [0] + [i + 1 for i, b in enumerate(text) if b == 0x0A]
    for cut in starts:
        assert_no_false_pass(intact, judge(root, text[:cut]))


@pytest.mark.parametrize(
    "value", ["NaN", "Infinity", "-1", "1e999", '"0.1"', "null", "true", "2"], ids=str
)
def test_hostile_drift_share_is_refused(tmp_path, value):
    """The share that decides drift_share: anything but a finite number in [0, 1] is refused."""
    text = FIXTURE.read_text().replace('"share": 0.75', f'"share": {value}', 1)
    assert text != FIXTURE.read_text()
    result = judge(make_repo(tmp_path), text.encode())
    assert isinstance(result, str), result
    assert "DriftedColumnsCount" in result, result


def test_deeply_nested_json_is_an_input_error_not_a_crash(tmp_path):
    """json.loads raises RecursionError (not a ValueError) on deep nesting; it escaped load()
    and the worker reported a crash instead of naming the file."""
    result = judge(make_repo(tmp_path), b'{"metrics": ' + b"[" * 100_000)
    assert isinstance(result, str) and "not valid JSON" in result, result


def test_one_flipped_digit_in_the_share_is_not_a_pass(tmp_path, intact):
    """0.75 -> 0.05 is one byte: the count (3 of the 4 compared columns) contradicts it."""
    text = FIXTURE.read_text()
    assert '"share": 0.75' in text
    hurt = judge(make_repo(tmp_path), text.replace('"share": 0.75', '"share": 0.05', 1).encode())
    assert_no_false_pass(intact, hurt)
    assert isinstance(hurt, str) and "DriftedColumnsCount is inconsistent" in hurt, hurt
    # and the count, the other half of the pair
    hurt = judge(make_repo(tmp_path), text.replace('"count": 3.0', '"count": 0.0', 1).encode())
    assert isinstance(hurt, str) and "3 drifted" not in hurt and "inconsistent" in hurt, hurt
