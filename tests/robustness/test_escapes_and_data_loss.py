"""Class 4 of issue 12: escapes and data loss.

The attacker commits files to the pull request; aima-ci must neither write outside the
repository through them nor delete what it did not write, and no process it started may write
after the run that started it has ended. Every case runs the real CLI on a throwaway
repository. Each failed on the code before the fix (a symlinked lock overwrote its target,
``output_dir: .`` deleted the repository's ``artefacts/``, the pytm model outlived aima-ci).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from rb_support import assert_clean_failure, make_repo, run_cli

PIPELINE_ONLY = "target: 0\ncollectors:\n  pipeline: true\n"


def _repo(tmp_path: Path, config: str = PIPELINE_ONLY) -> Path:
    root = make_repo(tmp_path)
    (root / "aima.yaml").write_text(config)
    return root


@pytest.mark.parametrize(
    "name", [".lock", "summary.json", "findings.jsonl", "assessment.json", "run.json"]
)
def test_committed_symlink_in_evidence_dir_is_refused_and_target_untouched(tmp_path, name):
    """``.aima/.lock -> ~/victim`` made every run truncate and overwrite the victim."""
    root = _repo(tmp_path)
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n")
    (root / ".aima").mkdir()
    (root / ".aima" / name).symlink_to(victim)
    result = run_cli("run", cwd=root)
    assert_clean_failure(result, allowed=(2,))
    assert name in result.stderr and "symlink" in result.stderr, result.stderr
    assert victim.read_text() == "precious\n"


def test_committed_artefacts_symlink_writes_nothing_outside(tmp_path):
    """``.aima/artefacts -> /elsewhere`` let collectors write there before any refusal."""
    root = _repo(tmp_path)
    outside = tmp_path / "outside"
    outside.mkdir()
    (root / ".aima").mkdir()
    (root / ".aima" / "artefacts").symlink_to(outside, target_is_directory=True)
    result = run_cli("run", cwd=root)
    assert_clean_failure(result, allowed=(2,))
    assert "artefacts" in result.stderr and "symlink" in result.stderr, result.stderr
    assert list(outside.iterdir()) == []


def test_output_dir_dot_keeps_the_repository_files(tmp_path):
    """``output_dir: .`` deleted the repository's own ``artefacts/`` and overwrote run.json."""
    root = _repo(tmp_path, "target: 0\noutput_dir: .\ncollectors:\n  pipeline: true\n")
    (root / "artefacts").mkdir()
    (root / "artefacts" / "keep.txt").write_text("mine\n")
    (root / "run.json").write_text('{"mine": true}\n')
    result = run_cli("run", cwd=root)
    assert_clean_failure(result, allowed=(2,))
    assert "not an aima-ci evidence directory" in result.stderr, result.stderr
    assert (root / "artefacts" / "keep.txt").read_text() == "mine\n"
    assert (root / "run.json").read_text() == '{"mine": true}\n'


def test_evidence_directory_is_claimed_and_reused(tmp_path):
    """An empty folder, and evidence aima-ci wrote before, are accepted; the marker is left."""
    root = _repo(tmp_path)
    first = run_cli("run", cwd=root)
    assert first.returncode in (0, 1), first.stderr
    assert (root / ".aima" / ".aima-ci-evidence").is_file()
    (root / ".aima" / ".aima-ci-evidence").unlink()  # evidence from before the marker existed
    again = run_cli("run", cwd=root)
    assert again.returncode in (0, 1), again.stderr


def test_history_path_from_config_stays_in_the_repository(tmp_path):
    root = _repo(tmp_path, "target: 0\nhistory: ../escaped.sqlite\ncollectors:\n  pipeline: true\n")
    result = run_cli("run", cwd=root)
    assert_clean_failure(result, allowed=(2,))
    assert "history" in result.stderr and "outside the repository" in result.stderr
    assert not (tmp_path / "escaped.sqlite").exists()


