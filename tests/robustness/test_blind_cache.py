"""Class 2 of issue 12, the blind cache: a cached result is replayed only while everything the
collector really read is unchanged, and never after its entry was edited or damaged.

The end-to-end tests are the attacker's moves with the real CLI on a throwaway repository: run
once (the result is cached), then commit a file no config names (a malicious pickle into the
tree supply_chain walks, a CI workflow pipeline reads, a data-purpose.yaml privacy looks for),
or edit the cache entry itself, and run again. The property test damages a stored entry every
way rb_support knows and checks that a failing result never comes back as a pass.
"""

from __future__ import annotations

import json
import os
import pickle
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st
from rb_support import budget, damaged

from aima_ci.config import load_config
from aima_ci.evidence.cache import CacheStore
from aima_ci.evidence.collect import collect
from aima_ci.evidence.directory import read_findings


def _write_config(repo: Path, collectors: dict[str, Any]) -> None:
    data = {"target": {"level": 0}, "collectors": collectors}
    (repo / "aima.yaml").write_text(yaml.safe_dump(data, sort_keys=False))


def _statuses(repo: Path) -> dict[str, str]:
    lines = (repo / ".aima/findings.jsonl").read_text().splitlines()
    return {(f := json.loads(line))["check"]: f["status"] for line in lines if line.strip()}


def _runs(repo: Path) -> dict[str, str]:
    run = json.loads((repo / ".aima/run.json").read_text())
    return {c["name"]: c["status"] for c in run["collectors"]}


@pytest.fixture
def outside_cache(tmp_path: Path) -> dict[str, str]:
    """The cache where both the old and the new layout put it when told: outside the repo."""
    return {"AIMA_CI_CACHE_DIR": str(tmp_path / "cache")}


class _Exploit:
    def __reduce__(self) -> tuple[Any, ...]:
        return (os.system, ("echo pwned",))


def test_a_pickle_committed_after_a_cached_run_is_always_seen(repo: Path, cli, outside_cache):
    _write_config(repo, {"supply_chain": {}})
    first = cli("run", cwd=repo, env=outside_cache)
    assert first.returncode == 0, first.stdout + first.stderr
    assert _statuses(repo)["supply_chain.unsafe_serialisation"] == "not_applicable"
    (repo / "models").mkdir()
    (repo / "models/classifier.pkl").write_bytes(pickle.dumps(_Exploit()))
    second = cli("run", cwd=repo, env=outside_cache)
    assert _runs(repo)["supply_chain"] == "ok", "the cached 'no model files' was replayed"
    assert _statuses(repo)["supply_chain.unsafe_serialisation"] == "fail"
    assert "classifier.pkl" in (repo / ".aima/findings.jsonl").read_text()
    assert second.returncode in (0, 1)


def test_a_ci_workflow_added_after_a_cached_run_is_seen(repo: Path, cli, outside_cache):
    _write_config(repo, {"pipeline": {}})
    assert cli("run", cwd=repo, env=outside_cache).returncode in (0, 1)
    before = _statuses(repo)
    assert cli("run", cwd=repo, env=outside_cache).returncode in (0, 1)
    assert _runs(repo)["pipeline"] == "reused"  # nothing changed: the cache serves it
    workflows = repo / ".github/workflows"
    workflows.mkdir(parents=True)
    (workflows / "ci.yml").write_text(
        "on: [pull_request]\njobs:\n  gate:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - uses: actions/checkout@v4\n      - run: aima-ci run\n"
    )
    assert cli("run", cwd=repo, env=outside_cache).returncode in (0, 1)
    assert _runs(repo)["pipeline"] == "ok"
    assert _statuses(repo) != before


def test_a_purpose_file_added_after_a_cached_run_is_seen(repo: Path, cli, outside_cache):
    (repo / "data.csv").write_text("age,income\n31,100\n42,200\n")
    _write_config(repo, {"privacy": {"data": "data.csv"}})
    assert cli("run", cwd=repo, env=outside_cache).returncode in (0, 1)
    assert _statuses(repo)["privacy.purpose_declared"] == "fail"
    (repo / "data-purpose.yaml").write_text(
        yaml.safe_dump(
            {
                "description": "credit scoring",
                "needed_columns": ["age", "income"],
                "personal_data": ["age"],
            }
        )
    )
    assert cli("run", cwd=repo, env=outside_cache).returncode in (0, 1)
    assert _runs(repo)["privacy"] == "ok"
    assert _statuses(repo)["privacy.purpose_declared"] != "fail"


def _entries(cache_dir: Path, collector: str) -> list[Path]:
    return sorted(cache_dir.glob(f"*/{collector}/*/entry.json"))


