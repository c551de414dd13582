"""Class 7 of issue 12: a garak report proves a finished run only with that run's own ending.

Built from real garak 0.17.1 reports (tests/fixtures/garak, /work/shared/samples): a run cut
short before its ``completion`` entry, with another run's completion (and digest) appended,
passed ``garak.scan`` before the fix; so did a 0.17 report whose digest was cut off.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from rb_support import FIXTURES, make_repo, run_cli

from aima_ci.evidence.directory import read_findings

GARAK = FIXTURES / "garak"
CUT = GARAK / "garak-0.17.1-repeat.report.jsonl"  # the run that is cut short
OTHER = GARAK / "garak-0.17.1-rest.report.jsonl"  # a different run's ending (same as samples/)


def _records(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def _ending(kinds: tuple[str, ...], source: Path) -> list[dict]:
    return [r for r in _records(source) if r.get("entry_type") in kinds]


def _body() -> list[dict]:
    """The cut run: everything before garak wrote its completion and digest."""
    return [r for r in _records(CUT) if r.get("entry_type") not in ("completion", "digest")]


def _own_completion() -> list[dict]:
    return _ending(("completion",), CUT)


CASES = {
    "another run's completion": lambda: _body() + _ending(("completion",), OTHER),
    "another run's completion and digest": lambda: (
        _body() + _ending(("completion", "digest"), OTHER)
    ),
    "own completion, digest cut off": lambda: _body() + _own_completion(),
    "completion without a run id": lambda: (
        _body() + [{k: v for k, v in r.items() if k != "run"} for r in _own_completion()]
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_cut_short_report_with_a_foreign_ending_never_passes(tmp_path, case):
    root = make_repo(tmp_path)
    report = root / "scan.report.jsonl"
    report.write_text("".join(json.dumps(r) + "\n" for r in CASES[case]()))
    (root / "aima.yaml").write_text(
        "target: 0\ncollectors:\n  garak:\n    report: scan.report.jsonl\n"
    )
    result = run_cli("run", cwd=root)
    assert result.returncode in (0, 1), result.stderr[-2000:]
    findings = read_findings(root / ".aima")
    scan = [f for f in findings if f.check == "garak.scan"]
    assert scan and all(f.status.value == "error" for f in scan), [
        (f.status, f.message) for f in scan
    ]
    passed_probes = [f.check for f in findings if f.status.value == "pass"]
    assert passed_probes == [], passed_probes


def test_the_real_complete_reports_still_read_clean():
    """The guard must not cost the genuine article: both real runs are complete and bound."""
    from aima_ci_collectors.garak.report import read_report

    for path in (CUT, OTHER, Path("/work/shared/samples/garak-report.jsonl")):
        if not path.exists():
            continue
        kinds = [p.kind for p in read_report(path).problems]
        assert "mixed_runs" not in kinds and "no_digest" not in kinds, (path, kinds)
