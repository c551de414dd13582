"""The data's declared purpose: what it is for, which columns that purpose needs, which hold PII.

Purpose limitation can only be checked against something written down, so the declaration is
either inline in aima.yaml (``purpose:``) or in a ``data-purpose.yaml`` kept next to it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aima_ci_collectors._substance import placeholder_reason

from aima_ci.safety.safeio import FileProblem, load_yaml, rel

DEFAULT_FILE = "data-purpose.yaml"
KEYS = {"description", "needed_columns", "personal_data", "owner", "legal_basis", "retention"}


@dataclass(frozen=True)
class Purpose:
    source: str  # "aima.yaml" or the purpose file's path
    description: str
    needed_columns: tuple[str, ...]
    personal_data: tuple[str, ...]  # columns allowed (and declared) to hold personal data
    extra: Mapping[str, Any]

    def problems(self) -> list[str]:
        out = []
        if not self.description.strip():
            out.append(f"{self.source}: purpose has no description")
        elif (why := placeholder_reason(self.description)) is not None:
            # evidence minimums: "x" declares no purpose
            out.append(f"{self.source}: purpose description is {why}")
        if not self.needed_columns:
            out.append(f"{self.source}: purpose lists no needed_columns")
        undeclared = [c for c in self.personal_data if c not in self.needed_columns]
        if undeclared:
            out.append(
                f"{self.source}: personal_data columns not in needed_columns: {', '.join(undeclared)}"
            )
        return out


def parse(data: Any, source: str) -> Purpose:
    if not isinstance(data, Mapping):
        raise FileProblem(source, "purpose must be a mapping (description, needed_columns)")
    unknown = sorted(str(k) for k in data if k not in KEYS)
    if unknown:
        raise FileProblem(
            source, f"purpose: unknown key {unknown[0]!r} (known: {', '.join(sorted(KEYS))})"
        )
    description = data.get("description") or ""
    if not isinstance(description, str):
        raise FileProblem(source, "purpose.description must be text")
    lists = {}
    for key in ("needed_columns", "personal_data"):
        value = data.get(key) or []
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            raise FileProblem(source, f"purpose.{key} must be a list of column names")
        lists[key] = tuple(value)
    extra = {k: data[k] for k in ("owner", "legal_basis", "retention") if k in data}
    return Purpose(source, description, lists["needed_columns"], lists["personal_data"], extra)


def load(root: Path, path: Path) -> Purpose:
    display = rel(root, path)
    return parse(load_yaml(path, display, root=root, max_bytes=1 << 20), display)
