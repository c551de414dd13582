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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..safeio import safe_load

MAX_FILES = 20_000
MAX_LISTED = 10
MIN_ROWS = 20  # fewer rows than this is a sample payload, not data to measure
SAMPLE_BYTES = 2 << 20
SAMPLE_ROWS = 5_000
MAX_DISTINCT = 50
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
# Column names that usually hold the outcome, and ones that usually hold a protected attribute.
LABEL_NAMES = re.compile(
    r"^(target|label|labels|y|class|outcome|default|defaulted|approved|approval|churn|churned|"
    r"fraud|is_fraud|risk|credit_risk|bad|good_bad|response|survived|decision|loan_status|result)$",
    re.I,
)
UNFAVOURABLE_LABEL = re.compile(r"default|fraud|churn|bad|risk|delinquen", re.I)
FAVOURABLE_VALUES = ("1", "1.0", "yes", "true", "good", "approved", "accept", "accepted", "granted", "paid")  # fmt: skip
SENSITIVE_NAMES = re.compile(
    r"(^|_)(sex|gender|age|age_?group|age_?band|race|ethnic|ethnicity|religion|marital|"
    r"marital_status|personal_status|nationality|foreign|foreign_worker|citizenship|disability|"
    r"pregnan\w*|national_origin)($|_)",
    re.I,
)
MAX_GROUPS = 10  # a protected attribute with more values is a number, not groups


@dataclass
class Table:
    """A dataset file: header, rows seen, distinct values per column (capped)."""

    path: str
    columns: list[str] = field(default_factory=list)
    rows: int = 0  # rows read (exact when ``complete``)
    complete: bool = False
    distinct: dict[str, list[str]] = field(default_factory=dict)  # column -> up to 50 values
    counts: dict[str, list[int]] = field(default_factory=dict)  # ... and how often each occurs
    numeric: dict[str, bool] = field(default_factory=dict)

    @property
    def measurable(self) -> bool:
        return self.rows >= MIN_ROWS and len(self.columns) >= 2

    def cardinality(self, column: str) -> int:
        values = self.distinct.get(column, [])
        return len(values) if len(values) < MAX_DISTINCT else MAX_DISTINCT


@dataclass
class LLMFacts:
    """How the repository talks to a language model, as far as its source shows."""

    clients: list[str] = field(
        default_factory=list
    )  # openai, ollama, huggingface, langchain, llamaindex
    base_url: str | None = None
    model: str | None = None
    app_file: str | None = None
    app_port: int | None = None
    app_route: str | None = None
    request_field: str | None = None
    response_field: str | None = None
    vector_stores: list[str] = field(default_factory=list)
    ingestion_files: list[str] = field(default_factory=list)
    retrieval: bool = False


