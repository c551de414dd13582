"""Read what a threat model is judged on: the model itself, when things last changed, risks named.

Raw readings only. The model is read in its own format (``readers``; a pytm model is run when
pytm is installed), the watched paths' last changes come from git history (``lastchange``), and
the OWASP LLM Top 10 ids it names from its text and pytm's references (``owasp_llm``). Whether
that is present, current, complete or mitigated enough is ``judge``'s call.
"""

from __future__ import annotations

import importlib.util
import os
from dataclasses import dataclass, field
from pathlib import Path

from aima_ci.models import Subject
from aima_ci.plugin import CollectorContext
from aima_ci.safety.safeio import FileProblem

from . import lastchange, owasp_llm
from .readers import (
    ThreatModel,
    detect_kind,
    load_markdown_model,
    load_pytm_source,
    load_yaml_model,
    pytm_threats,
    run_pytm,
)


@dataclass(frozen=True)
class ModelReading:
    path: Path
    display: str  # relative to the repository root
    exists: bool
    subjects: tuple[Subject, ...] = ()
    problem: str = ""  # why the model is unusable ("" when it was read)
    model: ThreatModel | None = None


@dataclass(frozen=True)
class Freshness:
    """When the threat model and each watched path last changed (``None``: nothing to compare)."""

    watched: bool  # any 'watch' paths configured
    use_git: bool = False
    shallow: bool = False  # a shallow clone: every file shows the same commit
    model: lastchange.Change | None = None
    changes: tuple[lastchange.Change, ...] = ()

    def record(self) -> dict[str, object] | None:
        if self.model is None:
            return None
        return {"threat_model": self.model.__dict__, "watch": [c.__dict__ for c in self.changes]}


@dataclass(frozen=True)
class RiskNames:
    named: set[str] = field(default_factory=set)  # written in the model's text
    from_pytm: set[str] = field(default_factory=set)  # from pytm findings' OWASP references

    @property
    def found(self) -> list[str]:
        return sorted(self.named | self.from_pytm)


def read_model(ctx: CollectorContext, value: str, kind: str, pytm_timeout: float) -> ModelReading:
    """The threat model at config path ``value``, read as ``kind`` (``auto``: by suffix)."""
    root = Path(os.path.realpath(ctx.root))
    path = ctx.path(value, "path", must_exist=False)
    display = path.relative_to(root).as_posix()
    if not path.is_file():
        return ModelReading(path, display, exists=False)
    subjects = (ctx.subject("threat-model", path),)
    try:
        model = _load(ctx, path, display, kind, pytm_timeout)
    except FileProblem as exc:
        return ModelReading(path, display, True, subjects, problem=str(exc))
    return ModelReading(path, display, True, subjects, model=model)


def _load(
    ctx: CollectorContext, path: Path, display: str, kind: str, pytm_timeout: float
) -> ThreatModel:
    kind = detect_kind(path, kind)
    if kind == "yaml":
        return load_yaml_model(path, display)
    if kind == "markdown":
        return load_markdown_model(path, display)
    model = load_pytm_source(path, display)
    if importlib.util.find_spec("pytm") is not None:
        ctx.progress("running the pytm model", 0.3)
        out = ctx.artefact("pytm.json")
        out.unlink(missing_ok=True)
        model.pytm_findings = run_pytm(path, out, pytm_timeout)
        model.threats = pytm_threats(model.pytm_findings)
    return model


def read_freshness(ctx: CollectorContext, path: Path, watch: list[str]) -> Freshness:
    """Last changes of the threat model and the ``watch`` paths, by git history where there is
    one (file times otherwise); nothing further is read in a shallow clone."""
    if not watch:
        return Freshness(watched=False)
    root = Path(os.path.realpath(ctx.root))
    use_git = lastchange.is_git_repo(root)
    if use_git and lastchange.is_shallow(root):
        return Freshness(watched=True, use_git=True, shallow=True)
    model = lastchange.last_change(path, root, use_git)
    changes = []
    for item in watch:
        target = ctx.path(item, "watch", must_exist=False)
        changes.append(lastchange.last_change(target, root, use_git))
    return Freshness(True, use_git, False, model, tuple(changes))


def risk_names(model: ThreatModel) -> RiskNames:
    """The OWASP LLM Top 10 (2025) ids the model names; a pytm model only in the strict
    ``LLM01:2025`` form, since pytm's own threat library reuses ``LLM01``..``LLM09``."""
    text = model.text
    if model.kind == "yaml" and all(t.placeholder for t in model.threats):
        text = ""  # risk ids attached to placeholder threats assess nothing
    return RiskNames(
        owasp_llm.named_ids(text, strict=model.kind == "pytm"),
        owasp_llm.ids_from_pytm(model.pytm_findings or []),
    )
