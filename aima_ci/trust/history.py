"""Assessment history: a trend per domain, and the baseline for the no-regression ratchet.

Each scored assessment can be appended as one compact record (levels and scores per domain and
practice, the gate verdict, branch and commit). ``latest(default_branch)`` is what
``--baseline history`` compares with, so a practice whose level dropped fails the gate even while
it is still above target. Storage sits behind the small ``HistoryStore`` protocol; SQLite (stdlib,
one file that a CI cache or artifact can carry between runs) is the only backend today, and a
``postgresql://`` URL is recognised and refused with a clear message until one is written.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import sqlite3
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from aima_ci.errors import UserError

SCHEMA_VERSION = 1
DEFAULT_BRANCH = "main"
BRANCH_ENV = (
    "AIMA_CI_BRANCH",
    "GITHUB_HEAD_REF",  # set (non-empty) only for pull requests: the source branch
    "GITHUB_REF_NAME",
    "CI_MERGE_REQUEST_SOURCE_BRANCH_NAME",
    "CI_COMMIT_BRANCH",
    "CI_COMMIT_REF_NAME",
)
_KEEP = ("id", "name", "score", "level", "plus")


class HistoryError(UserError):
    """The history store is misconfigured or unreadable (exit 2)."""


@dataclass(frozen=True)
class HistoryRecord:
    """One assessment as the history keeps it: enough for a trend and a regression baseline."""

    recorded_at: str
    date: str
    branch: str | None
    commit: str | None
    assessment_sha256: str
    overall: Mapping[str, Any]
    domains: Sequence[Mapping[str, Any]]
    gate_passed: bool | None
    target_level: int | None

    def as_baseline(self) -> dict[str, Any]:
        """The shape gate.regressions() reads (domains -> practices -> id, level)."""
        return {
            "date": self.date,
            "overall": dict(self.overall),
            "domains": [dict(d) for d in self.domains],
        }

    def to_dict(self) -> dict[str, Any]:
        return {
            "recorded_at": self.recorded_at,
            "date": self.date,
            "branch": self.branch,
            "commit": self.commit,
            "assessment_sha256": self.assessment_sha256,
            "overall": dict(self.overall),
            "domains": [dict(d) for d in self.domains],
            "gate_passed": self.gate_passed,
            "target_level": self.target_level,
        }


def record_from_assessment(
    assessment: Mapping[str, Any],
    *,
    assessment_sha256: str,
    branch: str | None,
    commit: str | None,
    recorded_at: str | None = None,
) -> HistoryRecord:
    gate = assessment.get("gate") or {}
    target = gate.get("target") or {}
    return HistoryRecord(
        recorded_at=recorded_at or dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        date=str(assessment.get("date")),
        branch=branch,
        commit=commit,
        assessment_sha256=assessment_sha256,
        overall={k: assessment["overall"][k] for k in ("score", "level", "plus")},
        domains=[
            {
                **{k: d[k] for k in _KEEP},
                "practices": [{k: p[k] for k in _KEEP} for p in d["practices"]],
            }
            for d in assessment["domains"]
        ],
        gate_passed=gate.get("passed"),
        target_level=target.get("level"),
    )


class HistoryStore(Protocol):
    """What the CLI needs from a history backend."""

    def append(self, record: HistoryRecord) -> bool:
        """Store a record; False when the same assessment of the same commit is already there."""
        ...

    def latest(self, branch: str, *, exclude_sha256: str | None = None) -> HistoryRecord | None:
        """The most recently appended record of ``branch`` (skipping one assessment digest)."""
        ...

    def trend(self, branch: str | None = None, limit: int = 50) -> list[HistoryRecord]:
        """Up to ``limit`` most recent records, oldest first; all branches when None."""
        ...


_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS assessments (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    recorded_at TEXT NOT NULL,
    date TEXT NOT NULL,
    branch TEXT NOT NULL DEFAULT '',
    commit_sha TEXT NOT NULL DEFAULT '',
    assessment_sha256 TEXT NOT NULL,
    overall_level INTEGER NOT NULL,
    overall_score REAL NOT NULL,
    gate_passed INTEGER,
    record TEXT NOT NULL,
    UNIQUE (assessment_sha256, branch, commit_sha)
);
CREATE INDEX IF NOT EXISTS assessments_branch ON assessments (branch, id);
"""