def test_an_entry_edited_from_fail_to_pass_is_never_replayed(repo: Path, cli, outside_cache):
    _write_config(repo, {"testplugin": {"behaviour": "fail"}})
    assert cli("run", cwd=repo, env=outside_cache).returncode in (0, 1)
    (entry,) = _entries(Path(outside_cache["AIMA_CI_CACHE_DIR"]), "testplugin")
    entry.write_text(entry.read_text().replace('"status":"fail"', '"status":"pass"'))
    res = cli("run", cwd=repo, env=outside_cache)
    assert _runs(repo)["testplugin"] == "ok", res.stderr
    assert set(_statuses(repo).values()) == {"fail"}
    assert "edited or damaged" in json.dumps(json.loads((repo / ".aima/run.json").read_text()))


def test_a_cache_inside_the_checkout_is_ignored_with_a_note(repo: Path, cli):
    inside = {"AIMA_CI_CACHE_DIR": str(repo / ".aima-cache")}
    _write_config(repo, {"testplugin": {}})
    assert cli("run", cwd=repo, env=inside).returncode == 0
    again = cli("run", cwd=repo, env=inside)
    assert again.returncode == 0
    assert _runs(repo)["testplugin"] == "ok", "a cache the pull request controls was used"
    assert "inside the checkout and is ignored" in again.stderr


def test_the_default_cache_lives_outside_the_checkout(repo: Path, cli, tmp_path: Path):
    _write_config(repo, {"testplugin": {}})
    env = {"XDG_CACHE_HOME": str(tmp_path / "xdg"), "AIMA_CI_CACHE_DIR": ""}
    assert cli("run", cwd=repo, env=env).returncode == 0
    assert cli("run", cwd=repo, env=env).returncode == 0
    assert _runs(repo)["testplugin"] == "reused"
    assert not (repo / ".aima-cache").exists()
    assert _entries(tmp_path / "xdg/aima-ci/cache", "testplugin")


# --------------------------------------------------------------------------- property
@pytest.fixture(scope="module")
def cached_failure(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """One repository whose failing testplugin result sits in the cache, and its pristine entry."""
    base = tmp_path_factory.mktemp("cached")
    repo = base / "repo"
    (repo / ".git").mkdir(parents=True)
    _write_config(repo, {"testplugin": {"behaviour": "fail"}})
    store = CacheStore(base / "cache")
    collect(load_config(cwd=repo), repo / "first", cache=store)
    (entry,) = _entries(base / "cache", "testplugin")
    pristine = base / "pristine"
    shutil.copytree(entry.parent, pristine)
    return {
        "repo": repo,
        "store": store,
        "entry": entry,
        "raw": entry.read_bytes(),
        "pristine": pristine,
    }


def _json_edits() -> st.SearchStrategy[Any]:
    return st.sampled_from(
        [
            ("status", "pass"),
            ("status", "waived"),
            ("value", 0.99),
            ("message", "alpha holds"),
            ("mac", "0" * 64),
            ("reads", {"files": {}, "listings": {}, "probes": {}, "spawned": False}),
            ("run", {"status": "ok"}),
        ]
    )


@budget(20)
@given(data=st.data())
def test_a_damaged_or_edited_entry_is_never_replayed_as_a_pass(
    cached_failure: dict[str, Any], tmp_path_factory: pytest.TempPathFactory, data: st.DataObject
):
    entry: Path = cached_failure["entry"]
    raw: bytes = cached_failure["raw"]
    if data.draw(st.booleans(), label="json edit"):
        doc = json.loads(raw)
        field, value = data.draw(_json_edits(), label="edit")
        if field in ("status", "value", "message"):
            for finding in doc["findings"]:
                finding[field] = value
        else:
            doc[field] = value
        entry.write_text(json.dumps(doc, sort_keys=True, separators=(",", ":")))
    else:
        entry.write_bytes(data.draw(damaged(raw), label="bytes"))
    try:
        out = tmp_path_factory.mktemp("again") / "ev"
        repo: Path = cached_failure["repo"]
        runs = collect(load_config(cwd=repo), out, cache=cached_failure["store"])
        statuses = {str(f.status) for f in read_findings(out)}
        assert "pass" not in statuses and "waived" not in statuses, statuses
        assert {r.status for r in runs} <= {"ok", "reused"}
        if runs[0].status == "reused" and entry.read_bytes() != raw:
            # Only a change that leaves the entry's meaning intact (whitespace around the JSON,
            # which the MAC over the parsed content rightly ignores) may be replayed.
            try:
                same = json.loads(entry.read_bytes()) == json.loads(raw)
            except ValueError:
                same = False
            if not same:
                pytest.fail("an entry whose content changed was replayed")
    finally:
        shutil.rmtree(entry.parent, ignore_errors=True)
        shutil.copytree(cached_failure["pristine"], entry.parent)
