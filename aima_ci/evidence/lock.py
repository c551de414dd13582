"""The evidence directory's lock: one aima-ci step at a time per directory.

Its own module so that ``score`` and ``merge`` take the lock without importing the collector
runner (worker processes, thread pools, the plugin loader): the score path's start-up time.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path

from aima_ci.errors import EvidenceLocked

# Directories held by hold() in this process: locked() inside it passes through.
_HELD: set[Path] = set()


@contextlib.contextmanager
def locked(directory: Path) -> Iterator[None]:
    """Refuse a second concurrent run on the same output directory instead of interleaving."""
    from aima_ci.evidence.outdir import ensure, open_lock

    ensure(directory)  # no symlinked or mistyped evidence file: refused before the first write
    if directory.resolve() in _HELD:  # this command already holds it (see hold())
        yield
        return
    with open_lock(directory) as fd:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise EvidenceLocked(
                f"{directory} is in use by another aima-ci run; wait for it or use --out"
            ) from None
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
        yield


@contextlib.contextmanager
def hold(directory: Path) -> Iterator[None]:
    """Keep the directory locked across several steps of one command (``run``: collect, score,
    reports), so no other run can clear it between them; the steps' own locked() pass through."""
    with locked(directory):
        key = directory.resolve()
        _HELD.add(key)
        try:
            yield
        finally:
            _HELD.discard(key)
