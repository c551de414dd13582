"""Quick-start profiles: data, not code, so a profile can be reviewed like any config.

A profile names the collectors that fit a kind of system, a first gate target, the
attestation questions that matter most (in order) and, for LLM profiles, a short garak probe
set. The YAML lives in ``aima_ci/data/profiles``; this module only reads and checks it.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

from aima_ci.config import PROFILES as PROFILE_NAMES
from aima_ci.errors import UserError
from aima_ci.safety.safeio import safe_load


@dataclass(frozen=True)
class Profile:
    name: str
    description: str
    collectors: tuple[str, ...]
    target_level: int
    target_practices: Mapping[str, int]
    attestations: tuple[str, ...]  # most valuable first
    garak: Mapping[str, Any] = field(default_factory=dict)


def _parse(data: Mapping[str, Any]) -> Profile:
    target = data.get("target") or {}
    return Profile(
        name=str(data["name"]),
        description=str(data.get("description", "")),
        collectors=tuple(data.get("collectors") or ()),
        target_level=int(target.get("level", 0)),
        target_practices={str(k): int(v) for k, v in (target.get("practices") or {}).items()},
        attestations=tuple(data.get("attestations") or ()),
        garak=dict(data.get("garak") or {}),
    )


@functools.cache
def load_profile(name: str) -> Profile:
    """The packaged profile ``name``; a UserError (exit 2) listing the known ones otherwise."""
    if name not in PROFILE_NAMES:
        raise UserError(f"unknown profile {name!r} (one of: {', '.join(PROFILE_NAMES)}, auto)")
    text = (
        resources.files("aima_ci")
        .joinpath(f"data/profiles/{name}.yaml")
        .read_text(encoding="utf-8")
    )
    return _parse(safe_load(text))


def all_profiles() -> list[Profile]:
    return [load_profile(n) for n in PROFILE_NAMES]
