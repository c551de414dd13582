"""Run garak's CLI in a child process against a live target, and watch it.

garak stays in its own process: its dependencies never load into aima-ci, a hung target is
killed with its whole process group, and garak dies with us if the worker is killed. Its exit
code means little (0 for unknown probes, skipped detectors and successful attacks alike; 1 for
an unreachable target), so this module only reports what happened; the verdict comes from the
report file.

Secrets: the API key reaches garak only as an environment variable, named by ``api_key_env``;
the generated option file holds the variable's *name* (garak's ``key_env_var``). Other
credential-looking variables of the CI job are not passed to garak at all.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from aima_ci.safety.childproc import death_signal
from aima_ci.safety.redact import SECRET_NAME, Redactor

from .settings import Settings

ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]")
TQDM = re.compile(r"^(probes\.)?(?P<probe>[\w]+\.[\w]+)(?:/[\w.]+)?:\s+(?P<pct>\d+)%\|")
BAR = re.compile(r"\d+%\|.*\|\s*\d+/\d+")  # any other tqdm bar: progress noise, not logged
RESULT = re.compile(
    r"^(?P<probe>[\w]+\.[\w]+)\s+(?P<det>[\w.]+):\s+(?P<verdict>PASS|FAIL|SKIP)\s+ok on\s+"
    r"(?P<ok>\d+)/\s*(?P<n>\d+)"
)
QUEUE = re.compile(r"queue of probes:\s*(?P<probes>.+)$")
UNKNOWN_SPEC = re.compile(r"Unknown (?:run\.spec|probes?)\W*:?\s*(?P<what>.+)$")
TAIL_LINES = 40
STOP_GRACE = 5.0


@dataclass
class RunResult:
    command: list[str]
    returncode: int | None = None
    timed_out: bool = False
    duration: float = 0.0
    report: Path | None = None
    hitlog: Path | None = None
    html: Path | None = None
    console_log: Path | None = None
    garak_log: Path | None = None
    generator_file: Path | None = None
    config_file: Path | None = None
    spec_error: str | None = None
    tail: list[str] = field(default_factory=list)
    queue: list[str] = field(default_factory=list)
    secrets_scrubbed: int = 0

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and not self.timed_out and self.spec_error is None

    def describe_failure(self) -> str:
        if self.timed_out:
            return f"garak was stopped after {self.duration:.0f}s (timeout)"
        if self.spec_error:
            return f"garak refused the probe selection: {self.spec_error}"
        if self.returncode not in (0, None):
            last = next((t for t in reversed(self.tail) if t.strip()), "")
            return f"garak exited with code {self.returncode}" + (f": {last}" if last else "")
        return ""


def garak_command() -> list[str] | None:
    """garak in this interpreter if importable, else the executable beside it, else on PATH."""
    if importlib.util.find_spec("garak") is not None:
        return [sys.executable, "-m", "garak"]
    beside = Path(sys.executable).parent / "garak"
    if beside.is_file() and os.access(beside, os.X_OK):
        return [str(beside)]
    found = shutil.which("garak")
    return [found] if found else None


def garak_config(settings: Settings, report_dir: Path) -> dict[str, Any]:
    """The --config YAML: what the run must be, stated once, kept as evidence."""
    run: dict[str, Any] = {
        "generations": settings.generations,
        "soft_probe_prompt_cap": settings.prompt_cap,
    }
    if settings.seed is not None:
        run["seed"] = settings.seed
    return {
        "system": {
            "parallel_attempts": settings.parallel_attempts or False,
            "lite": True,
            "narrow_output": False,  # the wide result lines are what the progress parser reads
        },
        "run": run,
        "reporting": {
            "report_dir": str(report_dir),
            # aima-ci computes its own Wilson bounds; garak's bootstrap would only add time.
            "confidence_interval_method": "none",
        },
    }


def generator_options(
    settings: Settings, from_file: Mapping[str, Any] | None
) -> dict[str, Any] | None:
    """garak's -G option file: the user's file, inline options, and the key's variable name."""
    options: dict[str, Any] = json.loads(json.dumps(from_file or {}))
    for key, value in (settings.generator_options or {}).items():
        if isinstance(value, Mapping) and isinstance(options.get(key), dict):
            options[key] = _merge(options[key], value)
        else:
            options[key] = json.loads(json.dumps(value))
    if settings.api_key_env:
        module, _, cls = (settings.target_type or "").partition(".")
        section = options.setdefault(module, {})
        section["key_env_var"] = settings.api_key_env
        for name, value in section.items():
            if isinstance(value, dict) and name[:1].isupper() and (not cls or name == cls):
                value["key_env_var"] = settings.api_key_env
    return options or None


