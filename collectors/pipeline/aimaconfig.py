"""Which collectors a CI gate runs: the aima.yaml (or pyproject table) its step points at.

The path comes from ``--config`` or the action/component input; without one, aima-ci's own
discovery order in the step's working folder applies. The file is read as data with the same
path and YAML safety as every other repository file; an expression (``${{ }}``, ``$VAR``) cannot be
followed and is reported as such.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aima_ci.config import CONFIG_NAMES
from aima_ci.safety.paths import PathError, resolve_inside
from aima_ci.safety.safeio import FileProblem, load_yaml, read_text, rel

from .ci import GateStep


@dataclass
class GateConfig:
    display: str | None
    collectors: list[str] = field(default_factory=list)
    problem: str = ""


def resolve(root: Path, step: GateStep) -> GateConfig:
    base = root / step.workdir if step.workdir else root
    where = step.where
    if step.config is not None:
        if "${{" in step.config or "$" in step.config:
            return GateConfig(
                None,
                problem=f"{where}: config path {step.config!r} is an expression; cannot follow it",
            )
        try:
            path = resolve_inside(base, step.config, root, must_exist=True)
        except PathError as exc:
            return GateConfig(None, problem=f"{where}: --config {exc}")
    else:
        found = _discover(root, base)
        if found is None:
            return GateConfig(
                None,
                problem=f"{where}: no aima.yaml (or [tool.aima-ci]) in {rel(root, base) or '.'}",
            )
        path = found
    display = rel(root, path)
    try:
        if path.name == "pyproject.toml":
            text = read_text(path, display, 1 << 20, root=root)
            try:
                data = tomllib.loads(text).get("tool", {}).get("aima-ci")
            except tomllib.TOMLDecodeError as exc:
                return GateConfig(display, problem=f"{display}: invalid TOML: {exc}")
        else:
            data = load_yaml(path, display, root=root, max_bytes=1 << 20)
    except FileProblem as exc:
        return GateConfig(display, problem=str(exc))
    if not isinstance(data, Mapping):
        return GateConfig(
            display, problem=f"{display}: not an aima-ci configuration (top level is not a mapping)"
        )
    collectors = _enabled(data.get("collectors"))
    if collectors is None:
        return GateConfig(display, problem=f"{display}: collectors: must be a mapping")
    if step.only:
        collectors = [c for c in collectors if c in step.only]
    return GateConfig(display, collectors)


def _discover(root: Path, base: Path) -> Path | None:
    for name in CONFIG_NAMES:
        candidate = base / name
        if candidate.is_file():
            return candidate
    pyproject = base / "pyproject.toml"
    if pyproject.is_file():
        try:
            text = read_text(pyproject, rel(root, pyproject), 1 << 20, root=root)
        except FileProblem:
            return None
        if "[tool.aima-ci" in text:
            return pyproject
    return None


def _enabled(raw: Any) -> list[str] | None:
    if raw is None:
        return []
    if not isinstance(raw, Mapping):
        return None
    out = []
    for name, settings in raw.items():
        if settings is False:
            continue
        if isinstance(settings, Mapping) and settings.get("enabled", True) is False:
            continue
        out.append(str(name))
    return out
