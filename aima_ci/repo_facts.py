"""What `aima-ci init` found in a repository: the input of ``Collector.starter``.

Pure data and derivations; the reading lives in aima_ci.onboard.facts. Part of the public data
model (collectors, first- and third-party, receive it through the plugin API) and importable as
``aima_ci.models.RepoFacts``; kept in its own module so that score and gate, which never onboard
a repository, do not build these classes and compile these patterns on every start.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

MIN_ROWS = 20  # fewer rows than this is a sample payload, not data to measure
MAX_DISTINCT = 50
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
        """(reference, current) for drift: train vs a production sample, else vs the test split,
        with the same columns."""
        tables = self.measurable_tables()
        trains = [t for t in tables if _word(t.path, ("train", "reference", "ref"))]
        for train in trains:
            # a production sample says more about drift than a held-out split of the same data
            for words in (
                ("current", "prod", "production", "live"),
                ("test", "holdout", "valid", "eval"),
            ):
                for other in tables:
                    if other is train or not _word(other.path, words):
                        continue
                    # a production sample may lack the label: its columns need only be a
                    # subset (the drift check then compares those, see shared_columns)
                    shared = set(other.columns) & set(train.columns)
                    if set(other.columns) <= set(train.columns) and len(shared) >= 2:
                        return train, other
        return None

    @staticmethod
    def shared_columns(reference: Table, current: Table) -> list[str]:
        return [c for c in reference.columns if c in current.columns]

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
