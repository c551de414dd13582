"""Split the enabled collectors across CI shards (GitHub matrix, GitLab ``parallel``).

The split is a pure function of the config, the shard count and the installed collectors' class
attributes, so every shard of one pipeline computes the same plan without talking to the others:

- Whole collectors: the enabled collector names, sorted, are dealt round-robin; the k-th name
  (0-based) goes to shard ``k % n + 1``. Sorted round-robin keeps the shards within one collector
  of each other in count and is easy to predict from the config alone.
- Splittable collectors (``Collector.shard_key`` names a config key holding a list, e.g. garak's
  ``probes``): with two or more items, the list is dealt round-robin in its configured order
  (item k to shard ``k % n + 1``) and the collector runs in every shard that got an item, with
  its list cut to that shard's items. Such collectors are left out of the whole-collector deal.

Every shard must therefore use the same config and the same ``n``; ``merge`` checks the count.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

_SPEC = re.compile(r"^\s*(\d+)\s*/\s*(\d+)\s*$")
MAX_SHARDS = 256


@dataclass(frozen=True)
class ShardSpec:
    """Shard ``index`` of ``count``, 1-based like GitLab's CI_NODE_INDEX and CI_NODE_TOTAL."""

    index: int
    count: int

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"

    def to_dict(self) -> dict[str, int]:
        return {"index": self.index, "count": self.count}

    def takes(self, position: int) -> bool:
        """Whether the item at 0-based ``position`` of a round-robin deal belongs to this shard."""
        return position % self.count == self.index - 1


def parse_shard(value: str) -> ShardSpec:
    """``"2/3"`` -> ShardSpec(2, 3); raises ValueError with a readable reason."""
    match = _SPEC.match(value or "")
    if not match:
        raise ValueError(f"{value!r} is not of the form i/n (for example 1/3)")
    index, count = int(match.group(1)), int(match.group(2))
    if not 1 <= count <= MAX_SHARDS:
        raise ValueError(f"the shard count must be between 1 and {MAX_SHARDS}, not {count}")
    if not 1 <= index <= count:
        raise ValueError(f"the shard index must be between 1 and {count}, not {index}")
    return ShardSpec(index, count)


def _split_list(settings: Mapping[str, Any], key: str | None) -> list[Any] | None:
    if not key:
        return None
    items = settings.get(key)
    if isinstance(items, list) and len(items) >= 2:
        return items
    return None


def plan_shard(
    configured: Mapping[str, Mapping[str, Any]],
    shard_keys: Mapping[str, str | None],
    spec: ShardSpec,
) -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]]]:
    """This shard's collector settings, and the part description of each split collector.

    ``configured`` maps collector names to their settings (as in the config); ``shard_keys``
    gives each installed collector's ``shard_key``. Disabled collectors stay out of the deal so
    that toggling one does not move the others more than necessary.
    """
    enabled = {n: s for n, s in configured.items() if s.get("enabled", True)}
    selected: dict[str, dict[str, Any]] = {}
    parts: dict[str, dict[str, Any]] = {}
    whole: list[str] = []
    for name in sorted(enabled):
        settings = enabled[name]
        key = shard_keys.get(name)
        items = _split_list(settings, key)
        if items is None or key is None:  # no key: _split_list gave None already
            whole.append(name)
            continue
        mine = [item for position, item in enumerate(items) if spec.takes(position)]
        if not mine:
            continue
        selected[name] = {**settings, key: mine}
        parts[name] = {
            "key": key,
            "index": spec.index,
            "count": spec.count,
            "items": mine,
            "total": len(items),
        }
    for position, name in enumerate(whole):
        if spec.takes(position):
            selected[name] = dict(enabled[name])
    return {n: selected[n] for n in configured if n in selected}, parts
