"""Operations readiness: alerts on the model's metrics, an incident playbook, a rollback path.

What a team needs before a model misbehaves in production, checked from the repository: alert
rules that fire on drift, low confidence and errors; a playbook that says how to detect, isolate,
roll back, find the root cause and retest; and a recorded version to roll back to.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from aima_ci_collectors._safeio import configured_files

from aima_ci.models import Finding, Status
from aima_ci.plugin import (
    Collector,
    CollectorConfigError,
    CollectorContext,
    InputError,
    Starter,
    load_checks,
)
from aima_ci.safety.safeio import FileProblem, load_yaml, parse_yaml, read_text, rel, yaml_lines

from . import playbook, promrules, rollback

if TYPE_CHECKING:
    from aima_ci.models import RepoFacts

NAME = "ops_readiness"
KEYS = {
    "alert_rules",
    "watch",
    "required_watch",
    "playbook",
    "sections",
    "required_sections",
    "rollback",
}
ALERT_PATTERNS = ("**/*alert*.yml", "**/*alert*.yaml", "**/*rules*.yml", "**/*rules*.yaml")
PLAYBOOK_PATTERNS = ("**/*incident*.md", "**/*playbook*.md", "**/*runbook*.md")
MAX_FILE_BYTES = 4 << 20  # rule files, playbooks and registries are small; refuse a huge one


class OpsReadinessCollector(Collector):
    name = NAME
    # Config paths preflight() checks before any collector runs.
    input_paths: ClassVar[Mapping[str, str]] = {
        "playbook": "file",
        "rollback.registry_file": "file",
    }
    version = "0.1.0"
    description = "Checks Prometheus alert rules on model metrics, the incident playbook and the rollback path"
    light = True
    default_timeout = 120.0
    checks = load_checks(__file__)

    def starter(self, facts: RepoFacts) -> Starter | None:
        """Alert rules, playbook and registry found; nothing when none of them exists."""
        if not (facts.alert_rules or facts.playbooks or facts.registries):
            return None
        config: dict[str, Any] = {}
        if facts.alert_rules:
            config["alert_rules"] = facts.alert_rules[:10]
        if facts.playbooks:
            config["playbook"] = facts.playbooks[0]
        if facts.registries:
            config["rollback"] = {"registry_file": facts.registries[0]}
        return Starter(
            config,
            "Alerts on the model's metrics, an incident playbook, a version to roll back to.",
        )

    def validate_config(self, config: Mapping[str, Any]) -> None:
        self.check_keys(config, KEYS)
        prefix = f"collectors.{NAME}"
        rules = config.get("alert_rules")
        items = [rules] if isinstance(rules, str) else rules
        if rules is not None and not (
            isinstance(items, list) and all(isinstance(r, str) and r for r in items)
        ):
            raise CollectorConfigError(f"{prefix}.alert_rules", "a path, glob or list of them")
        for key in ("watch", "sections"):
            value = config.get(key)
            if value is not None and not (
                isinstance(value, Mapping)
                and value
                and all(
                    isinstance(v, list) and v and all(isinstance(p, str) and p for p in v)
                    for v in value.values()
                )
            ):
                raise CollectorConfigError(
                    f"{prefix}.{key}", "a mapping of name to a list of patterns"
                )
        if config.get("watch"):
            import re

            for cat, pats in config["watch"].items():
                for p in pats:
                    try:
                        re.compile(p)
                    except re.error as exc:
                        raise CollectorConfigError(
                            f"{prefix}.watch.{cat}", f"{p!r}: {exc}"
                        ) from None
        watch = config.get("watch") or promrules.DEFAULT_WATCH
        req = config.get("required_watch")
        if req is not None and not (isinstance(req, list) and all(r in watch for r in req)):
            raise CollectorConfigError(
                f"{prefix}.required_watch", f"a list of categories from watch ({', '.join(watch)})"
            )
        sections = {**playbook.DEFAULT_SECTIONS, **(config.get("sections") or {})}
        rs = config.get("required_sections")
        if rs is not None and not (isinstance(rs, list) and rs and all(r in sections for r in rs)):
            raise CollectorConfigError(
                f"{prefix}.required_sections", f"a list from: {', '.join(sections)}"
            )
        pb = config.get("playbook")
        if pb is not None and not (isinstance(pb, str) and pb):
            raise CollectorConfigError(f"{prefix}.playbook", "must be a path")
        rb = config.get("rollback")
        if rb is not None:
            if (
                not isinstance(rb, Mapping)
                or not rb
                or set(rb) - {"registry_file", "git_tag_pattern"}
            ):
                raise CollectorConfigError(
                    f"{prefix}.rollback", "a mapping with registry_file and/or git_tag_pattern"
                )
            for k, v in rb.items():
                if not isinstance(v, str) or not v:
                    raise CollectorConfigError(
                        f"{prefix}.rollback.{k}", "must be a non-empty string"
                    )

    def collect(self, ctx: CollectorContext) -> Iterator[Finding]:
        self.validate_config(ctx.config)
        ctx.progress("alert rules", 0.0)
        yield from self._alerts(ctx)
        ctx.progress("playbook", 0.4)
        yield self._playbook(ctx)
        ctx.progress("rollback", 0.7)
        yield self._rollback(ctx)
        ctx.progress("done", 1.0)

    # -- helpers --------------------------------------------------------------------------------
    def _files(
        self, ctx: CollectorContext, key: str, defaults: tuple[str, ...]
    ) -> tuple[list[Path], list[str], bool]:
        """Configured (explicit) or discovered files, and the problems with configured paths."""
        raw = ctx.config.get(key)
        items = [raw] if isinstance(raw, str) else list(raw or [])
        files, problems = configured_files(ctx, key, items or defaults)
        return files, problems, bool(items)

    def _alerts(self, ctx: CollectorContext) -> Iterator[Finding]:
        cid = "ops_readiness.alert_rules"
        files, problems, explicit = self._files(ctx, "alert_rules", ALERT_PATTERNS)
        for message in problems:
            yield ctx.finding(cid, Status.ERROR, message=message)
        alerts: list[promrules.AlertRule] = []
        structural: list[str] = []
        used: list[Path] = []
        errored = 0
        for path in files:
            display = rel(ctx.root, path)
            try:
                text = read_text(path, display, MAX_FILE_BYTES, root=ctx.root)
                data = parse_yaml(text, display)
            except FileProblem as exc:
                errored += 1
                yield ctx.finding(
                    cid, Status.ERROR, message=str(exc), subjects=[ctx.subject("alert_rules", path)]
                )
                continue
            if not explicit and not (isinstance(data, Mapping) and "groups" in data):
                continue  # a discovered YAML that is not a rule file (e.g. lint rules)
            report = promrules.validate(data, display, yaml_lines(text))
            structural.extend(report.problems)
            alerts.extend(report.alerts)
            used.append(path)
        if not used and not problems and not errored:
            yield ctx.finding(
                cid,
                Status.FAIL,
                message="no Prometheus alert rule files found (collectors.ops_readiness.alert_rules)",
            )
            return
        if not used:
            return
        watch = ctx.config.get("watch") or promrules.DEFAULT_WATCH
        required = ctx.config.get("required_watch") or list(watch)
        coverage = promrules.watched(alerts, {k: watch[k] for k in watch})
        unwatched = [cat for cat in required if not coverage.get(cat)]
        subjects = [ctx.subject("alert_rules", p) for p in used]
        details = {
            "alerts": [
                {
                    "name": a.name,
                    "file": a.file,
                    "line": a.line,
                    "metrics": list(a.metrics),
                    "severity": a.severity,
                }
                for a in alerts[:200]
            ],
            "watched": coverage,
            "problems": structural[:100],
            "validator": "aima-ci structural check (promtool not available)",
        }
        if structural or unwatched:
            parts = []
            if structural:
                parts.append(f"{len(structural)} invalid rule(s): " + "; ".join(structural[:3]))
            if unwatched:
                parts.append("no valid alert watches " + ", ".join(unwatched))
            yield ctx.finding(
                cid,
                Status.FAIL,
                value=len(alerts),
                message=" | ".join(parts),
                subjects=subjects,
                details=details,
            )
            return
        yield ctx.finding(
            cid,
            Status.PASS,
            value=len(alerts),
            message=f"{len(alerts)} valid alert(s) in {len(used)} file(s) watch "
            + ", ".join(f"{c} ({len(coverage[c])})" for c in required),
            subjects=subjects,
            details=details,
        )

    def _playbook(self, ctx: CollectorContext) -> Finding:
        cid = "ops_readiness.incident_playbook"
        raw = ctx.config.get("playbook")
        if raw:
            try:
                path = ctx.path(raw, "playbook")
            except InputError as exc:
                return ctx.finding(cid, Status.ERROR, message=str(exc))
        else:
            found, problems, _ = self._files(ctx, "playbook", PLAYBOOK_PATTERNS)
            if not found:
                return ctx.finding(
                    cid,
                    Status.ERROR if problems else Status.FAIL,
                    message="; ".join(problems)
                    or "no incident-response playbook found (collectors.ops_readiness.playbook)",
                )
            path = found[0]
        display = rel(ctx.root, path)
        try:
            text = read_text(path, display, MAX_FILE_BYTES, root=ctx.root)
        except FileProblem as exc:
            return ctx.finding(cid, Status.ERROR, message=str(exc))
        synonyms = {**playbook.DEFAULT_SECTIONS, **(ctx.config.get("sections") or {})}
        required = ctx.config.get("required_sections") or list(playbook.DEFAULT_SECTIONS)
        missing, where = playbook.missing_sections(text, required, synonyms)
        subject = ctx.subject("playbook", path)
        details = {"sections": {k: f"{display}:{v}" for k, v in where.items()}, "missing": missing}
        if missing:
            return ctx.finding(
                cid,
                Status.FAIL,
                value=len(missing),
                message=f"{display}: missing section(s): {', '.join(missing)}",
                subjects=[subject],
                details=details,
            )
        return ctx.finding(
            cid,
            Status.PASS,
            value=0,
            message=f"{display}: covers {', '.join(required)}",
            subjects=[subject],
            details=details,
        )

    def _rollback(self, ctx: CollectorContext) -> Finding:
        cid = "ops_readiness.rollback_path"
        cfg = ctx.config.get("rollback") or {}
        if not cfg:
            return ctx.finding(
                cid,
                Status.FAIL,
                message="no rollback path recorded (collectors.ops_readiness.rollback: registry_file or git_tag_pattern)",
            )
        results: list[rollback.RollbackResult] = []
        subjects = []
        if "registry_file" in cfg:
            try:
                path = ctx.path(cfg["registry_file"], "rollback.registry_file")
                display = rel(ctx.root, path)
                # YAML is a superset of JSON: a JSON registry reads as well
                data = load_yaml(path, display, root=ctx.root, max_bytes=MAX_FILE_BYTES)
            except (InputError, FileProblem) as exc:
                return ctx.finding(cid, Status.ERROR, message=str(exc))
            subjects.append(ctx.subject("model_registry", path))
            results.append(rollback.from_registry(data, display))
        if "git_tag_pattern" in cfg:
            results.append(rollback.from_git_tags(ctx.root, cfg["git_tag_pattern"]))
        good = [r for r in results if r.ok]
        details = {"results": [{"ok": r.ok, "message": r.message, **r.details} for r in results]}
        if good:
            return ctx.finding(
                cid,
                Status.PASS,
                message="; ".join(r.message for r in good),
                subjects=subjects,
                details=details,
            )
        return ctx.finding(
            cid,
            Status.FAIL,
            message="; ".join(r.message for r in results),
            subjects=subjects,
            details=details,
        )