@dataclass
class RepoFacts:
    """What init found, as POSIX paths relative to the folder the config is written to."""

    root: Path = field(default_factory=Path)
    models: list[str] = field(default_factory=list)
    datasets: list[str] = field(default_factory=list)
    raw_data: list[str] = field(default_factory=list)
    images: int = 0
    notebooks: list[str] = field(default_factory=list)
    training_scripts: list[str] = field(default_factory=list)
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
    promptfoo_configs: list[str] = field(default_factory=list)
    dvc_files: list[str] = field(default_factory=list)  # dvc.lock and *.dvc
    dvc_outs: list[str] = field(default_factory=list)
    mlflow_uris: list[str] = field(default_factory=list)
    mlflow_files: list[str] = field(default_factory=list)  # where the URIs / calls were seen
    tables: dict[str, Table] = field(default_factory=dict)
    llm: LLMFacts = field(default_factory=LLMFacts)
    profile: Any = None  # the chosen aima_ci.onboard.profiles.Profile

    # -- derived --------------------------------------------------------------------------------
    @property
    def csv_columns(self) -> dict[str, list[str]]:
        return {p: t.columns for p, t in self.tables.items() if t.columns}

    @property
    def empty(self) -> bool:
        return not any(
            (
                self.models, self.datasets, self.raw_data, self.notebooks, self.llm_libraries,
                self.ci_files, self.model_cards, self.threat_models, self.alert_rules,
                self.playbooks, self.llm.clients, self.training_scripts,
            )
        )  # fmt: skip

    def measurable_tables(self) -> list[Table]:
        return [t for t in self.tables.values() if t.measurable]

    def split(self) -> tuple[Table, Table] | None:
        """(reference, current) for drift: train vs test/holdout/current with the same columns."""
        tables = self.measurable_tables()
        trains = [t for t in tables if _word(t.path, ("train", "reference", "ref"))]
        for train in trains:
            for words in (("test", "holdout", "valid", "eval"), ("current", "prod", "live")):
                for other in tables:
                    if other is train or not _word(other.path, words):
                        continue
                    if set(train.columns) == set(other.columns):
                        return train, other
        return None

    def training_table(self) -> Table | None:
        """The table the model learns from: a train split, else the largest measurable table."""
        pair = self.split()
        if pair:
            return pair[0]
        tables = self.measurable_tables()
        named = [t for t in tables if _word(t.path, ("train",))]
        pool = named or tables
        return max(pool, key=lambda t: t.rows) if pool else None

    def label_candidates(self, table: Table) -> list[str]:
        """Binary columns, name matches first (``approved``, ``default``, ``target`` ...)."""
        binary = [c for c in table.columns if table.cardinality(c) == 2]
        by_name = [c for c in binary if LABEL_NAMES.match(c.strip())]
        loose = [
            c for c in binary if c not in by_name and re.search(r"label|target|outcome", c, re.I)
        ]
        return by_name + loose

    def sensitive_candidates(self, table: Table) -> list[str]:
        """Columns named like a protected attribute with few enough values to form groups."""
        return [
            c
            for c in table.columns
            if SENSITIVE_NAMES.search(c.strip()) and 2 <= table.cardinality(c) <= MAX_GROUPS
        ]

    def favourable(self, table: Table, label: str) -> str:
        values = table.distinct.get(label, [])
        for v in values:
            if v.strip().lower() in FAVOURABLE_VALUES:
                good = v
                break
        else:
            good = _majority(table, label)
        if UNFAVOURABLE_LABEL.search(label) and len(values) == 2:
            good = next(v for v in values if v != good)
        return good

    def export_model_steps(self) -> tuple[str, ...]:
        """With data but no model file: the two lines that export one for the model checks."""
        if any(m.endswith((".skops", ".onnx")) for m in self.models):
            return ()
        if self.mlflow_uris:
            where = f"(MLflow model {self.mlflow_uris[0]})"
            load = f'mlflow.sklearn.load_model("{self.mlflow_uris[0]}")'
            first = "import mlflow, skops.io as sio"
        else:
            script = self.training_scripts[0] if self.training_scripts else "the training script"
            where = f"(at the end of {script}, where the fitted model is `model`)"
            load, first = "model", "import skops.io as sio"
        return (
            f"no model file is committed: export it {where} for fairlearn, shap and art:",
            f"    {first}",
            f'    sio.dump({load}, "models/model.skops")',
            "  then run `aima-ci init --force` again to configure the model checks.",
        )

    def majority(self, table: Table, column: str) -> str:
        return _majority(table, column)

    def summary(self) -> list[str]:
        rows = [
            ("model files", self.models),
            ("datasets", self.datasets),
            ("raw data files (confirm their schema)", self.raw_data),
            ("notebooks", self.notebooks),
            ("training scripts", self.training_scripts),
            ("DVC files", self.dvc_files),
            ("MLflow model URIs", self.mlflow_uris),
            ("LLM client libraries", self.llm_libraries),
            ("LLM clients in code", self.llm.clients),
            ("pickled vector stores", self.llm.vector_stores),
            ("CI files", self.ci_files),
            ("model cards", self.model_cards),
            ("threat models", self.threat_models),
            ("alert rule files", self.alert_rules),
            ("incident playbooks", self.playbooks),
        ]
        out = [f"{label}: {_shorten(items)}" for label, items in rows if items]
        small = [t.path for t in self.tables.values() if t.columns and not t.measurable]
        if small:
            out.append(f"tables too small to measure (< {MIN_ROWS} rows): {_shorten(small)}")
        return out


def _word(path: str, words: Sequence[str]) -> bool:
    name = path.rsplit("/", 1)[-1].lower()
    return any(re.search(rf"(^|[^a-z]){w}([^a-z]|$)", name) for w in words)


def _majority(table: Table, column: str) -> str:
    counts = table.counts.get(column)
    values = table.distinct.get(column, [])
    if counts:
        return max(zip(values, counts, strict=False), key=lambda vc: vc[1])[0]
    return values[0] if values else ""


def _shorten(items: Sequence[str]) -> str:
    shown = ", ".join(items[:3])
    return shown + (f" (+{len(items) - 3} more)" if len(items) > 3 else "")


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
        import pyarrow.parquet as pq  # type: ignore[import-untyped]
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
    for rel in [*code_files, *facts.notebooks][:500]:
        text = head(directory / rel, 1 << 20)
        if MLFLOW_CALL.search(text):
            facts.mlflow_files.append(rel)
            facts.mlflow_uris += [m for m in MLFLOW_URI.findall(text) if m not in facts.mlflow_uris]


TRAINING = re.compile(r"\.fit\(|\btrain_test_split\b|\bTrainer\(|\bmodel\.train\(\)")


def _code(directory: Path, facts: RepoFacts, code_files: Sequence[str]) -> None:
    from .llm import inspect_llm

    texts: dict[str, str] = {}
    for rel in code_files[:500]:
        texts[rel] = head(directory / rel, 1 << 20)
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
