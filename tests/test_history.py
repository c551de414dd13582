"""The history store (real SQLite): append, latest per branch, trend, settings and the command."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from aima_ci.trust.history import (
    HistoryError,
    SQLiteHistory,
    detect_branch,
    domain_changes,
    history_settings,
    open_history,
    record_from_assessment,
    render_trend,
)


def assessment(levels: dict[str, int], passed: bool = True, date: str = "2026-03-01") -> dict:
    return {
        "date": date,
        "overall": {
            "score": sum(levels.values()) / 8,
            "level": min(levels.values()),
            "plus": False,
        },
        "domains": [
            {
                "id": did,
                "name": did.title(),
                "score": float(level),
                "level": level,
                "plus": False,
                "practices": [
                    {
                        "id": f"{did}-P{i}",
                        "name": "p",
                        "score": float(level),
                        "level": level,
                        "plus": False,
                    }
                    for i in range(3)
                ],
            }
            for did, level in levels.items()
        ],
        "gate": {"passed": passed, "target": {"level": 1}},
    }


LEVELS = {d: 1 for d in ("RAI", "GOV", "DAT", "PRV", "DES", "IMP", "VER", "OPS")}


def record(levels=LEVELS, sha="a", branch="main", commit="c1", **kw):
    return record_from_assessment(
        assessment(levels, **kw), assessment_sha256=sha, branch=branch, commit=commit
    )


@pytest.fixture
def store(tmp_path: Path) -> SQLiteHistory:
    return SQLiteHistory(tmp_path / "h/history.sqlite")


def test_append_latest_and_trend(store: SQLiteHistory):
    assert store.latest("main") is None
    assert store.append(record(sha="a"))
    assert store.append(record({**LEVELS, "VER": 2}, sha="b", commit="c2"))
    assert store.append(record(sha="c", branch="feature", commit="c3"))
    latest = store.latest("main")
    assert latest.assessment_sha256 == "b"
    assert latest.as_baseline()["domains"][6]["practices"][0] == {
        "id": "VER-P0",
        "name": "p",
        "score": 2.0,
        "level": 2,
        "plus": False,
    }
    assert [r.assessment_sha256 for r in store.trend("main")] == ["a", "b"]
    assert [r.assessment_sha256 for r in store.trend(None)] == ["a", "b", "c"]
    assert [r.assessment_sha256 for r in store.trend(None, limit=2)] == ["b", "c"]
    assert store.latest("main", exclude_sha256="b").assessment_sha256 == "a"


def test_the_same_assessment_of_the_same_commit_is_stored_once(store: SQLiteHistory):
    assert store.append(record(sha="a"))
    assert not store.append(record(sha="a"))
    assert store.append(record(sha="a", commit="c2"))  # same result, another commit: kept
    assert store.append(record(sha="a", branch=None, commit=None))
    assert not store.append(record(sha="a", branch=None, commit=None))
    assert len(store.trend(None)) == 3


def test_a_store_from_a_newer_schema_is_refused(store: SQLiteHistory):
    store.append(record())
    with sqlite3.connect(store.path) as conn:
        conn.execute("UPDATE meta SET value = '99' WHERE key = 'schema'")
    with pytest.raises(HistoryError, match="schema version 99"):
        store.latest("main")


def test_a_file_that_is_not_sqlite_is_a_clear_error(tmp_path: Path):
    path = tmp_path / "history.sqlite"
    path.write_bytes(b"this is not a database" * 100)
    with pytest.raises(HistoryError, match="history"):
        SQLiteHistory(path).trend()


def test_open_history_locations(tmp_path: Path):
    assert isinstance(open_history(str(tmp_path / "x.sqlite")), SQLiteHistory)
    assert open_history(f"sqlite:///{tmp_path}/y.sqlite").path == tmp_path / "y.sqlite"
    with pytest.raises(HistoryError, match="PostgreSQL is not supported yet"):
        open_history("postgresql://ci@db/aima")
    with pytest.raises(HistoryError, match="unsupported URL scheme"):
        open_history("mysql://db/aima")


def test_settings_from_config_and_command_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("CI_DEFAULT_BRANCH", raising=False)
    assert history_settings(None, base=tmp_path) is None
    plain = history_settings(".aima-history.sqlite", base=tmp_path)
    assert plain.location == str(tmp_path / ".aima-history.sqlite")
    assert plain.default_branch == "main" and plain.baseline is False
    full = history_settings(
        {"path": "h.sqlite", "default_branch": "trunk", "baseline": True}, base=tmp_path
    )
    assert (full.default_branch, full.baseline) == ("trunk", True)
    assert history_settings(None, base=tmp_path, cli_location="/abs/h.sqlite").location == (
        "/abs/h.sqlite"
    )
    monkeypatch.setenv("CI_DEFAULT_BRANCH", "develop")
    assert history_settings("h.sqlite", base=tmp_path).default_branch == "develop"
    for bad in ({"paht": "x"}, {"path": 3}, {"path": "x", "baseline": "yes"}, 5):
        with pytest.raises(HistoryError):
            history_settings(bad, base=tmp_path)


def test_detect_branch_prefers_ci_variables(tmp_path: Path):
    assert detect_branch(tmp_path, {"GITHUB_HEAD_REF": "feat", "GITHUB_REF_NAME": "1/merge"}) == (
        "feat"
    )
    assert detect_branch(tmp_path, {"GITHUB_HEAD_REF": "", "GITHUB_REF_NAME": "main"}) == "main"
    assert detect_branch(tmp_path, {"CI_COMMIT_REF_NAME": "mr"}) == "mr"
    assert detect_branch(tmp_path, {}) is None  # not a git repository


def test_trend_text_shows_domains_and_what_moved():
    old = record(sha="a", date="2026-01-01")
    new = record({**LEVELS, "VER": 2, "OPS": 0}, sha="b", passed=False, date="2026-02-01")
    text = render_trend([old, new], "main")
    lines = text.splitlines()
    assert lines[0] == "AIMA history, branch main: 2 assessment(s)"
    assert "RAI" in lines[1] and "OPS" in lines[1]
    assert "FAILED" in lines[3] and "passed" in lines[2]
    assert domain_changes([old, new]) == [
        "VER level 1 -> 2, score 1.00 -> 2.00 (+1.00)",
        "OPS level 1 -> 0, score 1.00 -> 0.00 (-1.00)",
    ]
    assert render_trend([], "main") == "no assessments recorded for branch main\n"


# --------------------------------------------------------------------------- the command
def test_scoring_appends_and_history_shows_the_trend(repo: Path, write_config, cli):
    write_config({"history": "history.sqlite", "collectors": {"testplugin": {}}})
    env = {"AIMA_CI_BRANCH": "main", "CI_DEFAULT_BRANCH": "main"}
    assert cli("collect", "--no-cache", cwd=repo).returncode == 0
    assert cli("score", cwd=repo, env=env).returncode == 0
    write_config({"history": "history.sqlite", "collectors": {"testplugin": {"behaviour": "fail"}}})
    assert cli("collect", "--no-cache", cwd=repo).returncode == 0
    assert cli("score", cwd=repo, env=env).returncode == 0
    shown = cli("history", cwd=repo, env=env)
    assert shown.returncode == 0, shown.stderr
    assert "branch main: 2 assessment(s)" in shown.stdout
    as_json = json.loads(cli("history", "-f", "json", cwd=repo, env=env).stdout)
    assert [e["branch"] for e in as_json["entries"]] == ["main", "main"]
    assert len({e["assessment_sha256"] for e in as_json["entries"]}) == 2
    other = json.loads(cli("history", "-f", "json", "--branch", "dev", cwd=repo).stdout)
    assert other["entries"] == []


def test_history_without_a_store_is_a_usage_error(repo: Path, write_config, cli):
    write_config({"collectors": {}})
    done = cli("history", cwd=repo)
    assert done.returncode == 2 and "no history store" in done.stderr
    write_config({"collectors": {}, "history": "postgresql://db/aima"})
    done = cli("history", cwd=repo)
    assert done.returncode == 2 and "PostgreSQL" in done.stderr


def test_the_gate_loads_neither_sqlite_nor_cryptography_without_a_history(
    repo: Path, write_config, cli, loaded_modules
):
    write_config({"collectors": {"testplugin": {}}})
    assert cli("run", "--no-cache", cwd=repo).returncode in (0, 1)
    _, modules = loaded_modules("gate", repo)
    assert (
        sorted(
            m
            for m in modules
            if m.split(".")[0] in {"sqlite3", "cryptography", "tarfile", "zipfile"}
        )
        == []
    )
