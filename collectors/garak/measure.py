"""Measure: run garak against the target (run mode, run.py) or resolve the reports to import
(report mode), and read each one (report.py). Raw results only: the parsed reports and a
``RunInfo`` of what happened around them; judge.py turns them into findings.
"""

from __future__ import annotations

import glob
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aima_ci.models import Subject
from aima_ci.plugin import CollectorContext, InputError
from aima_ci.safety.safeio import FileProblem, parse_yaml

from .settings import Settings, find_literal_secret

if TYPE_CHECKING:
    from .report import Report

MAX_OPTION_FILE = 1 << 20
MAX_REPORTS = 10_000


@dataclass
class RunInfo:
    """What happened around the reports: the garak process (run mode) or the import."""

    mode: str
    failure: str = ""  # non-empty when the run itself failed (exit code, timeout, bad spec)
    details: dict[str, Any] = field(default_factory=dict)
    artefacts: list[Path] = field(default_factory=list)
    target: Subject | None = None
    secret: str | None = field(default=None, repr=False)  # to redact; never stored


def measure(
    ctx: CollectorContext, settings: Settings, default_timeout: float
) -> tuple[list[Report], RunInfo]:
    """The reports to judge and what happened around them."""
    if settings.mode == "run":
        return _run_mode(ctx, settings, default_timeout)
    return _report_mode(ctx, settings)


# --------------------------------------------------------------------------- run mode
def _run_mode(
    ctx: CollectorContext, settings: Settings, default_timeout: float
) -> tuple[list[Report], RunInfo]:
    from .report import cross_check_hitlog, read_report
    from .run import garak_command, run_garak

    command = garak_command()
    if command is None:
        raise ModuleNotFoundError(
            "garak is not installed (run mode runs it; report mode only reads its reports)"
        )
    secret = None
    if settings.api_key_env:
        secret = os.environ.get(settings.api_key_env)
        if not secret:
            raise InputError(
                f"collectors.garak.api_key_env: the environment variable {settings.api_key_env}"
                " is not set (or empty)"
            )
    file_options = None
    if settings.generator_config:
        file_options = _load_options(ctx, settings.generator_config)
    budget = float(ctx.timeout or default_timeout)
    garak_timeout = max(10.0, budget - max(15.0, 0.1 * budget))
    ctx.progress(f"starting garak ({settings.spec})", 0.0)
    result = run_garak(
        settings,
        command=command,
        artefact_dir=ctx.artefact_dir,
        generator_file_options=file_options,
        timeout=garak_timeout,
        progress=ctx.progress,
        secret=secret,
    )
    reports = []
    failure = result.describe_failure()
    if result.report is not None:
        ctx.progress("reading the report", None)
        reports.append(read_report(result.report, worst_per_probe=settings.max_examples))
        if result.hitlog is not None:
            hitlog = read_report(result.hitlog, worst_per_probe=0)
            cross_check_hitlog(reports[0], hitlog)
    elif not failure:
        last = next((t for t in reversed(result.tail) if t.strip()), "")
        failure = "garak wrote no report" + (f" (last output: {last})" if last else "")
    artefacts = [
        p
        for p in (
            result.report,
            result.hitlog,
            result.html,
            result.console_log,
            result.garak_log,
            result.config_file,
            result.generator_file,
        )
        if p is not None
    ]
    details = {
        "command": result.command,
        "exit_code": result.returncode,
        "timed_out": result.timed_out,
        "duration_s": round(result.duration, 2),
        "timeout_s": round(garak_timeout, 1),
        "spec": settings.spec,
        "probe_queue": result.queue,
        "api_key_env": settings.api_key_env,
        "secrets_removed_from_garak_output": result.secrets_scrubbed,
        "console_tail": result.tail[-12:] if failure else [],
    }
    target = Subject(kind="llm-endpoint", name=_target_name(settings, file_options))
    info = RunInfo("run", failure, details, artefacts, target=target, secret=secret)
    return reports, info


def _load_options(ctx: CollectorContext, value: str) -> dict[str, Any]:
    path = ctx.path(value, "generator_config")
    where = f"collectors.garak.generator_config: {value}"
    if not path.is_file():
        raise InputError(f"{where} is not a file")
    if path.stat().st_size > MAX_OPTION_FILE:
        raise InputError(f"{where} is larger than {MAX_OPTION_FILE} bytes")
    try:
        text = path.read_bytes().decode("utf-8")
        if path.suffix.lower() in (".yaml", ".yml"):
            # the shared reader: bounded aliases, duplicate keys refused, errors at file:line
            data = parse_yaml(text, where)
        else:
            data = json.loads(text)
    except UnicodeDecodeError as exc:
        raise InputError(f"{where} is not valid UTF-8 (byte {exc.start})") from None
    except json.JSONDecodeError as exc:
        raise InputError(f"{where}:{exc.lineno}: invalid JSON ({exc.msg})") from None
    except FileProblem as exc:
        raise InputError(str(exc)) from None
    except Exception as exc:  # yaml.YAMLError, without importing yaml at module level
        mark = getattr(exc, "problem_mark", None)
        line = f":{mark.line + 1}" if mark is not None else ""
        raise InputError(f"{where}{line}: invalid YAML ({getattr(exc, 'problem', exc)})") from None
    if not isinstance(data, dict):
        raise InputError(f"{where}: must be a JSON object of garak generator options")
    leaked = find_literal_secret(data)
    if leaked:
        raise InputError(
            f"{where}: {leaked} looks like a literal credential; put it in an environment"
            " variable, name it with collectors.garak.api_key_env and write $KEY in its place"
        )
    return data


