"""The explanation artefact: a JSON record of global importances bound to one model digest.

Binding the explanation to the model's SHA-256 is what makes it evidence: a table of importances
for some earlier model says nothing about the model being shipped. ``content_sha256`` (over the
canonical JSON of everything else) catches an edited or truncated file; it is an integrity check,
not a signature, since anyone who can write the file can recompute it.
"""

from __future__ import annotations

import csv
import hashlib
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aima_ci.models import Subject
from aima_ci.plugin import now_iso

from ._explain import Explanation

SCHEMA = "aima-ci/shap-explanation/v1"
MAX_BYTES = 16 << 20


class ArtefactError(ValueError):
    """The explanation file is unreadable, malformed or was modified after it was written."""


@dataclass(frozen=True)
class Ranked:
    rank: int
    feature: str
    mean_abs_shap: float
    share: float  # of the total mean |SHAP|

    def to_dict(self) -> dict[str, Any]:
        return {
            "rank": self.rank,
            "feature": self.feature,
            "mean_abs_shap": self.mean_abs_shap,
            "share": self.share,
        }


def ranking(features: Sequence[str], importance: Sequence[float]) -> list[Ranked]:
    """Features by decreasing importance; ties keep the column order (stable, reproducible)."""
    total = float(sum(importance))
    order = sorted(range(len(features)), key=lambda j: -importance[j])
    return [
        Ranked(
            rank=r + 1,
            feature=features[j],
            mean_abs_shap=round(float(importance[j]), 8),
            share=round(float(importance[j]) / total, 6) if total > 0 else 0.0,
        )
        for r, j in enumerate(order)
    ]


def document(
    explanation: Explanation,
    *,
    model: Subject,
    data: Subject,
    seed: int,
    tool_version: str | None,
) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "schema": SCHEMA,
        "created_at": now_iso(),
        "tool": {"name": "shap", "version": tool_version},
        "model": model.to_dict(),
        "data": data.to_dict(),
        "method": {
            "explainer": explanation.explainer,
            "output": explanation.output,
            "importance": "mean |SHAP value| over the explained rows and the classes",
            "sample_size": explanation.sample_size,
            "background_size": explanation.background_size,
            "max_evals": explanation.max_evals,
            "seed": seed,
        },
        "classes": [c.item() if hasattr(c, "item") else c for c in explanation.classes],
        "additivity_error": explanation.additivity_error,
        "importance": [
            r.to_dict() for r in ranking(explanation.features, explanation.importance.tolist())
        ],
    }
    doc["content_sha256"] = content_digest(doc)
    return doc


def content_digest(doc: Mapping[str, Any]) -> str:
    body = {k: v for k, v in doc.items() if k != "content_sha256"}
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def write_json(path: Path, data: Any) -> None:
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def write_top_k(json_path: Path, csv_path: Path, doc: Mapping[str, Any], top_k: int) -> None:
    """The table a reviewer reads first: the top-k features, as JSON and as CSV."""
    rows = list(doc["importance"])[:top_k]
    write_json(
        json_path,
        {"model": doc["model"]["digest"], "top_k": top_k, "features": rows},
    )
    with open(csv_path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=["rank", "feature", "mean_abs_shap", "share"])
        writer.writeheader()
        writer.writerows(rows)


def read(path: Path) -> dict[str, Any]:
    """Load and validate an explanation artefact; any defect raises ArtefactError."""
    if path.stat().st_size > MAX_BYTES:
        raise ArtefactError(f"{path.name}: larger than {MAX_BYTES} bytes")
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ArtefactError(f"{path.name}: not a JSON explanation ({exc})") from exc
    if not isinstance(doc, dict) or doc.get("schema") != SCHEMA:
        raise ArtefactError(f"{path.name}: not an aima-ci SHAP explanation (schema {SCHEMA!r})")
    if doc.get("content_sha256") != content_digest(doc):
        raise ArtefactError(f"{path.name}: content_sha256 does not match: the file was modified")
    model = doc.get("model")
    if not isinstance(model, dict) or not str(model.get("digest", "")).startswith("sha256:"):
        raise ArtefactError(f"{path.name}: has no model digest")
    table = doc.get("importance")
    if not isinstance(table, list) or not table:
        raise ArtefactError(f"{path.name}: has no importance table")
    for row in table:
        value = row.get("mean_abs_shap") if isinstance(row, dict) else None
        if (
            not isinstance(row, dict)
            or not isinstance(row.get("feature"), str)
            or isinstance(value, bool)
            or not isinstance(value, (int, float))
            or not math.isfinite(value)
            or value < 0
        ):
            raise ArtefactError(f"{path.name}: malformed importance row {row!r}")
    return doc
