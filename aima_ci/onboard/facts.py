"""What ``aima-ci init`` finds in a repository: the facts every collector's starter hook reads.

Inspection reads file names and bounded heads of small files; it never follows a symlink out
of the repository, never unpickles or imports anything from it, and never runs its code. A
column is only ever proposed when it was read from a file's header, and a table is only used
for a measurement when it has enough rows to measure (a one-row API payload is not a dataset).
"""

from __future__ import annotations

import csv
import fnmatch
import io
import os
import re
import tomllib
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from aima_ci.models import (  # noqa: F401  (re-exported: the data model lives with the others)
    MAX_DISTINCT,
    MIN_ROWS,
    LLMFacts,
    RepoFacts,
    Table,
)
from aima_ci.safety.safeio import safe_load

MAX_FILES = 20_000
MAX_LISTED = 10
SAMPLE_BYTES = 2 << 20
SAMPLE_ROWS = 5_000
# Source read for MLflow calls, training code and LLM clients: enough for any real repository's
# entry points, bounded so a vendored tree cannot make init read gigabytes.
MAX_CODE_FILES = 300
CODE_BYTES = 256 << 10
SKIP_DIRS = frozenset(
    {
        ".git", ".hg", ".venv", "venv", "env", "node_modules", "__pycache__", ".tox", ".nox",
        ".aima", "site-packages", ".ipynb_checkpoints", ".mypy_cache", ".pytest_cache",
        ".ruff_cache", "dist", "build", ".dvc",
    }
)  # fmt: skip
MODEL_EXTS = (".skops", ".onnx", ".pkl", ".pickle", ".joblib", ".pt", ".pth", ".safetensors", ".h5", ".keras", ".gguf", ".ckpt")  # fmt: skip
TABLE_EXTS = (".csv", ".tsv", ".parquet")
DATA_EXTS = (*TABLE_EXTS, ".jsonl", ".ndjson")
RAW_DATA_EXTS = (".data", ".dat", ".arff", ".xlsx", ".xls", ".feather", ".txt", ".gz", ".zip")
IMAGE_EXTS = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp")
LLM_LIBS = (
    "openai", "anthropic", "langchain", "litellm", "transformers", "llama-index", "llama_index",
    "cohere", "google-generativeai", "google-genai", "mistralai", "vllm", "ollama",
    "huggingface-hub", "sentence-transformers", "dspy", "guidance",
)  # fmt: skip
DEPENDENCY_FILES = ("requirements*.txt", "requirements/*.txt", "pyproject.toml", "setup.cfg", "Pipfile", "environment.yml", "environment.yaml")  # fmt: skip


# -- reading (I/O) ------------------------------------------------------------------------------
def list_files(directory: Path) -> list[str]:
    """Repository files (relative POSIX paths), skipping vendored/generated folders and any
    symlink that leaves the folder."""
    root = Path(os.path.realpath(directory))
    out: list[str] = []
    for dirpath, dirnames, filenames in os.walk(directory, followlinks=False):
        dirnames[:] = sorted(
            d
            for d in dirnames
            if (d not in SKIP_DIRS and not d.startswith(".")) or d in (".github", ".dvc_keep")
        )
        for name in sorted(filenames):
            path = Path(dirpath) / name
            if path.is_symlink() and not Path(os.path.realpath(path)).is_relative_to(root):
                continue
            out.append(path.relative_to(directory).as_posix())
            if len(out) >= MAX_FILES:
                return out
    return out


def head(path: Path, size: int = 65536) -> str:
    try:
        with open(path, "rb") as fh:
            return fh.read(size).decode("utf-8", "replace")
    except OSError:
        return ""


def read_table(directory: Path, rel: str) -> Table:
    """Header, row count and per-column distinct values of a CSV/TSV (or Parquet, with pyarrow)."""
    table = Table(rel)
    path = directory / rel
    if rel.lower().endswith(".parquet"):
        return _read_parquet(path, table)
    try:
        size = path.stat().st_size
    except OSError:
        return table
    text = head(path, SAMPLE_BYTES)
    if "\x00" in text:
        return table
    if size > SAMPLE_BYTES:
        text = text[: text.rfind("\n") + 1]  # drop the cut-off last line
    delimiter = "\t" if rel.lower().endswith(".tsv") else ","
    try:
        rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=delimiter))
    except csv.Error:
        return table
    if not rows:
        return table
    table.columns = [c.strip() for c in rows[0]][:200]
    body = [r for r in rows[1 : SAMPLE_ROWS + 1] if r]
    table.rows = len(body)
    table.complete = size <= SAMPLE_BYTES and len(rows) - 1 <= SAMPLE_ROWS
    _distinct(table, body)
    return table