def _target_name(settings: Settings, options: Mapping[str, Any] | None) -> str:
    name = settings.target_name or _find_key(
        {**(options or {}), **(settings.generator_options or {})}, "uri"
    )
    return f"{settings.target_type}:{name}" if name else str(settings.target_type)


def _find_key(value: Any, key: str) -> str | None:
    if isinstance(value, Mapping):
        if isinstance(value.get(key), str):
            return value[key]
        for v in value.values():
            found = _find_key(v, key)
            if found:
                return found
    return None


# --------------------------------------------------------------------------- report mode
def _report_mode(ctx: CollectorContext, settings: Settings) -> tuple[list[Report], RunInfo]:
    from .report import cross_check_hitlog, read_report

    paths = _resolve_reports(ctx, settings.reports)
    reports = []
    for i, path in enumerate(paths):
        ctx.progress(
            f"garak: reading {path.name} ({path.stat().st_size >> 20} MiB)", i / len(paths)
        )
        last = i == len(paths) - 1 and not settings.hitlog
        meanwhile = (lambda: _warm_up(ctx)) if last else None
        reports.append(
            read_report(path, worst_per_probe=settings.max_examples, meanwhile=meanwhile)
        )
    if settings.hitlog:
        hitlog_path = ctx.path(settings.hitlog, "hitlog")
        if not hitlog_path.is_file():
            raise InputError(f"collectors.garak.hitlog: {settings.hitlog} is not a file")
        hitlog = read_report(
            hitlog_path, worst_per_probe=settings.max_examples, meanwhile=lambda: _warm_up(ctx)
        )
        if hitlog.kind != "hitlog" and hitlog.lines:
            raise InputError(f"collectors.garak.hitlog: {settings.hitlog} is not a garak hitlog")
        for report in reports:
            if report.kind == "report":
                cross_check_hitlog(report, hitlog)
        reports.append(hitlog)
    first = next((r for r in reports if r.setup), None)
    target = None
    if first is not None:
        ttype = first.setup.get("plugins.target_type") or first.setup.get("plugins.model_type")
        tname = first.setup.get("plugins.target_name") or first.setup.get("plugins.model_name")
        if ttype:
            target = Subject(kind="llm-endpoint", name=f"{ttype}:{tname}" if tname else str(ttype))
    details = {"imported": [_display(ctx, p) for p in paths]}
    return reports, RunInfo("report", "", details, [], target=target)


def _warm_up(ctx: CollectorContext) -> None:
    """What the findings need next, loaded while the report's hashing child finishes: on two
    cores the hash of a large report outlasts the parse, so this costs no wall time there.
    The verdict code, and the installed garak's version that every finding carries (a scan of
    every installed distribution's metadata: ~30 ms of CPU, remembered per process)."""
    from . import judge  # noqa: F401

    ctx.collector.tool_version()


def _display(ctx: CollectorContext, path: Path) -> str:
    try:
        return path.relative_to(ctx.root.resolve()).as_posix()
    except ValueError:
        return path.name


def _resolve_reports(ctx: CollectorContext, patterns: tuple[str, ...]) -> list[Path]:
    """Each path or glob, resolved from the config's folder; every hit must stay in the repo."""
    found: dict[Path, None] = {}
    for i, pattern in enumerate(patterns):
        key = f"report[{i}]" if len(patterns) > 1 else "report"
        if not glob.has_magic(pattern):
            path = ctx.path(pattern, key)
            if not path.is_file():
                raise InputError(f"collectors.garak.{key}: {pattern} is not a file")
            found[path] = None
            continue
        if Path(pattern).is_absolute():
            hits = glob.glob(pattern, recursive=True)
        else:
            hits = glob.glob(pattern, root_dir=ctx.config_dir, recursive=True)
        files = []
        for hit in sorted(hits):
            path = ctx.path(hit, key)  # refuses a hit (or a symlink) outside the repository
            if path.is_file():
                files.append(path)
        if not files:
            raise InputError(f"collectors.garak.{key}: {pattern!r} matches no file")
        for path in files:
            found[path] = None
        if len(found) > MAX_REPORTS:
            raise InputError(f"collectors.garak.{key}: matches more than {MAX_REPORTS} files")
    return list(found)