# --------------------------------------------------------------------------- child processes
PYTM_MODEL = """\
# A pytm model the pull request controls: it leaves a process behind that writes later.
import subprocess, sys, time
from pathlib import Path
import pytm  # noqa: F401  (what makes it a pytm model to aima-ci)

here = Path(__file__).resolve().parent
late = "import time, pathlib; time.sleep({delay}); pathlib.Path({late!r}).write_text('late')"
subprocess.Popen([sys.executable, "-c", late], stdin=subprocess.DEVNULL,
                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
(here / "started").write_text("yes")
time.sleep({linger})
out = sys.argv[sys.argv.index("--json") + 1]
Path(out).write_text('{{"findings": []}}')
(here / "finished").write_text("yes")
"""


def _pytm_repo(tmp_path: Path, delay: float, linger: float) -> tuple[Path, Path]:
    pytest.importorskip("pytm")
    root = _repo(tmp_path, "target: 0\ncollectors:\n  threat_model: {path: tm.py}\n")
    late = tmp_path / "late-write"
    (root / "tm.py").write_text(
        textwrap.dedent(PYTM_MODEL.format(delay=delay, late=str(late), linger=linger))
    )
    return root, late


def test_pytm_leftover_process_cannot_write_after_the_collector_ended(tmp_path):
    """The model's own child (stdio closed, so nothing waited for it) outlived the model."""
    root, late = _pytm_repo(tmp_path, delay=2, linger=0)
    result = run_cli("run", cwd=root)
    assert result.returncode in (0, 1), result.stderr
    time.sleep(3.5)
    assert not late.exists(), "a process started by the pytm model wrote after the run ended"


def test_pytm_model_dies_with_a_killed_aima_ci(tmp_path):
    """SIGKILL of aima-ci: the worker died with it, but the pytm model ran on and wrote."""
    root, late = _pytm_repo(tmp_path, delay=0, linger=3)
    env = {**os.environ, "NO_COLOR": "1", "AIMA_CI_NO_CACHE": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "aima_ci", "run"],
        cwd=root,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while not (root / "started").exists():
            assert time.monotonic() < deadline, "the pytm model never started"
            assert proc.poll() is None, "aima-ci ended before the model started"
            time.sleep(0.05)
        late.unlink(missing_ok=True)  # the model's instant child (delay 0) is not the point
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        time.sleep(4.5)  # the model would write its JSON (and exit) 3 s after starting
        assert not (root / "finished").exists(), "the pytm model ran on after aima-ci died"
        leftovers = list((root / ".aima" / "artefacts").rglob("pytm.json"))
        assert leftovers == [], f"the model wrote into the evidence after aima-ci died: {leftovers}"
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


@pytest.mark.parametrize("command", ["gate", "report"])
def test_gate_and_report_never_read_through_a_committed_symlink(tmp_path, command):
    """A verdict read through a link would come from a file the pull request placed anywhere."""
    root = _repo(tmp_path)
    assert run_cli("run", cwd=root).returncode in (0, 1)
    for name in ("summary.json", "assessment.json"):
        real = root / ".aima" / name
        elsewhere = tmp_path / f"forged-{name}"
        elsewhere.write_bytes(real.read_bytes())
        real.unlink()
        real.symlink_to(elsewhere)
    result = run_cli(command, cwd=root)
    assert_clean_failure(result, allowed=(2,))
    assert "symlink" in result.stderr, result.stderr


def test_a_symlink_planted_in_the_cache_is_never_followed(tmp_path):
    """A cached artefact replaced by a link (to a file with the very bytes it had, so the
    digest still matches) is not restored through the link: the collector runs again."""
    root = _repo(tmp_path)
    cache = tmp_path / "cache"
    env = {"AIMA_CI_NO_CACHE": "", "AIMA_CI_CACHE_DIR": str(cache)}
    assert run_cli("run", cwd=root, env=env).returncode in (0, 1)
    [stored] = list(cache.rglob("pipeline.json"))
    planted = tmp_path / "planted.json"
    planted.write_bytes(stored.read_bytes())
    stored.unlink()
    stored.symlink_to(planted)
    again = run_cli("run", cwd=root, env=env)
    assert again.returncode in (0, 1), again.stderr
    run_json = json.loads((root / ".aima" / "run.json").read_text())
    [pipeline] = [c for c in run_json["collectors"] if c["name"] == "pipeline"]
    assert pipeline["status"] == "ok", pipeline  # ran fresh, not "reused" through the link