def _distinct(table: Table, body: Sequence[Sequence[Any]]) -> None:
    for i, col in enumerate(table.columns):
        counts: dict[str, int] = {}
        numeric = True
        for row in body:
            if i >= len(row):
                continue
            value = str(row[i]).strip()
            if value == "" or value.lower() in ("nan", "none", "null"):
                continue
            if numeric:
                try:
                    float(value)
                except ValueError:
                    numeric = False
            if value in counts or len(counts) < MAX_DISTINCT:
                counts[value] = counts.get(value, 0) + 1
        table.distinct[col] = list(counts)
        table.counts[col] = list(counts.values())
        table.numeric[col] = numeric and bool(counts)


def _read_parquet(path: Path, table: Table) -> Table:
    try:
        import pyarrow.parquet as pq
    except ImportError:  # the schema waits until pyarrow is installed: [privacy] extra
        return table
    try:
        pf = pq.ParquetFile(path)
        table.columns = list(pf.schema_arrow.names)[:200]
        table.rows = int(pf.metadata.num_rows)
        table.complete = True
        batch = next(pf.iter_batches(batch_size=SAMPLE_ROWS), None)
    except Exception:  # a damaged or foreign file: listed, not measured
        return table
    if batch is not None:
        data = batch.to_pydict()
        body = list(zip(*(data[c] for c in table.columns), strict=False))
        _distinct(table, body)
    return table


def inspect(directory: Path) -> RepoFacts:
    files = list_files(directory)
    facts = RepoFacts(root=directory)
    code_files: list[str] = []
    for rel in files:
        name = rel.rsplit("/", 1)[-1].lower()
        low = rel.lower()
        ext = os.path.splitext(name)[1]
        parts = low.split("/")
        if ext in MODEL_EXTS:
            facts.models.append(rel)
        elif ext in DATA_EXTS:
            facts.datasets.append(rel)
        elif ext in RAW_DATA_EXTS and any(
            p in ("data", "dataset", "datasets", "raw") for p in parts[:-1]
        ):
            facts.raw_data.append(rel)
        elif ext in IMAGE_EXTS:
            facts.images += 1
        elif ext == ".ipynb":
            facts.notebooks.append(rel)
        elif ext == ".py":
            code_files.append(rel)
        if (
            low.startswith(".github/workflows/") and ext in (".yml", ".yaml")
        ) or rel == ".gitlab-ci.yml":
            facts.ci_files.append(rel)
        if ext in (".md", ".yaml", ".yml", ".json") and re.search(r"model[-_ ]?card", name):
            facts.model_cards.append(rel)
        if re.search(r"threat[-_ ]?model", name) and ext in (
            ".md",
            ".yaml",
            ".yml",
            ".json",
            ".py",
            ".tm7",
        ):
            facts.threat_models.append(rel)
        if ext in (".md", ".markdown") and re.search(r"incident|playbook|runbook", name):
            facts.playbooks.append(rel)
        if name in ("dvc.lock",) or ext == ".dvc":
            facts.dvc_files.append(rel)
        if name == "mlmodel" or name in ("model_uri.txt", "model-uri.txt"):
            facts.mlflow_files.append(rel)
        if re.fullmatch(r"promptfoo(config)?\.ya?ml", name):
            facts.promptfoo_configs.append(rel)
        if ext in (".yml", ".yaml") and not low.startswith(".github/"):
            if re.search(r"alert|rules", name) and re.search(
                r"(?m)^groups\s*:", head(directory / rel)
            ):
                facts.alert_rules.append(rel)
            if "registry" in name:
                facts.registries.append(rel)
            if "inventory" in name:
                facts.inventories.append(rel)
            if name in ("data-purpose.yaml", "data-purpose.yml"):
                facts.purpose_files.append(rel)
            if re.search(r"data[-_]?manifest", name):
                facts.manifests.append(rel)
        if ext == ".rego":
            facts.rego_policies.append(rel)
    facts.llm_libraries = llm_libraries(directory, files)
    for rel in facts.datasets:
        if rel.lower().endswith(TABLE_EXTS) and len(facts.tables) < 3 * MAX_LISTED:
            facts.tables[rel] = read_table(directory, rel)
    _dvc(directory, facts)
    _mlflow(directory, facts, code_files)
    _code(directory, facts, code_files)
    return facts


