"""Waivers: time-boxed, owned exceptions for a check or a question.

Expired or malformed waivers stop applying and are listed, so a forgotten waiver can never keep
a failure hidden past its date.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from aima_ci.config import parse_date
from aima_ci.models import Problem, Waiver


def parse_waivers(
    raw: Iterable[Mapping[str, Any]],
    known_ids: set[str],
    today: dt.date,
    max_days: int,
    source: str,
) -> tuple[list[Waiver], list[Waiver], list[Problem]]:
    """Split configured waivers into (active, expired, problems)."""
    active: list[Waiver] = []
    expired: list[Waiver] = []
    problems: list[Problem] = []
    for i, entry in enumerate(raw):
        where = f"{source}#waivers[{i}]"
        target = entry.get("id") or entry.get("check") or entry.get("question")
        if not isinstance(target, str) or not target:
            problems.append(Problem("waiver", where, "needs an id (check or question id)"))
            continue
        if target not in known_ids:
            problems.append(
                Problem("waiver", where, f"unknown check or question id {target!r}", target)
            )
            continue
        reason, owner = entry.get("reason"), entry.get("owner")
        if not isinstance(reason, str) or not reason.strip():
            problems.append(Problem("waiver", where, "reason is required", target))
            continue
        if not isinstance(owner, str) or not owner.strip():
            problems.append(Problem("waiver", where, "owner is required", target))
            continue
        expires = parse_date(entry.get("expires"))
        if expires is None:
            problems.append(Problem("waiver", where, "expires (YYYY-MM-DD) is required", target))
            continue
        created = None
        if entry.get("created") is not None:
            created = parse_date(entry.get("created"))
            if created is None:
                problems.append(Problem("waiver", where, "created must be YYYY-MM-DD", target))
                continue
            if created > today:  # a future start would stretch the waiver past waiver_max_days
                problems.append(
                    Problem("waiver", where, f"created {created} is in the future", target)
                )
                continue
            if created >= expires:
                problems.append(
                    Problem("waiver", where, f"created {created} is not before expires", target)
                )
                continue
        start = created or today
        if (expires - start).days > max_days:
            problems.append(
                Problem(
                    "waiver",
                    where,
                    f"lasts {(expires - start).days} days, more than waiver_max_days ({max_days})",
                    target,
                )
            )
            continue
        waiver = Waiver(
            target=target,
            reason=reason.strip(),
            owner=owner.strip(),
            expires=expires.isoformat(),
            created=created.isoformat() if created else None,
            source=where,
        )
        (expired if expires < today else active).append(waiver)
    return active, expired, problems
