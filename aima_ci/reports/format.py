"""The interface every report format implements, and what a renderer is handed besides the
assessment.

A format is data plus a pure function: its name on the command line, the file ``aima-ci run``
writes it to, the media type a consumer should be told, and ``render``. Keeping it this small is
what lets one table (``aima_ci.reports.FORMATS``) stand in for every per-format branch the
command line used to have. A format that can also show a framework view (``report --view``)
says so with ``render_view``; the others leave it None and the view is refused by name.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from aima_ci.assess.catalogue import Catalogue


@dataclass
class ReportContext:
    """Everything outside the assessment a renderer may read: where the evidence and the config
    are (findings for severities and ages, config lines for annotations), presentation switches,
    and ``options`` for a format's own settings (``openmetrics``: ``labels``)."""

    evidence_dir: Path | None = None
    config_path: Path | None = None
    config_lines: Mapping[str, int] = field(default_factory=dict)
    color: bool = False
    verbose: bool = False
    options: Mapping[str, Any] = field(default_factory=dict)
    _catalogue: Catalogue | None = None

    @property
    def catalogue(self) -> Catalogue:
        """Loaded on first use: most formats never need the AIMA catalogue."""
        if self._catalogue is None:
            from aima_ci.assess.catalogue import load_catalogue

            self._catalogue = load_catalogue()
        return self._catalogue


Render = Callable[[Mapping[str, Any], ReportContext], str]


@dataclass(frozen=True)
class ReportFormat:
    """One output format. Each format module defines one, named ``FORMAT``."""

    name: str  # the value of --format
    filename: str  # what `aima-ci run --format` writes into the evidence directory
    media_type: str  # what to serve or upload it as
    render: Render  # the assessment in, the report text out (no I/O but reading evidence)
    # A framework view (aima_ci.reports.views) in this format, or None when it cannot show one.
    render_view: Render | None = None
