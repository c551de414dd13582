"""GitHub Actions workflow commands: one ``::error``/``::warning`` annotation per AIMA issue.

``aima-ci report --format github`` prints these lines; a runner that reads a step's output turns
them into annotations on the aima.yaml line that brings each issue in, on the pull request and
the run page. It works in any workflow step (the action uses it too), no token needed.

GitHub shows at most 10 error and 10 warning annotations per step and silently drops the rest
(REST Checks API, check-run ``annotations``), so the worst 10 of each kind are emitted, ranked as
every other machine-readable report ranks them, and one ``::notice`` counts what was left out and
says where to find it. Notes (issues that block nothing) are only counted.

Escaping follows actions/toolkit ``command.ts``: in the message ``%``, CR and LF become ``%25``,
``%0D`` and ``%0A``; in a property value ``:`` and ``,`` also become ``%3A`` and ``%2C``. Without
it a finding's text (which a pull request controls) could end the command early, or forge
another one on a new line.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .format import ReportContext, ReportFormat
from .issues import Issue, anchor_line, collect_issues, config_uri

MAX_PER_KIND = 10  # GitHub: 10 error and 10 warning annotations per step
MAX_TITLE = 200
KINDS = ("error", "warning")


def escape_data(value: str) -> str:
    """A workflow-command message: nothing in it can end the line or the command."""
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(value: str) -> str:
    """A workflow-command property value: also no ``:`` (ends the properties) or ``,``."""
    return escape_data(value).replace(":", "%3A").replace(",", "%2C")


def command(kind: str, message: str, **props: Any) -> str:
    """``::kind prop=value,...::message``; properties that are None or empty are left out."""
    fields = ",".join(
        f"{k}={escape_property(str(v))}" for k, v in props.items() if v not in (None, "")
    )
    return f"::{kind}{' ' + fields if fields else ''}::{escape_data(message)}"


def annotation(issue: Issue, path: str, lines: Mapping[str, int]) -> str:
    title = f"AIMA {issue.title}"
    if len(title) > MAX_TITLE:
        title = title[: MAX_TITLE - 1] + "…"
    return command(
        issue.level, issue.message, file=path, line=anchor_line(lines, issue.anchor), title=title
    )


def workflow_commands(
    assessment: Mapping[str, Any], ctx: ReportContext, per_kind: int = MAX_PER_KIND
) -> list[str]:
    """The worst ``per_kind`` errors, then warnings, then a notice counting the rest."""
    issues, _ = collect_issues(assessment, ctx)
    path = config_uri(assessment)
    shown = {kind: [i for i in issues if i.level == kind][:per_kind] for kind in KINDS}
    lines = [annotation(i, path, ctx.config_lines) for kind in KINDS for i in shown[kind]]
    rest = len(issues) - len(lines)
    if rest > 0:
        lines.append(
            command(
                "notice",
                f"{rest} more AIMA issue{'s' if rest != 1 else ''} not annotated (GitHub shows"
                f" {per_kind} errors and {per_kind} warnings per step): see the job summary and"
                " the SARIF/HTML reports",
                title="AIMA issues",
            )
        )
    return lines


def render(assessment: Mapping[str, Any], ctx: ReportContext) -> str:
    lines = workflow_commands(assessment, ctx)
    return "".join(line + "\n" for line in lines)


FORMAT = ReportFormat(
    name="github",
    filename="report.github.txt",
    media_type="text/plain; charset=utf-8",
    render=render,
)
