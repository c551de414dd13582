"""Report formats: one module per format, each exposing ``render(assessment, ctx) -> str``.

Modules are imported only when their format is asked for, to keep the gate path light.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from aima_ci.assess.catalogue import Catalogue


FORMATS: dict[str, str] = {
    "text": "aima_ci.reports.text",
    "json": "aima_ci.reports.json",
    "markdown": "aima_ci.reports.markdown",
    "sarif": "aima_ci.reports.sarif",
    "junit": "aima_ci.reports.junit",
    "codequality": "aima_ci.reports.codequality",
    "html": "aima_ci.reports.html",
    "github": "aima_ci.reports.github",
}
EXTENSIONS: dict[str, str] = {
    "text": "txt",
    "json": "json",
    "markdown": "md",
    "sarif": "sarif",
    "junit": "junit.xml",
    "codequality": "codequality.json",
    "html": "html",
    "github": "github.txt",
}


@dataclass
class ReportContext:
    evidence_dir: Path | None = None
    config_path: Path | None = None
    config_lines: Mapping[str, int] = field(default_factory=dict)
    color: bool = False
    verbose: bool = False
    options: Mapping[str, Any] = field(default_factory=dict)
    _catalogue: Catalogue | None = None

    @property
    def catalogue(self) -> Catalogue:
        if self._catalogue is None:
            from aima_ci.assess.catalogue import load_catalogue

            self._catalogue = load_catalogue()
        return self._catalogue


class ReportFormat(Protocol):
    """What each format module's ``render`` is: the assessment in, the report text out. A new
    format is a module with such a function, listed in FORMATS and EXTENSIONS."""

    def __call__(self, assessment: Mapping[str, Any], ctx: ReportContext, /) -> str: ...


def renderer(fmt: str) -> ReportFormat:
    if fmt not in FORMATS:
        raise KeyError(fmt)
    return importlib.import_module(FORMATS[fmt]).render
