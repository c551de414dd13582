"""The ``collectors.evidently`` keys (public contract: docs/collectors/evidently.md), declared once.

Run mode compares two data files with evidently; report mode reads a result evidently produced
elsewhere, so keys that only make sense for one mode are refused in the other rather than
silently ignored. The runner parses the block with ``SPEC`` before any collector starts and hands
the collector a ``Settings``; the same declaration gives the JSON Schema and the docs table.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from aima_ci.options import (
    Bool,
    Choice,
    FilePath,
    Float,
    ListOf,
    MapOf,
    Option,
    Raw,
    Spec,
    Text,
    Values,
)

DEFAULT_DRIFT_SHARE = 0.3
DEFAULT_MISSING_SHARE = 0.05
PATH = "a path relative to the config file"
COLUMN = Text(what="a column name")
# A column name as YAML may write it (``2019: psi``): compared with the data's names as text.
COLUMN_KEY = Raw(schema={"type": "string"}, check=str, type_name="text")
METHOD = Text(what="an evidently drift method name such as 'wasserstein'")


@dataclass(frozen=True)
class Settings:
    mode: str
    reference: str | None = None
    current: str | None = None
    report: str | None = None
    columns: tuple[str, ...] | None = None
    categorical: tuple[str, ...] = ()
    method: str | None = None
    column_methods: Mapping[str, str] = field(default_factory=dict)
    column_thresholds: Mapping[str, float] = field(default_factory=dict)
    html: bool = True
    column_drift: str = "warn"  # the status of a drifted column: warn or fail


def _build(values: Values) -> Settings:
    """Rules across keys: per-column settings name compared columns; report mode keeps the
    thresholds its stored result was produced with."""
    thresholds = values["thresholds"]
    column_thresholds = dict(thresholds["columns"] or {}) if thresholds is not None else {}
    if values.mode == "report" and column_thresholds:
        raise values.error(
            "thresholds.columns",
            "applies in run mode only (a stored report already carries its thresholds)",
        )
    columns = values["columns"]
    methods = dict(values["column_methods"] or {})
    if columns is not None:
        for key, names in (("column_methods", methods), ("thresholds.columns", column_thresholds)):
            outside = [n for n in names if n not in columns]
            if outside:
                raise values.error(f"{key}.{outside[0]}", "is not one of the compared 'columns'")
    return Settings(
        mode=values.mode or "run",
        reference=values["reference"],
        current=values["current"],
        report=values["report"],
        columns=columns,
        categorical=values["categorical"] or (),
        method=values["method"],
        column_methods=methods,
        column_thresholds=column_thresholds,
        html=values["html"],
        column_drift=values["column_drift"],
    )


def _columns(what: str, *, min_items: int) -> ListOf:
    return ListOf(COLUMN, min_items=min_items, unique=True, what=what)


SPEC = Spec(
    options=(
        Option(
            "reference",
            FilePath("any"),
            required=True,
            modes=("run",),
            missing=f"is required ({PATH})",
            doc="The reference table (usually the training data): CSV, TSV or Parquet.",
        ),
        Option(
            "current",
            FilePath("any"),
            required=True,
            modes=("run",),
            missing=f"is required ({PATH})",
            doc="The current table (a production sample) compared with the reference.",
        ),
        Option(
            "report",
            FilePath("file"),
            required=True,
            modes=("report",),
            missing=f"is required ({PATH})",
            doc="An evidently 0.7 result (`Snapshot.json()` / `save_json()`) with tests.",
        ),
        Option(
            "columns",
            _columns("a non-empty list of column names", min_items=1),
            doc="Columns to compare (run: default every reference column) or to judge (report:"
            " each must have a result; the share is recomputed over them).",
        ),
        Option(
            "categorical",
            _columns("a list of column names", min_items=0),
            modes=("run",),
            doc="Columns compared as categories (otherwise a numeric dtype is numerical).",
        ),
        Option(
            "method",
            METHOD,
            modes=("run",),
            doc="One evidently stattest for every column (`ks`, `wasserstein`, `psi`, ...).",
        ),
        Option(
            "column_methods",
            MapOf(METHOD, keys=COLUMN_KEY, what="a mapping of column names to drift method names"),
            modes=("run",),
            doc="A stattest per column.",
        ),
        Option(
            "html",
            Bool(),
            default=True,
            modes=("run",),
            doc="Keep evidently's interactive HTML report (about 4 MB).",
        ),
        Option(
            "column_drift",
            Choice("warn", "fail", what="'warn' or 'fail' (the status of a drifted column)"),
            default="warn",
            doc="Severity of a drifted column's finding: `warn` = low, `fail` = high.",
        ),
    ),
    thresholds={
        "drift_share": Float(
            minimum=0,
            maximum=1,
            exclusive_minimum=True,
            what="a number above 0 and at most 1 (the share must stay below it)",
        ),
        "missing_share": Float(minimum=0, maximum=1),
        "columns": MapOf(
            Float(minimum=0),
            keys=COLUMN_KEY,
            min_items=1,
            what="a mapping of column names to drift thresholds",
        ),
    },
    modes=("run", "report"),
    build=_build,
)
