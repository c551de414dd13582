"""What a collector really read: every repository file it opened, folder it listed, path it probed.

A cache keyed only by the inputs a collector declares is blind to everything else it looks at:
supply_chain walks the tree for model files, pipeline reads CI files, privacy looks for
data-purpose.yaml. Commit a malicious pickle after a cached run and a declared-inputs key does not
change. So the worker process records, below the repository root, every file opened for reading
(a Python audit hook: ``open`` covers the safe-IO layer, ``open()``, pandas, ``torch.load``...),
every folder listed (``os.scandir``/``os.listdir``: ``os.walk``, ``glob``, ``rglob``) and every
path probed with ``os.stat`` (``Path.exists``/``is_file``), without the collector declaring
anything. The log then holds a digest of each: file contents, listing names and kinds, probe
kinds. A cached result, or a verdict at gate time, is only used while every one still matches.

Not seen: reads by child processes a collector starts (the tool's CLI) and by native code that
opens files itself; those collectors' config-named inputs stay in the key (cache.py).
"""

from __future__ import annotations

import hashlib
import os
import stat
import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aima_ci.safety.hashing import remembered_sha256

# Folders whose contents change by themselves or belong to tools, never the project's inputs.
IGNORED_NAMES = frozenset({".git", "__pycache__", ".pytest_cache", ".mypy_cache", ".ruff_cache"})
MAX_ENTRIES = 50_000
_LISTING_EVENTS = frozenset({"os.scandir", "os.listdir"})
_SPAWN_EVENTS = frozenset({"subprocess.Popen", "os.posix_spawn", "os.exec", "os.system", "os.fork"})
_RECORDED_EVENTS = frozenset({"open"}) | _LISTING_EVENTS | _SPAWN_EVENTS


@dataclass
class ReadLog:
    """Digests of what was read, by repository-relative POSIX path."""

    files: dict[str, str] = field(default_factory=dict)  # sha256 hex, or "missing"/"not-a-file"
    listings: dict[str, str] = field(default_factory=dict)  # sha256 of names + kinds
    probes: dict[str, str] = field(default_factory=dict)  # file, dir, other, missing
    spawned: bool = False  # a child process ran: its reads are not in this log
    # Folders aima-ci itself writes (the evidence directory, the cache) left out of listings:
    # the first run creates them, and a listing that counted them would never match again.
    skipped: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "files": dict(sorted(self.files.items())),
            "listings": dict(sorted(self.listings.items())),
            "probes": dict(sorted(self.probes.items())),
            "spawned": self.spawned,
            "skipped": sorted(self.skipped),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ReadLog | None:
        parts = [data.get(k) for k in ("files", "listings", "probes")]
        if not all(
            isinstance(p, Mapping)
            and all(isinstance(k, str) and isinstance(v, str) for k, v in p.items())
            for p in parts
        ):
            return None
        return cls(
            files=dict(parts[0]),  # type: ignore[arg-type]
            listings=dict(parts[1]),  # type: ignore[arg-type]
            probes=dict(parts[2]),  # type: ignore[arg-type]
            spawned=bool(data.get("spawned")),
            skipped=[x for x in data.get("skipped") or [] if isinstance(x, str)],
        )

    def first_difference(self, root: Path) -> str | None:
        """What differs in the repository now (None: everything read is as it was)."""
        for rel, digest in self.probes.items():
            if probe_kind(_under(root, rel)) != digest:
                return f"{rel} was {digest}, is now {probe_kind(_under(root, rel))}"
        for rel, digest in self.listings.items():
            if listing_digest(_under(root, rel), rel, self.skipped) != digest:
                return f"the listing of {rel or '.'} changed (a file was added, removed or renamed)"
        for rel, digest in self.files.items():
            if file_digest(_under(root, rel)) != digest:
                return f"{rel} changed"
        return None


def _under(root: Path, rel: str) -> Path:
    return root / rel if rel else root


def file_digest(path: Path) -> str:
    try:
        info = os.stat(path)
        if not stat.S_ISREG(info.st_mode):
            return "not-a-file"
        # hashed while the collector parsed it, and unchanged since (see safety.hashing)
        known = remembered_sha256(path, info)
        if known is not None:
            return known
        with open(path, "rb") as fh:
            return hashlib.file_digest(fh, "sha256").hexdigest()
    except FileNotFoundError:
        return "missing"
    except OSError:
        return "unreadable"


def listing_digest(path: Path, rel: str = "", skipped: Iterable[str] = ()) -> str:
    digest = hashlib.sha256()
    skip = set(skipped)
    prefix = f"{rel}/" if rel else ""
    try:
        with os.scandir(path) as entries:
            items = sorted(
                (e.name, "d" if e.is_dir(follow_symlinks=False) else "l" if e.is_symlink() else "f")
                for e in entries
                if e.name not in IGNORED_NAMES and prefix + e.name not in skip
            )
    except FileNotFoundError:
        return "missing"
    except OSError:
        return "unreadable"
    for name, kind in items:
        digest.update(f"{kind}\0{name}\0".encode("utf-8", "surrogateescape"))
    return digest.hexdigest()


