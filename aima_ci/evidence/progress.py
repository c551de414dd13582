"""Collector progress: a live status block on a terminal (rich), timestamped plain lines in CI logs.

rich is imported only when stderr is a terminal, so CI runs and the gate path never load it.
"""

from __future__ import annotations

import sys
import threading
import time
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any, TextIO

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


@dataclass
class _Row:
    """One collector's line: its state, the tool's last message, and how long it has run."""

    state: str = "waiting"
    message: str = ""
    elapsed: float = 0.0
    started: float | None = None  # monotonic clock while running


class LiveProgress:
    """One line per collector (running / done / failed, elapsed, tool progress), redrawn in place.

    rich draws it: each line is cut to the terminal's width (a long tool message ends in "…"
    instead of wrapping, which broke the hand-written redraw), and the width follows a resized
    terminal. Only used on a terminal; CI logs and pipes get PlainProgress.
    """

    def __init__(self, names: list[str], stream: TextIO | None = None, color: bool = True) -> None:
        from rich.console import Console
        from rich.live import Live

        self.console = Console(
            file=stream or sys.stderr, no_color=not color, highlight=False, emoji=False
        )
        self.state = {n: _Row() for n in names}
        self.lock = threading.Lock()
        self.live = Live(
            console=self.console,
            get_renderable=self._render,
            refresh_per_second=4,
            redirect_stdout=False,
            redirect_stderr=False,
        )
        self.live.start()

    def __call__(self, event: Event) -> None:
        with self.lock:
            row = self.state.setdefault(event.collector, _Row())
            if event.kind == "started":
                row.state, row.started = "running", time.monotonic()
            elif event.kind == "progress":
                frac = f" {event.fraction * 100:.0f}%" if event.fraction is not None else ""
                row.message = f"{event.message}{frac}"
            else:
                row.state = SYMBOLS.get(event.status, f"failed ({event.status})")
                row.message = event.message
                row.elapsed = event.elapsed
                row.started = None
        self.live.refresh()

    def _render(self) -> Any:
        from rich.table import Table
        from rich.text import Text

        now = time.monotonic()
        with self.lock:
            rows = [(name, replace(row)) for name, row in self.state.items()]
        table = Table.grid(padding=(0, 1), expand=True)
        # Name, state and time keep their width; only the tool's message gives way.
        names = min(24, max((len(name) for name, _ in rows), default=8) + 1)
        states = max((len(row.state) for _, row in rows), default=7)
        table.add_column(no_wrap=True, overflow="ellipsis", min_width=names, max_width=24)
        table.add_column(no_wrap=True, min_width=states)
        table.add_column(no_wrap=True, justify="right", min_width=7)
        table.add_column(no_wrap=True, overflow="ellipsis", ratio=1)
        for name, row in rows:
            elapsed = now - row.started if row.started is not None else row.elapsed
            style = (
                "green"
                if row.state in ("done", "reused")
                else "red"
                if "failed" in row.state
                else "yellow"
            )
            # Control characters from a tool's message must not move the cursor.
            clean = "".join(c if c.isprintable() else " " for c in row.message)
            table.add_row(
                Text(f" {name}"),
                Text(row.state, style=style),
                Text(f"{elapsed:6.1f}s"),
                Text(clean),
            )
        return table

    def close(self) -> None:
        self.live.refresh()
        self.live.stop()
