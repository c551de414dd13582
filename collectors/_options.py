"""Typed reads of the config values the tabular-ML collectors have in common, failing closed.

Each collector parses its ``collectors.<name>`` block once, in the gate process, before any tool
is imported (``validate_config``); a bad value must then fail with exit 2 and the exact key. The
small readers here (a path, a list of columns, a bounded whole number, a flag) were written four
times with the same rules; one copy keeps the rules and the key naming the same everywhere.
Standard library only.

Superseded by ``aima_ci.options`` (one declarative spec per collector, see docs/plugins.md):
the readers below now delegate to its kinds, so a collector not converted yet applies exactly
the rules a converted one does, with the same messages.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from aima_ci.options import Bool, Int, Text
from aima_ci.plugin import CollectorConfigError

# ``Collector.check_keys``: refuses keys that are neither the runner's nor in ``allowed``.
KeyCheck = Callable[[Mapping[str, Any], Iterable[str]], None]


@dataclass(frozen=True)
class Options:
    """Readers for one collector's block; every error names ``collectors.<name>.<key>``."""

    name: str  # the collector's name

    @property
    def prefix(self) -> str:
        return f"collectors.{self.name}"

    def error(self, key: str, reason: str) -> CollectorConfigError:
        return CollectorConfigError(f"{self.prefix}.{key}" if key else self.prefix, reason)

    def refuse_mode(self, config: Mapping[str, Any]) -> None:
        """``mode`` is a runner key, but this collector only runs its tool: accepting the key
        would make ``mode: report`` look honoured while the tool still runs."""
        if "mode" in config:
            raise self.error(
                "mode", f"the {self.name} collector has no report mode; remove the key"
            )

    def text(
        self, config: Mapping[str, Any], key: str, what: str = "a non-empty string"
    ) -> str | None:
        """A non-blank string, or None where the key is absent (or null)."""
        value = config.get(key)
        if value is None:
            return None
        return Text(what=what).parse(value, f"{self.prefix}.{key}")

    def required(
        self, config: Mapping[str, Any], key: str, what: str = "a non-empty string"
    ) -> str:
        """A non-blank string that must be there."""
        value = self.text(config, key, what)
        if value is None:
            raise self.error(key, f"is required ({what})")
        return value

    def columns(self, value: Any, key: str) -> tuple[str, ...]:
        """A non-empty list of distinct column names; a bad item is named by its index."""
        if not isinstance(value, (list, tuple)) or not value:
            raise self.error(key, "must be a non-empty list of column names")
        for i, item in enumerate(value):
            if not isinstance(item, str) or not item:
                raise self.error(f"{key}[{i}]", "must be a column name")
        if len(set(value)) != len(value):
            raise self.error(key, "lists a column twice")
        return tuple(value)

    def whole(
        self, config: Mapping[str, Any], key: str, default: int, *, minimum: int, maximum: int
    ) -> int:
        """A whole number within bounds (``true`` is not 1 here: YAML typos must not count)."""
        value = config.get(key, default)
        return Int(minimum=minimum, maximum=maximum).parse(value, f"{self.prefix}.{key}")

    def flag(self, config: Mapping[str, Any], key: str, default: bool = False) -> bool:
        """A YAML boolean; a quoted "true" or a 1 is refused rather than read as true."""
        value = config.get(key, default)
        return Bool().parse(value, f"{self.prefix}.{key}")
