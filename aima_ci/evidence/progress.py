"""Collector progress: a live status block on a terminal, timestamped plain lines in CI logs."""

from __future__ import annotations

import sys
import threading
import time
from datetime import UTC, datetime
from typing import TextIO

from aima_ci.evidence.runner import Event

SYMBOLS = {"ok": "done", "reused": "reused"}


class PlainProgress:
    """One timestamped line per event: readable in CI logs, greppable, no control characters."""

    def __init__(self, stream: TextIO | None = None, quiet: bool = False) -> None:
        self.stream = stream or sys.stderr
        self.quiet = quiet

    def __call__(self, event: Event) -> None:
        if self.quiet and event.kind != "finished":
            return
        stamp = datetime.now(UTC).strftime("%H:%M:%S")
        if event.kind == "started":
            text = "running"
        elif event.kind == "progress":
            frac = f" {event.fraction * 100:.0f}%" if event.fraction is not None else ""
            text = f"{event.message}{frac}"
        else:
            state = SYMBOLS.get(event.status, f"FAILED ({event.status})")
            text = f"{state} in {event.elapsed:.1f}s" + (
                f": {event.message}" if event.message else ""
            )
        self.stream.write(f"[{stamp}] {event.collector}: {text}\n")
        self.stream.flush()

    def close(self) -> None:
        pass


class LiveProgress:
    """Redraws one line per collector (running / done / failed, elapsed, tool progress)."""

    def __init__(self, names: list[str], stream: TextIO | None = None, color: bool = True) -> None:
        self.stream = stream or sys.stderr
        self.color = color
        self.state = {n: ["waiting", "", 0.0, None] for n in names}
        self.drawn = 0
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.ticker = threading.Thread(target=self._tick, daemon=True)
        self.ticker.start()

    def __call__(self, event: Event) -> None:
        with self.lock:
            entry = self.state.setdefault(event.collector, ["waiting", "", 0.0, None])
            if event.kind == "started":
                entry[0], entry[3] = "running", time.monotonic()
            elif event.kind == "progress":
                frac = f" {event.fraction * 100:.0f}%" if event.fraction is not None else ""
                entry[1] = f"{event.message}{frac}"
            else:
                entry[0] = SYMBOLS.get(event.status, f"failed ({event.status})")
                entry[1] = event.message
                entry[2] = event.elapsed
                entry[3] = None
            self._draw()

    def _tick(self) -> None:
        while not self.stop.wait(0.5):
            with self.lock:
                self._draw()

    def _draw(self) -> None:
        import click

        if self.drawn:
            self.stream.write(f"\x1b[{self.drawn}F")
        width = 100
        for name, (state, msg, elapsed, started) in self.state.items():
            if started is not None:
                elapsed = time.monotonic() - started
            label = state
            if self.color:
                fg = (
                    "green"
                    if state in ("done", "reused")
                    else "red"
                    if "failed" in state
                    else "yellow"
                )
                label = click.style(f"{state:<9}", fg=fg)
            line = f"  {name:<16} {label} {elapsed:6.1f}s  {msg}"
            self.stream.write("\x1b[2K" + line[: width + 20] + "\n")
        self.drawn = len(self.state)
        self.stream.flush()

    def close(self) -> None:
        self.stop.set()
        with self.lock:
            self._draw()
