"""Run the enabled collectors concurrently, each in its own process with its own timeout.

Fail closed: a collector that crashes, times out, is killed, prints junk, or whose tool is not
installed produces ``error`` / ``not_run`` findings for every check it did not report, never
``pass``.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from aima_ci.evidence.directory import atomic_write
from aima_ci.models import EvidenceError, Finding, Status
from aima_ci.plugin import Collector, CollectorConfigError, Preflight, now_iso
from aima_ci.safety.childproc import kill_group, spawn
from aima_ci.safety.redact import Redactor

MAX_EVENT_LINE = 8 << 20
STDERR_TAIL = 4000


@dataclass
class CollectorRun:
    name: str
    status: str = "pending"  # ok, error, timeout, not_installed, input_error, reused
    message: str = ""
    version: str = ""
    tool_version: str | None = None
    started_at: str | None = None
    finished_at: str | None = None
    duration: float = 0.0
    findings: list[Finding] = field(default_factory=list)
    # This shard's slice of a splittable list (shard.py), where a reused result came from, and
    # the hash of everything the result depends on (cache.py); only written to run.json when set.
    part: Mapping[str, Any] | None = None
    reused_from: Mapping[str, Any] | None = None
    input_key: str | None = None
    # Every repository file, listing and probe the collector read (readlog.py), as a dict.
    reads: Mapping[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        extra = {
            key: dict(value) if isinstance(value, Mapping) else value
            for key, value in (
                ("part", self.part),
                ("reused_from", self.reused_from),
                ("input_key", self.input_key),
                ("reads", self.reads),
            )
            if value is not None
        }
        return {
            "name": self.name,
            "status": self.status,
            "message": self.message,
            "version": self.version,
            "tool_version": self.tool_version,
            "started_at": self.started_at,
            "finished_at": self.finished_at,
            "duration": round(self.duration, 3),
            "findings": len(self.findings),
            **extra,
        }


@dataclass(frozen=True)
class Event:
    collector: str
    kind: str  # started, progress, finished
    message: str = ""
    fraction: float | None = None
    status: str = ""
    elapsed: float = 0.0


Listener = Callable[[Event], None]


@dataclass(frozen=True)
class Job:
    collector: type[Collector]
    config: Mapping[str, Any]
    timeout: float
    part: Mapping[str, Any] | None = None  # set by shard.py when a list is split across shards
    # The collector's parsed settings (Collector.settings_for), set once by validate_jobs and
    # handed to the worker as is: the block is never parsed a second time.
    settings: Any = None


def artefact_subdir(name: str, part: Mapping[str, Any] | None = None) -> str:
    """A collector's artefact folder, relative to the evidence directory.

    Each part of a split collector gets its own folder, so merging shards never has two files
    claiming one path.
    """
    base = f"artefacts/{name}"
    return f"{base}/part-{part['index']}-of-{part['count']}" if part else base


def plan_jobs(
    configured: Mapping[str, Mapping[str, Any]],
    available: Mapping[str, type[Collector]],
    broken: Mapping[str, str] | None = None,
) -> tuple[list[Job], list[CollectorRun]]:
    """Jobs for enabled collectors; configured names with no installed plugin become not_installed,
    and plugins that failed to import become errors."""
    jobs: list[Job] = []
    missing: list[CollectorRun] = []
    for name, settings in configured.items():
        if not settings.get("enabled", True):
            continue
        cls = available.get(name)
        if broken and name in broken:
            missing.append(
                CollectorRun(
                    name=name, status="error", message=f"plugin failed to load: {broken[name]}"
                )
            )
            continue
        if cls is None:
            missing.append(
                CollectorRun(
                    name=name,
                    status="not_installed",
                    message=f"no collector named '{name}' is installed (see 'aima-ci collectors')",
                )
            )
            continue
        timeout = float(settings.get("timeout") or cls.default_timeout)
        # ttl_days is read at scoring time (freshness.py); the collector never sees it.
        jobs.append(Job(cls, {k: v for k, v in settings.items() if k != "ttl_days"}, timeout))
    return jobs, missing


def longest_first(jobs: Sequence[Job], durations: Mapping[str, float]) -> list[int]:
    """The order to start jobs in: collectors with no recorded duration first (they may be the
    longest), then the longest last time first. With two slots, handing out jobs in config order
    let a long job start last while the other slot idled; longest-first keeps both busy."""

    def key(index: int) -> tuple[int, float, int]:
        last = durations.get(jobs[index].collector.name)
        return (0, 0.0, index) if last is None else (1, -last, index)

    return sorted(range(len(jobs)), key=key)


# The thread pools of the numeric libraries a collector may load (OpenMP: torch, scikit-learn;
# BLAS: numpy, scipy; numexpr: pandas). Each sizes itself to every core of the machine.
THREAD_VARIABLES = (
    "OMP_NUM_THREADS",
    "MKL_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "NUMEXPR_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
)


def thread_limits(
    slots: int, environ: Mapping[str, str], cores: int | None = None
) -> dict[str, str]:
    """Thread-pool sizes for a worker when ``slots`` collectors run at once: each gets its share
    of the cores (at least one), so two workers with a pool per core each do not fight over the
    same cores. A variable the user set is left as it is; one collector at a time: no limit."""
    if slots <= 1:
        return {}
    share = str(max(1, (cores or os.cpu_count() or 1) // slots))
    return {name: share for name in THREAD_VARIABLES if name not in environ}


def last_durations(run_json: Path) -> dict[str, float]:
    """Each collector's duration in the previous run.json (for scheduling only: a wrong or forged
    figure changes the start order, never a result). Unreadable or odd data: nothing known."""
    try:
        if run_json.is_symlink() or not run_json.is_file() or run_json.stat().st_size > 16 << 20:
            return {}
        data = json.loads(run_json.read_bytes())
    except (OSError, ValueError, RecursionError):
        return {}
    runs = data.get("collectors") if isinstance(data, dict) else None
    out: dict[str, float] = {}
    for run in runs if isinstance(runs, list) else []:
        if not isinstance(run, dict) or run.get("status") not in ("ok", "timeout", "error"):
            continue  # a reused or skipped collector's figure says nothing about its run time
        name, duration = run.get("name"), run.get("duration")
        if isinstance(name, str) and isinstance(duration, (int, float)) and duration >= 0:
            out[name] = max(out.get(name, 0.0), float(duration))
    return out


def validate_jobs(
    jobs: Sequence[Job],
    root: Path | None = None,
    config_dir: Path | None = None,
    *,
    remember: bool = True,
) -> list[Job]:
    """Let each collector reject bad keys, then (given the repository) the inputs its config
    names, before anything runs (raises CollectorConfigError: exit 2, not minutes later).

    Returns the jobs with their parsed settings, which the worker receives without parsing
    the block again."""
    out = []
    for job in jobs:
        collector = job.collector()
        settings = collector.settings_for(job.config)
        if root is not None:
            check = Preflight(collector.name, root, config_dir or root, remember)
            collector.preflight(job.config, check)
        out.append(replace(job, settings=settings))
    return out


def _synthetic(
    collector: Collector, config: Mapping[str, Any], status: Status, message: str, have: set[str]
) -> list[Finding]:
    """A finding for every check the collector did not report on, so no question is left silent."""
    stamp = now_iso()
    return [
        Finding(
            check=c.id,
            collector=collector.name,
            collector_version=collector.version,
            status=status,
            message=message,
            questions=c.questions,
            threshold=c.threshold,
            severity=c.severity,
            tool=collector.tool or None,
            started_at=stamp,
            finished_at=stamp,
            next_step=collector.install_hint() if status is Status.NOT_RUN else c.next_step,
        )
        for c in collector.enabled_checks(config)
        if c.id not in have
    ]


class Runner:
    def __init__(
        self,
        *,
        root: Path,
        config_dir: Path,
        evidence_dir: Path,
        jobs: int = 2,
        listener: Listener | None = None,
        redactor: Redactor | None = None,
        record_exclude: Sequence[Path] = (),
        durations: Mapping[str, float] | None = None,
    ) -> None:
        self.root = root
        self.durations = dict(durations or {})
        self.record_exclude = list(record_exclude)
        self.config_dir = config_dir
        self.evidence_dir = evidence_dir
        self.jobs = max(1, jobs)
        self.listener = listener or (lambda event: None)
        self.redactor = redactor or Redactor()
        self._lock = threading.Lock()
        self._slots = 1  # collectors running at once (run() sets it)

    def _notify(self, event: Event) -> None:
        if event.message:  # progress lines reach the terminal and CI logs
            event = replace(event, message=self.redactor.text(event.message))
        with self._lock:
            self.listener(event)

    def run(self, jobs: Sequence[Job]) -> list[CollectorRun]:
        if not jobs:
            return []
        order = longest_first(jobs, self.durations)
        self._slots = min(self.jobs, len(jobs))
        with ThreadPoolExecutor(max_workers=self._slots) as pool:
            done = dict(zip(order, pool.map(self.run_one, [jobs[i] for i in order]), strict=True))
        return [done[i] for i in range(len(jobs))]  # results in the order asked for

    def run_one(self, job: Job) -> CollectorRun:
        collector = job.collector()
        run = CollectorRun(
            name=collector.name, version=collector.version, started_at=now_iso(), part=job.part
        )
        start = time.monotonic()
        self._notify(Event(collector.name, "started"))
        missing = collector.missing_requirements(job.config)
        if missing:
            run.status = "not_installed"
            run.message = f"{', '.join(missing)} not installed: {collector.install_hint()}"
            run.findings = _synthetic(collector, job.config, Status.NOT_RUN, run.message, set())
        else:
            self._execute(collector, job, run, start)
            rewritten = self._redact_artefacts(artefact_subdir(collector.name, job.part))
            if rewritten:
                run.findings = [_redigest(f, rewritten) for f in run.findings]
        run.duration = time.monotonic() - start
        run.finished_at = now_iso()
        run.findings = [self._redact(_stamp_ttl(collector, f)) for f in run.findings]
        run.message = self.redactor.text(run.message)
        self._notify(
            Event(collector.name, "finished", run.message, status=run.status, elapsed=run.duration)
        )
        return run

    def _redact_artefacts(self, subdir: str) -> dict[str, str]:
        """Redact what the collector wrote itself, before anything hashes it (the manifest, the
        cache). Returns the new digest of each rewritten file, keyed by its path relative to
        the repository root (how finding subjects name files)."""
        from aima_ci.safety.hashing import sha256_file

        folder = self.evidence_dir / subdir
        rewritten: dict[str, str] = {}
        if not folder.is_dir():
            return rewritten
        for path in sorted(folder.rglob("*")):
            if path.is_symlink() or not path.is_file():
                continue
            try:
                changed = self.redactor.file(path)
            except OSError:
                continue
            if changed:
                try:
                    key = path.resolve().relative_to(self.root.resolve()).as_posix()
                except ValueError:
                    key = path.name
                rewritten[key] = "sha256:" + sha256_file(path)
        return rewritten

    def _reads_without_secrets(self, reads: dict[str, Any] | None) -> dict[str, Any] | None:
        """The record of what the collector read goes into run.json by path; a path that holds
        something secret-looking would leak it. Such a record is dropped whole (the result is
        then neither cached nor checked against its reads), never redacted: a redacted path
        would name a file that does not exist."""
        if reads is None or self.redactor.data(reads) == reads:
            return reads
        return None

    def _redact(self, finding: Finding) -> Finding:
        return Finding.from_dict(self.redactor.data(finding.to_dict()))

    def _execute(self, collector: Collector, job: Job, run: CollectorRun, start: float) -> None:
        artefact_dir = self.evidence_dir / artefact_subdir(collector.name, job.part)
        artefact_dir.mkdir(parents=True, exist_ok=True)
        request = {
            "collector": collector.name,
            "class": f"{type(collector).__module__}:{type(collector).__qualname__}",
            "config": dict(job.config),
            "root": str(self.root),
            "config_dir": str(self.config_dir),
            "artefact_dir": str(artefact_dir),
            "evidence_dir": str(self.evidence_dir),
            "timeout": job.timeout,
            "record_exclude": [str(p) for p in self.record_exclude],
            "settings": _pickled_settings(collector, job),
        }
        env = dict(os.environ)
        env.setdefault("HF_HUB_OFFLINE", "1")
        env.setdefault("DO_NOT_TRACK", "1")
        env["PYTHONUNBUFFERED"] = "1"
        env.update(thread_limits(self._slots, env))
        # Its own process group (a timeout kills all it spawned) and the death signal (a
        # SIGKILL of aima-ci takes it along): see safety.childproc.
        proc = spawn(
            # -P: '-m' would put the working directory (the config's folder, in the checkout)
            # first on sys.path, so a committed json.py or pandas.py would run in the worker.
            [sys.executable, "-P", "-m", "aima_ci.evidence._worker"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            cwd=str(self.config_dir),
            env=env,
        )
        timed_out = threading.Event()

        def kill() -> None:
            timed_out.set()
            kill_group(proc)

        timer = threading.Timer(job.timeout, kill)
        timer.daemon = True
        timer.start()
        stderr_chunks: list[bytes] = []
        err_thread = threading.Thread(target=_drain, args=(proc.stderr, stderr_chunks), daemon=True)
        err_thread.start()
        terminal: dict[str, Any] | None = None
        reads: dict[str, Any] | None = None
        junk = 0
        try:
            assert proc.stdin is not None and proc.stdout is not None
            try:
                proc.stdin.write(json.dumps(request).encode())
                proc.stdin.close()
            except BrokenPipeError:
                pass
            for raw in proc.stdout:
                event = _parse_event(raw)
                if event is None:
                    junk += 1
                    continue
                kind = event.get("event")
                if kind == "finding":
                    try:
                        finding = Finding.from_dict(event.get("finding"))
                    except EvidenceError as exc:
                        junk += 1
                        self._notify(Event(collector.name, "progress", f"bad finding: {exc}"))
                        continue
                    if finding.collector != collector.name:
                        junk += 1
                        continue
                    run.findings.append(finding)
                elif kind == "progress":
                    fraction = event.get("fraction")
                    self._notify(
                        Event(
                            collector.name,
                            "progress",
                            str(event.get("message", ""))[:200],
                            fraction if isinstance(fraction, (int, float)) else None,
                            elapsed=time.monotonic() - start,
                        )
                    )
                elif kind == "reads":
                    log = event.get("log")
                    reads = log if isinstance(log, dict) else None
                elif kind in ("done", "input_error", "not_installed", "crash"):
                    terminal = event
            proc.wait()
        finally:
            timer.cancel()
            if proc.poll() is None:
                kill_group(proc)
                proc.wait()
            err_thread.join(timeout=5)
        stderr = b"".join(stderr_chunks).decode("utf-8", "replace")
        if stderr.strip():
            atomic_write(artefact_dir / "collector.log", self.redactor.text(stderr))
        have = {f.check for f in run.findings}
        tail = stderr.strip()[-STDERR_TAIL:].splitlines()[-1:] if stderr.strip() else []
        if timed_out.is_set():
            run.status = "timeout"
            run.message = f"timed out after {job.timeout:g}s and was stopped"
            status = Status.ERROR
        elif terminal is None:
            run.status = "error"
            how = _describe_exit(proc.returncode)
            run.message = f"collector process {how} before finishing" + (
                f": {tail[0]}" if tail else ""
            )
            status = Status.ERROR
        elif terminal["event"] == "done":
            run.status = "ok"
            run.tool_version = terminal.get("tool_version")
            run.reads = self._reads_without_secrets(reads)
            status = Status.ERROR
            run.message = "finished without reporting this check"
            if junk:
                run.message = f"finished, but {junk} output line(s) were not valid events"
        elif terminal["event"] == "not_installed":
            run.status = "not_installed"
            run.message = f"{terminal.get('message')}: {collector.install_hint()}"
            status = Status.NOT_RUN
        elif terminal["event"] == "input_error":
            run.status = "input_error"
            run.message = str(terminal.get("message"))
            status = Status.ERROR
        else:
            run.status = "error"
            run.message = f"collector crashed: {terminal.get('message')}"
            status = Status.ERROR
        if run.status == "ok" and junk:
            # A corrupt event stream means nothing from this run can be trusted as a pass.
            run.status = "error"
            status = Status.ERROR
            run.findings = [
                replace(f, status=Status.ERROR, message=f"{run.message} (reported: {f.status})")
                if f.status is Status.PASS
                else f
                for f in run.findings
            ]
        run.findings.extend(_synthetic(collector, job.config, status, run.message, have))
        if run.status == "ok":
            run.message = f"{len(run.findings)} finding(s)"
            bad = [f for f in run.findings if f.status in (Status.ERROR, Status.NOT_RUN)]
            if bad:  # the console line must not read as a clean run
                first = bad[0]
                run.message += (
                    f", {len(bad)} in error or not run (first: {first.check}:"
                    f" {first.message[:200]})"
                )


def _pickled_settings(collector: Collector, job: Job) -> str | None:
    """The parsed settings for the worker, pickled (typed dataclasses do not fit in JSON).

    The worker unpickles only what this process wrote to its stdin, never a file. None (the
    worker then parses the block itself: the one exception) for a job not validated here or
    settings that do not pickle; a collector without a spec gets its config as settings.
    """
    if job.settings is None or collector.spec is None:
        return None
    import base64
    import pickle

    try:
        blob = pickle.dumps(job.settings, protocol=pickle.HIGHEST_PROTOCOL)
    except Exception:  # a plugin's settings that do not pickle: correct, parsed twice
        return None
    return base64.b64encode(blob).decode("ascii")


def _redigest(finding: Finding, rewritten: Mapping[str, str]) -> Finding:
    """A subject naming an artefact that redaction rewrote gets the digest of the stored file."""
    if not any(s.path is not None and s.path in rewritten for s in finding.subjects):
        return finding
    subjects = tuple(
        replace(s, digest=rewritten[s.path]) if s.path is not None and s.path in rewritten else s
        for s in finding.subjects
    )
    return replace(finding, subjects=subjects)


def _stamp_ttl(collector: Collector, finding: Finding) -> Finding:
    """Carry the check's declared time-to-live in the finding, for the gate to read later."""
    ttl = next((c.ttl_days for c in collector.checks if c.id == finding.check), None)
    if ttl is None or "ttl_days" in finding.details:
        return finding
    return replace(finding, details={**finding.details, "ttl_days": ttl})


def _parse_event(raw: bytes) -> dict[str, Any] | None:
    if len(raw) > MAX_EVENT_LINE:
        return None
    try:
        event = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None
    return event if isinstance(event, dict) else None


def _drain(stream: Any, chunks: list[bytes]) -> None:
    size = 0
    for block in iter(lambda: stream.read(65536), b""):
        size += len(block)
        chunks.append(block)
        while size > 4 << 20 and len(chunks) > 1:  # keep the last few MiB of a chatty tool
            size -= len(chunks.pop(0))


def _describe_exit(code: int | None) -> str:
    if code is None:
        return "did not exit"
    if code < 0:
        try:
            return f"was killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"was killed by signal {-code}"
    return f"exited with code {code}"


def config_error_for(exc: CollectorConfigError) -> str:
    return f"{exc.key}: {exc.reason}"