def _merge(base: dict[str, Any], extra: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for k, v in extra.items():
        out[k] = _merge(out[k], v) if isinstance(v, Mapping) and isinstance(out.get(k), dict) else v
    return out


def child_env(settings: Settings, home: Path) -> dict[str, str]:
    """garak's environment: job-local XDG folders, offline hubs, and no stray credentials."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not SECRET_NAME.search(k) or k == settings.api_key_env
    }
    env.pop("AIMA_CI_EVENT_FD", None)
    for name in ("data", "cache", "config"):
        (home / name).mkdir(parents=True, exist_ok=True)
    env.update(
        XDG_DATA_HOME=str(home / "data"),
        XDG_CACHE_HOME=str(home / "cache"),
        XDG_CONFIG_HOME=str(home / "config"),
        # garak exports this on import; inherited from a process that imported garak, it would
        # send the log to that process's home instead of the job folder.
        GARAK_LOG_FILE=str(home / "data" / "garak" / "garak.log"),
        HF_HUB_OFFLINE="1",
        HF_DATASETS_OFFLINE="1",
        TRANSFORMERS_OFFLINE="1",
        DO_NOT_TRACK="1",
        PYTHONUNBUFFERED="1",
        PYTHONIOENCODING="utf-8",
        TOKENIZERS_PARALLELISM="false",
    )
    return env


class _Watcher:
    """Turns garak's console output into live progress, a log artefact and a short tail."""

    def __init__(
        self, progress: Callable[[str, float | None], None], log: IO[str], redact: Redactor
    ):
        self.progress = progress
        self.log = log
        self.redact = redact
        self.lock = threading.Lock()
        self.tail: deque[str] = deque(maxlen=TAIL_LINES)
        self.queue: list[str] = []
        self.done: set[str] = set()
        self.current: str | None = None
        self.spec_error: str | None = None
        self.last_emit = 0.0

    def feed(self, stream: IO[bytes]) -> None:
        buffer = b""
        for block in iter(lambda: stream.read1(65536), b""):  # type: ignore[attr-defined]
            buffer += block
            *lines, buffer = re.split(rb"[\r\n]", buffer)
            for raw in lines:
                self.line(raw.decode("utf-8", "replace"))
            if len(buffer) > 1 << 20:
                buffer = buffer[-4096:]
        if buffer:
            self.line(buffer.decode("utf-8", "replace"))

    def line(self, text: str) -> None:
        text = ANSI.sub("", text).strip()
        if not text:
            return
        with self.lock:
            m = TQDM.match(text)
            if m:
                self._probe_progress(m.group("probe"), int(m.group("pct")))
                return
            if BAR.search(text):
                return
            clean = self.redact.text(text)
            self.log.write(clean + "\n")
            self.tail.append(clean)
            if (m := QUEUE.search(text)) is not None:
                self.queue = [p.strip() for p in m.group("probes").split(",") if p.strip()]
                self._emit(f"{len(self.queue)} probe(s) queued", 0.0, force=True)
            elif (m := RESULT.match(text)) is not None:
                self.done.add(m.group("probe"))
                self._emit(
                    f"{m.group('probe')} / {m.group('det')}: {m.group('verdict')}"
                    f" ok on {m.group('ok')}/{m.group('n')}",
                    self._fraction(m.group("probe"), 100),
                    force=True,
                )
            elif (m := UNKNOWN_SPEC.search(text)) is not None:
                self.spec_error = clean

    def _probe_progress(self, probe: str, pct: int) -> None:
        force = probe != self.current
        self.current = probe
        where = ""
        if self.queue and probe in self.queue:
            where = f" ({self.queue.index(probe) + 1}/{len(self.queue)})"
        self._emit(f"{probe}{where}", self._fraction(probe, pct), force=force)

    def _fraction(self, probe: str, pct: int) -> float | None:
        if not self.queue or probe not in self.queue:
            return None
        return min(1.0, (self.queue.index(probe) + pct / 100.0) / len(self.queue))

    def _emit(self, message: str, fraction: float | None, *, force: bool = False) -> None:
        now = time.monotonic()
        if force or now - self.last_emit >= 0.5:
            self.last_emit = now
            self.progress(message, fraction)


def run_garak(
    settings: Settings,
    *,
    command: list[str],
    artefact_dir: Path,
    generator_file_options: Mapping[str, Any] | None,
    timeout: float,
    progress: Callable[[str, float | None], None],
    secret: str | None,
) -> RunResult:
    """Run one scan; every file garak writes lands in ``artefact_dir`` or a deleted temp dir."""
    artefact_dir.mkdir(parents=True, exist_ok=True)
    prefix = artefact_dir / "garak"
    for old in artefact_dir.glob("garak.*"):
        old.unlink()
    config_file = artefact_dir / "garak-config.yaml"
    import yaml

    config_file.write_text(
        "# Generated by aima-ci's garak collector; passed to garak as --config.\n"
        + yaml.safe_dump(garak_config(settings, artefact_dir), sort_keys=False),
        encoding="utf-8",
    )
    argv = [*command, "--config", str(config_file), "--target_type", str(settings.target_type)]
    if settings.target_name:
        argv += ["--target_name", settings.target_name]
    options = generator_options(settings, generator_file_options)
    generator_file = None
    if options:
        generator_file = artefact_dir / "garak-generator.json"
        generator_file.write_text(json.dumps(options, indent=2, sort_keys=True), encoding="utf-8")
        argv += ["--generator_option_file", str(generator_file)]
    argv += [
        "--spec",
        settings.spec,
        "--generations",
        str(settings.generations),
        "--report_prefix",
        str(prefix),
    ]
    result = RunResult(command=argv, config_file=config_file, generator_file=generator_file)
    redactor = Redactor(extra={secret: settings.api_key_env or "api_key"} if secret else None)
    console = artefact_dir / "garak-console.log"
    home = _job_home()
    start = time.monotonic()
    try:
        with open(console, "w", encoding="utf-8") as log:
            log.write("$ " + " ".join(argv) + "\n")
            watcher = _Watcher(progress, log, redactor)
            proc = subprocess.Popen(
                argv,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                cwd=str(home),
                env=child_env(settings, home),
                start_new_session=True,
                preexec_fn=death_signal(),  # shared with the runner: aima_ci.safety.childproc
            )
            readers = [
                threading.Thread(target=watcher.feed, args=(s,), daemon=True)
                for s in (proc.stdout, proc.stderr)
            ]
            for t in readers:
                t.start()
            try:
                result.returncode = proc.wait(timeout=max(1.0, timeout))
            except subprocess.TimeoutExpired:
                result.timed_out = True
                _stop(proc)
                result.returncode = proc.returncode
            for t in readers:
                t.join(timeout=10)
            result.duration = time.monotonic() - start
            log.write(f"# exit code {result.returncode} after {result.duration:.1f}s\n")
        result.tail = list(watcher.tail)
        result.queue = list(watcher.queue)
        result.spec_error = watcher.spec_error
        result.console_log = console
        garak_log = home / "data" / "garak" / "garak.log"
        if garak_log.is_file():
            result.garak_log = artefact_dir / "garak.log.txt"
            _copy_redacted(garak_log, result.garak_log, redactor)
    finally:
        shutil.rmtree(home, ignore_errors=True)
    for suffix, attr in (
        (".report.jsonl", "report"),
        (".hitlog.jsonl", "hitlog"),
        (".report.html", "html"),
    ):
        path = Path(f"{prefix}{suffix}")
        if path.is_file():
            setattr(result, attr, path)
            if secret:
                result.secrets_scrubbed += scrub_file(path, secret, settings.api_key_env or "")
    return result


HOME_PREFIX = "aima-garak-"


def _job_home() -> Path:
    """A fresh temporary folder for garak's XDG dirs, marked with our pid.

    It is removed when the run ends; a worker the runner SIGKILLs cannot do that, so each new
    run first sweeps folders whose owner process is gone.
    """
    base = Path(tempfile.gettempdir())
    for old in base.glob(f"{HOME_PREFIX}*"):
        with contextlib.suppress(OSError, ValueError):
            owner = int((old / "owner.pid").read_text())
            if not _alive(owner):
                shutil.rmtree(old, ignore_errors=True)
    home = Path(tempfile.mkdtemp(prefix=HOME_PREFIX))
    (home / "owner.pid").write_text(str(os.getpid()))
    return home


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _stop(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM the process group, then SIGKILL what is left after a grace period."""
    for sig, wait in ((signal.SIGTERM, STOP_GRACE), (signal.SIGKILL, STOP_GRACE)):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, sig)
        try:
            proc.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue


def _copy_redacted(src: Path, dst: Path, redactor: Redactor) -> None:
    with (
        open(src, encoding="utf-8", errors="replace") as fin,
        open(dst, "w", encoding="utf-8") as out,
    ):
        for line in fin:
            out.write(redactor.text(line))


def scrub_file(path: Path, secret: str, name: str) -> int:
    """Remove the API key from a file garak wrote, if it is there; returns how many times.

    garak should never write it, but a target that echoes its Authorization header, or a debug
    log, could. Streamed, so a large report costs one pass and no memory.
    """
    needle = secret.encode()
    if len(needle) < 4:
        return 0
    found = 0
    with open(path, "rb") as fh:
        tail = b""
        while block := fh.read(1 << 20):
            found += (tail + block).count(needle)
            tail = block[-(len(needle) - 1) :]
    if not found:
        return 0
    marker = f"[REDACTED:env:{name}]".encode()
    tmp = path.with_suffix(path.suffix + ".tmp")
    with open(path, "rb") as fin, open(tmp, "wb") as out:
        for line in fin:
            out.write(line.replace(needle, marker))
    tmp.replace(path)
    return found
