"""The supply_chain collector's config keys, parsed once into a typed value.

``declared_models`` is not written by users: the config loader copies the ``models:`` section's
paths and trust flags here (``aima_ci.safety.modeldecl``), so the scanner judges the same files
with the same trust decision as the collectors that load them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from aima_ci.plugin import CollectorConfigError

from . import modelscan_run

NAME = "supply_chain"
PREFIX = f"collectors.{NAME}"
KEYS = {
    "models",
    "exclude",
    "allow_globals",
    "max_file_mb",
    "modelscan",
    "modelscan_severity",
    "inventory",
    "datasets",
    "allowed_licences",
    "sbom",
    "skops_engine",
    "declared_models",  # set by the config loader from models: (one trust decision per model)
}
SBOM_KEYS = {"python", "timeout", "validate"}


@dataclass(frozen=True)
class Sbom:
    """``sbom: true`` lists declared dependencies; ``sbom.python`` records an interpreter."""

    python: str | None = None  # a path inside the repository; None: the declared dependencies
    timeout: float = 300.0
    validate: bool = False


@dataclass(frozen=True)
class Settings:
    models: tuple[str, ...] | None = None  # globs; None: formats.MODEL_PATTERNS
    exclude: tuple[str, ...] = ()
    allow_globals: tuple[str, ...] = ()
    max_bytes: int = 2048 << 20
    modelscan: bool | str = "auto"  # auto, True or False
    modelscan_severity: str = "MEDIUM"
    inventory: str | None = None
    datasets: tuple[str, ...] = ()
    allowed_licences: tuple[str, ...] = ()
    sbom: Sbom | None = Sbom()  # None: sbom: false
    skops_engine: str = "auto"
    declared_models: tuple[Mapping[str, Any], ...] = ()


def parse(
    config: Mapping[str, Any], check_keys: Callable[[Mapping[str, Any], Iterable[str]], None]
) -> Settings:
    """The settings, or a CollectorConfigError naming the key; ``check_keys`` refuses typos."""
    check_keys(config, KEYS)
    lists: dict[str, tuple[str, ...] | None] = {}
    for key in ("models", "exclude", "allow_globals", "datasets", "allowed_licences"):
        value = config.get(key)
        if value is not None and not (
            isinstance(value, list) and all(isinstance(v, str) and v for v in value)
        ):
            raise CollectorConfigError(f"{PREFIX}.{key}", "must be a list of strings")
        lists[key] = tuple(value) if value else None
    mb = config.get("max_file_mb", 2048)
    if isinstance(mb, bool) or not isinstance(mb, (int, float)) or mb <= 0:
        raise CollectorConfigError(f"{PREFIX}.max_file_mb", "must be a positive number")
    modelscan = config.get("modelscan", "auto")
    if modelscan not in ("auto", True, False):
        raise CollectorConfigError(f"{PREFIX}.modelscan", "must be auto, true or false")
    severity = config.get("modelscan_severity", "MEDIUM")
    if severity not in modelscan_run.SEVERITIES:
        raise CollectorConfigError(
            f"{PREFIX}.modelscan_severity", f"one of {', '.join(modelscan_run.SEVERITIES)}"
        )
    engine = config.get("skops_engine", "auto")
    if engine not in ("auto", "skops", "builtin"):
        raise CollectorConfigError(f"{PREFIX}.skops_engine", "must be auto, skops or builtin")
    inv = config.get("inventory")
    if inv is not None and not (isinstance(inv, str) and inv):
        raise CollectorConfigError(f"{PREFIX}.inventory", "must be a path")
    return Settings(
        models=lists["models"],
        exclude=lists["exclude"] or (),
        allow_globals=lists["allow_globals"] or (),
        max_bytes=int(float(mb) * (1 << 20)),
        modelscan=modelscan,
        modelscan_severity=severity,
        inventory=inv or None,
        datasets=lists["datasets"] or (),
        allowed_licences=lists["allowed_licences"] or (),
        sbom=_sbom(config.get("sbom", True)),
        skops_engine=engine,
        declared_models=tuple(
            d for d in config.get("declared_models") or () if isinstance(d, Mapping)
        ),
    )


def _sbom(value: Any) -> Sbom | None:
    if isinstance(value, Mapping):
        bad = sorted(set(value) - SBOM_KEYS)
        if bad:
            raise CollectorConfigError(f"{PREFIX}.sbom.{bad[0]}", "unknown key")
        t = value.get("timeout", 300)
        if isinstance(t, bool) or not isinstance(t, (int, float)) or t <= 0:
            raise CollectorConfigError(f"{PREFIX}.sbom.timeout", "must be positive seconds")
        if "python" in value and not (isinstance(value["python"], str) and value["python"]):
            raise CollectorConfigError(f"{PREFIX}.sbom.python", "must be a path")
        validate = value.get("validate", False)
        if not isinstance(validate, bool):
            raise CollectorConfigError(f"{PREFIX}.sbom.validate", "must be true or false")
        return Sbom(python=value.get("python"), timeout=float(t), validate=validate)
    if not isinstance(value, bool):
        raise CollectorConfigError(f"{PREFIX}.sbom", "must be true, false or a mapping")
    return Sbom() if value else None
