"""Drive real headless Chromium over the DevTools protocol: load a page, collect every console
error, uncaught exception, log error (CSP violations, failed loads) and network request, read the
DOM, and take a screenshot.

The DevTools endpoint listens on 127.0.0.1 only; Chromium is started with the sandbox-free,
network-quiet flags this machine needs and a fresh profile each time.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--disable-default-apps",
    "--mute-audio",
    "--remote-debugging-address=127.0.0.1",
    "--remote-debugging-port=0",
)


def find_chromium() -> str | None:
    for name in (os.environ.get("CHROMIUM", ""), "chromium", "chromium-browser", "google-chrome"):
        if name and shutil.which(name):
            return shutil.which(name)
    return None


@dataclass
class PageResult:
    console_errors: list[str] = field(default_factory=list)
    exceptions: list[str] = field(default_factory=list)
    log_errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    failed_loads: list[str] = field(default_factory=list)
    evaluated: dict[str, Any] = field(default_factory=dict)
    screenshot: Path | None = None

    @property
    def external_requests(self) -> list[str]:
        return [u for u in self.requests if not u.startswith(("file:", "data:", "about:"))]

    @property
    def problems(self) -> list[str]:
        """Everything that counts as a broken page."""
        return [
            *(f"console.error: {m}" for m in self.console_errors),
            *(f"exception: {m}" for m in self.exceptions),
            *(f"log error: {m}" for m in self.log_errors),
            *(f"external request: {u}" for u in self.external_requests),
            *(f"failed load: {m}" for m in self.failed_loads),
        ]


class _Session:
    def __init__(self, ws: Any) -> None:
        self.ws = ws
        self.next_id = 0
        self.events: list[dict[str, Any]] = []

    def send(
        self,
        method: str,
        params: dict[str, Any] | None = None,
        session: str | None = None,
        timeout: float = 30,
    ) -> dict[str, Any]:
        self.next_id += 1
        msg: dict[str, Any] = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        self.ws.send(json.dumps(msg))
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            data = json.loads(self.ws.recv())
            if data.get("id") == self.next_id:
                if "error" in data:
                    raise RuntimeError(f"{method}: {data['error']}")
                return data.get("result", {})
            self.events.append(data)
        raise TimeoutError(method)

    def pump(self, seconds: float, until: str | None = None) -> None:
        """Collect events for ``seconds`` (or until the named event arrives)."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            self.ws.settimeout(max(0.05, deadline - time.monotonic()))
            try:
                data = json.loads(self.ws.recv())
            except Exception:  # websocket timeout
                break
            self.events.append(data)
            if until and data.get("method") == until:
                break
        self.ws.settimeout(30)


def load_page(
    url: str,
    *,
    screenshot: Path | None = None,
    width: int = 1280,
    height: int = 2000,
    evaluate: dict[str, str] | None = None,
    settle: float = 0.5,
) -> PageResult:
    """Open ``url`` in a fresh headless Chromium and report what happened."""
    import websocket  # websocket-client

    exe = find_chromium()
    if exe is None:
        raise FileNotFoundError("chromium is not installed")
    profile = Path(tempfile.mkdtemp(prefix="aima-chromium-"))
    proc = subprocess.Popen(
        [
            exe,
            *FLAGS,
            f"--user-data-dir={profile}",
            f"--window-size={width},{height}",
            "about:blank",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        port_file = profile / "DevToolsActivePort"
        deadline = time.monotonic() + 30
        while not (port_file.exists() and len(port_file.read_text().splitlines()) >= 2):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"chromium did not start (exit {proc.poll()})")
            time.sleep(0.05)
        port, path = port_file.read_text().splitlines()[:2]
        ws = websocket.create_connection(
            f"ws://127.0.0.1:{port}{path}", timeout=30, suppress_origin=True
        )
        cdp = _Session(ws)
        try:
            target = cdp.send("Target.createTarget", {"url": "about:blank"})["targetId"]
            sid = cdp.send("Target.attachToTarget", {"targetId": target, "flatten": True})[
                "sessionId"
            ]
            for domain in ("Runtime", "Log", "Network", "Page"):
                cdp.send(f"{domain}.enable", session=sid)
            cdp.send(
                "Emulation.setDeviceMetricsOverride",
                {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False},
                session=sid,
            )
            cdp.events.clear()
            cdp.send("Page.navigate", {"url": url}, session=sid)
            cdp.pump(30, until="Page.loadEventFired")
            cdp.pump(settle)
            result = PageResult()
            for name, expr in (evaluate or {}).items():
                res = cdp.send(
                    "Runtime.evaluate", {"expression": expr, "returnByValue": True}, session=sid
                )
                result.evaluated[name] = res.get("result", {}).get("value")
            if screenshot is not None:
                shot = cdp.send("Page.captureScreenshot", {"format": "png"}, session=sid)
                screenshot.write_bytes(base64.b64decode(shot["data"]))
                result.screenshot = screenshot
            cdp.pump(0.1)
            _classify(cdp.events, result)
            return result
        finally:
            ws.close()
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)
        shutil.rmtree(profile, ignore_errors=True)


def _classify(events: list[dict[str, Any]], result: PageResult) -> None:
    for e in events:
        method, params = e.get("method"), e.get("params", {})
        if method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
            args = params.get("args", [])
            result.console_errors.append(
                " ".join(str(a.get("value", a.get("description", ""))) for a in args)
            )
        elif method == "Runtime.exceptionThrown":
            d = params.get("exceptionDetails", {})
            result.exceptions.append(
                str(d.get("exception", {}).get("description") or d.get("text"))
            )
        elif method == "Log.entryAdded" and params.get("entry", {}).get("level") == "error":
            entry = params["entry"]
            result.log_errors.append(f"{entry.get('source')}: {entry.get('text')}")
        elif method == "Network.requestWillBeSent":
            result.requests.append(params.get("request", {}).get("url", ""))
        elif method == "Network.loadingFailed" and not params.get("canceled"):
            result.failed_loads.append(str(params.get("errorText")))
