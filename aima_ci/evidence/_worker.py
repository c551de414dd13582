"""Runs one collector in its own process and streams JSON events to the runner.

A separate process lets the runner enforce a timeout (kill the process group), survive a crash or
SIGKILL, and keep a tool's heavy imports (pandas, torch...) out of the gate's process. Anything the
tool prints to stdout is diverted to stderr so it cannot corrupt the event stream.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
import traceback
from pathlib import Path
from typing import Any, TextIO

from aima_ci.plugin import (
    Collector,
    CollectorConfigError,
    CollectorContext,
    InputError,
    load_collector,
)
from aima_ci.safety.fastexit import exit_without_teardown


def _emit(stream: TextIO, event: dict[str, Any]) -> None:
    stream.write(json.dumps(event, ensure_ascii=False, default=str) + "\n")
    stream.flush()


def _collector_class(request: dict[str, Any]) -> type[Collector]:
    """The class the runner already loaded, by its import path; scanning every installed
    distribution's entry points again would cost each worker tens of milliseconds."""
    target = request.get("class")
    if isinstance(target, str) and ":" in target:
        module, _, qualname = target.partition(":")
        obj: Any = importlib.import_module(module)
        for part in qualname.split("."):
            obj = getattr(obj, part)
        if (
            isinstance(obj, type)
            and issubclass(obj, Collector)
            and obj.name == request["collector"]
        ):
            return obj
    return load_collector(request["collector"])


def _settings(request: dict[str, Any]) -> Any:
    """The settings the runner parsed (pickled by runner._pickled_settings into the request on
    this process's stdin, which only the runner writes). None: CollectorContext parses."""
    blob = request.get("settings")
    if not isinstance(blob, str):
        return None
    import base64
    import pickle

    return pickle.loads(base64.b64decode(blob))  # our own parent's bytes, never a file


def main() -> int:
    request = json.loads(sys.stdin.read())
    # Keep fd 1 for events; send anything else written to stdout (by Python or C code) to stderr.
    event_fd = os.dup(1)
    events = os.fdopen(event_fd, "w", encoding="utf-8")
    os.environ["AIMA_CI_EVENT_FD"] = str(event_fd)
    os.dup2(2, 1)
    sys.stdout = sys.stderr

    try:
        cls = _collector_class(request)
        collector = cls()
        ctx = CollectorContext(
            collector=collector,
            config=request.get("config") or {},
            root=Path(request["root"]),
            config_dir=Path(request["config_dir"]),
            artefact_dir=Path(request["artefact_dir"]),
            evidence_dir=Path(request["evidence_dir"]),
            timeout=request.get("timeout"),
            settings=_settings(request),
            progress_callback=lambda msg, frac: _emit(
                events, {"event": "progress", "message": msg, "fraction": frac}
            ),
        )
        from aima_ci.evidence.preload import import_early, record_preloaded
        from aima_ci.evidence.readlog import Recorder

        root = Path(request["root"])
        recorder = Recorder(
            root,
            [Path(request["evidence_dir"]), *map(Path, request.get("record_exclude") or [])],
        )
        # The tool's own import, before the recorder's hook sees every audit event it raises
        # (Collector.preload); a missing tool fails here exactly as it would in collect().
        early = import_early(collector.preloads(request.get("config") or {}), root)
        # Noted before the hook starts: resolving 3,000 module paths under it cost 0.3 s.
        record_preloaded(recorder, early)
        recorder.install()
        for finding in collector.collect(ctx):
            _emit(events, {"event": "finding", "finding": finding.to_dict()})
        log = recorder.log()
        _emit(events, {"event": "reads", "log": log.to_dict() if log is not None else None})
        _emit(events, {"event": "done", "tool_version": collector.tool_version()})
        return 0
    except (InputError, CollectorConfigError) as exc:
        _emit(events, {"event": "input_error", "message": str(exc)})
        return 0
    except ModuleNotFoundError as exc:
        _emit(events, {"event": "not_installed", "message": f"{exc}"})
        return 0
    except Exception as exc:  # a bug or a tool crash: report it, the runner makes it an error
        traceback.print_exc()
        _emit(events, {"event": "crash", "message": f"{type(exc).__name__}: {exc}"})
        return 1


def profiled_main() -> int:
    """``main``, under cProfile when ``AIMA_CI_WORKER_PROFILE`` names a file prefix: the stats
    go to ``<prefix>.<pid>`` (one file per worker with ``--jobs``). The worker's own cost
    (start-up, preload, the read recorder, the tool) is then visible in a real ``aima-ci
    collect``, where the parent's cProfile sees only a thread waiting on a pipe."""
    prefix = os.environ.get("AIMA_CI_WORKER_PROFILE")
    if not prefix:
        return main()
    import cProfile

    profile = cProfile.Profile()
    try:
        return profile.runcall(main)
    finally:
        profile.dump_stats(f"{prefix}.{os.getpid()}")


if __name__ == "__main__":
    exit_without_teardown(profiled_main())
