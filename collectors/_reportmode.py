"""Config rules shared by the collectors that judge a report another CI step wrote.

aif360 and modelscan either read a tool's JSON report (``mode: report``) or run the tool
themselves. Their config blocks follow the same rules, kept here so the two cannot drift apart:
how the mode is decided, that a path key is a non-empty string and present when needed, and that
``thresholds`` holds only the collector's own keys with sane values. (promptfoo and zap declare
theirs in an option spec, ``settings.py``; once every collector does, this module goes.) Each
helper raises CollectorConfigError naming ``collectors.<name>.<key>``, which the runner turns
into exit 2 before any collector runs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

from aima_ci.plugin import CollectorConfigError, run_mode

ThresholdKind = Literal["rate", "count"]
_VALUE_RULES = {
    "rate": "must be a number between 0 and 1",
    "count": "must be a whole number (0 or more)",
}


def mode_of(config: Mapping[str, Any]) -> str:
    """``report`` or ``run``, decided as the runner decides which modules a run needs
    (``Collector.requirements``): an explicit ``mode``, else ``report`` when a report is set."""
    return run_mode(config)


def config_path(config: Mapping[str, Any], collector: str, key: str) -> None:
    """``key`` is absent or a non-empty string."""
    value = config.get(key)
    if value is not None and (not isinstance(value, str) or not value.strip()):
        raise CollectorConfigError(f"collectors.{collector}.{key}", "must be a path (a string)")


def require_path(config: Mapping[str, Any], collector: str, key: str, why: str) -> None:
    """``key`` is present and a non-empty string; ``why`` says what the path is for."""
    config_path(config, collector, key)
    if key not in config:
        raise CollectorConfigError(f"collectors.{collector}.{key}", why)


def check_thresholds(
    config: Mapping[str, Any], collector: str, names: Sequence[str], kind: ThresholdKind
) -> None:
    """``thresholds`` maps only ``names`` to a rate in [0, 1] or a whole count >= 0.

    Checked here because ``ctx.threshold`` only sees a value once the collector runs: a typo'd
    key would otherwise leave the default threshold in force without a word.
    """
    prefix = f"collectors.{collector}.thresholds"
    thresholds = config.get("thresholds") or {}
    if not isinstance(thresholds, Mapping):
        raise CollectorConfigError(prefix, f"must be a mapping ({', '.join(names)})")
    for key, value in thresholds.items():
        if key not in names:
            raise CollectorConfigError(f"{prefix}.{key}", f"expected {_either(names)}")
        if not _fits(value, kind):
            raise CollectorConfigError(f"{prefix}.{key}", _VALUE_RULES[kind])


def _fits(value: Any, kind: ThresholdKind) -> bool:
    if isinstance(value, bool):
        return False
    if kind == "count":
        return isinstance(value, int) and value >= 0
    return isinstance(value, (int, float)) and 0 <= value <= 1


def _either(names: Sequence[str]) -> str:
    """``a or b``, ``a, b or c``: the wording the collectors' messages used."""
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} or {names[-1]}"
