"""Privacy scan of training data: PII in a row sample, and columns beyond the declared purpose.

Two questions a reviewer would ask of any training set: does it hold personal data nobody
declared, and does it hold columns its stated purpose does not need? Both are answered from a
seeded sample of rows; findings and artefacts carry counts and masked examples, never values.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
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
from aima_ci.safety.safeio import FileProblem, rel

from . import detectors, purpose, readers

if TYPE_CHECKING:
    from aima_ci.models import RepoFacts

NAME = "privacy"
KEYS = {"data", "sample_rows", "sample", "seed", "pii_types", "purpose"}
DATA_EXTS = ("*.csv", "*.tsv", "*.jsonl", "*.ndjson", "*.parquet")


class PrivacyCollector(Collector):
    name = NAME
    # Config paths preflight() checks before any collector runs.
    input_paths: ClassVar[Mapping[str, str]] = {
        "data": "any",
        "purpose": "file",
    }
    version = "0.1.0"
    description = "Scans training-data samples for PII and for columns beyond the declared purpose"
    light = True
    default_timeout = 300.0
    checks = load_checks(__file__)

    def starter(self, facts: RepoFacts) -> Starter | None:
        """PII in every dataset found (a small payload can leak too); the purpose is left for a
        person to declare."""
        tables = facts.datasets[:10]
        if not tables:
            return None
        notes = {} if facts.purpose_files else {"data": "declare purpose in data-purpose.yaml"}
        table = facts.training_table()  # the data the purpose is about, not an API payload
        columns = table.columns if table else next(iter(facts.csv_columns.values()), [])
        steps = (
            ()
            if facts.purpose_files
            else (
                "privacy: declare what the data is for in data-purpose.yaml: description,"
                f" needed_columns (of {', '.join(columns[:12]) or 'your columns'}),"
                " personal_data",
            )
        )
        return Starter(
            {"data": tables, "sample_rows": 1000},
            "PII in a sample of the training data; columns beyond the data's declared purpose.",
            notes=notes,
            next_steps=steps,
        )

    def validate_config(self, config: Mapping[str, Any]) -> None:
        self.check_keys(config, KEYS)
        prefix = f"collectors.{NAME}"
        data = config.get("data")
        items = [data] if isinstance(data, str) else data
        if (
            not items
            or not isinstance(items, list)
            or not all(isinstance(d, str) and d for d in items)
        ):
            raise CollectorConfigError(
                f"{prefix}.data", "required: a path, glob or list of them (CSV, JSONL, Parquet)"
            )
        n = config.get("sample_rows", 1000)
        if isinstance(n, bool) or not isinstance(n, int) or n < 1:
            raise CollectorConfigError(f"{prefix}.sample_rows", "must be a positive whole number")
        if config.get("sample", "random") not in ("random", "head"):
            raise CollectorConfigError(f"{prefix}.sample", "must be random or head")
        seed = config.get("seed", 0)
        if isinstance(seed, bool) or not isinstance(seed, int):
            raise CollectorConfigError(f"{prefix}.seed", "must be a whole number")
        types = config.get("pii_types")
        if types is not None and (
            not isinstance(types, list)
            or not types
            or any(t not in detectors.PII_TYPES for t in types)
        ):
            raise CollectorConfigError(
                f"{prefix}.pii_types", f"a list of: {', '.join(detectors.PII_TYPES)}"
            )
        p = config.get("purpose")
        if p is not None and not isinstance(p, (str, Mapping)):
            raise CollectorConfigError(f"{prefix}.purpose", "a mapping or a path to a purpose file")

    def collect(self, ctx: CollectorContext) -> Iterator[Finding]:
        self.validate_config(ctx.config)
        declared, purpose_error = self._purpose(ctx)
        yield self._purpose_finding(ctx, declared, purpose_error)
        files, problems = self._data_files(ctx)
        for message in problems:
            for cid in ("privacy.pii_scan", "privacy.minimisation"):
                yield ctx.finding(cid, Status.ERROR, message=message)
        if not files and not problems:
            for cid in ("privacy.pii_scan", "privacy.minimisation"):
                yield ctx.finding(
                    cid, Status.ERROR, message="collectors.privacy.data matched no data files"
                )
            return
        report: dict[str, Any] = {}
        out = ctx.artefact("pii-report.json")
        for i, path in enumerate(files):
            display = rel(ctx.root, path)
            ctx.progress(f"sampling {display}", i / max(1, len(files)))
            yield from self._scan_file(ctx, path, display, declared, purpose_error, report, out)
        out.write_text(json.dumps(report, indent=2, ensure_ascii=False), encoding="utf-8")
        ctx.progress("done", 1.0)

    # -- purpose --------------------------------------------------------------------------------
    def _purpose(self, ctx: CollectorContext) -> tuple[purpose.Purpose | None, str | None]:
        raw = ctx.config.get("purpose")
        try:
            if isinstance(raw, Mapping):
                return purpose.parse(raw, f"collectors.{NAME}.purpose"), None
            name = raw if isinstance(raw, str) else purpose.DEFAULT_FILE
            path = ctx.path(name, "purpose", must_exist=isinstance(raw, str))
            if not path.exists():
                return None, None
            return purpose.load(ctx.root, path), None
        except (InputError, FileProblem) as exc:
            return None, str(exc)

    def _purpose_finding(
        self, ctx: CollectorContext, declared: purpose.Purpose | None, error: str | None
    ) -> Finding:
        cid = "privacy.purpose_declared"
        if error:
            return ctx.finding(cid, Status.ERROR, message=error)
        if declared is None:
            return ctx.finding(
                cid,
                Status.FAIL,
                message=f"no purpose declared: no collectors.{NAME}.purpose and no {purpose.DEFAULT_FILE}",
            )
        problems = declared.problems()
        if problems:
            return ctx.finding(cid, Status.FAIL, message="; ".join(problems))
        return ctx.finding(
            cid,
            Status.PASS,
            message=f"purpose declared in {declared.source}: {len(declared.needed_columns)} needed column(s), {len(declared.personal_data)} personal-data column(s)",
            details={
                "needed_columns": list(declared.needed_columns),
                "personal_data": list(declared.personal_data),
                **declared.extra,
            },
        )

    # -- data -----------------------------------------------------------------------------------
    def _data_files(self, ctx: CollectorContext) -> tuple[list[Path], list[str]]:
        data = ctx.config["data"]
        return configured_files(ctx, "data", [data] if isinstance(data, str) else data, DATA_EXTS)

    def _scan_file(
        self,
        ctx: CollectorContext,
        path: Path,
        display: str,
        declared: purpose.Purpose | None,
        purpose_error: str | None,
        report: dict[str, Any],
        out: Path,
    ) -> Iterator[Finding]:
        cfg = ctx.config
        try:
            sample = readers.read_sample(
                path,
                display,
                cfg.get("sample_rows", 1000),
                cfg.get("seed", 0),
                cfg.get("sample", "random"),
            )
        except readers.DataError as exc:
            report[display] = {"error": str(exc)}
            for cid in ("privacy.pii_scan", "privacy.minimisation"):
                yield ctx.finding(cid, Status.ERROR, message=str(exc))
            return
        except readers.MissingTool as exc:
            report[display] = {"not_run": str(exc)}
            for cid in ("privacy.pii_scan", "privacy.minimisation"):
                yield ctx.finding(cid, Status.NOT_RUN, message=f"{display}: {exc}")
            return
        subject = ctx.subject("dataset", path)
        types = tuple(cfg.get("pii_types") or detectors.PII_TYPES)
        counts: dict[str, Counter[str]] = defaultdict(Counter)
        examples: dict[str, dict[str, str]] = defaultdict(dict)
        for row in sample.rows:
            for column, value in row.items():
                if not value:
                    continue
                for kind, match in detectors.find(value, types):
                    counts[column][kind] += 1
                    examples[column].setdefault(kind, detectors.mask(kind, match))
        personal = set(declared.personal_data) if declared else set()
        undeclared = {c: dict(v) for c, v in counts.items() if c not in personal}
        cells = sum(sum(v.values()) for v in undeclared.values())
        report[display] = {
            "rows_sampled": len(sample.rows),
            "rows_total": sample.total_rows,
            "ragged_rows": sample.ragged_rows,
            "columns": sample.columns,
            "pii_counts": {c: dict(v) for c, v in counts.items()},
            "masked_examples": {c: dict(v) for c, v in examples.items()},
            "declared_personal_data": sorted(personal),
        }
        limit = ctx.threshold("privacy.pii_scan", "pii_cells") or 0
        summary = ", ".join(
            f"{c} ({', '.join(f'{k} {n}' for k, n in v.items())})" for c, v in undeclared.items()
        )
        if cells > limit:
            status, message = (
                Status.FAIL,
                f"{display}: PII in undeclared columns: {summary} in {len(sample.rows)} sampled rows",
            )
        else:
            declared_hits = sorted(c for c in counts if c in personal)
            status = Status.PASS
            message = (
                f"{display}: no PII outside declared columns in {len(sample.rows)} sampled rows"
                + (
                    f" (declared personal data found in {', '.join(declared_hits)})"
                    if declared_hits
                    else ""
                )
            )
        yield ctx.finding(
            "privacy.pii_scan",
            status,
            value=cells,
            threshold=limit,
            message=message,
            subjects=[subject],
            artefacts=[out],
            details={
                "pii_counts": {c: dict(v) for c, v in counts.items()},
                "rows_sampled": len(sample.rows),
            },
        )
        yield self._minimisation(ctx, display, sample, declared, purpose_error, subject)

    def _minimisation(
        self,
        ctx: CollectorContext,
        display: str,
        sample: readers.Sample,
        declared: purpose.Purpose | None,
        purpose_error: str | None,
        subject: Any,
    ) -> Finding:
        cid = "privacy.minimisation"
        if purpose_error:
            return ctx.finding(cid, Status.ERROR, message=purpose_error, subjects=[subject])
        if declared is None or not declared.needed_columns:
            return ctx.finding(
                cid,
                Status.FAIL,
                message=f"{display}: no declared purpose with needed_columns to check {len(sample.columns)} column(s) against",
                subjects=[subject],
            )
        if any("description" in problem for problem in declared.problems()):
            # a purpose that says nothing ("x") is no policy to minimise against
            return ctx.finding(
                cid,
                Status.INCONCLUSIVE,
                message=f"{display}: the declared purpose has no real description, so the data"
                " cannot be judged against it",
                subjects=[subject],
            )
        needed = set(declared.needed_columns)
        extra = [c for c in sample.columns if c not in needed]
        missing = [c for c in declared.needed_columns if c not in sample.columns]
        limit = ctx.threshold(cid, "extra_columns") or 0
        details = {"extra_columns": extra, "needed_but_absent": missing}
        if len(extra) > limit:
            return ctx.finding(
                cid,
                Status.FAIL,
                value=len(extra),
                threshold=limit,
                message=f"{display}: {len(extra)} column(s) not needed by the declared purpose: {', '.join(extra[:20])}",
                subjects=[subject],
                details=details,
            )
        return ctx.finding(
            cid,
            Status.PASS,
            value=len(extra),
            threshold=limit,
            message=f"{display}: all {len(sample.columns)} column(s) are needed by the declared purpose",
            subjects=[subject],
            details=details,
        )
