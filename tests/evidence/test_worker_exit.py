"""The worker ends without the interpreter's teardown, but with everything a normal exit does
that a collector can rely on (``_worker.exit_without_teardown``).

Skipping the teardown saves about a second after evidently; these tests prove what is kept:
threads that are not daemons finish, ``atexit`` functions run (a ``TemporaryDirectory`` still
alive is removed), the last unterminated stderr line is flushed, and the exit code is the one
``main`` returned. The worker runs for real (``python -P -m aima_ci.evidence._worker``).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

COLLECTOR = """
import atexit, os, sys, tempfile, threading, time
from pathlib import Path
from aima_ci.plugin import Collector

OUT = Path(os.environ["EXIT_PROBE_OUT"])
KEPT = []

class ExitProbe(Collector):
    name = "exit_probe"

    def collect(self, ctx):
        atexit.register(lambda: (OUT / "atexit-ran").write_text("yes"))
        def late():
            time.sleep(0.5)
            (OUT / "thread-finished").write_text("yes")
        threading.Thread(target=late).start()  # not a daemon: a normal exit waits for it
        KEPT.append(tempfile.TemporaryDirectory(dir=OUT))  # removed by its weakref.finalize
        (OUT / "tempdir").write_text(KEPT[0].name)
        sys.stderr.write("last words without a newline")
        if os.environ.get("EXIT_PROBE_CRASH"):
            raise RuntimeError("probe crash")
        return iter(())
"""


def _run(
    tmp_path: Path, *python_args: str, **env: str
) -> tuple[subprocess.CompletedProcess[str], dict[str, Any]]:
    site = tmp_path / "site"
    site.mkdir(exist_ok=True)
    (site / "exit_probe.py").write_text(COLLECTOR)
    out = tmp_path / "out"
    out.mkdir(exist_ok=True)
    evidence = tmp_path / "evidence"
    (evidence / "artefacts").mkdir(parents=True, exist_ok=True)
    request = {
        "collector": "exit_probe",
        "class": "exit_probe:ExitProbe",
        "config": {},
        "root": str(tmp_path),
        "config_dir": str(tmp_path),
        "artefact_dir": str(evidence / "artefacts"),
        "evidence_dir": str(evidence),
        "timeout": 60,
    }
    paths = [str(site), os.environ.get("PYTHONPATH", "")]
    proc = subprocess.run(
        [sys.executable, "-P", *python_args, "-m", "aima_ci.evidence._worker"],
        input=json.dumps(request),
        capture_output=True,
        text=True,
        env={
            **os.environ,
            "PYTHONPATH": os.pathsep.join(p for p in paths if p),
            "EXIT_PROBE_OUT": str(out),
            **env,
        },
        cwd=tmp_path,
        timeout=120,
        check=False,
    )
    events = {e["event"]: e for e in map(json.loads, proc.stdout.splitlines())}
    return proc, events


def test_a_finished_worker_still_does_what_a_normal_exit_does(tmp_path: Path) -> None:
    proc, events = _run(tmp_path)
    assert proc.returncode == 0 and "done" in events
    out = tmp_path / "out"
    assert (out / "thread-finished").read_text() == "yes"
    assert (out / "atexit-ran").read_text() == "yes"
    assert not Path((out / "tempdir").read_text()).exists()
    assert proc.stderr.endswith("last words without a newline")


def test_a_crashed_worker_keeps_its_exit_code_and_its_clean_up(tmp_path: Path) -> None:
    proc, events = _run(tmp_path, EXIT_PROBE_CRASH="1")
    assert proc.returncode == 1 and "crash" in events and "done" not in events
    assert "RuntimeError: probe crash" in proc.stderr
    assert (tmp_path / "out" / "atexit-ran").read_text() == "yes"
    assert (tmp_path / "out" / "thread-finished").read_text() == "yes"


def test_a_profiler_gets_the_normal_exit_and_writes_its_stats(tmp_path: Path) -> None:
    import pstats

    stats = tmp_path / "worker.prof"
    proc, events = _run(tmp_path, "-m", "cProfile", "-o", str(stats))
    assert "done" in events, proc.stderr
    functions = {name for _, _, name in pstats.Stats(str(stats)).stats}  # type: ignore[attr-defined]
    assert "collect" in functions and "exit_without_teardown" in functions


def test_aima_ci_worker_profile_profiles_the_worker_a_runner_starts(tmp_path: Path) -> None:
    import pstats

    prefix = tmp_path / "profiles" / "worker"
    prefix.parent.mkdir()
    proc, events = _run(tmp_path, AIMA_CI_WORKER_PROFILE=str(prefix))
    assert proc.returncode == 0 and "done" in events
    [written] = prefix.parent.iterdir()
    assert written.name.startswith("worker.") and written.name.split(".")[1].isdigit()
    functions = {name for _, _, name in pstats.Stats(str(written)).stats}  # type: ignore[attr-defined]
    assert "collect" in functions and "main" in functions
    assert (tmp_path / "out" / "atexit-ran").read_text() == "yes"  # still the fast exit's duties
