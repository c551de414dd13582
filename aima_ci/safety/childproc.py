"""Child processes that die with the process that started them.

aima-ci runs each collector in a worker process, and collectors run tools (garak, pytm,
modelscan, cyclonedx-py) in processes of their own. Each runs in its own session, so a timeout
can kill its whole process group; and each gets the Linux parent-death signal, so a SIGKILL of
aima-ci or of a worker takes its children along. Without both, a tool that outlived its timeout
or its parent would go on writing into evidence that is already hashed, or into the next run's.
One helper, so every spawn gets the same guarantees.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from collections.abc import Callable, Sequence
from typing import Any

PR_SET_PDEATHSIG = 1


def _make_death_signal() -> Callable[[], None] | None:
    """Linux: a preexec hook asking the kernel to SIGKILL the child when its parent dies.

    libc is loaded here, in the parent: between fork and exec the child must not import or take
    locks another thread may hold, so the hook only makes the one system call. (The signal
    follows the *thread* that forked; aima-ci's spawning threads outlive their children.)
    """
    if not sys.platform.startswith("linux"):
        return None
    try:
        import ctypes

        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None

    def hook() -> None:  # pragma: no cover - runs in the child
        prctl(PR_SET_PDEATHSIG, int(signal.SIGKILL))

    return hook


DEATH_SIGNAL = _make_death_signal()


def death_signal() -> Callable[[], None] | None:
    """The preexec hook for ``subprocess.Popen(..., preexec_fn=death_signal())``."""
    return DEATH_SIGNAL


def spawn(argv: Sequence[str], **kwargs: Any) -> subprocess.Popen[Any]:
    """``subprocess.Popen`` in a new session (its own process group) with the death signal."""
    return subprocess.Popen(list(argv), start_new_session=True, preexec_fn=DEATH_SIGNAL, **kwargs)


def kill_group(proc: subprocess.Popen[Any]) -> None:
    """SIGKILL the child's whole process group (what it spawned too), then reap it."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        with contextlib.suppress(ProcessLookupError):
            proc.kill()


def run(
    argv: Sequence[str], *, timeout: float | None, text: bool = False, **kwargs: Any
) -> subprocess.CompletedProcess[Any]:
    """``subprocess.run(capture_output=True)`` whose timeout, or any exception, kills the whole
    process group, not only the direct child (``subprocess.run`` kills just the one process
    and waits for the pipes, which a grandchild holding them keeps open)."""
    kwargs.setdefault("stdout", subprocess.PIPE)
    kwargs.setdefault("stderr", subprocess.PIPE)
    kwargs.setdefault("stdin", subprocess.DEVNULL)
    proc = spawn(argv, text=text, **kwargs)
    try:
        out, err = proc.communicate(timeout=timeout)
    except BaseException:
        kill_group(proc)
        proc.communicate()
        raise
    # The tool is done; anything it left running in its group must not write on later.
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)
