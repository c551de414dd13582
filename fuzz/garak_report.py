"""atheris (libFuzzer) target: the garak report reader and the per-probe verdict on arbitrary bytes.

Run on demand (``make fuzz``; see fuzz/README.md). Each input is written to a file and read
exactly as the collector reads a report.jsonl or hitlog.jsonl, then judged. Three invariants,
any breach of which is a crash libFuzzer keeps and minimises:

1. the reader returns a Report whatever the bytes (no exception escapes);
2. every eval row it returns is a valid count (0 <= passed <= total, passed + fails == total
   for garak >= 0.14 rows), and every problem has a known scope;
3. no false pass: a probe may only pass when the report proves the run finished (a completion
   entry), nothing damaged may hide its counts (no ``all`` problem, no problem of its own), and
   every one of its rows has evaluated outputs whose Wilson lower bound reaches the threshold.

The module imports without atheris, so tests/robustness/test_fuzz_target.py replays the seed
corpus through ``TestOneInput`` in the normal test run.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

try:
    import atheris
except ImportError:  # the target still imports (for the replay test) without the fuzzer
    atheris = None

if atheris is not None:
    with atheris.instrument_imports():
        from aima_ci_collectors.garak.judge import assess_probes
        from aima_ci_collectors.garak.measure import RunInfo
        from aima_ci_collectors.garak.report import cross_check_hitlog, read_report
        from aima_ci_collectors.garak.settings import parse_settings
        from aima_ci_collectors.garak.verdict import wilson_interval
else:
    from aima_ci_collectors.garak.judge import assess_probes
    from aima_ci_collectors.garak.measure import RunInfo
    from aima_ci_collectors.garak.report import cross_check_hitlog, read_report
    from aima_ci_collectors.garak.settings import parse_settings
    from aima_ci_collectors.garak.verdict import wilson_interval

from aima_ci.models import Status

THRESHOLD = 0.5  # low, so that small fuzzed counts can pass and the pass rule is exercised
SETTINGS = parse_settings({"mode": "report", "report": "x", "thresholds": {"default": THRESHOLD}})
SCOPES = {"integrity", "probe", "all"}
_WORK = Path(tempfile.mkdtemp(prefix="aima-fuzz-garak-"))
_INPUT = _WORK / "input.report.jsonl"


def check(data: bytes) -> None:
    """Read and judge one input; raise AssertionError when an invariant breaks."""
    _INPUT.write_bytes(data)
    report = read_report(_INPUT, worst_per_probe=3)
    assert {p.scope for p in report.problems} <= SCOPES, report.problems
    for row in report.evals:
        assert 0 <= row.passed <= row.total_evaluated, row
        if row.shape == "0.14+":
            assert row.passed + row.fails == row.total_evaluated, row
    if report.kind == "hitlog":
        return
    cross_check_hitlog(report, report)  # a report is not its own hitlog: must not crash
    results, _, _ = assess_probes(SETTINGS, [report], RunInfo("report"))
    damaged_all = any(p.scope == "all" for p in report.problems)
    own = {p.probe for p in report.problems if p.scope == "probe"}
    for probe, result in results.items():
        if result.status is not Status.PASS:
            continue
        assert report.has_completion or not report.completion_expected, probe
        assert not damaged_all and probe not in own, (probe, report.problems)
        rows = [r for r in report.evals if r.probe == probe]
        assert rows, probe
        for row in rows:
            assert row.total_evaluated > 0, row
            lower, _ = wilson_interval(row.passed, row.total_evaluated)
            assert lower >= THRESHOLD, row


def TestOneInput(data: bytes) -> None:
    check(data)


def main() -> None:
    if atheris is None:
        sys.exit("atheris is not installed: pip install atheris (see fuzz/README.md)")
    atheris.Setup(sys.argv, TestOneInput)
    try:
        atheris.Fuzz()
    finally:
        for leftover in _WORK.glob("*"):
            leftover.unlink()
        os.rmdir(_WORK)


if __name__ == "__main__":
    main()
