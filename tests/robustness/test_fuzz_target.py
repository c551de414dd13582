"""The atheris target (fuzz/garak_report.py) still runs: its seed corpus and a few hostile inputs
are replayed through ``TestOneInput`` without atheris, so the on-demand fuzzer never rots."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
from rb_support import FIXTURES, REPO_ROOT

SPEC = importlib.util.spec_from_file_location(
    "fuzz_garak_report", REPO_ROOT / "fuzz" / "garak_report.py"
)
assert SPEC is not None and SPEC.loader is not None
target = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(target)

SEEDS = sorted((FIXTURES / "garak").glob("*.jsonl"))


@pytest.mark.parametrize("seed", SEEDS, ids=lambda p: p.name)
def test_seed_corpus_replays(seed: Path) -> None:
    target.TestOneInput(seed.read_bytes())


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"\n" * 1000,
        b"[" * 100_000,
        b'{"entry_type": "eval", "probe": "a.B", "detector": "d", "passed": '
        + b"9" * 5000
        + b"}\n",
        b'{"entry_type": "eval", "probe": "a.B", "detector": "d", "passed": 5, "total": 5}\n'
        b'{"entry_type": "completion"}\n',  # no header: not a complete report, cannot pass
        b'{"entry_type": "init", "run": "r1"}\n{"entry_type": "eval", "probe": "a.B", "detector": "d",'
        b' "passed": 5, "total": 5}\n{"entry_type": "completion", "run": "r1"}\n',  # a legitimate pass
    ],
    ids=["empty", "blank-lines", "deep", "int-limit", "headless", "minimal-pass"],
)
def test_hostile_inputs_keep_the_invariants(data: bytes) -> None:
    target.TestOneInput(data)


def test_the_invariant_can_fail() -> None:
    """The no-false-pass check is live: a report judged with a broken rule is caught."""
    data = (
        b'{"entry_type": "init", "run": "r1"}\n{"entry_type": "eval", "probe": "a.B", "detector": "d",'
        b' "passed": 5, "total": 5}\n{"entry_type": "completion", "run": "r1"}\n'
    )
    target.THRESHOLD, saved = 0.99, target.THRESHOLD  # the verdict still uses 0.5: 5/5 passes
    try:
        with pytest.raises(AssertionError):
            target.TestOneInput(data)
    finally:
        target.THRESHOLD = saved