def _dvc(directory: Path, facts: RepoFacts) -> None:
    """Paths DVC tracks (``outs`` of dvc.lock stages and of *.dvc files)."""
    for rel in facts.dvc_files:
        try:
            data = safe_load(head(directory / rel, 1 << 20))
        except Exception:  # not YAML: listed, its outs unknown
            continue
        base = rel.rsplit("/", 1)[0] + "/" if "/" in rel else ""
        stages = (data or {}).get("stages", {}) if isinstance(data, dict) else {}
        outs: list[Any] = list((data or {}).get("outs", []) if isinstance(data, dict) else [])
        for stage in stages.values() if isinstance(stages, dict) else ():
            if isinstance(stage, dict):
                outs += list(stage.get("outs") or [])
        for out in outs:
            path = out.get("path") if isinstance(out, dict) else out
            if isinstance(path, str) and path not in facts.dvc_outs:
                facts.dvc_outs.append(base + path)


MLFLOW_URI = re.compile(r"""\b((?:runs|models|mlflow-artifacts):/[A-Za-z0-9_.@/\-]+)""")
MLFLOW_CALL = re.compile(r"\bmlflow\.(?:\w+\.)?(?:log_model|load_model|save_model|autolog)\b")


def _mlflow(directory: Path, facts: RepoFacts, code_files: Sequence[str]) -> None:
    for rel in list(facts.mlflow_files):
        if rel.lower().endswith(".txt"):
            facts.mlflow_uris += [
                m
                for m in MLFLOW_URI.findall(head(directory / rel, 4096))
                if m not in facts.mlflow_uris
            ]
    for rel in [*code_files, *facts.notebooks][:MAX_CODE_FILES]:
        text = head(directory / rel, CODE_BYTES)
        if MLFLOW_CALL.search(text):
            facts.mlflow_files.append(rel)
            facts.mlflow_uris += [m for m in MLFLOW_URI.findall(text) if m not in facts.mlflow_uris]


TRAINING = re.compile(r"\.fit\(|\btrain_test_split\b|\bTrainer\(|\bmodel\.train\(\)")


def _code(directory: Path, facts: RepoFacts, code_files: Sequence[str]) -> None:
    from .llm import inspect_llm

    texts: dict[str, str] = {}
    for rel in code_files[:MAX_CODE_FILES]:
        texts[rel] = head(directory / rel, CODE_BYTES)
    for rel, text in texts.items():
        if TRAINING.search(text) or re.match(r"(.*/)?train\w*\.py$", rel):
            facts.training_scripts.append(rel)
    facts.llm = inspect_llm(directory, texts, facts)


def llm_libraries(directory: Path, files: Sequence[str]) -> list[str]:
    names: set[str] = set()
    for rel in files:
        if not any(fnmatch.fnmatchcase(rel, pat) for pat in DEPENDENCY_FILES):
            continue
        text = head(directory / rel, 1 << 20)
        if rel.endswith("pyproject.toml"):
            names |= pyproject_deps(text)
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


def pyproject_deps(text: str) -> set[str]:
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


def guess_profile(facts: RepoFacts) -> str:
    """``auto``: which profile fits what was found."""
    if facts.llm.clients or facts.llm_libraries:
        return "rag" if facts.llm.retrieval or facts.llm.vector_stores else "llm-app"
    image_models = any(
        m.lower().endswith((".pt", ".pth", ".onnx", ".h5", ".keras")) for m in facts.models
    )
    if facts.images >= 20 or (image_models and not facts.tables):
        return "image-classifier"
    return "tabular-classifier"


def iter_existing(paths: Iterable[str], directory: Path) -> list[str]:
    return [p for p in paths if (directory / p).exists()]
