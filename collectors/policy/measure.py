"""Run the policies: read the model metadata and the Rego files, evaluate, keep the raw result.

The only module that touches regopy (through ``engine``, imported lazily there) and the
repository files; what the result means is ``judge``'s business.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aima_ci.models import Subject
from aima_ci.plugin import CollectorContext, InputError
from aima_ci.safety.safeio import FileProblem, read_text

from .engine import PolicyError, Violation, evaluate
from .settings import PolicySettings

MAX_POLICY_FILES = 500
MAX_POLICY_BYTES = 1 << 20


@dataclass(frozen=True)
class Measurement:
    """What one evaluation produced. ``error`` set: nothing was evaluated (bad input or
    policy); ``can_fire`` is only asked when no rule fired (None otherwise)."""

    input_display: str
    query: str
    policies: tuple[str, ...]  # the policy files, relative to the repository root
    subjects: tuple[Subject, ...]
    error: str | None = None
    violations: tuple[Violation, ...] = ()
    artefact: Path | None = None
    can_fire: bool | None = None


def measure(ctx: CollectorContext, settings: PolicySettings) -> Measurement:
    root = Path(os.path.realpath(ctx.root))
    files = policy_files(ctx, settings, root)
    input_path = ctx.path(settings.input, "input")
    input_display = input_path.relative_to(root).as_posix()
    subjects = [ctx.subject("model-metadata", input_path)]
    subjects += [ctx.subject("policy", p, name=n) for n, p in files]
    names = tuple(n for n, _ in files)
    base = Measurement(input_display, settings.query, names, tuple(subjects))
    try:
        data = _input_data(input_path, input_display)
    except FileProblem as exc:
        return _with(base, error=f"model metadata: {exc}")
    ctx.progress(f"evaluating {len(files)} policy file(s)", 0.2)
    try:
        sources = [(n, read_text(p, n, MAX_POLICY_BYTES)) for n, p in files]
        violations, engine = evaluate(sources, data, settings.query)
    except (PolicyError, FileProblem) as exc:
        return _with(base, error=f"policy error: {exc}")
    artefact = ctx.artefact("policy-result.json")
    artefact.write_text(
        json.dumps(
            {
                "engine": engine,
                "query": settings.query,
                "input": input_display,
                "policies": list(names),
                "violations": [v.raw for v in violations],
            },
            indent=2,
            ensure_ascii=False,
        ),
        encoding="utf-8",
    )
    can_fire = None if violations else _can_fire(sources, settings.query)
    return _with(base, violations=tuple(violations), artefact=artefact, can_fire=can_fire)


def _with(base: Measurement, **changes: Any) -> Measurement:
    from dataclasses import replace

    return replace(base, **changes)


def _can_fire(sources: list[tuple[str, str]], query: str) -> bool:
    """Does any deny rule fire on an empty input (the probe of a policy that checks nothing)?"""
    try:
        probe, _ = evaluate(sources, {}, query)
    except PolicyError:
        return True  # a rule that errors on an empty input does read the input
    return bool(probe)


def policy_files(
    ctx: CollectorContext, settings: PolicySettings, root: Path
) -> list[tuple[str, Path]]:
    """Every ``*.rego`` named (folders searched recursively, ``*_test.rego`` skipped)."""
    items = settings.policies
    found: dict[str, Path] = {}
    for item in items:
        path = ctx.path(item, "policies")
        if path.is_file():
            found[path.relative_to(root).as_posix()] = path
            continue
        for dirpath, dirnames, filenames in os.walk(path, followlinks=False):
            here = Path(dirpath)
            dirnames.sort()
            for name in sorted(filenames):
                p = here / name
                if not name.endswith(".rego") or name.endswith("_test.rego"):
                    continue
                if p.is_symlink():
                    raise InputError(
                        f"collectors.policy.policies: {p.relative_to(root)} is a symlink;"
                        " policies must be regular files inside the repository"
                    )
                found[p.relative_to(root).as_posix()] = p
    if not found:
        raise InputError(f"collectors.policy.policies: no .rego files in {', '.join(items)}")
    if len(found) > MAX_POLICY_FILES:
        raise InputError(f"collectors.policy.policies: more than {MAX_POLICY_FILES} files")
    return sorted(found.items())


def _input_data(path: Path, display: str) -> Any:
    """The Rego ``input``: a YAML/JSON document, or a Markdown card's front-matter."""
    from aima_ci_collectors.model_card.document import load_document

    doc = load_document(path, display)
    if doc.metadata is None:
        raise FileProblem(display, "Markdown file has no YAML front-matter (--- ... ---)", 1)
    return doc.metadata
