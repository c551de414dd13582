"""Class 8 of issue 12: user and environment errors are exit 2 naming the file, never exit 3.

Fourteen such errors ended in "internal error ... this is a bug" (exit 3), one hung on a FIFO
and one ran out of memory after 90 s. Each case here is what a user's machine or a pull
request can produce; each must end quickly, in exit 2, with the file and the reason. Also the
"validate early" property: a bad input found by the pre-flight stops the run before any
collector writes evidence.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import pytest
from rb_support import assert_clean_failure, make_repo, run_cli

CONFIG = "target: 0\ncollectors:\n  pipeline: true\n"
WITH_ATTEST = "target: 0\nattestations: att.yaml\ncollectors:\n  pipeline: true\n"


def _repo(tmp_path: Path, config: str = CONFIG) -> Path:
    root = make_repo(tmp_path)
    (root / "aima.yaml").write_text(config)
    return root


def _exit_2(result, *needles: str) -> None:
    assert_clean_failure(result, allowed=(2,))
    for needle in needles:
        assert needle in result.stderr, result.stderr[-2000:]


def test_out_under_a_file(tmp_path):
    root = _repo(tmp_path)
    (root / "file").write_text("x")
    _exit_2(run_cli("run", "--out", "file/evidence", cwd=root), "file/evidence", "Not a directory")


def test_out_where_nothing_may_be_created(tmp_path):
    """/proc refuses new entries, as a read-only filesystem does (root ignores chmod)."""
    root = _repo(tmp_path)
    _exit_2(run_cli("run", "--out", "/proc/aima-ci-evidence", cwd=root), "/proc/aima-ci-evidence")


def test_file_too_large_is_exit_2_naming_the_file(tmp_path):
    """EFBIG (a file-size limit, as ulimit -f or a quota sets) while writing the evidence."""
    root = _repo(tmp_path)
    env = {**os.environ, "NO_COLOR": "1", "AIMA_CI_NO_CACHE": "1"}

    def limit() -> None:  # pragma: no cover - runs in the child
        resource.setrlimit(resource.RLIMIT_FSIZE, (20_000, 20_000))

    result = subprocess.run(
        [sys.executable, "-m", "aima_ci", "run", "-f", "html"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        preexec_fn=limit,
        check=False,
    )
    _exit_2(result, "File too large", str(root / ".aima"))


@pytest.mark.parametrize(
    "where",
    [
        "collectors:\n  pipeline: {ttl_days: 1.0e+308}",
        "checks:\n  pipeline.ci_runs_aima: {ttl_days: 1.0e+308}\ncollectors:\n  pipeline: true",
    ],
)
def test_ttl_days_too_large(tmp_path, where):
    root = _repo(tmp_path, f"target: 0\n{where}\n")
    _exit_2(run_cli("run", cwd=root), "aima.yaml:", "ttl_days", "at most")


def test_aima_ci_today_not_a_date_stops_before_collectors(tmp_path):
    root = _repo(tmp_path)
    _exit_2(run_cli("run", cwd=root, env={"AIMA_CI_TODAY": "tomorrow"}), "AIMA_CI_TODAY")
    assert not (root / ".aima" / "findings.jsonl").exists()


@pytest.mark.parametrize(
    "name",
    [".lock", "summary.json", "findings.jsonl", "assessment.json", "run.json", "manifest.json"],
)
@pytest.mark.parametrize("command", ["run", "score"])
def test_evidence_file_that_is_a_directory(tmp_path, name, command):
    root = _repo(tmp_path)
    if command == "score":
        assert run_cli("run", cwd=root).returncode in (0, 1)
        target = root / ".aima" / name
        if target.exists():
            target.unlink()
    (root / ".aima" / name).mkdir(parents=True)
    _exit_2(run_cli(command, cwd=root), name, "regular file")


def test_gate_and_report_on_a_directory_in_place_of_a_file(tmp_path):
    root = _repo(tmp_path)
    assert run_cli("run", cwd=root).returncode in (0, 1)
    (root / ".aima" / "summary.json").unlink()
    (root / ".aima" / "summary.json").mkdir()
    assert_clean_failure(run_cli("gate", cwd=root), allowed=(1, 2))
    (root / ".aima" / "assessment.json").unlink()
    (root / ".aima" / "assessment.json").mkdir()
    assert_clean_failure(run_cli("report", cwd=root), allowed=(1, 2))


ALIAS_BOMB = (
    "".join(
        f"{n}: &{n} [{', '.join(['*' + p] * 9) if p else ', '.join(['x'] * 9)}]\n"
        for n, p in zip("abcdefgh", ["", *"abcdefg"], strict=True)
    )
    + "attestations: [*h]\n"
)


@pytest.mark.parametrize("kind", ["directory", "fifo", "alias-bomb"])
def test_attestation_file_damage_is_quick_exit_2_before_any_collector(tmp_path, kind):
    """A FIFO hung the run; the alias bomb (a few hundred bytes) took 90 s and all memory."""
    root = _repo(tmp_path, WITH_ATTEST)
    path = root / "att.yaml"
    if kind == "directory":
        path.mkdir()
    elif kind == "fifo":
        os.mkfifo(path)
    else:
        path.write_text(ALIAS_BOMB)
    start = time.monotonic()
    result = run_cli("run", cwd=root, timeout=60)
    _exit_2(result, "att.yaml")
    assert time.monotonic() - start < 30
    assert not (root / ".aima" / "findings.jsonl").exists(), "collectors ran before the refusal"


def test_collector_input_checked_before_any_collector_runs(tmp_path):
    """A collector's named input that cannot work (a FIFO, out of the repository) is exit 2 at
    once, not an error finding after every other collector has run."""
    root = _repo(
        tmp_path,
        "target: 0\ncollectors:\n  pipeline: true\n  policy: {input: meta.yaml}\n",
    )
    os.mkfifo(root / "meta.yaml")
    result = run_cli("run", cwd=root, timeout=60)
    _exit_2(result, "collectors.policy.input", "not a regular file")
    assert not (root / ".aima" / "findings.jsonl").exists()
    (root / "meta.yaml").unlink()
    (root / "aima.yaml").write_text(
        "target: 0\ncollectors:\n  pipeline: true\n  policy: {input: ../outside.yaml}\n"
    )
    (tmp_path / "outside.yaml").write_text("name: x\n")
    _exit_2(run_cli("run", cwd=root), "collectors.policy.input", "outside the repository")
