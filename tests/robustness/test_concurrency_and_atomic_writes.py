"""Nothing lost or half-written: one run per evidence directory at a time, and atomic files.

tests/test_runner.py checks the lock in one process (two ``locked()`` in a row). Here the lock
is met by real, concurrent ``aima-ci`` processes, a run is killed at random moments, and the
core's writers are audited so that a new non-atomic write cannot slip in unnoticed.
"""

from __future__ import annotations

import ast
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
import yaml
from rb_support import REPO_ROOT, make_repo, run_cli

from aima_ci.evidence.collect import locked
from aima_ci.evidence.directory import atomic_copy, read_json, verify_manifest

ENV = {**os.environ, "NO_COLOR": "1", "AIMA_CI_NO_CACHE": "1", "AIMA_CI_TODAY": "2026-12-01"}


def write_config(root: Path, collectors: dict) -> Path:
    path = root / "aima.yaml"
    path.write_text(yaml.safe_dump({"collectors": collectors}))
    return path


def start(args: list[str], cwd: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "aima_ci", *args],
        cwd=cwd,
        env=ENV,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_for(predicate, timeout: float = 60.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.02)


def test_two_concurrent_collects_are_refused_not_interleaved(tmp_path):
    """A hanging collector holds the directory; a second collect on it exits 2 at once and
    touches nothing; the first then finishes with complete, verifiable evidence."""
    slow = make_repo(tmp_path, "slow")
    fast = make_repo(tmp_path, "fast")
    write_config(slow, {"testplugin": {"behaviour": "hang", "timeout": 6}})
    write_config(fast, {"testplugin": {"behaviour": "pass"}})
    out = tmp_path / "shared-evidence"
    first = start(["collect", "--out", str(out)], slow)
    try:
        # the hanging collector has started: its artefact folder exists under the lock
        wait_for(lambda: (out / "artefacts" / "testplugin").is_dir())
        began = time.monotonic()
        second = run_cli("collect", "--out", str(out), cwd=fast, env=ENV)
        assert time.monotonic() - began < 20
        assert second.returncode == 2, second.stdout + second.stderr
        assert second.stderr.strip() == (
            f"aima-ci: error: {out} is in use by another aima-ci run; wait for it or use --out"
        )
        assert (out / "artefacts" / "testplugin").is_dir()  # the second run cleared nothing
        assert first.poll() is None
        stdout, stderr = first.communicate(timeout=60)
    finally:
        if first.poll() is None:
            first.kill()
    assert first.returncode == 0, stdout + stderr
    assert verify_manifest(out) == []
    findings = [json.loads(line) for line in (out / "findings.jsonl").read_text().splitlines()]
    assert {f["check"]: f["status"] for f in findings} == {
        "testplugin.alpha": "error",
        "testplugin.beta": "error",
    }
    assert all("timed out after 6s" in f["message"] for f in findings)
    (entry,) = read_json(out / "run.json")["collectors"]
    assert entry["status"] == "timeout"


POLLER = textwrap.dedent(
    """
    import fcntl, os, sys, time
    lock, summary, stop = sys.argv[1], sys.argv[2], sys.argv[3]
    print("ready", flush=True)
    seen_held = False
    while not os.path.exists(stop):
        if os.path.exists(lock):
            fd = os.open(lock, os.O_RDWR)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                seen_held = True
            else:
                if seen_held:  # the first moment it is free after the run took it
                    print("summary" if os.path.exists(summary) else "no-summary", flush=True)
                    sys.exit(0)
            finally:
                os.close(fd)
        time.sleep(0.001)
    print("never-saw-it-held" if not seen_held else "still-held", flush=True)
    """
)


