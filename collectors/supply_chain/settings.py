"""The ``collectors.supply_chain`` keys (public contract: docs/collectors/supply_chain.md),
declared once.

``declared_models`` is not written by users: the config loader copies the ``models:`` section's
paths and trust flags here (``aima_ci.safety.modeldecl``), so the scanner judges the same files
with the same trust decision as the collectors that load them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from aima_ci.options import (
    Bool,
    Choice,
    FilePath,
    Float,
    ListOf,
    Obj,
    OneOf,
    Option,
    Raw,
    Spec,
    Text,
    Values,
)

from . import modelscan_run

NAME = "supply_chain"
STRINGS = ListOf(Text(), what="a list of strings")


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


def _sbom(values: Values) -> Sbom:
    return Sbom(python=values["python"], timeout=values["timeout"], validate=values["validate"])


def _declared(value: Any) -> tuple[Mapping[str, Any], ...]:
    return tuple(d for d in value or () if isinstance(d, Mapping))


def _build(values: Values) -> Settings:
    sbom = values["sbom"]
    return Settings(
        models=values["models"] or None,
        exclude=values["exclude"] or (),
        allow_globals=values["allow_globals"] or (),
        max_bytes=int(values["max_file_mb"] * (1 << 20)),
        modelscan=values["modelscan"],
        modelscan_severity=values["modelscan_severity"],
        inventory=values["inventory"],
        datasets=values["datasets"] or (),
        allowed_licences=values["allowed_licences"] or (),
        sbom=(Sbom() if sbom is True else None) if isinstance(sbom, bool) else sbom,
        skops_engine=values["skops_engine"],
        declared_models=values["declared_models"] or (),
    )


SPEC = Spec(
    options=(
        Option(
            "models",
            STRINGS,
            doc="Globs of model files to scan (default: every known model format).",
        ),
        Option("exclude", STRINGS, doc="Globs left out of the scan."),
        Option(
            "allow_globals",
            STRINGS,
            doc="Pickle globals (`module.name`) accepted beyond the built-in allowlist.",
        ),
        Option(
            "max_file_mb",
            Float(minimum=0, exclusive_minimum=True, what="a positive number"),
            default=2048.0,
            doc="Files larger than this are an error, not scanned.",
        ),
        Option(
            "modelscan",
            OneOf(Choice("auto", what="auto, true or false"), Bool(), what="auto, true or false"),
            default="auto",
            doc="modelscan's second opinion: `auto` when installed, `true` requires it.",
        ),
        Option(
            "modelscan_severity",
            Choice(*modelscan_run.SEVERITIES),
            default="MEDIUM",
            doc="modelscan issues at or above this severity fail a file.",
        ),
        Option(
            "inventory",
            FilePath("file"),
            doc="The model and dataset inventory (name, version, licence, source per entry).",
        ),
        Option("datasets", STRINGS, doc="Globs of dataset files the inventory must claim."),
        Option(
            "allowed_licences", STRINGS, doc="Licences accepted in the inventory (default: any)."
        ),
        Option(
            "sbom",
            OneOf(
                Bool(),
                Obj(
                    Option(
                        "python",
                        Text(what="a path"),
                        doc="An interpreter inside the repository whose environment is recorded.",
                    ),
                    Option(
                        "timeout",
                        Float(minimum=0, exclusive_minimum=True, what="positive seconds"),
                        default=300.0,
                        doc="Seconds for cyclonedx-py.",
                    ),
                    Option("validate", Bool(), default=False, doc="Validate the SBOM's schema."),
                    build=_sbom,
                ),
                what="true, false or a mapping",
            ),
            default=True,
            doc="A CycloneDX SBOM: `true` lists the declared dependencies; `{python: ...}`"
            " records that interpreter's environment; `false` skips it.",
        ),
        Option(
            "skops_engine",
            Choice("auto", "skops", "builtin", what="auto, skops or builtin"),
            default="auto",
            doc="How .skops files are inspected: skops's own reader or aima-ci's walk.",
        ),
        Option(
            "declared_models",
            Raw(check=_declared),
            internal=True,
            doc="Set by the config loader from `models:` (one trust decision per model).",
        ),
    ),
    build=_build,
)
