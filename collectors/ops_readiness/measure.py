"""Read what operations readiness is judged on: alert rule files, the playbook, the rollback record.

Raw readings only: the alerts each rule file defines and its structural problems, the playbook's
text, what the registry or the git tags offer to roll back to. Whether the alerts watch enough,
the playbook covers enough and a rollback path exists is ``judge``'s call. A file that cannot be
found or read is a reading too (an error message), so one bad file never hides the others.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from aima_ci_collectors._safeio import configured_files

from aima_ci.models import Subject
from aima_ci.plugin import CollectorContext, InputError
from aima_ci.safety.safeio import FileProblem, load_yaml, parse_yaml, read_text, rel, yaml_lines

from . import promrules, rollback
from .settings import OpsSettings

ALERT_PATTERNS = ("**/*alert*.yml", "**/*alert*.yaml", "**/*rules*.yml", "**/*rules*.yaml")
PLAYBOOK_PATTERNS = ("**/*incident*.md", "**/*playbook*.md", "**/*runbook*.md")
MAX_FILE_BYTES = 4 << 20  # rule files, playbooks and registries are small; refuse a huge one


@dataclass
class AlertReading:
    problems: list[str] = field(default_factory=list)  # configured paths that name nothing usable
    unreadable: list[tuple[Subject, str]] = field(default_factory=list)  # file, why
    used: list[Path] = field(default_factory=list)  # the rule files read
    alerts: list[promrules.AlertRule] = field(default_factory=list)
    structural: list[str] = field(default_factory=list)  # what promtool would refuse


@dataclass(frozen=True)
class PlaybookReading:
    display: str = ""
    text: str = ""
    subject: Subject | None = None
    error: str = ""  # could not be resolved or read
    none_found: bool = False  # nothing configured and nothing discovered


@dataclass(frozen=True)
class RollbackReading:
    configured: bool
    error: str = ""  # the registry could not be resolved or read
    results: tuple[rollback.RollbackResult, ...] = ()
    subjects: tuple[Subject, ...] = ()


def _files(
    ctx: CollectorContext, key: str, raw: str | Sequence[str] | None, defaults: tuple[str, ...]
) -> tuple[list[Path], list[str], bool]:
    """Configured (explicit) or discovered files, and the problems with configured paths."""
    items = [raw] if isinstance(raw, str) else list(raw or [])
    files, problems = configured_files(ctx, key, items or defaults)
    return files, problems, bool(items)


def read_alerts(ctx: CollectorContext, configured: str | Sequence[str] | None) -> AlertReading:
    """Every configured rule file (or, with none configured, every discovered YAML holding
    ``groups``), validated as promtool would."""
    files, problems, explicit = _files(ctx, "alert_rules", configured, ALERT_PATTERNS)
    reading = AlertReading(problems=problems)
    for path in files:
        display = rel(ctx.root, path)
        try:
            text = read_text(path, display, MAX_FILE_BYTES, root=ctx.root)
            data = parse_yaml(text, display)
        except FileProblem as exc:
            reading.unreadable.append((ctx.subject("alert_rules", path), str(exc)))
            continue
        if not explicit and not (isinstance(data, Mapping) and "groups" in data):
            continue  # a discovered YAML that is not a rule file (e.g. lint rules)
        report = promrules.validate(data, display, yaml_lines(text))
        reading.structural.extend(report.problems)
        reading.alerts.extend(report.alerts)
        reading.used.append(path)
    return reading


def read_playbook(ctx: CollectorContext, configured: str | None) -> PlaybookReading:
    """The configured playbook, else the first discovered one."""
    if configured:
        try:
            path = ctx.path(configured, "playbook")
        except InputError as exc:
            return PlaybookReading(error=str(exc))
    else:
        found, problems, _ = _files(ctx, "playbook", None, PLAYBOOK_PATTERNS)
        if not found:
            return PlaybookReading(error="; ".join(problems), none_found=not problems)
        path = found[0]
    display = rel(ctx.root, path)
    try:
        text = read_text(path, display, MAX_FILE_BYTES, root=ctx.root)
    except FileProblem as exc:
        return PlaybookReading(error=str(exc))
    return PlaybookReading(display, text, ctx.subject("playbook", path))


def read_rollback(ctx: CollectorContext, settings: OpsSettings) -> RollbackReading:
    """What the registry file and the git tags (whichever are configured) offer to roll back to."""
    if not settings.rollback_configured:
        return RollbackReading(configured=False)
    results: list[rollback.RollbackResult] = []
    subjects = []
    if settings.registry_file is not None:
        try:
            path = ctx.path(settings.registry_file, "rollback.registry_file")
            display = rel(ctx.root, path)
            # YAML is a superset of JSON: a JSON registry reads as well
            data = load_yaml(path, display, root=ctx.root, max_bytes=MAX_FILE_BYTES)
        except (InputError, FileProblem) as exc:
            return RollbackReading(configured=True, error=str(exc))
        subjects.append(ctx.subject("model_registry", path))
        results.append(rollback.from_registry(data, display))
    if settings.git_tag_pattern is not None:
        results.append(rollback.from_git_tags(ctx.root, settings.git_tag_pattern))
    return RollbackReading(True, results=tuple(results), subjects=tuple(subjects))