def test_run_holds_the_lock_until_its_evidence_is_complete(tmp_path):
    """``run`` = collect + score + report. Between its collect and its score the directory was
    unlocked, so a second collect could clear it while the first run scored, and the second
    run's manifest then vouched for the first run's assessment. A poller takes the lock the
    first moment it is free: that must be after the run wrote summary.json."""
    root = make_repo(tmp_path)
    write_config(root, {"testwork": {"sleep": 1.0}})
    out = root / ".aima"
    out.mkdir()
    stop = tmp_path / "stop"
    poller = subprocess.Popen(
        [sys.executable, "-c", POLLER, str(out / ".lock"), str(out / "summary.json"), str(stop)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert poller.stdout is not None and poller.stdout.readline().strip() == "ready"
        result = run_cli("run", "--format", "json", cwd=root, env=ENV)
        assert result.returncode in (0, 1), result.stdout + result.stderr
        try:
            verdict, _ = poller.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            stop.touch()
            verdict, _ = poller.communicate(timeout=20)
    finally:
        stop.touch()
        if poller.poll() is None:
            poller.kill()
    assert verdict.strip() == "summary", f"poller: {verdict.strip()}"


@pytest.mark.parametrize("command", ["score", "gate", "run", "collect"])
def test_every_writing_command_respects_a_held_lock(tmp_path, command):
    root = make_repo(tmp_path)
    write_config(root, {"testplugin": {"behaviour": "pass"}})
    assert run_cli("collect", cwd=root, env=ENV).returncode == 0
    (root / ".aima" / "assessment.json").unlink(missing_ok=True)  # gate must score
    before = {p: p.read_bytes() for p in (root / ".aima").rglob("*") if p.is_file()}
    with locked(root / ".aima"):
        result = run_cli(command, cwd=root, env=ENV)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "is in use by another aima-ci run" in result.stderr
    after = {p: p.read_bytes() for p in (root / ".aima").rglob("*") if p.is_file()}
    before.pop(root / ".aima" / ".lock", None)
    after.pop(root / ".aima" / ".lock", None)
    assert after == before


@pytest.mark.slow
def test_a_killed_collect_leaves_no_half_written_file(tmp_path):
    """SIGKILL at several moments: every evidence file present is whole (parses), and the next
    collect on the same directory produces evidence that verifies."""
    root = make_repo(tmp_path)
    write_config(
        root,
        {
            "testwork": {"rounds": 40, "sleep": 0.3},
            "testwork2": {"rounds": 40},
            "testplugin": {"behaviour": "pass"},
        },
    )
    for delay in (0.4, 0.9, 1.4, 2.0):
        proc = start(["collect", "--jobs", "1"], root)
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=30)
        out = root / ".aima"
        for name in ("findings.jsonl", "run.json", "manifest.json"):
            path = out / name
            if path.exists():
                text = path.read_text()
                if name.endswith(".jsonl"):
                    [json.loads(line) for line in text.splitlines()]
                else:
                    json.loads(text)
        if (out / "manifest.json").exists():
            assert verify_manifest(out) == []
    # the collector workers run in their own sessions; give the orphans their timeout's worth
    assert run_cli("collect", cwd=root, env=ENV).returncode == 0
    assert verify_manifest(root / ".aima") == []


def test_atomic_copy_streams_and_replaces(tmp_path):
    source = tmp_path / "big.bin"
    source.write_bytes(os.urandom(3 << 20))
    target = tmp_path / "out" / "copy.bin"
    target.parent.mkdir()
    target.write_bytes(b"old")
    atomic_copy(source, target)
    assert target.read_bytes() == source.read_bytes()
    assert [p.name for p in target.parent.iterdir()] == ["copy.bin"]


# --------------------------------------------------------------------------- the writers' audit
# Every place in aima_ci/ that opens a file for writing, with why it is safe. A new writer fails
# this test until it uses safety.atomic (atomic_write, atomic_copy, write_staged) or is added here with its reason.
ALLOWED_WRITERS = {
    ("atomic.py", "write_staged"): "the temp file every atomic write, copy, redacted rewrite and"
    " key file goes through: fsynced, then renamed or linked into place",
    ("atomic.py", "copy"): "atomic_copy's writer, into write_staged's temp file",
    ("redact.py", "rewrite"): "a redacted rewrite, into write_staged's temp file",
    ("_worker.py", "main"): "the event pipe (fd 1), not a file",
    ("collect.py", "locked"): "the lock file: its content (a pid) is informational",
    ("outdir.py", "open_lock"): "opens the lock file (O_NOFOLLOW), content informational",
    ("main.py", "wrapper"): "os.devnull for a reader that went away",
    ("main.py", "handle_errors"): "the same call, seen from the enclosing decorator",
    ("merge.py", "_copy_capped"): "unpacking into a private scratch folder, never an output",
    ("cache.py", "store"): "written into a staging folder renamed into place in one step",
    ("cache.py", "_copy_tree"): "copies into the same staging folder",
    ("cache.py", "_ignore_in_git"): "a constant .gitignore in the cache, rewritten if missing",
    ("history.py", "*"): "SQLite transactions",
}
WRITE_CALLS = {"write_text", "write_bytes", "copyfile", "copy", "copy2", "copytree"}


def _open_mode(node: ast.Call) -> str:
    """The mode of open()/Path.open()/os.fdopen(), or the flags of os.open() ("?" if unknown)."""
    func = node.func
    module = (
        func.value.id
        if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name)
        else ""
    )
    position = 0 if isinstance(func, ast.Attribute) and module not in ("os", "io") else 1
    arg = node.args[position] if len(node.args) > position else None
    for kw in node.keywords:
        if kw.arg in ("mode", "flags"):
            arg = kw.value
    if arg is None:
        return "r"
    if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
        return arg.value
    # os.open flags or a computed mode: assume writing; zf.open(info) and the like: reading
    return "?" if position == 1 else "r"


