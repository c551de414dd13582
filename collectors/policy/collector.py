"""The ``policy`` collector: AI policy as code, enforced on every build.

Rego ``deny`` rules run over the model's metadata (a YAML/JSON file or a model card's
front-matter). Each deny message is a failing finding, so "the EU AI Act risk class is missing"
shows up in the report in the policy author's own words. Passing evidences that the AI policy is
consistently enforced (GOV-PC-A3); it says nothing about who wrote the policy or whether it is
reviewed, which stay attestations.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from aima_ci.models import Finding, Status
from aima_ci.plugin import (
    Collector,
    CollectorConfigError,
    CollectorContext,
    InputError,
    Starter,
    load_checks,
)
from aima_ci.safety.safeio import FileProblem, read_text

from .engine import QUERY_RE, PolicyError, evaluate

if TYPE_CHECKING:
    from aima_ci.models import RepoFacts

DEFAULT_QUERY = "data.aima.deny"
DEFAULT_POLICIES = "policies"
MAX_POLICY_FILES = 500
MAX_POLICY_BYTES = 1 << 20


class PolicyCollector(Collector):
    name = "policy"
    # Config paths preflight() checks before any collector runs.
    input_paths: ClassVar[Mapping[str, str]] = {
        "input": "file",
        "policies": "any",
    }
    version = "0.1.0"
    description = "Evaluates Rego policies (deny rules) on model metadata with regopy"
    tool = "regopy"
    requires = ("regopy",)
    extra = "policy"
    light = True
    default_timeout = 120.0
    checks = load_checks(__file__)

    def starter(self, facts: RepoFacts) -> Starter | None:
        if not facts.rego_policies:
            return None
        first = facts.rego_policies[0]
        folder = first.rsplit("/", 1)[0] if "/" in first else "."
        return Starter(
            {
                "policies": folder,
                "input": facts.model_cards[0] if facts.model_cards else "MODEL_CARD.md",
            },
            "AI policy as code (Rego): check the input document, then uncomment.",
            enabled=False,
        )

    def validate_config(self, config: Mapping[str, Any]) -> None:
        key = f"collectors.{self.name}"
        source = config.get("input")
        if not isinstance(source, str) or not source:
            raise CollectorConfigError(f"{key}.input", "required: the model metadata file to check")
        policies = config.get("policies", DEFAULT_POLICIES)
        if isinstance(policies, str):
            policies = [policies]
        if (
            not isinstance(policies, list)
            or not policies
            or not all(isinstance(p, str) and p for p in policies)
        ):
            raise CollectorConfigError(f"{key}.policies", "must be a folder, a file or a list")
        query = config.get("query", DEFAULT_QUERY)
        if not isinstance(query, str) or not QUERY_RE.match(query):
            raise CollectorConfigError(f"{key}.query", "must look like data.<package>.<rule>")

    def cache_inputs(self, config: Mapping[str, Any], ctx: CollectorContext) -> Iterable[Path]:
        """The input and policies, also the default policies folder the config does not name."""
        paths = list(super().cache_inputs(config, ctx))
        default = ctx.config_dir / DEFAULT_POLICIES
        if "policies" not in config and default.is_dir():
            paths.append(default.resolve())
        return paths

    def collect(self, ctx: CollectorContext) -> Iterator[Finding]:
        root = Path(os.path.realpath(ctx.root))
        files = self._policy_files(ctx, root)
        input_path = ctx.path(ctx.config["input"], "input")
        input_display = input_path.relative_to(root).as_posix()
        subjects = [ctx.subject("model-metadata", input_path)]
        subjects += [ctx.subject("policy", p, name=n) for n, p in files]
        query = ctx.config.get("query", DEFAULT_QUERY)
        try:
            data = _input_data(input_path, input_display)
        except FileProblem as exc:
            yield ctx.finding(
                "policy.deny", Status.ERROR, message=f"model metadata: {exc}", subjects=subjects
            )
            return
        ctx.progress(f"evaluating {len(files)} policy file(s)", 0.2)
        try:
            sources = [(n, read_text(p, n, MAX_POLICY_BYTES)) for n, p in files]
            violations, engine = evaluate(sources, data, query)
        except (PolicyError, FileProblem) as exc:
            yield ctx.finding(
                "policy.deny", Status.ERROR, message=f"policy error: {exc}", subjects=subjects
            )
            return
        artefact = ctx.artefact("policy-result.json")
        artefact.write_text(
            json.dumps(
                {
                    "engine": engine,
                    "query": query,
                    "input": input_display,
                    "policies": [n for n, _ in files],
                    "violations": [v.raw for v in violations],
                },
                indent=2,
                ensure_ascii=False,
            ),
            encoding="utf-8",
        )
        details = {"query": query, "input": input_display, "policies": [n for n, _ in files]}
        if not violations and not self._can_fire(sources, query):
            # evidence minimums: a deny rule that stays silent even when every field is missing
            # checks nothing this input could lack, so its silence proves nothing
            yield ctx.finding(
                "policy.deny",
                Status.INCONCLUSIVE,
                message=(
                    f"{input_display}: no deny rule fired, and none fires even on an empty input:"
                    " the policy cannot catch missing or wrong metadata (write rules that deny"
                    " when a required field is absent)"
                ),
                subjects=subjects,
                artefacts=[artefact],
                details={**details, "vacuous": True},
            )
            return
        if not violations:
            yield ctx.finding(
                "policy.deny",
                Status.PASS,
                value=0,
                message=f"{input_display}: no deny rule fired ({len(files)} policy file(s), {query})",
                subjects=subjects,
                artefacts=[artefact],
                details=details,
            )
            return
        for v in violations:
            yield ctx.finding(
                "policy.deny",
                Status.FAIL,
                value=len(violations),
                message=f"{input_display}: {v.message}",
                subjects=subjects,
                artefacts=[artefact],
                details={**details, "violation": v.raw},
            )

    @staticmethod
    def _can_fire(sources: list[tuple[str, str]], query: str) -> bool:
        """Does any deny rule fire on an empty input (the probe of a policy that checks nothing)?"""
        try:
            probe, _ = evaluate(sources, {}, query)
        except PolicyError:
            return True  # a rule that errors on an empty input does read the input
        return bool(probe)

    def _policy_files(self, ctx: CollectorContext, root: Path) -> list[tuple[str, Path]]:
        """Every ``*.rego`` named (folders searched recursively, ``*_test.rego`` skipped)."""
        configured = ctx.config.get("policies", DEFAULT_POLICIES)
        items = [configured] if isinstance(configured, str) else list(configured)
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
