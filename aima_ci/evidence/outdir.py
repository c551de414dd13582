"""Guarding the evidence directory before aima-ci writes, deletes or reads anything in it.

Whoever opens the pull request controls every file in the checkout, ``.aima/`` included. A
committed ``.aima/.lock -> ~/.bashrc`` would make every run overwrite that file; a committed
``.aima/artefacts -> /elsewhere`` would let collectors write outside the repository; and
``output_dir: .`` would make a fresh collect delete the repository's own ``artefacts/`` folder.
So, before the first write: nothing aima-ci writes may be a symlink or of the wrong type, and a
collect only clears a directory aima-ci claimed itself (its marker file) or one that holds
nothing but the names aima-ci writes.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
from collections.abc import Iterator
from pathlib import Path

from aima_ci.errors import EvidenceError
from aima_ci.evidence.directory import (
    ARTEFACTS,
    ASSESSMENT,
    ENVELOPE,
    FINDINGS,
    FINDINGS_INDEX,
    INCOMPLETE,
    LOCK,
    MANIFEST,
    RUN,
    SEAL,
    SUMMARY,
    atomic_write,
    is_temp,
)

# The file that says "aima-ci made this directory and may clear it".
MARKER = ".aima-ci-evidence"
MARKER_TEXT = "This directory is aima-ci evidence: 'aima-ci collect' replaces its contents.\n"
FILES = (
    FINDINGS,
    FINDINGS_INDEX,
    RUN,
    ASSESSMENT,
    SUMMARY,
    MANIFEST,
    ENVELOPE,
    LOCK,
    SEAL,
    INCOMPLETE,
    MARKER,
)
FOLDERS = (ARTEFACTS,)


def _is_own_name(name: str) -> bool:
    """A name aima-ci writes into its evidence directory (reports included)."""
    return name in FILES or name in FOLDERS or name.startswith("report.") or is_temp(name)


def ensure(directory: Path) -> None:
    """Create the directory if needed and refuse a symlinked or mistyped evidence file.

    Raises EvidenceError (exit 2) naming the path and the reason; never follows a link.
    """
    if directory.is_symlink():
        raise EvidenceError(
            f"{directory}: is a symlink; aima-ci never writes through a link in its evidence"
            " directory (remove it or choose another --out)"
        )
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise EvidenceError(f"{directory}: exists and is not a directory") from None
    except OSError as exc:
        raise EvidenceError(f"{directory}: cannot create it ({exc.strerror or exc})") from None
    if not directory.is_dir():
        raise EvidenceError(f"{directory}: exists and is not a directory")
    inspect(directory)


def inspect(directory: Path) -> None:
    """Refuse (EvidenceError) a symlink, or the wrong kind of file, where aima-ci keeps its
    evidence files: for readers (gate, report) as much as writers, so no verdict is read
    through a link the pull request committed. Creates nothing."""
    if directory.is_symlink():
        raise EvidenceError(
            f"{directory}: is a symlink; aima-ci never reads evidence through a link"
        )
    for name in (*FILES, *FOLDERS):
        path = directory / name
        try:
            info = os.lstat(path)
        except FileNotFoundError:
            continue
        except OSError as exc:
            raise EvidenceError(f"{path}: cannot be checked ({exc.strerror or exc})") from None
        if stat.S_ISLNK(info.st_mode):
            raise EvidenceError(
                f"{path}: is a symlink; aima-ci never follows a link in its evidence directory"
                " (it may have been committed to make aima-ci write elsewhere): delete it"
            )
        want_dir = name in FOLDERS
        if want_dir and not stat.S_ISDIR(info.st_mode):
            raise EvidenceError(f"{path}: must be a directory aima-ci wrote; delete it")
        if not want_dir and not stat.S_ISREG(info.st_mode):
            raise EvidenceError(f"{path}: must be a regular file aima-ci wrote; delete it")


def claim(directory: Path) -> None:
    """Refuse to clear a directory that is not aima-ci's own, then mark it as aima-ci's.

    Own: it holds the marker, or holds nothing but names aima-ci writes (evidence from before
    the marker existed), or is empty. Anything else (``output_dir: .``, a source folder) would
    lose the user's files to the clear that starts every collect.
    """
    ensure(directory)
    if not (directory / MARKER).is_file():
        foreign = sorted(
            entry.name for entry in os.scandir(directory) if not _is_own_name(entry.name)
        )
        if foreign:
            shown = ", ".join(foreign[:5]) + (" ..." if len(foreign) > 5 else "")
            raise EvidenceError(
                f"{directory}: not an aima-ci evidence directory (it holds {shown}); collect"
                " replaces the directory's contents, so use an empty folder or one aima-ci"
                " created (output_dir / --out)"
            )
        atomic_write(directory / MARKER, MARKER_TEXT)


@contextlib.contextmanager
def open_lock(directory: Path) -> Iterator[int]:
    """The lock file's descriptor, opened without following a link (O_NOFOLLOW)."""
    path = directory / LOCK
    flags = os.O_CREAT | os.O_RDWR | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK
    try:
        fd = os.open(path, flags, 0o644)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise EvidenceError(
                f"{path}: is a symlink; aima-ci never follows a link in its evidence directory"
            ) from None
        raise EvidenceError(f"{path}: cannot open the lock ({exc.strerror or exc})") from None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise EvidenceError(f"{path}: must be a regular file aima-ci wrote; delete it")
        yield fd
    finally:
        os.close(fd)
