"""Live progress on a terminal (redrawn lines with elapsed time), plain lines in CI logs."""

from __future__ import annotations

import io
import os
import pty
import select
import subprocess
import sys
import time

from aima_ci.evidence.progress import PlainProgress
from aima_ci.evidence.runner import Event


def test_plain_progress_is_timestamped_and_free_of_control_characters():
    buf = io.StringIO()
    p = PlainProgress(buf)
    p(Event("garak", "started"))
    p(Event("garak", "progress", "probe encoding.InjectBase64", 0.5))
    p(Event("garak", "finished", "3 finding(s)", status="ok", elapsed=2.0))
    p(Event("art", "finished", "boom", status="error", elapsed=1.0))
    lines = buf.getvalue().splitlines()
    assert lines[0].endswith("garak: running")
    assert lines[1].endswith("garak: probe encoding.InjectBase64 50%")
    assert lines[2].endswith("garak: done in 2.0s: 3 finding(s)")
    assert lines[3].endswith("art: FAILED (error) in 1.0s: boom")
    assert all(line[0] == "[" and line[9] == "]" for line in lines)
    assert "\x1b" not in buf.getvalue()


def test_live_progress_on_a_terminal(repo, write_config):
    write_config({"collectors": {"testplugin": {}, "testplugin_missing": {}}})
    leader, follower = pty.openpty()
    env = {**os.environ, "TERM": "xterm"}
    env.pop("NO_COLOR", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "aima_ci", "collect"],
        cwd=repo,
        stdin=follower,
        stdout=follower,
        stderr=follower,
        env=env,
    )
    os.close(follower)
    output = b""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        ready, _, _ = select.select([leader], [], [], 0.5)
        if ready:
            try:
                chunk = os.read(leader, 65536)
            except OSError:
                break
            if not chunk:
                break
            output += chunk
        elif proc.poll() is not None:
            break
    proc.wait(timeout=30)
    os.close(leader)
    text = output.decode("utf-8", "replace")
    assert proc.returncode == 0
    assert "\x1b[2K" in text  # lines are redrawn in place
    assert "testplugin" in text and "done" in text
    assert "failed (not_installed)" in text


def test_live_progress_cuts_long_lines_to_the_terminal_width():
    """A long tool message ends in an ellipsis on its own line instead of wrapping (which made
    the old fixed-width redraw overwrite the wrong lines)."""
    import re

    from aima_ci.evidence.progress import LiveProgress
    from aima_ci.evidence.runner import Event

    buf = io.StringIO()
    live = LiveProgress(["fairlearn", "garak"], stream=buf, color=False)
    live.console.width = 50  # what a narrow terminal reports
    live.console.force_terminal = True
    live(Event("garak", "started"))
    live(Event("garak", "progress", message="probe " + "x" * 200 + "\x1b[31m", fraction=0.5))
    live(Event("fairlearn", "finished", status="ok", elapsed=1.5))
    live.close()
    plain = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", buf.getvalue())
    lines = [line for line in plain.splitlines() if line.strip()]
    assert lines and all(len(line) <= 50 for line in lines), lines
    assert any(line.rstrip().endswith("…") and "garak" in line for line in lines)
    assert any("fairlearn" in line and "done" in line for line in lines)
    assert "[31m" not in plain  # a tool's escape sequence is neutralised
