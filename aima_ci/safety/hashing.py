"""SHA-256 of files, streamed: evidence, subjects and attestation files are hashed the same way.

Also a per-process memo of digests computed while a file was parsed (``remember_sha256``), so
the read log of a collector worker does not hash a gigabyte report a second time right after
the collector hashed it in its one reading pass. A remembered digest is only handed back while
the file still has the identity it had during that read (``identity``: device, inode, size,
modification and status-change times). The status-change time (ctime) cannot be set by a user
process and moves on every write, truncation, rename or chmod, so any change since the read
means a fresh hash. ``sha256_file`` never consults the memo: verification always re-reads.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

Identity = tuple[int, int, int, int, int]

_REMEMBERED: dict[str, tuple[Identity, str]] = {}
_MAX_REMEMBERED = 10_000


def sha256_file(path: Path, chunk: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def identity(st: os.stat_result) -> Identity:
    """What must be unchanged for a digest computed earlier to still name the file's bytes."""
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


def remember_sha256(path: Path | str, ident: Identity, hexdigest: str) -> None:
    """Record the SHA-256 of ``path``'s bytes, read while the file had identity ``ident``.

    The caller vouches that the file kept ``ident`` from before its first byte was read until
    after its last (a reader that saw it change must not call this).
    """
    if len(_REMEMBERED) < _MAX_REMEMBERED:
        _REMEMBERED[os.path.realpath(path)] = (ident, hexdigest)


def remembered_sha256(path: Path | str, st: os.stat_result | None = None) -> str | None:
    """The remembered digest of ``path`` if the file is still as it was when read, else None."""
    entry = _REMEMBERED.get(os.path.realpath(path))
    if entry is None:
        return None
    try:
        current = identity(st if st is not None else os.stat(path))
    except OSError:
        return None
    return entry[1] if current == entry[0] else None
