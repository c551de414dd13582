"""``aima-ci init``: write a starter aima.yaml and an attestation file to fill in.

In an empty repository the commented template and every question are written. Otherwise the
repository is inspected first (model files, datasets, notebooks, LLM client libraries, CI files,
model cards, threat models, alert rules, playbooks) so that the starter enables the collectors
that fit, with their keys pre-filled from the detected paths, and the attestation file lists only
the questions left for people: those no enabled collector has a check for.

Inspection reads file names and, for a few small files, their first bytes; it never follows a
symlink out of the repository and never imports a collector (the check lists come from
``aima_ci.assess.coverage``, which loads the installed plugins' declarations).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import re
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import yaml

from aima_ci.assess.catalogue import Catalogue
from aima_ci.models import Check

MAX_FILES = 20_000
MAX_LISTED = 10
SKIP_DIRS = frozenset(
    {
        ".git",
        ".hg",
        ".venv",
        "venv",
        "env",
        "node_modules",
        "__pycache__",
        ".tox",
        ".nox",
        ".aima",
        "site-packages",
        ".ipynb_checkpoints",
        ".mypy_cache",
        ".pytest_cache",
        ".ruff_cache",
        "dist",
        "build",
    }
)
MODEL_EXTS = (".skops", ".onnx", ".pkl", ".pickle", ".joblib", ".pt", ".pth", ".safetensors", ".h5", ".keras", ".gguf", ".ckpt")  # fmt: skip
DATA_EXTS = (".csv", ".parquet", ".jsonl", ".ndjson", ".tsv")
LLM_LIBS = (
    "openai",
    "anthropic",
    "langchain",
    "litellm",
    "transformers",
    "llama-index",
    "llama_index",
    "cohere",
    "google-generativeai",
    "google-genai",
    "mistralai",
    "vllm",
    "ollama",
    "huggingface-hub",
    "sentence-transformers",
    "dspy",
    "guidance",
)
DEPENDENCY_FILES = ("requirements*.txt", "requirements/*.txt", "pyproject.toml", "setup.cfg", "Pipfile", "environment.yml", "environment.yaml")  # fmt: skip


def starter_config() -> str:
    return resources.files("aima_ci").joinpath("templates/aima.yaml").read_text(encoding="utf-8")


def starter_attestations(
    catalogue: Catalogue, today: dt.date, questions: list[str] | None = None
) -> str:
    """Every question (or the given ones) as a commented-out entry with owner/expiry placeholders."""
    expires = (today + dt.timedelta(days=365)).isoformat()
    lines = [
        "# aima-ci attestations: answers to AIMA questions that no tool can answer.",
        "# Uncomment an entry, set answer (yes/no, or 0-3 on the OWASP toolkit scale), owner,",
        "# date and expires (ISO dates), and evidence (a URL or a repository path, hashed into the",
        "# evidence). Expired or malformed entries earn nothing and are reported.",
        "attestations: []",
    ]
    wanted = set(questions) if questions is not None else None
    for practice in catalogue.practices.values():
        qs = [q for q in practice.questions if wanted is None or q.id in wanted]
        if not qs:
            continue
        lines.append(f"# --- {practice.id} {practice.name}")
        for q in sorted(qs, key=lambda q: (q.level, q.stream)):
            text = yaml.safe_dump(q.text, width=1000).strip().removesuffix("...").strip()
            lines += [
                f"# - question: {q.id}   # L{q.level} stream {q.stream}: {text}",
                "#   answer: no",
                "#   owner: team@example.com",
                f"#   date: {today.isoformat()}",
                f"#   expires: {expires}",
                "#   evidence: docs/link-or-url",
            ]
    return "\n".join(lines) + "\n"


# -- inspection (I/O) ---------------------------------------------------------------------------
@dataclass
class Inspection:
    """What ``aima-ci init`` found, as paths relative to the folder the config is written to."""

    models: list[str] = field(default_factory=list)
    datasets: list[str] = field(default_factory=list)
    notebooks: list[str] = field(default_factory=list)
    llm_libraries: list[str] = field(default_factory=list)
    ci_files: list[str] = field(default_factory=list)
    model_cards: list[str] = field(default_factory=list)
    threat_models: list[str] = field(default_factory=list)
    alert_rules: list[str] = field(default_factory=list)
    playbooks: list[str] = field(default_factory=list)
    registries: list[str] = field(default_factory=list)
    inventories: list[str] = field(default_factory=list)
    purpose_files: list[str] = field(default_factory=list)
    rego_policies: list[str] = field(default_factory=list)
    manifests: list[str] = field(default_factory=list)
    csv_columns: dict[str, list[str]] = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        return not any(
            (
                self.models,
                self.datasets,
                self.notebooks,
                self.llm_libraries,
                self.ci_files,
                self.model_cards,
                self.threat_models,
                self.alert_rules,
                self.playbooks,
            )
        )

    def summary(self) -> list[str]:
        rows = [
            ("model files", self.models),
            ("datasets", self.datasets),
            ("notebooks", self.notebooks),
            ("LLM client libraries", self.llm_libraries),
            ("CI files", self.ci_files),
            ("model cards", self.model_cards),
            ("threat models", self.threat_models),
            ("alert rule files", self.alert_rules),
            ("incident playbooks", self.playbooks),
        ]
        return [f"{label}: {_shorten(items)}" for label, items in rows if items]


def _shorten(items: Sequence[str]) -> str:
    shown = ", ".join(items[:3])
    return shown + (f" (+{len(items) - 3} more)" if len(items) > 3 else "")


def _files(directory: Path) -> list[str]:
    """Repository files (relative POSIX paths), skipping vendored/generated folders and any
    symlink that leaves the folder."""
    root = Path(os.path.realpath(directory))
    out: list[str] = []
    for dirpath, dirnames, filenames in os.walk(directory, followlinks=False):
        dirnames[:] = sorted(
            d for d in dirnames if (d not in SKIP_DIRS and not d.startswith(".")) or d == ".github"
        )
        for name in sorted(filenames):
            path = Path(dirpath) / name
            if path.is_symlink() and not Path(os.path.realpath(path)).is_relative_to(root):
                continue
            out.append(path.relative_to(directory).as_posix())
            if len(out) >= MAX_FILES:
                return out
    return out


def _head(path: Path, size: int = 65536) -> str:
    try:
        with open(path, "rb") as fh:
            return fh.read(size).decode("utf-8", "replace")
    except OSError:
        return ""


def inspect_repository(directory: Path) -> Inspection:
    files = _files(directory)
    found = Inspection()
    for rel in files:
        name = rel.rsplit("/", 1)[-1].lower()
        low = rel.lower()
        ext = os.path.splitext(name)[1]
        if ext in MODEL_EXTS:
            found.models.append(rel)
        elif ext in DATA_EXTS:
            found.datasets.append(rel)
        elif ext == ".ipynb":
            found.notebooks.append(rel)
        if (
            low.startswith(".github/workflows/") and ext in (".yml", ".yaml")
        ) or rel == ".gitlab-ci.yml":
            found.ci_files.append(rel)
        if ext in (".md", ".yaml", ".yml", ".json") and re.search(r"model[-_ ]?card", name):
            found.model_cards.append(rel)
        if re.search(r"threat[-_ ]?model", name) and ext in (
            ".md",
            ".yaml",
            ".yml",
            ".json",
            ".py",
            ".tm7",
        ):
            found.threat_models.append(rel)
        if ext in (".md", ".markdown") and re.search(r"incident|playbook|runbook", name):
            found.playbooks.append(rel)
        if ext in (".yml", ".yaml") and not low.startswith(".github/"):
            if re.search(r"alert|rules", name) and re.search(
                r"(?m)^groups\s*:", _head(directory / rel)
            ):
                found.alert_rules.append(rel)
            if "registry" in name:
                found.registries.append(rel)
            if "inventory" in name:
                found.inventories.append(rel)
            if name in ("data-purpose.yaml", "data-purpose.yml"):
                found.purpose_files.append(rel)
            if re.search(r"data[-_]?manifest", name):
                found.manifests.append(rel)
        if ext == ".rego":
            found.rego_policies.append(rel)
    found.llm_libraries = _llm_libraries(directory, files)
    for rel in found.datasets[:MAX_LISTED]:
        if rel.lower().endswith((".csv", ".tsv")):
            header = _csv_header(directory / rel, "\t" if rel.lower().endswith(".tsv") else ",")
            if header:
                found.csv_columns[rel] = header
    return found


def _csv_header(path: Path, delimiter: str) -> list[str]:
    text = _head(path, 16384)
    if "\x00" in text:
        return []
    try:
        row = next(csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=delimiter), [])
    except csv.Error:
        return []
    return [c.strip() for c in row if c.strip()][:200]


def _llm_libraries(directory: Path, files: Sequence[str]) -> list[str]:
    import fnmatch

    names: set[str] = set()
    for rel in files:
        if not any(fnmatch.fnmatchcase(rel, pat) for pat in DEPENDENCY_FILES):
            continue
        text = _head(directory / rel, 1 << 20)
        if rel.endswith("pyproject.toml"):
            names |= _pyproject_deps(text)
        else:
            names |= {
                m.lower() for m in re.findall(r"(?m)^[\s\"'-]*([A-Za-z0-9][A-Za-z0-9._-]*)", text)
            }
    found = []
    for lib in LLM_LIBS:
        norm = lib.replace("_", "-")
        if any(
            n.replace("_", "-") == norm or n.replace("_", "-").startswith(norm + "-") for n in names
        ):
            found.append(lib)
    return sorted(set(found))


def _pyproject_deps(text: str) -> set[str]:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        return set()
    project = data.get("project") or {}
    specs: list[str] = list(project.get("dependencies") or [])
    for extra in (project.get("optional-dependencies") or {}).values():
        specs += list(extra or [])
    poetry = ((data.get("tool") or {}).get("poetry") or {}).get("dependencies") or {}
    specs += list(poetry)
    return {
        m.group(1).lower()
        for s in specs
        if isinstance(s, str) and (m := re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", s))
    }


# -- the generated config (pure) ----------------------------------------------------------------
@dataclass
class Plan:
    """The collectors a starter config enables, and the commented suggestions it adds."""

    enabled: list[str]
    blocks: list[str]  # YAML text, one block per collector (enabled or commented out)


def _q(value: str) -> str:
    return json.dumps(value)


def _list(values: Iterable[str]) -> str:
    return "[" + ", ".join(_q(v) for v in values) + "]"


def plan_collectors(found: Inspection, installed: Iterable[str]) -> Plan:
    """Which collectors fit the repository, with their keys pre-filled from what was found."""
    have = set(installed)
    enabled: list[str] = []
    blocks: list[str] = []

    def add(name: str, lines: list[str], on: bool, why: str) -> None:
        if on and name in have:
            enabled.append(name)
            blocks.append(
                "\n".join([f"  # {why}", f"  {name}:", *(f"    {ln}" for ln in lines)])
                if lines
                else f"  # {why}\n  {name}: {{}}"
            )
        else:
            note = "" if name in have else " (not installed here: see `aima-ci collectors`)"
            body = [f"#  {name}:", *(f"#    {ln.lstrip('# ')}" for ln in lines)]
            blocks.append("\n".join([f"  # {why}{note}", *body]))

    models, data = found.models[:MAX_LISTED], found.datasets[:MAX_LISTED]
    if models or data:
        add(
            "supply_chain",
            [
                f"# models: {_list(models)}   # default: every model file in the repository",
                f"inventory: {_q(found.inventories[0])}"
                if found.inventories
                else "# inventory: model-inventory.yaml   # name, version, licence, source per model and dataset",
                f"# datasets: {_list(data)}   # dataset files that need an inventory entry",
                "# allow_globals: []   # extra pickle globals you trust, e.g. sklearn.*",
            ],
            True,
            "Unsafe model serialisation, model/dataset licences, an SBOM of the environment.",
        )
    if data:
        first = next(iter(found.csv_columns.values()), [])
        purpose = (
            [f"# purpose: {_q(found.purpose_files[0])}"]
            if found.purpose_files
            else [
                "# purpose:   # or a data-purpose.yaml next to this file",
                "#   description: What the data is used for",
                f"#   needed_columns: {_list(first) if first else '[]'}",
                "#   personal_data: []   # needed columns that hold personal data",
            ]
        )
        add(
            "privacy",
            [f"data: {_list(data)}", "# sample_rows: 1000", *purpose],
            True,
            "PII in a sample of the training data; columns beyond the data's declared purpose.",
        )
    ops_found = found.alert_rules or found.playbooks or found.registries
    if models or ops_found:
        add(
            "ops_readiness",
            [
                f"alert_rules: {_list(found.alert_rules)}"
                if found.alert_rules
                else "# alert_rules: [monitoring/model-alerts.yml]   # Prometheus rules on drift, confidence, errors",
                f"playbook: {_q(found.playbooks[0])}"
                if found.playbooks
                else "# playbook: docs/incident-response.md   # detect, isolate, roll back, root cause, retest",
                f"rollback: {{registry_file: {_q(found.registries[0])}}}"
                if found.registries
                else '# rollback: {git_tag_pattern: "model-v*"}   # or {registry_file: models/registry.yaml}',
            ],
            True,
            "Alerts on the model's metrics, an incident playbook, a version to roll back to.",
        )
    add(
        "pipeline",
        ["# checks: [gate, build_checks, privacy_checks]   # default: all"],
        bool(found.ci_files),
        "CI runs aima-ci as a blocking gate, and which practices it covers"
        + ("" if found.ci_files else " (no CI file found yet)."),
    )
    if found.model_cards:
        add(
            "model_card",
            [f"path: {_q(found.model_cards[0])}"],
            True,
            "Model card sections and EU AI Act risk class.",
        )
    if found.threat_models:
        add(
            "threat_model",
            [
                f"path: {_q(found.threat_models[0])}",
                f"# watch: {_list(models[:2])}   # files whose change requires a review",
            ],
            True,
            "Threat model present, complete and reviewed after changes.",
        )
    if found.llm_libraries:
        add(
            "garak",
            [
                "mode: run",
                "target_type: rest",
                "generator_config: garak-rest.json   # the REST generator pointed at your app",
                "probes: [promptinject.HijackHateHumans, encoding.InjectBase64]",
            ],
            False,
            f"LLM probes (found {', '.join(found.llm_libraries)}): fill in the target, then uncomment.",
        )
    if models and data:
        sample = _prefer(data, ("holdout", "test", "predictions", "eval", "valid"))
        train = _prefer(data, ("train", "reference"))
        cols = found.csv_columns.get(sample, [])
        add(
            "fairlearn",
            [
                f"data: {_q(sample)}",
                f"label: {_q(cols[-1]) if cols else 'label'}",
                "prediction: predicted   # or model: <path>.skops",
                "sensitive_features: []",
            ],
            False,
            "Group fairness of the model's decisions: name the label and sensitive features, then uncomment.",
        )
        add(
            "evidently",
            [
                f"reference: {_q(train)}",
                f"current: {_q(_prefer(data, ('current', 'prod', 'live')))}",
            ],
            False,
            "Data drift between training and production data: point current at fresh data, then uncomment.",
        )
        add(
            "shap",
            [f"model: {_q(models[0])}", f"data: {_q(sample)}"],
            False,
            "Explanations of the model's predictions: check the model and data, then uncomment.",
        )
    if data or found.manifests:
        add(
            "provenance",
            [f"manifest: {_q(found.manifests[0])}"]
            if found.manifests
            else ["manifest: data-manifest.yaml   # write it with: aima-ci provenance write"],
            bool(found.manifests),
            "Signed-off data manifest (SHA-256 per file).",
        )
    if found.rego_policies:
        policy_dir = (
            found.rego_policies[0].rsplit("/", 1)[0] if "/" in found.rego_policies[0] else "."
        )
        add(
            "policy",
            [f"policies: {_q(policy_dir)}", "input: MODEL_CARD.md"],
            False,
            "AI policy as code (Rego).",
        )
    return Plan(enabled, blocks)


def _prefer(paths: Sequence[str], words: Sequence[str]) -> str:
    """The first path whose file name contains one of ``words`` (in order), else the first."""
    for word in words:
        for p in paths:
            if word in p.rsplit("/", 1)[-1].lower():
                return p
    return paths[0]


def render_config(plan: Plan, found: Inspection) -> str:
    """The template with its collectors section replaced by the planned blocks."""
    template = starter_config()
    start = template.index("# Collectors to run")
    end = template.index("# Collectors that must run successfully")
    detected = "\n".join(f"#   {line}" for line in found.summary())
    section = [
        "# Collectors to run: `aima-ci collectors` lists the installed ones and their keys.",
        "# `aima-ci init` found in this repository:",
        detected,
        "# Enabled collectors have their keys pre-filled; commented ones need you to fill in a key.",
        "collectors:" if plan.enabled else "collectors: {}",
        *plan.blocks,
        "",
    ]
    return template[:start] + "\n".join(section) + "\n" + template[end:]


def questions_left(
    catalogue: Catalogue, checks_by_collector: Mapping[str, Sequence[Check]], enabled: Sequence[str]
) -> list[str]:
    """Questions no enabled collector can answer: these go to the attestation file.

    The pipeline collector's level-3 "integrated" checks only apply when another enabled
    collector evidences that practice, so on their own they do not take a question off the list.
    """
    from aima_ci.assess.coverage import compute

    effective: dict[str, list[Check]] = {}
    practices = {
        q[:6]
        for name in enabled
        if name != "pipeline"
        for c in checks_by_collector.get(name, ())
        for q in c.questions
    }
    for name in enabled:
        checks = list(checks_by_collector.get(name, ()))
        if name == "pipeline":
            checks = [
                c
                for c in checks
                if c.id == "pipeline.gate" or any(q[:6] in practices for q in c.questions)
            ]
        effective[name] = checks
    cov = compute(catalogue, effective)
    return [q.id for q in cov.questions if not q.checks]


# -- writing ------------------------------------------------------------------------------------
@dataclass
class InitResult:
    paths: list[Path]
    inspection: Inspection
    enabled: list[str]
    questions_left: int


def init_repository(
    directory: Path, catalogue: Catalogue, today: dt.date, force: bool, *, inspect: bool = True
) -> InitResult:
    """Inspect ``directory`` and write the two starter files (template ones if nothing is found)."""
    found = inspect_repository(directory) if inspect else Inspection()
    if found.empty:
        config = starter_config()
        attest = starter_attestations(catalogue, today)
        enabled: list[str] = []
        left = len(catalogue.questions)
    else:
        from aima_ci.assess.coverage import discovered

        checks, _ = discovered()
        plan = plan_collectors(found, checks)
        enabled = plan.enabled
        config = render_config(plan, found)
        remaining = questions_left(catalogue, checks, enabled)
        attest = starter_attestations(catalogue, today, remaining)
        left = len(remaining)
    targets = {directory / "aima.yaml": config, directory / "aima-attestations.yaml": attest}
    existing = [p for p in targets if p.exists()]
    if existing and not force:
        raise FileExistsError(", ".join(p.name for p in existing))
    from aima_ci.evidence.directory import atomic_write

    for path, text in targets.items():
        atomic_write(path, text)
    return InitResult(list(targets), found, enabled, left)


def write_starters(
    directory: Path, catalogue: Catalogue, today: dt.date, force: bool, *, inspect: bool = True
) -> list[Path]:
    return init_repository(directory, catalogue, today, force, inspect=inspect).paths
