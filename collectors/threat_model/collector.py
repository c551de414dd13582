"""The ``threat_model`` collector: a threat model exists, keeps up with the model, covers LLM risks.

- ``threat_model.present`` (DES-TA-A1, DES-TA-A2): threats are identified and documented.
- ``threat_model.current`` (DES-TA-A3): it changed no earlier than the watched model/prompt
  files, i.e. threat assessment follows the lifecycle instead of being a one-off.
- ``threat_model.llm_risks`` (DES-TA-A3): it names the OWASP LLM Top 10 (2025) risks required.
- ``threat_model.mitigations`` (DES-TA-B2): every identified threat (at or above a severity, for
  pytm) has a documented mitigation or response.
"""

from __future__ import annotations

import importlib.util
import json
import os
from collections.abc import Iterator, Mapping
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aima_ci_collectors._substance import substantive

from aima_ci.models import Finding, Status
from aima_ci.plugin import Collector, CollectorConfigError, CollectorContext, Starter, load_checks
from aima_ci.safety.safeio import FileProblem

from . import coverage, freshness
from .models import (
    KINDS,
    ThreatModel,
    detect_kind,
    load_markdown_model,
    load_pytm_source,
    load_yaml_model,
    pytm_threats,
    run_pytm,
)

if TYPE_CHECKING:
    from aima_ci.models import RepoFacts

DEFAULT_PATH = "THREAT_MODEL.md"
SEVERITY_RANK = {"very low": 0, "info": 0, "low": 1, "medium": 2, "high": 3, "very high": 4}
MAX_LISTED = 15


def _short(items: list[str]) -> str:
    more = f" (+{len(items) - MAX_LISTED} more)" if len(items) > MAX_LISTED else ""
    return ", ".join(items[:MAX_LISTED]) + more