def probe_kind(path: Path) -> str:
    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        return "missing"
    except OSError:
        return "other"
    if stat.S_ISLNK(mode):
        try:
            mode = os.stat(path).st_mode
        except OSError:
            return "dangling-link"
    return "file" if stat.S_ISREG(mode) else "dir" if stat.S_ISDIR(mode) else "other"


# --------------------------------------------------------------------------- recording
class Recorder:
    """Collects raw paths in the worker; ``log()`` turns them into digests once it is done."""

    def __init__(self, root: Path, exclude: Iterable[Path] = ()) -> None:
        self.root = Path(os.path.realpath(root))
        self.prefixes = tuple({str(self.root), os.path.abspath(root)})
        self.exclude = tuple(os.path.realpath(p) for p in exclude)
        self.opened: set[str] = set()
        self.listed: set[str] = set()
        self.probed: set[str] = set()
        self.spawned = False
        self.overflow = False
        self.busy = False  # realpath() and the digests stat too: never record our own calls

    def _rel(self, raw: Any) -> str | None:
        if isinstance(raw, int) or raw is None:
            return None
        try:
            path = os.fsdecode(os.fspath(raw))
        except TypeError:
            return None
        path = os.path.abspath(path)
        if not path.startswith(self.prefixes):
            return None
        real = os.path.realpath(path)
        if real != str(self.root) and not real.startswith(str(self.root) + os.sep):
            return None
        if any(real == ex or real.startswith(ex + os.sep) for ex in self.exclude):
            return None
        rel = os.path.relpath(real, self.root)
        rel = "" if rel == "." else Path(rel).as_posix()
        if any(part in IGNORED_NAMES for part in rel.split("/")):
            return None
        return rel

    def _add(self, bucket: set[str], raw: Any) -> None:
        if self.busy:
            return
        self.busy = True
        try:
            rel = self._rel(raw)
        finally:
            self.busy = False
        if rel is None:
            return
        if len(bucket) >= MAX_ENTRIES:
            self.overflow = True
            return
        bucket.add(rel)

    def note_read(self, path: Any) -> None:
        """Record a file as read without an audit event (a module imported before ``install``)."""
        self._add(self.opened, path)

    def note_listing(self, path: Any) -> None:
        """Record a folder as listed without an audit event (an import path, see preload)."""
        self._add(self.listed, path)

    def audit(self, event: str, args: tuple[Any, ...]) -> None:
        """Record one audit event the recorder cares about (``install`` filters the rest)."""
        if event == "open":
            path, mode, flags = (*args, None, None, None)[:3]
            reading = (
                ("r" in mode or "+" in mode)
                if isinstance(mode, str)
                else isinstance(flags, int) and (flags & os.O_ACCMODE) != os.O_WRONLY
            )
            if reading:
                self._add(self.opened, path)
        elif event in _LISTING_EVENTS:
            self._add(self.listed, args[0] if args and args[0] is not None else ".")
        elif event in _SPAWN_EVENTS:
            self.spawned = True

    def install(self) -> None:
        """Start recording in this process (for good: audit hooks cannot be removed).

        The hook runs for every audit event of the process: importing pandas and evidently
        raises about a million (mostly ``builtins.id`` from pydantic's deep copies), of which
        this recorder wants a few thousand. So the hook is a plain function whose first and
        only work for an ignored event is one frozenset membership test, with everything it
        needs bound as defaults (no global, attribute or closure lookup per call); measured,
        that costs about a third of calling the bound ``audit`` method for every event.
        """

        def hook(
            event: str,
            args: tuple[Any, ...],
            _wanted: frozenset[str] = _RECORDED_EVENTS,
            _audit: Callable[[str, tuple[Any, ...]], None] = self.audit,
        ) -> None:
            if event in _wanted:
                _audit(event, args)

        sys.addaudithook(hook)
        for name in ("stat", "lstat"):
            _wrap_stat(name, lambda raw: self._add(self.probed, raw))

    def log(self) -> ReadLog | None:
        """The digests, or None when there was too much to track (the result is not reusable)."""
        if self.overflow:
            return None
        self.busy = True
        skipped = sorted(
            Path(os.path.relpath(ex, self.root)).as_posix()
            for ex in self.exclude
            if ex.startswith(str(self.root) + os.sep)
        )
        return ReadLog(
            files={rel: file_digest(_under(self.root, rel)) for rel in sorted(self.opened)},
            listings={
                rel: listing_digest(_under(self.root, rel), rel, skipped)
                for rel in sorted(self.listed)
            },
            probes={rel: probe_kind(_under(self.root, rel)) for rel in sorted(self.probed)},
            spawned=self.spawned,
            skipped=skipped,
        )


def _wrap_stat(name: str, note: Callable[[Any], None]) -> None:
    original = getattr(os, name)

    def wrapped(path: Any, *args: Any, **kwargs: Any) -> Any:
        if kwargs.get("dir_fd") is None:
            note(path)
        return original(path, *args, **kwargs)

    wrapped.__wrapped__ = original  # type: ignore[attr-defined]
    for support in (os.supports_fd, os.supports_dir_fd, os.supports_follow_symlinks):
        if original in support:
            support.add(wrapped)
    setattr(os, name, wrapped)
