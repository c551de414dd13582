"""Reuse a collector's earlier result when nothing it depends on has changed.

Two sources serve the same purpose, and one rule decides for both:

- the local **cache** (``<user cache dir>/cache``, i.e. ``$XDG_CACHE_HOME/aima-ci/cache`` or
  ``~/.cache/aima-ci/cache``; ``$AIMA_CI_CACHE_DIR`` or ``--cache-dir`` override it): every
  successful run is stored under a key, and a later run with the same key takes the stored
  findings and artefacts. A cache inside the checkout is ignored with a note: whoever opens a
  pull request controls every file there, so an entry in it could say anything;
- a **previous evidence directory** (``collect --reuse DIR``): a nightly heavy scan serving quick
  pull-request gates.

Collectors with ``cacheable = False``, and any collector whose config names a URL (an endpoint:
what answers there is in no file), are never reused.

The *input key* hashes what a result depends on: the collector's name and version, aima-ci's
version, the collector's config as canonical JSON (minus ``enabled``/``timeout``/``ttl_days``),
the shard part, and the SHA-256 of every file or folder the config names inside the repository
(``Collector.cache_inputs``). The cache key adds the tool's version; ``--reuse`` does not, because
the point is that the pull-request job need not install the heavy tool. Either way a result is
only reused when the earlier run finished ``ok`` with no ``error`` finding, its findings are all
still fresh and bound to today's files (freshness.py), every artefact still has the SHA-256
recorded for it, and every file, folder listing and path the collector *actually* read (its
``reads``, recorded by the worker: readlog.py) is unchanged, so a file no config names (a pickle
committed into a walked tree, a CI file, data-purpose.yaml) is always seen. A cache entry
carries an HMAC over its whole content with the seal key (seal.py): an edited or damaged entry
is refused, never replayed. Anything else runs again: a miss costs time, a wrong hit would cost
trust.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
import re
import shutil
import stat
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aima_ci import __version__
from aima_ci.evidence.directory import (
    MANIFEST,
    RUN,
    atomic_copy,
    read_findings,
    read_json,
    verify_manifest,
)
from aima_ci.evidence.freshness import DigestOf, TtlFor, staleness
from aima_ci.evidence.runner import CollectorRun, Event, Job, artefact_subdir
from aima_ci.models import EvidenceError, Finding, Status
from aima_ci.plugin import CollectorContext, now_iso, sha256_file
from aima_ci.safety.paths import PathError, config_strings, safe_relpath
from aima_ci.safety.paths import config_paths as config_paths  # moved to safety.paths in issue 16

CACHE_ENV = "AIMA_CI_CACHE_DIR"
NO_CACHE_ENV = "AIMA_CI_NO_CACHE"
LEGACY_DIR = ".aima-cache"  # where the cache lived before: inside the checkout, now ignored
KEY_VERSION = 2
LAYOUT = "v2"
IGNORED_CONFIG_KEYS = frozenset({"enabled", "timeout", "ttl_days"})
# A config value naming an endpoint: what answers there is not in any file the key can hash.
_URL = re.compile(r"^\s*[A-Za-z][A-Za-z0-9+.-]*://")
MAX_TREE_FILES = 10_000
KEEP_PER_COLLECTOR = 8
REUSABLE_RUN_STATUSES = frozenset({"ok", "reused"})


def canonical_json(data: Any) -> bytes:
    """One byte string per value: sorted keys, no whitespace, UTF-8 (a stable hash input)."""
    return json.dumps(
        data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str
    ).encode("utf-8")


# --------------------------------------------------------------------------- the input key
def names_endpoint(config: Mapping[str, Any]) -> bool:
    """Whether any config value is a URL (``http://…``, ``grpc://…``)."""
    return any(_URL.match(value) for value in config_strings(config))


def tree_digest(folder: Path, exclude: Iterable[Path] = ()) -> str | None:
    """SHA-256 over a folder's file names and contents; None when it is too big to hash.

    Dot-files and dot-folders (``.git``, ``.aima``, ``.aima-cache``) and ``exclude`` are skipped,
    so the evidence and the cache never feed their own key.
    """
    skip = {p.resolve() for p in exclude}
    digest = hashlib.sha256()
    count = 0
    for dirpath, dirnames, filenames in os.walk(folder):
        here = Path(dirpath)
        dirnames[:] = sorted(
            d for d in dirnames if not d.startswith(".") and (here / d).resolve() not in skip
        )
        for name in sorted(filenames):
            path = here / name
            if name.startswith(".") or path.is_symlink() or not path.is_file():
                continue
            count += 1
            if count > MAX_TREE_FILES:
                return None
            rel = path.relative_to(folder).as_posix()
            digest.update(canonical_json([rel, sha256_file(path)]))
    return "tree-sha256:" + digest.hexdigest()


def input_key(
    job: Job, *, root: Path, config_dir: Path, evidence_dir: Path, exclude: Iterable[Path] = ()
) -> str | None:
    """The hash of everything the job's result depends on; None when it must not be reused."""
    collector = job.collector()
    if not collector.cacheable or names_endpoint(job.config):
        return None
    ctx = CollectorContext(
        collector=collector,
        config=job.config,
        root=root,
        config_dir=config_dir,
        artefact_dir=evidence_dir / artefact_subdir(collector.name, job.part),
        evidence_dir=evidence_dir,
        settings=job.settings,  # parsed once by validate_jobs; not parsed again here
    )
    excluded = [evidence_dir, *exclude]
    inputs: dict[str, str] = {}
    for path in collector.cache_inputs(job.config, ctx):
        path = Path(path).resolve()
        try:
            rel = path.relative_to(root.resolve()).as_posix()
        except ValueError:
            return None  # an input outside the repository cannot be tracked
        if path.is_dir():
            digest = tree_digest(path, excluded)
        elif path.is_file():
            digest = "sha256:" + sha256_file(path)
        else:
            digest = "missing"
        if digest is None:
            return None
        inputs[rel] = digest
    material = {
        "key_version": KEY_VERSION,
        "aima_ci": __version__,
        "collector": collector.name,
        "version": collector.version,
        "code": code_digest(type(collector)),
        "config": {k: v for k, v in job.config.items() if k not in IGNORED_CONFIG_KEYS},
        "part": dict(job.part) if job.part else None,
        "inputs": inputs,
    }
    return hashlib.sha256(canonical_json(material)).hexdigest()


def code_digest(cls: type) -> str | None:
    """A digest of the Python sources of the package that defines the collector.

    A collector whose code changed without a version bump must not be served stale results.
    """
    module_file = getattr(sys.modules.get(cls.__module__), "__file__", None)
    if not module_file:
        return None
    top_file = getattr(sys.modules.get(cls.__module__.split(".")[0]), "__file__", None)
    if top_file and Path(top_file).name == "__init__.py":
        return _tree_source_digest(str(Path(top_file).parent))  # the whole package
    return "sha256:" + sha256_file(Path(module_file))  # a single-module plugin


@functools.cache
def _tree_source_digest(folder: str) -> str:
    digest = hashlib.sha256()
    for path in sorted(Path(folder).rglob("*.py")):
        digest.update(path.relative_to(folder).as_posix().encode() + b"\0")
        digest.update(path.read_bytes())
    return "sha256:" + digest.hexdigest()


def cache_key(key: str, tool_version: str | None) -> str:
    return hashlib.sha256(canonical_json([key, tool_version])).hexdigest()


# --------------------------------------------------------------------------- candidates
@dataclass(frozen=True)
class StoredFile:
    source: Path
    rel: str  # relative to the evidence directory
    sha256: str


@dataclass(frozen=True)
class Candidate:
    """An earlier result that may stand in for a run, before its freshness is checked."""

    findings: list[Finding]
    files: list[StoredFile]
    run: Mapping[str, Any]  # the earlier CollectorRun as in run.json
    origin: Mapping[str, Any]  # run_id, started_at of the run that really produced it
    via: str  # "cache" or "evidence <dir>"
    reads: Any = None  # the ReadLog dict of what that run read (None: unknown, not reusable)


class Source:
    def lookup(self, job: Job, key: str, tool_version: str | None) -> Candidate | None:
        raise NotImplementedError


def _origin(previous_run: Mapping[str, Any], run_id: Any, started_at: Any) -> dict[str, Any]:
    """Point at the run that produced the evidence, even across several hops of reuse."""
    earlier = previous_run.get("reused_from")
    if isinstance(earlier, Mapping) and earlier.get("run_id"):
        return {"run_id": earlier.get("run_id"), "started_at": earlier.get("started_at")}
    return {"run_id": run_id, "started_at": started_at}


class CacheStore(Source):
    """Entries under ``<dir>/v2/<collector>/<key>/``: entry.json plus the artefacts in files/."""

    def __init__(self, directory: Path, root: Path | None = None) -> None:
        self.directory = directory
        self.root = root
        self.notes: list[str] = []

    @classmethod
    def default(cls, root: Path, override: Path | None = None) -> CacheStore:
        """The cache ``--cache-dir``/``$AIMA_CI_CACHE_DIR`` name, else the user cache dir."""
        from aima_ci.safety.paths import user_cache_dir

        env = os.environ.get(CACHE_ENV)
        if override is not None:
            folder = override.resolve()
        elif env:
            folder = Path(env).resolve()
        else:
            folder = user_cache_dir() / "cache"
        return cls(folder, root)

    @classmethod
    def for_checkout(
        cls, root: Path, override: Path | None = None
    ) -> tuple[CacheStore | None, list[str]]:
        """The cache to use for this checkout, or None with a note when it lies inside it."""
        from aima_ci.safety.paths import is_inside

        store = cls.default(root, override)
        notes: list[str] = []
        if (root / LEGACY_DIR).exists():
            notes.append(
                f"cache: {root / LEGACY_DIR} is inside the checkout and is ignored (a pull"
                " request controls every file there); the cache now lives outside it"
            )
        if is_inside(store.directory, root):
            notes.append(
                f"cache: {store.directory} is inside the checkout and is ignored; nothing is"
                " reused or stored (set AIMA_CI_CACHE_DIR or --cache-dir outside the repository)"
            )
            return None, notes
        return store, notes

    def _collector_dir(self, name: str) -> Path:
        return self.directory / LAYOUT / safe_relpath(name)

    def _key(self) -> bytes | None:
        from aima_ci.evidence.seal import NoKey, load_key

        try:
            return load_key(self.root)
        except NoKey as exc:
            note = f"cache: not used: {exc}"
            if note not in self.notes:
                self.notes.append(note)
            return None

    def lookup(self, job: Job, key: str, tool_version: str | None) -> Candidate | None:
        entry = self._collector_dir(job.collector.name) / cache_key(key, tool_version)
        if not (entry / "entry.json").is_file():
            return None
        secret = self._key()
        if secret is None:
            return None
        try:
            data = read_json(entry / "entry.json")
            if not isinstance(data, dict) or not _entry_mac_ok(secret, data):
                self.notes.append(
                    f"{job.collector.name}: cache entry {entry.name[:12]}… was edited or damaged"
                    " (its digest does not match): ignored"
                )
                return None
            findings = [Finding.from_dict(f) for f in data["findings"]]
            files = [
                StoredFile(entry / "files" / safe_relpath(f["path"]), f["path"], f["sha256"])
                for f in data["files"]
            ]
            run = data["run"]
            origin = data["origin"]
            reads = data["reads"]
        except (EvidenceError, PathError, KeyError, TypeError, ValueError):
            return None
        with contextlib.suppress(OSError):
            os.utime(entry)  # recently used entries survive pruning
        return Candidate(findings, files, run, origin, "cache", reads)

    def store(
        self, job: Job, key: str, run: CollectorRun, evidence_dir: Path, origin: Mapping[str, Any]
    ) -> bool:
        """Keep a successful run; refuse anything that failed, or artefacts we cannot trust."""
        if run.status != "ok" or any(f.status is Status.ERROR for f in run.findings):
            return False
        if run.reads is None:  # what it read is unknown: a hit could not be checked
            return False
        secret = self._key()
        if secret is None:
            return False
        collector_dir = self._collector_dir(run.name)
        final = collector_dir / cache_key(key, run.tool_version)
        collector_dir.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".tmp-", dir=collector_dir))
        try:
            files = _copy_tree(evidence_dir, artefact_subdir(run.name, job.part), staging / "files")
            if files is None:
                return False
            entry = {
                "version": 2,
                "collector": run.name,
                "input_key": key,
                "run": {
                    k: v for k, v in run.to_dict().items() if k not in ("reused_from", "reads")
                },
                "origin": dict(origin),
                "findings": [f.to_dict() for f in run.findings],
                "files": files,
                "reads": dict(run.reads),
            }
            entry["mac"] = _entry_mac(secret, entry)
            (staging / "entry.json").write_bytes(canonical_json(entry))
            if final.exists():  # the same key with other reads (a file added since): replace
                shutil.rmtree(final, ignore_errors=True)
            try:
                os.rename(staging, final)
            except OSError:  # another run stored the same key first: theirs is as good
                return final.exists()
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        self.prune(run.name)
        return True

    def prune(self, name: str, keep: int = KEEP_PER_COLLECTOR) -> None:
        """Keep the most recently used entries of one collector."""
        folder = self._collector_dir(name)
        entries = [p for p in folder.iterdir() if p.is_dir() and not p.name.startswith(".")]
        entries.sort(key=lambda p: p.stat().st_mtime, reverse=True)
        for old in entries[keep:]:
            shutil.rmtree(old, ignore_errors=True)