class ThreatModelCollector(Collector):
    name = "threat_model"
    version = "0.1.0"
    description = "Checks a threat model (pytm, YAML or Markdown): present, current, LLM risks"
    tool = "pytm"
    extra = "threatmodel"
    light = True
    cacheable = False  # freshness depends on git history, which no input file hash captures
    default_timeout = 300.0
    checks = load_checks(__file__)

    # -- config ------------------------------------------------------------------------------
    def starter(self, facts: RepoFacts) -> Starter | None:
        if not facts.threat_models:
            return None
        config: dict[str, Any] = {"path": facts.threat_models[0]}
        if facts.models:
            config["watch"] = facts.models[:2]
        return Starter(
            config,
            "Threat model present, complete and reviewed after changes.",
            notes={"watch": "files whose change requires a review"} if facts.models else {},
        )

    def validate_config(self, config: Mapping[str, Any]) -> None:
        key = f"collectors.{self.name}"
        path = config.get("path", DEFAULT_PATH)
        if not isinstance(path, str) or not path:
            raise CollectorConfigError(f"{key}.path", "must be the threat model's path")
        if config.get("kind", "auto") not in KINDS:
            raise CollectorConfigError(f"{key}.kind", f"must be one of {', '.join(KINDS)}")
        watch = config.get("watch", [])
        if isinstance(watch, str):
            watch = [watch]
        if not isinstance(watch, list) or not all(isinstance(w, str) and w for w in watch):
            raise CollectorConfigError(f"{key}.watch", "must be a list of paths")
        if config.get("required_llm_risks") is not None:
            try:
                coverage.normalise_required(config["required_llm_risks"])
            except ValueError as exc:
                raise CollectorConfigError(f"{key}.required_llm_risks", str(exc)) from None
        severity = str(config.get("fail_on_severity", "high")).lower()
        if severity not in SEVERITY_RANK:
            raise CollectorConfigError(
                f"{key}.fail_on_severity", f"must be one of {', '.join(SEVERITY_RANK)}"
            )
        timeout = config.get("pytm_timeout", 120)
        if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or timeout <= 0:
            raise CollectorConfigError(f"{key}.pytm_timeout", "must be a number of seconds > 0")

    # -- collect -----------------------------------------------------------------------------
    def collect(self, ctx: CollectorContext) -> Iterator[Finding]:
        root = Path(os.path.realpath(ctx.root))
        path = ctx.path(ctx.config.get("path", DEFAULT_PATH), "path", must_exist=False)
        display = path.relative_to(root).as_posix()
        if not path.is_file():
            for check in self.checks:
                yield ctx.finding(check.id, Status.FAIL, message=f"no threat model at {display}")
            return
        subjects = [ctx.subject("threat-model", path)]
        try:
            model = self._load(ctx, path, display)
        except FileProblem as exc:
            for check in self.checks:
                yield ctx.finding(
                    check.id,
                    Status.ERROR,
                    message=f"threat model unusable: {exc}",
                    subjects=subjects,
                )
            return
        summary: dict[str, Any] = {"path": display, "kind": model.kind}
        yield self._present(ctx, model, subjects)
        yield self._current(ctx, path, root, subjects, summary)
        yield self._llm(ctx, model, subjects, summary)
        yield self._mitigations(ctx, model, subjects, summary)
        out = ctx.artefact("threat-model.json")
        out.write_text(json.dumps(summary, indent=2, default=str), encoding="utf-8")

    def _load(self, ctx: CollectorContext, path: Path, display: str) -> ThreatModel:
        kind = detect_kind(path, ctx.config.get("kind", "auto"))
        if kind == "yaml":
            return load_yaml_model(path, display)
        if kind == "markdown":
            return load_markdown_model(path, display)
        model = load_pytm_source(path, display)
        if importlib.util.find_spec("pytm") is not None:
            ctx.progress("running the pytm model", 0.3)
            out = ctx.artefact("pytm.json")
            out.unlink(missing_ok=True)
            model.pytm_findings = run_pytm(path, out, float(ctx.config.get("pytm_timeout", 120)))
            model.threats = pytm_threats(model.pytm_findings)
        return model

    def _present(self, ctx: CollectorContext, model: ThreatModel, subjects: list[Any]) -> Finding:
        stubs = [t for t in model.threats if t.placeholder]
        if model.kind == "yaml" and len(stubs) == len(model.threats):
            # evidence minimums: threats titled "x" identify nothing
            return ctx.finding(
                "threat_model.present",
                Status.FAIL,
                value=0,
                message=(
                    f"{model.display}: every threat is a placeholder ("
                    + _short([f"{t.id}: {t.placeholder}" for t in stubs])
                    + "): name and describe the real threats"
                ),
                subjects=subjects,
                details={"placeholders": [t.id for t in stubs]},
            )
        if model.kind == "markdown" and not substantive(model.text, 8):
            return ctx.finding(
                "threat_model.present",
                Status.FAIL,
                message=f"{model.display}: too little text to identify any threat",
                subjects=subjects,
            )
        if model.kind == "pytm" and model.pytm_findings is None:
            how = "a pytm model (pytm not installed, so it was parsed, not run)"
        elif model.kind == "pytm":
            how = f"a pytm model identifying {len(model.threats)} threat(s)"
        elif model.kind == "yaml":
            how = f"{len(model.threats)} documented threat(s)"
        else:
            how = "a written threat model"
        return ctx.finding(
            "threat_model.present",
            Status.PASS,
            value=len(model.threats) or None,
            message=f"{model.display}: {how}",
            subjects=subjects,
        )

    def _current(
        self,
        ctx: CollectorContext,
        path: Path,
        root: Path,
        subjects: list[Any],
        summary: dict[str, Any],
    ) -> Finding:
        verdict = partial(ctx.finding, "threat_model.current", subjects=subjects)
        watch = ctx.config.get("watch", [])
        watch = [watch] if isinstance(watch, str) else list(watch)
        if not watch:
            return verdict(
                Status.NOT_APPLICABLE,
                message="no 'watch' paths configured (e.g. [model/, prompts/])",
            )
        use_git = freshness.is_git_repo(root)
        if use_git and freshness.is_shallow(root):
            return verdict(
                Status.INCONCLUSIVE,
                message=(
                    "shallow git clone: every file shows the same commit, so freshness cannot be"
                    " judged (check out with full history, e.g. fetch-depth: 0)"
                ),
            )
        tm = freshness.last_change(path, root, use_git)
        changes = []
        for item in watch:
            target = ctx.path(item, "watch", must_exist=False)
            changes.append(freshness.last_change(target, root, use_git))
        summary["freshness"] = {"threat_model": tm.__dict__, "watch": [c.__dict__ for c in changes]}
        newer = [
            c for c in changes if c.time is not None and tm.time is not None and c.time > tm.time
        ]
        absent = [c.path for c in changes if c.time is None]
        details = {
            "threat_model_changed": tm.time,
            "source": tm.how,
            "watch": {c.path: {"changed": c.time, "source": c.how} for c in changes},
            "absent": absent,
        }
        if newer:
            return verdict(
                Status.FAIL,
                message=(
                    f"{tm.path} ({tm.how}) is older than the last change of "
                    + _short([f"{c.path} ({c.how})" for c in newer])
                ),
                details=details,
            )
        if len(absent) == len(changes):
            return verdict(
                Status.FAIL,
                message=f"none of the watched paths exist: {_short(absent)}",
                details=details,
            )
        return verdict(
            Status.PASS,
            message=f"{tm.path} is at least as recent as {_short([c.path for c in changes if c.time])}"
            + (" (by git history)" if use_git else " (by file times: not a git work tree)"),
            details=details,
        )

    def _llm(
        self,
        ctx: CollectorContext,
        model: ThreatModel,
        subjects: list[Any],
        summary: dict[str, Any],
    ) -> Finding:
        text = model.text
        if model.kind == "yaml" and all(t.placeholder for t in model.threats):
            text = ""  # risk ids attached to placeholder threats assess nothing
        named = coverage.named_ids(text, strict=model.kind == "pytm")
        from_pytm = coverage.ids_from_pytm(model.pytm_findings or [])
        found = sorted(named | from_pytm)
        summary["llm_risks"] = {"named": sorted(named), "from_pytm_findings": sorted(from_pytm)}
        required_raw = ctx.config.get("required_llm_risks")
        details = {"named": sorted(named), "from_pytm_findings": sorted(from_pytm)}
        # details is filled in below; the finding copies it only when it is made
        verdict = partial(ctx.finding, "threat_model.llm_risks", subjects=subjects, details=details)
        if required_raw is None:
            if not found:
                return verdict(
                    Status.NOT_APPLICABLE,
                    message=(
                        "names no OWASP LLM Top 10 risk; for an LLM system set"
                        " required_llm_risks (e.g. all)"
                    ),
                )
            return verdict(
                Status.PASS, value=len(found), message=f"{model.display} covers {', '.join(found)}"
            )
        required = coverage.normalise_required(required_raw)
        missing = [r for r in required if r not in found]
        details["required"] = required
        details["missing"] = missing
        if missing:
            return verdict(
                Status.FAIL,
                value=len(required) - len(missing),
                message=f"{model.display} does not name "
                + ", ".join(f"{r} ({coverage.LLM_TOP10_2025[r]})" for r in missing),
            )
        return verdict(
            Status.PASS,
            value=len(required),
            message=f"{model.display} names all {len(required)} required LLM risks",
        )

    def _mitigations(
        self,
        ctx: CollectorContext,
        model: ThreatModel,
        subjects: list[Any],
        summary: dict[str, Any],
    ) -> Finding:
        verdict = partial(ctx.finding, "threat_model.mitigations", subjects=subjects)
        if model.kind == "markdown":
            return verdict(
                Status.NOT_APPLICABLE,
                message="a Markdown threat model cannot be read threat by threat (use YAML or pytm)",
            )
        if model.kind == "pytm" and model.pytm_findings is None:
            return verdict(
                Status.NOT_RUN,
                message=f"pytm is not installed, so the model was not run: {self.install_hint()}",
            )
        floor = SEVERITY_RANK[str(ctx.config.get("fail_on_severity", "high")).lower()]
        if model.kind == "yaml":
            gating = model.threats  # every documented threat needs a mitigation
        else:
            # pytm: an overridden finding with no severity is unknown, so it gates (fail closed)
            gating = [t for t in model.threats if SEVERITY_RANK.get(t.severity.lower(), 4) >= floor]
        open_ = [t for t in gating if not t.mitigated]
        listed = [
            f"{t.id}"
            + (f" on {t.target}" if t.target else "")
            + (f" ({t.severity})" if t.severity else "")
            + (f" [mitigation {t.mitigation_placeholder}]" if t.mitigation_placeholder else "")
            for t in open_
        ]
        summary["open_threats"] = listed
        details = {
            "threats": len(model.threats),
            "gating": len(gating),
            "open": listed,
            "fail_on_severity": ctx.config.get("fail_on_severity", "high"),
        }
        artefacts = []
        if model.kind == "pytm":
            artefacts.append(ctx.artefact("pytm.json"))
        if open_:
            return verdict(
                Status.FAIL,
                value=len(open_),
                message=f"{len(open_)} threat(s) without a documented mitigation: {_short(listed)}",
                artefacts=artefacts,
                details=details,
            )
        return verdict(
            Status.PASS,
            value=0,
            message=f"all {len(gating)} gating threat(s) have a documented mitigation or response",
            artefacts=artefacts,
            details=details,
        )
