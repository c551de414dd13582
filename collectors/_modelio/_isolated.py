"""Run the preflight model checks in one helper process per command, not in aima-ci's own.

Loading and running a model is running input that whoever opened the pull request controls: a
crafted ONNX or TorchScript file can crash its runtime or hang it. The collectors themselves run
in worker processes for that reason, so their preflight checks do too: one helper process,
started on the first check of a command and reused by the next (it holds the cache that loads a
model art, shap and fairlearn all name only once), killed at exit. A crash or a timeout of the
helper decides nothing: the check is left to the collector, which reports it in its findings
under its own timeout. Only a CollectorConfigError the helper raised comes back (exit 2).

The helper is ``python -m aima_ci_collectors._modelio._isolated``: JSON requests on stdin, one
JSON reply line per request on a private copy of stdout (what the libraries print goes to the
discarded stderr, so it cannot corrupt a reply).
"""

from __future__ import annotations

import atexit
import importlib
import json
import os
import select
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from aima_ci.plugin import Collector, CollectorConfigError, Preflight
from aima_ci.safety.childproc import kill_group, spawn

TIMEOUT = 180.0  # seconds for one collector's check: loading a model and a forward pass


class _Helper:
    def __init__(self, cwd: Path) -> None:
        env = dict(os.environ)
        env.setdefault("HF_HUB_OFFLINE", "1")
        env.setdefault("DO_NOT_TRACK", "1")
        env["PYTHONUNBUFFERED"] = "1"
        self.proc = spawn(
            [sys.executable, "-m", "aima_ci_collectors._modelio._isolated"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            cwd=str(cwd),
            env=env,
        )

    def ask(self, request: Mapping[str, Any], timeout: float) -> dict[str, Any] | None:
        """The helper's reply, or None when it died, hung or answered nonsense (then it is
        killed, and the next check starts a fresh one)."""
        proc = self.proc
        assert proc.stdin is not None and proc.stdout is not None
        try:
            proc.stdin.write(json.dumps(request, default=str).encode() + b"\n")
            proc.stdin.flush()
            deadline = time.monotonic() + timeout
            line = b""
            while not line.endswith(b"\n"):
                left = deadline - time.monotonic()
                if left <= 0 or not select.select([proc.stdout], [], [], left)[0]:
                    raise TimeoutError
                chunk = os.read(proc.stdout.fileno(), 1 << 16)
                if not chunk:
                    raise EOFError
                line += chunk
            reply = json.loads(line)
            if not isinstance(reply, dict):
                raise ValueError(reply)
            return reply
        except (OSError, TimeoutError, EOFError, ValueError):
            self.close()
            return None

    def close(self) -> None:
        if self.proc.poll() is None:
            kill_group(self.proc)
        self.proc.wait()

    @property
    def alive(self) -> bool:
        return self.proc.poll() is None


_HELPER: _Helper | None = None


def check_in_helper(
    collector: Collector, config: Mapping[str, Any], check: Preflight, method: str
) -> None:
    """Run ``collector.<method>(config, check)`` in the helper; re-raise its config error."""
    global _HELPER
    if _HELPER is None or not _HELPER.alive:
        _HELPER = _Helper(check.config_dir)
        atexit.register(_HELPER.close)
    kind = type(collector)
    reply = _HELPER.ask(
        {
            "class": f"{kind.__module__}:{kind.__qualname__}",
            "method": method,
            "config": dict(config),
            "root": str(check.root),
            "config_dir": str(check.config_dir),
        },
        TIMEOUT,
    )
    if reply and isinstance(reply.get("key"), str) and isinstance(reply.get("reason"), str):
        raise CollectorConfigError(reply["key"], reply["reason"])


def stop_helper() -> None:
    """End the helper (its cache with it); the next check starts a fresh one."""
    global _HELPER
    if _HELPER is not None:
        _HELPER.close()
        _HELPER = None


def cached_models() -> int | None:
    """How many models the helper holds loaded (None: no helper running); for tests that a
    model several collectors name is loaded once."""
    if _HELPER is None or not _HELPER.alive:
        return None
    reply = _HELPER.ask({"stats": True}, TIMEOUT)
    return reply.get("cached") if reply else None


def _serve(requests: Any, replies: Any) -> None:
    from . import _preflight

    for line in requests:
        try:
            request = json.loads(line)
            if request.get("stats"):
                replies.write(json.dumps({"cached": len(_preflight._CACHE)}) + "\n")
                replies.flush()
                continue
            module, _, qualname = request["class"].partition(":")
            cls: Any = importlib.import_module(module)
            for part in qualname.split("."):
                cls = getattr(cls, part)
            if not (isinstance(cls, type) and issubclass(cls, Collector)):
                raise TypeError(request["class"])
            collector = cls()
            check = Preflight(collector.name, Path(request["root"]), Path(request["config_dir"]))
            getattr(collector, request["method"])(request["config"], check)
            reply: dict[str, Any] = {"ok": True}
        except CollectorConfigError as exc:
            reply = {"key": exc.key, "reason": exc.reason}
        except Exception as exc:  # anything else is the collector's to report, with its logs
            reply = {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
        replies.write(json.dumps(reply, default=str) + "\n")
        replies.flush()


def main() -> None:
    replies = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)  # what a library prints must not land in a reply
    sys.stdout = sys.stderr
    _serve(sys.stdin, replies)


if __name__ == "__main__":
    main()