def _entry_mac(secret: bytes, entry: Mapping[str, Any]) -> str:
    """HMAC over everything in the entry but the MAC itself: findings, files' SHA-256, reads."""
    from aima_ci.evidence.seal import mac

    return mac(secret, canonical_json({k: v for k, v in entry.items() if k != "mac"}))


def _entry_mac_ok(secret: bytes, entry: Mapping[str, Any]) -> bool:
    import hmac as _hmac

    return _hmac.compare_digest(str(entry.get("mac", "")), _entry_mac(secret, entry))


def _copy_tree(evidence_dir: Path, subdir: str, dest: Path) -> list[dict[str, Any]] | None:
    """Copy one collector's artefacts; None when a symlink or odd file makes them uncacheable."""
    source = evidence_dir / subdir
    files: list[dict[str, Any]] = []
    if not source.exists():
        return files
    for path in sorted(source.rglob("*")):
        if path.is_symlink():
            return None
        if not path.is_file():
            continue
        rel = path.relative_to(evidence_dir).as_posix()
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)
        files.append({"path": rel, "sha256": sha256_file(target), "size": target.stat().st_size})
    return files


class PreviousEvidence(Source):
    """An earlier evidence directory, checked against its own manifest before anything is taken."""

    def __init__(self, directory: Path) -> None:
        if not directory.is_dir():
            raise EvidenceError(f"--reuse {directory}: not a directory")
        if not (directory / MANIFEST).is_file():
            raise EvidenceError(f"--reuse {directory}: no {MANIFEST}, so nothing can be trusted")
        problems = verify_manifest(directory)
        if problems:
            raise EvidenceError(
                f"--reuse {directory}: the evidence does not match its manifest"
                f" ({'; '.join(problems[:3])})"
            )
        self.directory = directory
        info = read_json(directory / RUN)
        self.run_id = info.get("run_id") if isinstance(info, Mapping) else None
        self.started_at = info.get("started_at") if isinstance(info, Mapping) else None
        entries = info.get("collectors", []) if isinstance(info, Mapping) else []
        self.runs: dict[str, list[Mapping[str, Any]]] = {}
        for entry in entries:
            if isinstance(entry, Mapping) and isinstance(entry.get("name"), str):
                self.runs.setdefault(entry["name"], []).append(entry)
        self.findings: dict[str, list[Finding]] = {}
        for f in read_findings(directory):
            self.findings.setdefault(f.collector, []).append(f)
        manifest = read_json(directory / MANIFEST)
        self.hashes = {e["path"]: e["sha256"] for e in manifest["files"]}

    def lookup(self, job: Job, key: str, tool_version: str | None) -> Candidate | None:
        name = job.collector.name
        entries = self.runs.get(name, [])
        if len(entries) != 1:  # absent, or split into parts whose findings cannot be told apart
            return None
        run = entries[0]
        if run.get("status") not in REUSABLE_RUN_STATUSES or run.get("input_key") != key:
            return None
        if (run.get("part") or None) != (dict(job.part) if job.part else None):
            return None
        prefix = artefact_subdir(name, job.part) + "/"
        files = [
            StoredFile(self.directory / rel, rel, digest)
            for rel, digest in sorted(self.hashes.items())
            if rel.startswith(prefix)
        ]
        return Candidate(
            self.findings.get(name, []),
            files,
            run,
            _origin(run, self.run_id, self.started_at),
            f"evidence {self.directory}",
            run.get("reads"),
        )