class SQLiteHistory:
    """History in one SQLite file; appends are transactions, so concurrent jobs cannot interleave."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @contextlib.contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            conn = sqlite3.connect(self.path, timeout=30)
        except sqlite3.Error as exc:
            raise HistoryError(f"history {self.path}: {exc}") from None
        try:
            with conn:
                conn.executescript(_SCHEMA)
                found = conn.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
                if found is None:
                    conn.execute(
                        "INSERT INTO meta (key, value) VALUES ('schema', ?)", (str(SCHEMA_VERSION),)
                    )
                elif found[0] != str(SCHEMA_VERSION):
                    raise HistoryError(
                        f"history {self.path}: schema version {found[0]}, this aima-ci reads"
                        f" {SCHEMA_VERSION}"
                    )
            yield conn
        except sqlite3.DatabaseError as exc:
            raise HistoryError(f"history {self.path}: {exc}") from None
        finally:
            conn.close()

    def append(self, record: HistoryRecord) -> bool:
        with self._connect() as conn, conn:
            cur = conn.execute(
                "INSERT OR IGNORE INTO assessments (recorded_at, date, branch, commit_sha,"
                " assessment_sha256, overall_level, overall_score, gate_passed, record)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    record.recorded_at,
                    record.date,
                    record.branch or "",
                    record.commit or "",
                    record.assessment_sha256,
                    int(record.overall["level"]),
                    float(record.overall["score"]),
                    None if record.gate_passed is None else int(record.gate_passed),
                    json.dumps(record.to_dict(), sort_keys=True),
                ),
            )
            return cur.rowcount == 1

    def latest(self, branch: str, *, exclude_sha256: str | None = None) -> HistoryRecord | None:
        with self._connect() as conn:
            row = conn.execute(
                "SELECT record FROM assessments WHERE branch = ? AND assessment_sha256 != ?"
                " ORDER BY id DESC LIMIT 1",
                (branch, exclude_sha256 or ""),
            ).fetchone()
        return _from_json(row[0]) if row else None

    def trend(self, branch: str | None = None, limit: int = 50) -> list[HistoryRecord]:
        query = "SELECT record FROM assessments"
        params: tuple[Any, ...] = ()
        if branch is not None:
            query += " WHERE branch = ?"
            params = (branch,)
        query += " ORDER BY id DESC LIMIT ?"
        with self._connect() as conn:
            rows = conn.execute(query, (*params, limit)).fetchall()
        return [_from_json(r[0]) for r in reversed(rows)]


def _from_json(text: str) -> HistoryRecord:
    data = json.loads(text)
    return HistoryRecord(**data)


# --------------------------------------------------------------------------- settings
@dataclass(frozen=True)
class HistorySettings:
    location: str  # a path, sqlite:///path, or a (not yet supported) postgresql:// URL
    default_branch: str
    baseline: bool  # use the history's latest default-branch assessment as the gate baseline


def history_settings(
    raw: Any, *, base: Path, cli_location: str | None = None, root: Path | None = None
) -> HistorySettings | None:
    """Read ``history:`` from the config (a path, or {path, default_branch, baseline})."""
    location: str | None = None
    default_branch = os.environ.get("CI_DEFAULT_BRANCH") or DEFAULT_BRANCH
    baseline = False
    if isinstance(raw, str):
        location = raw
    elif isinstance(raw, Mapping):
        unknown = sorted(set(raw) - {"path", "default_branch", "baseline"})
        if unknown:
            raise HistoryError(f"config: history.{unknown[0]}: unknown key")
        location = raw.get("path")
        if location is not None and not isinstance(location, str):
            raise HistoryError("config: history.path: must be a path or URL")
        branch = raw.get("default_branch", default_branch)
        if not isinstance(branch, str) or not branch:
            raise HistoryError("config: history.default_branch: must be a branch name")
        default_branch = branch
        baseline = raw.get("baseline", False)
        if not isinstance(baseline, bool):
            raise HistoryError("config: history.baseline: must be true or false")
    elif raw is not None:
        raise HistoryError("config: history: must be a path or a mapping with path")
    if cli_location:
        location = cli_location
    elif location and root is not None:
        location = _confined(location, base, root)
    if not location:
        return None
    if "://" not in location and not Path(location).is_absolute():
        location = str(base / location)
    return HistorySettings(location, default_branch, baseline)


def _confined(location: str, base: Path, root: Path) -> str:
    """A store named by the config (which the pull request controls) stays inside the
    repository: ``history: ../../x.sqlite`` must not make aima-ci create or write a file
    elsewhere. ``--history`` on the command line is the pipeline owner's choice and is free."""
    from aima_ci.safety.paths import PathError, resolve_inside

    if "://" in location and not location.startswith("sqlite:///"):
        return location  # a server URL (refused or served by open_history), not a file here
    path = location.removeprefix("sqlite:///")
    try:
        resolved = resolve_inside(base, path, root, must_exist=False)
    except PathError as exc:
        raise HistoryError(f"config: history: {exc}") from None
    if resolved.is_symlink() or (resolved.exists() and not resolved.is_file()):
        raise HistoryError(f"config: history: {path!r} is not a regular file")
    return str(resolved)