def _writers(path: Path) -> list[tuple[str, str, int]]:
    tree = ast.parse(path.read_text())
    found = []
    for func in ast.walk(tree):
        if not isinstance(func, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        for node in ast.walk(func):
            if not isinstance(node, ast.Call):
                continue
            call = node.func
            name = call.attr if isinstance(call, ast.Attribute) else getattr(call, "id", "")
            writes = name in WRITE_CALLS or (
                name in ("open", "fdopen") and any(c in _open_mode(node) for c in "wxa+?")
            )
            if writes:
                found.append((path.name, func.name, node.lineno))
    return found


def test_every_core_writer_is_atomic_or_explained():
    unexplained = []
    for path in sorted((REPO_ROOT / "aima_ci").rglob("*.py")):
        for file, func, line in _writers(path):
            if (file, func) in ALLOWED_WRITERS or (file, "*") in ALLOWED_WRITERS:
                continue
            unexplained.append(f"{path.relative_to(REPO_ROOT)}:{line} in {func}()")
    assert not unexplained, "non-atomic writes: " + ", ".join(sorted(set(unexplained)))


def _workers_in(folder: Path) -> list[int]:
    """Collector workers running in ``folder`` (a worker's working directory is the config's)."""
    pids = []
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            cmdline = (proc / "cmdline").read_bytes()
            if b"aima_ci.evidence._worker" in cmdline and Path(os.readlink(proc / "cwd")) == folder:
                pids.append(int(proc.name))
        except OSError:
            continue
    return pids


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux")
def test_a_killed_aima_ci_takes_its_collector_workers_with_it(tmp_path):
    """Workers run in their own session (so a timeout can kill their whole group); when aima-ci
    itself was SIGKILLed they lived on, still writing into the evidence directory of whatever
    run came next. Now the kernel kills them with their parent."""
    root = make_repo(tmp_path)
    write_config(root, {"testplugin": {"behaviour": "hang", "timeout": 600}})
    proc = start(["collect"], root)
    wait_for(lambda: len(_workers_in(root.resolve())) == 1)
    time.sleep(1.0)  # the worker has imported the plugin and is hanging in collect()
    proc.kill()
    proc.communicate(timeout=30)
    try:
        wait_for(lambda: not _workers_in(root.resolve()), timeout=10)
    finally:
        for pid in _workers_in(root.resolve()):  # only the worker this test started
            os.kill(pid, signal.SIGKILL)
