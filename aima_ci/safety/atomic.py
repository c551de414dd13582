"""Whole-or-nothing file writes: a temp file beside the target, fsynced, then published in one
step (a rename, or a hard link that refuses to replace). A reader, a crash or a kill half-way
never sees half a file; the temp file never outlives the call.

One place for the pattern the evidence directory (atomic_write, atomic_copy), redaction (rewrite
an artefact in place) and key generation (never over an existing key) all need.
"""

from __future__ import annotations

import contextlib
import errno
import os
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

_TMP_TRIES = 100  # as tempfile.TMP_MAX: names are 48 random bits, a clash is a freak


def write_staged(
    path: Path,
    write: Callable[[BinaryIO], object],
    publish: Callable[[str, Path], None] = os.replace,
) -> bool:
    """Stage ``path``'s new content with ``write`` and publish it; False if ``write`` said not to.

    ``write`` fills the temp file; returning exactly ``False`` keeps the old file (redaction found
    nothing to change). ``publish(tmp, path)`` is ``os.replace`` by default; key generation passes
    one that links instead, so an existing file is never replaced.
    """
    # As tempfile.mkstemp (a fresh name, created exclusively, mode 0600, never through a
    # symlink) without importing tempfile, which brings shutil and random: a few milliseconds
    # on every start of a command that writes (score), against a start-up budget.
    flags = os.O_RDWR | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    flags |= getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)
    for _ in range(_TMP_TRIES):
        tmp = os.path.join(path.parent, f".{path.name}.{os.urandom(6).hex()}.tmp")
        try:
            fd = os.open(tmp, flags, 0o600)
            break
        except FileExistsError:
            continue
    else:
        raise FileExistsError(errno.EEXIST, "no free temporary name", str(path))
    try:
        with os.fdopen(fd, "wb") as fh:
            keep = write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        if keep is False:
            return False
        publish(tmp, path)
        return True
    except OSError as exc:
        if (
            exc.filename is None and exc.errno is not None
        ):  # EFBIG, ENOSPC: name the file, so the user error says which
            raise OSError(exc.errno, exc.strerror, str(path)) from exc
        raise
    finally:
        with contextlib.suppress(OSError):  # gone already when os.replace published it
            os.unlink(tmp)


def atomic_write(path: Path, data: bytes | str) -> None:
    """Write to a temp file in the same folder, fsync, then rename: readers never see half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    raw = data.encode("utf-8") if isinstance(data, str) else data
    write_staged(path, lambda fh: fh.write(raw))


def atomic_copy(source: Path, path: Path) -> None:
    """Copy ``source`` to ``path`` as atomic_write does: streamed into a temp file, fsynced,
    renamed. A merge or cache restore killed half-way leaves no half artefact behind."""
    import shutil

    path.parent.mkdir(parents=True, exist_ok=True)

    def copy(out: BinaryIO) -> None:
        with open(source, "rb") as src:
            shutil.copyfileobj(src, out, 1 << 20)

    write_staged(path, copy)