def open_history(location: str) -> HistoryStore:
    """A store for a path or URL; only SQLite exists today."""
    if location.startswith(("postgres://", "postgresql://")):
        raise HistoryError(
            "history: PostgreSQL is not supported yet; use a SQLite file path"
            " (the HistoryStore interface is ready for a backend)"
        )
    if location.startswith("sqlite:///"):
        return SQLiteHistory(Path(location.removeprefix("sqlite:///")).resolve())
    if "://" in location:
        raise HistoryError(f"history: unsupported URL scheme in {location.split('://')[0]!r}")
    return SQLiteHistory(Path(location).resolve())


def detect_branch(root: Path, environ: Mapping[str, str] | None = None) -> str | None:
    """The branch being assessed: CI variables first, then git; None on a detached HEAD."""
    env = os.environ if environ is None else environ
    for var in BRANCH_ENV:
        if env.get(var):
            return env[var]
    from aima_ci.safety.git import current_branch

    return current_branch(root)


# --------------------------------------------------------------------------- rendering
def trend_rows(records: Sequence[HistoryRecord]) -> list[dict[str, Any]]:
    return [r.to_dict() for r in records]


def domain_changes(records: Sequence[HistoryRecord]) -> list[str]:
    """From the first to the last record: which domains moved, and by how much."""
    if len(records) < 2:
        return []
    first = {d["id"]: d for d in records[0].domains}
    out = []
    for d in records[-1].domains:
        old = first.get(d["id"])
        if old is None:
            continue
        if d["level"] != old["level"] or abs(d["score"] - old["score"]) > 1e-9:
            out.append(
                f"{d['id']} level {old['level']} -> {d['level']},"
                f" score {old['score']:.2f} -> {d['score']:.2f} ({d['score'] - old['score']:+.2f})"
            )
    return out


def render_trend(records: Sequence[HistoryRecord], branch: str | None) -> str:
    where = f"branch {branch}" if branch else "all branches"
    if not records:
        return f"no assessments recorded for {where}\n"
    ids = [d["id"] for d in records[-1].domains]
    head = f"{'date':<10}  {'branch':<14} {'commit':<8} {'overall':<10}" + "".join(
        f" {i:>4}" for i in ids
    )
    lines = [f"AIMA history, {where}: {len(records)} assessment(s)", head]
    for r in records:
        levels = {d["id"]: d["level"] for d in r.domains}
        overall = f"{r.overall['level']} ({r.overall['score']:.2f})"
        gate = {True: "passed", False: "FAILED", None: ""}[r.gate_passed]
        lines.append(
            f"{r.date:<10}  {(r.branch or '-')[:14]:<14} {(r.commit or '-')[:7]:<8} {overall:<10}"
            + "".join(f" {levels.get(i, '-'):>4}" for i in ids)
            + f"  {gate}"
        )
    changes = domain_changes(records)
    if changes:
        lines.append("since the first shown: " + "; ".join(changes))
    return "\n".join(lines) + "\n"
