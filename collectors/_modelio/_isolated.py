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
import contextlib
import hashlib
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
from aima_ci.safety.atomic import atomic_write
from aima_ci.safety.childproc import kill_group, spawn
from aima_ci.safety.hashing import sha256_file
from aima_ci.safety.paths import config_paths, is_inside, user_cache_dir

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
    """Run ``collector.<method>(config, check)`` in the helper; re-raise its config error.

    A check that passed is remembered (see ``_memo_key``), so a re-run on unchanged inputs, whose
    collectors all come from the cache, does not pay for loading torch and the model again.
    """
    memo = _memo_path(collector, config, check, method)
    if memo is not None and memo.is_file():
        return
    reply = _ask_helper(collector, config, check, method)
    if reply and isinstance(reply.get("key"), str) and isinstance(reply.get("reason"), str):
        raise CollectorConfigError(reply["key"], reply["reason"])
    if memo is not None and reply is not None and reply.get("ok") is True:
        with contextlib.suppress(OSError):
            atomic_write(memo, "ok\n")


def _memo_path(
    collector: Collector, config: Mapping[str, Any], check: Preflight, method: str
) -> Path | None:
    """Where a passed check on exactly these inputs is remembered, or None: not remembered.

    The key covers what the check reads: the collector (class, version, tool version, aima-ci's
    version), its whole config (with the declared model spelled out), and the content digest of
    every file or folder the config names. Not remembered: a model named by an MLflow URI or
    built by a factory (the registry or the user's code can change under the same config), a
    cache folder inside the checkout (a pull request controls it), and anything under
    --no-cache. A forged or stale entry could only skip this early check: the collector still
    loads the model itself and reports a mismatch as ``error`` findings, so nothing can pass
    through it.
    """
    if not check.remember:
        return None
    model = config.get("model")
    if isinstance(model, Mapping) and (model.get("uri") or model.get("factory")):
        return None
    folder = _memo_dir(check.root)
    if folder is None:
        return None
    from . import directory_digest

    files = {}
    try:
        for path in config_paths(config, check.root, check.config_dir):
            shown = path.relative_to(check.root).as_posix()
            files[shown] = directory_digest(path) if path.is_dir() else sha256_file(path)
    except (OSError, ValueError):
        return None
    kind = type(collector)
    material = {
        "class": f"{kind.__module__}:{kind.__qualname__}",
        "method": method,
        "versions": [_aima_ci_version(), collector.version, collector.tool_version()],
        "config": config,
        "files": files,
    }
    blob = json.dumps(material, sort_keys=True, default=str).encode()
    return folder / (hashlib.sha256(blob).hexdigest() + ".ok")


def _aima_ci_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("aima-ci")
    except PackageNotFoundError:
        return "unknown"


def _memo_dir(root: Path) -> Path | None:
    env = os.environ.get("AIMA_CI_CACHE_DIR")
    folder = Path(env).resolve() / "preflight" if env else user_cache_dir() / "preflight"
    return None if is_inside(folder, root) else folder


def _ask_helper(
    collector: Collector, config: Mapping[str, Any], check: Preflight, method: str
) -> dict[str, Any] | None:
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
    return reply


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