# --------------------------------------------------------------------------- the decision
@dataclass
class Reuser:
    """Serve jobs from earlier results where that is safe; remember new successes in the cache."""

    sources: list[Source]
    cache: CacheStore | None
    now: Any  # datetime
    ttl_for: TtlFor
    current_digest: DigestOf
    root: Path
    config_dir: Path
    evidence_dir: Path
    notify: Callable[[Event], None] = lambda event: None
    keys: dict[int, str | None] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def key_for(self, job: Job) -> str | None:
        if id(job) not in self.keys:
            exclude = [self.cache.directory] if self.cache else []
            self.keys[id(job)] = input_key(
                job,
                root=self.root,
                config_dir=self.config_dir,
                evidence_dir=self.evidence_dir,
                exclude=exclude,
            )
        return self.keys[id(job)]

    def attempt(self, job: Job) -> CollectorRun | None:
        """A ``reused`` run for this job, or None when it has to run."""
        key = self.key_for(job)
        if key is None:
            return None
        collector = job.collector()
        tool_version = collector.tool_version()
        for source in self.sources:
            start = time.monotonic()
            candidate = source.lookup(job, key, tool_version)
            if candidate is None:
                continue
            reason = self._unusable(candidate)
            if reason:
                if not reason.startswith("since then"):  # a changed input is an ordinary miss
                    self.notes.append(
                        f"{collector.name}: not reused from {candidate.via}: {reason}"
                    )
                continue
            if not _restore(candidate.files, self.evidence_dir):
                self.notes.append(f"{collector.name}: not reused: an artefact changed in storage")
                continue
            return self._reused(job, key, candidate, time.monotonic() - start)
        return None

    def _unusable(self, candidate: Candidate) -> str | None:
        from aima_ci.evidence.readlog import ReadLog

        if candidate.run.get("status") not in REUSABLE_RUN_STATUSES:
            return f"that run ended {candidate.run.get('status')}"
        log = ReadLog.from_dict(candidate.reads) if isinstance(candidate.reads, Mapping) else None
        if log is None:
            return "it does not record which files it read"
        changed = log.first_difference(self.root)
        if changed:
            return f"since then {changed}"
        for f in candidate.findings:
            if f.status is Status.ERROR:
                return f"{f.check} was in error"
            why = staleness(f, self.now, self.ttl_for(f), self.current_digest)
            if why:
                return f"{f.check} {why}"
        return None

    def _reused(self, job: Job, key: str, candidate: Candidate, elapsed: float) -> CollectorRun:
        name = job.collector.name
        origin = dict(candidate.origin)
        via = "the cache" if candidate.via == "cache" else candidate.via
        message = f"reused from run {origin.get('run_id')} ({origin.get('started_at')}) via {via}"
        stamp = now_iso()
        self.notify(Event(name, "started"))
        run = CollectorRun(
            name=name,
            status="reused",
            message=message,
            version=str(candidate.run.get("version") or job.collector.version),
            tool_version=candidate.run.get("tool_version"),
            started_at=stamp,
            finished_at=stamp,
            duration=elapsed,
            findings=list(candidate.findings),
            part=job.part,
            reused_from={**origin, "via": "cache" if candidate.via == "cache" else "evidence"},
            input_key=key,
            reads=dict(candidate.reads),
        )
        self.notify(Event(name, "finished", message, status="reused", elapsed=elapsed))
        return run

    def remember(self, job: Job, run: CollectorRun, origin: Mapping[str, Any]) -> None:
        key = self.key_for(job)
        run.input_key = key
        if self.cache is not None and key is not None:
            try:
                self.cache.store(job, key, run, self.evidence_dir, origin)
            except OSError as exc:  # a full disk must not fail the collect step
                self.notes.append(f"{run.name}: not cached: {exc}")


def _plain_file(stored: StoredFile) -> bool:
    """A regular file reached without a symlink on the way: the file, its folders, ``files/``
    and the entry itself. A cache may hold links someone planted to pull other files in."""
    path = stored.source
    try:
        if not stat.S_ISREG(os.lstat(path).st_mode):
            return False
        for _ in range(stored.rel.count("/") + 2):
            path = path.parent
            if stat.S_ISLNK(os.lstat(path).st_mode):
                return False
    except OSError:
        return False
    return True


def _restore(files: Iterable[StoredFile], evidence_dir: Path) -> bool:
    """Copy stored artefacts into place, checking each one's SHA-256 as it lands."""
    written: list[Path] = []
    for stored in files:
        try:
            target = evidence_dir / safe_relpath(stored.rel)
        except PathError:
            ok = False
        else:
            ok = False
            if _plain_file(stored):  # never copy through a link in the cache
                try:
                    atomic_copy(stored.source, target)
                    ok = sha256_file(target) == stored.sha256
                except OSError:
                    ok = False
                written.append(target)
        if not ok:
            for path in written:
                with contextlib.suppress(OSError):
                    path.unlink()
            return False
    return True
