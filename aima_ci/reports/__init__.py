"""Report formats: one module per format, each defining a ``FORMAT`` (a ``ReportFormat``), all
listed in the one table ``FORMATS``.

What lives here: the formats (text, markdown, json, html, sarif, junit, codequality, github,
openmetrics), the pieces several of them share (``issues``: the ranked list of problems the
machine-readable formats flag; ``views``: the assessment per item of another framework;
``light``: the pre-commit verdict), and the interface (``format``). Layer 5: imports ``models``,
``errors``, ``safety``, ``config``, ``evidence``, ``assess`` and ``trust``; never ``api`` or ``cli``.

The table maps a name to a module path, and a module is imported only when its format is asked
for: the command line builds its ``--format`` choices from this table on every start, ``aima-ci
gate`` included, and the gate path must not load the renderers. The table is in the core rather
than an entry-point group because each format is an output contract (file name, the action and
the GitLab component read them, docs/reports.md lists them) and scanning installed metadata on
every start costs the gate path time; a format is still one module plus one line here.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import Any

from aima_ci.errors import UserError

from .format import ReportContext, ReportFormat

__all__ = ["FORMATS", "ReportContext", "ReportFormat", "UnknownFormat", "get", "names", "render"]

# name -> module defining FORMAT. The order is the order formats are listed in messages.
FORMATS: dict[str, str] = {
    "text": "aima_ci.reports.text",
    "markdown": "aima_ci.reports.markdown",
    "json": "aima_ci.reports.json",
    "html": "aima_ci.reports.html",
    "sarif": "aima_ci.reports.sarif",
    "junit": "aima_ci.reports.junit",
    "codequality": "aima_ci.reports.codequality",
    "github": "aima_ci.reports.github",
    "openmetrics": "aima_ci.reports.openmetrics",
}


def names() -> list[str]:
    """The registered format names, as the command line offers them (sorted)."""
    return sorted(FORMATS)


class UnknownFormat(UserError, ValueError):
    """A format name no module is registered for (exit 2, listing the ones there are). Not a
    KeyError: a renderer's KeyError means a malformed assessment, and is reported as one."""


def get(name: str) -> ReportFormat:
    """The format registered as ``name``; imports its module."""
    if name not in FORMATS:
        raise UnknownFormat(f"unknown report format {name!r} (one of: {', '.join(names())})")
    fmt = importlib.import_module(FORMATS[name]).FORMAT
    if not isinstance(fmt, ReportFormat) or fmt.name != name:
        raise TypeError(f"{FORMATS[name]}.FORMAT is not the ReportFormat named {name!r}")
    return fmt


def render(
    name: str, assessment: Mapping[str, Any], ctx: ReportContext, *, view: str | None = None
) -> str:
    """The assessment in format ``name``, or, with ``view``, that framework's view of it."""
    fmt = get(name)
    if view is None:
        return fmt.render(assessment, ctx)
    if fmt.render_view is None:
        able = [n for n in FORMATS if get(n).render_view is not None]
        listed = ", ".join(able[:-1]) + f" or {able[-1]}" if len(able) > 1 else "".join(able)
        raise UserError(f"--view renders as {listed}, not {name}")
    from .views import framework_view

    return fmt.render_view(framework_view(assessment, view), ctx)
