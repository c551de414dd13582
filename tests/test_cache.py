"""The result cache and --reuse: a hit only when nothing the result depends on has changed."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import pytest

from aima_ci.config import load_config
from aima_ci.evidence.cache import (
    CACHE_ENV,
    CacheStore,
    config_paths,
    input_key,
    tree_digest,
)
from aima_ci.evidence.collect import collect
from aima_ci.evidence.directory import (
    read_findings,
    read_json,
    verify_manifest,
    write_json,
    write_manifest,
)
from aima_ci.evidence.runner import Job
from aima_ci.models import EvidenceError
from aima_ci.plugin import Collector

COLLECTORS = {"testplugin": {}, "testwork": {"model": "model.bin", "rounds": 1}}


@pytest.fixture
def project(repo: Path, write_config) -> Path:
    (repo / "model.bin").write_bytes(b"weights v1")
    write_config({"collectors": COLLECTORS})
    return repo


def _cache(repo: Path) -> CacheStore:
    """A cache outside the checkout, as the default one is (inside it, it would be ignored)."""
    return CacheStore(repo.parent / "cache", repo)


def _run(repo: Path, out: str, **kwargs):
    config = load_config(cwd=repo)
    runs = collect(config, repo / out, **kwargs)
    return {r.name: r for r in runs}


def _findings(directory: Path) -> list[dict]:
    out = []
    for f in read_findings(directory):
        data = f.to_dict()
        out.append(data)
    return out


def test_unchanged_rerun_is_served_from_the_cache_with_identical_evidence(project: Path):
    cache = _cache(project)
    first = _run(project, "ev1", cache=cache)
    assert {r.status for r in first.values()} == {"ok"}
    run_id = read_json(project / "ev1/run.json")["run_id"]
    second = _run(project, "ev2", cache=cache)
    for name, run in second.items():
        assert run.status == "reused", name
        assert run.message.startswith(f"reused from run {run_id} (")
        assert run.reused_from["run_id"] == run_id and run.reused_from["via"] == "cache"
    assert _findings(project / "ev2") == _findings(project / "ev1")
    art = "artefacts/testwork/work.txt"
    assert (project / "ev2" / art).read_bytes() == (project / "ev1" / art).read_bytes()
    assert verify_manifest(project / "ev2") == []
    entry = next(
        c for c in read_json(project / "ev2/run.json")["collectors"] if c["name"] == "testwork"
    )
    assert entry["status"] == "reused" and entry["input_key"] == first["testwork"].input_key


def test_changing_an_input_file_or_the_config_runs_again(project: Path, write_config):
    cache = _cache(project)
    _run(project, "ev1", cache=cache)
    (project / "model.bin").write_bytes(b"weights v2")
    after_model = _run(project, "ev2", cache=cache)
    assert after_model["testwork"].status == "ok"
    assert after_model["testplugin"].status == "reused"  # its inputs did not change
    write_config({"collectors": {**COLLECTORS, "testplugin": {"behaviour": "fail"}}})
    after_config = _run(project, "ev3", cache=cache)
    assert after_config["testplugin"].status == "ok"
    assert after_config["testwork"].status == "reused"


def test_timeout_and_enabled_do_not_change_the_key(project: Path, write_config):
    cache = _cache(project)
    _run(project, "ev1", cache=cache)
    write_config({"collectors": {**COLLECTORS, "testplugin": {"timeout": 99, "enabled": True}}})
    assert _run(project, "ev2", cache=cache)["testplugin"].status == "reused"


def test_no_cache_means_every_collector_runs(project: Path):
    _run(project, "ev1", cache=_cache(project))
    again = _run(project, "ev2", cache=None)
    assert {r.status for r in again.values()} == {"ok"}


@pytest.mark.parametrize("behaviour", ["crash", "input_error", "partial"])
def test_errors_are_never_cached(project: Path, write_config, behaviour: str):
    write_config({"collectors": {"testplugin": {"behaviour": behaviour}}})
    cache = _cache(project)
    first = _run(project, "ev1", cache=cache)["testplugin"]
    assert first.status != "ok" or any(f.status == "error" for f in first.findings)
    second = _run(project, "ev2", cache=cache)["testplugin"]
    assert second.status != "reused"
    assert not (project.parent / "cache/v2/testplugin").exists()


def test_timeouts_are_never_cached(project: Path, write_config):
    write_config({"collectors": {"testplugin": {"behaviour": "hang", "timeout": 1}}})
    cache = _cache(project)
    assert _run(project, "ev1", cache=cache)["testplugin"].status == "timeout"
    assert not (project.parent / "cache/v2/testplugin").exists()


def test_a_tampered_cache_entry_is_not_served(project: Path):
    cache = _cache(project)
    _run(project, "ev1", cache=cache)
    (stored,) = (project.parent / "cache/v2/testwork").glob("*/files/artefacts/testwork/work.txt")
    stored.write_text("forged\n")
    again = _run(project, "ev2", cache=cache)
    assert again["testwork"].status == "ok"
    assert (project / "ev2/artefacts/testwork/work.txt").read_text() != "forged\n"


def test_expired_cached_results_run_again(project: Path):
    cache = _cache(project)
    _run(project, "ev1", cache=cache)
    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=8)  # testwork.result has a 7-day TTL
    again = _run(project, "ev2", cache=cache, now=later)
    assert again["testwork"].status == "ok" and again["testplugin"].status == "reused"


def test_cache_location_follows_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "elsewhere"))
    assert CacheStore.default(tmp_path / "repo").directory == tmp_path / "elsewhere"
    monkeypatch.delenv(CACHE_ENV)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert CacheStore.default(tmp_path / "repo").directory == tmp_path / "xdg/aima-ci/cache"


def test_pruning_keeps_the_most_recent_entries(project: Path, write_config):
    cache = _cache(project)
    for i in range(4):
        write_config({"collectors": {"testwork": {"rounds": i}}})
        _run(project, f"ev{i}", cache=cache)
    cache.prune("testwork", keep=2)
    assert len(list((project.parent / "cache/v2/testwork").iterdir())) == 2


# --------------------------------------------------------------------------- the key
def test_config_paths_finds_nested_files_inside_the_repository_only(repo: Path, tmp_path: Path):
    (repo / "data").mkdir()
    (repo / "data/train.csv").write_text("a\n")
    (tmp_path / "outside.csv").write_text("x\n")
    config = {
        "data": {"train": "data/train.csv", "extra": ["data"]},
        "outside": "../outside.csv",
        "url": "https://example.com/data/train.csv",
        "word": "pass",
        "n": 3,
    }
    assert config_paths(config, repo, repo) == [repo / "data", repo / "data/train.csv"]


def test_tree_digest_sees_content_but_not_dot_folders_or_excluded(repo: Path):
    (repo / "d").mkdir()
    (repo / "d/a.txt").write_text("1")
    (repo / "d/.hidden").write_text("x")
    (repo / "d/out").mkdir()
    before = tree_digest(repo / "d", [repo / "d/out"])
    (repo / "d/.hidden").write_text("y")
    (repo / "d/out/report.json").write_text("{}")
    assert tree_digest(repo / "d", [repo / "d/out"]) == before
    (repo / "d/a.txt").write_text("2")
    assert tree_digest(repo / "d", [repo / "d/out"]) != before


def test_a_collector_can_opt_out_of_caching(repo: Path):
    class Live(Collector):
        name = "live"
        cacheable = False

    class Files(Collector):
        name = "files"

    assert input_key(Job(Live, {}, 1), root=repo, config_dir=repo, evidence_dir=repo / "e") is None
    key = input_key(Job(Files, {}, 1), root=repo, config_dir=repo, evidence_dir=repo / "e")
    assert key is not None and len(key) == 64


def test_key_depends_on_the_part_of_a_split_list(repo: Path):
    class Split(Collector):
        name = "split"

    one = Job(Split, {"items": ["a"]}, 1, part={"index": 1, "count": 2, "items": ["a"]})
    two = Job(Split, {"items": ["a"]}, 1, part={"index": 2, "count": 2, "items": ["a"]})
    keys = {input_key(j, root=repo, config_dir=repo, evidence_dir=repo / "e") for j in (one, two)}
    assert len(keys) == 2


# --------------------------------------------------------------------------- --reuse
def test_reuse_takes_fresh_unchanged_results_from_a_nightly_run(project: Path):
    _run(project, "nightly")
    nightly_id = read_json(project / "nightly/run.json")["run_id"]
    pr = _run(project, "pr", reuse=[project / "nightly"])
    assert {r.status for r in pr.values()} == {"reused"}
    assert pr["testwork"].message.startswith(f"reused from run {nightly_id}")
    assert pr["testwork"].reused_from["via"] == "evidence"
    assert verify_manifest(project / "pr") == []
    # reusing the reuse still names the run that did the work
    again = _run(project, "pr2", reuse=[project / "pr"])
    assert again["testwork"].reused_from["run_id"] == nightly_id


def test_reuse_runs_what_changed_and_notes_why(project: Path):
    _run(project, "nightly")
    (project / "model.bin").write_bytes(b"weights v2")
    pr = _run(project, "pr", reuse=[project / "nightly"])
    assert pr["testwork"].status == "ok" and pr["testplugin"].status == "reused"


def test_reuse_skips_expired_evidence_with_a_note(project: Path):
    _run(project, "nightly")
    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=8)
    pr = _run(project, "pr", reuse=[project / "nightly"], now=later)
    assert pr["testwork"].status == "ok"
    notes = read_json(project / "pr/run.json")["reuse_notes"]
    assert any("testwork" in n and "time-to-live" in n for n in notes)


def test_reuse_never_takes_a_failed_run(project: Path, write_config):
    write_config({"collectors": {"testplugin": {"behaviour": "crash"}}})
    _run(project, "nightly")
    assert _run(project, "pr", reuse=[project / "nightly"])["testplugin"].status == "error"


def test_reuse_refuses_tampered_or_same_directory(project: Path):
    _run(project, "nightly")
    findings = project / "nightly/findings.jsonl"
    findings.write_text(findings.read_text().replace('"pass"', '"fail"'))
    with pytest.raises(EvidenceError, match="does not match its manifest"):
        _run(project, "pr", reuse=[project / "nightly"])
    with pytest.raises(EvidenceError, match="must differ"):
        _run(project, "nightly", reuse=[project / "nightly"])


def test_reuse_from_a_directory_with_an_edited_run_entry_is_refused(project: Path):
    _run(project, "nightly")
    info = read_json(project / "nightly/run.json")
    info["collectors"][0]["input_key"] = "0" * 64
    write_json(project / "nightly/run.json", info)  # manifest not updated
    with pytest.raises(EvidenceError):
        _run(project, "pr", reuse=[project / "nightly"])
    write_manifest(project / "nightly", [])  # re-hashed: now consistent, but the key differs
    pr = _run(project, "pr", reuse=[project / "nightly"])
    assert pr[info["collectors"][0]["name"]].status == "ok"


def test_cli_collect_uses_the_cache_unless_told_not_to(project: Path, cli):
    env = {"AIMA_CI_CACHE_DIR": str(project.parent / "cache")}
    assert cli("collect", "--out", "a", cwd=project, env=env).returncode == 0
    warm = cli("-q", "collect", "--out", "b", cwd=project, env=env)
    assert warm.returncode == 0 and "reused" in warm.stderr
    cold = cli("-q", "collect", "--out", "c", "--no-cache", cwd=project, env=env)
    statuses = {c["status"] for c in json.loads((project / "c/run.json").read_text())["collectors"]}
    assert cold.returncode == 0 and statuses == {"ok"}
    shutil.rmtree(project.parent / "cache")


def test_a_config_naming_an_endpoint_is_never_cached(repo: Path):
    class Scanner(Collector):
        name = "scanner"

    def key(config):
        return input_key(
            Job(Scanner, config, 1), root=repo, config_dir=repo, evidence_dir=repo / "e"
        )

    assert key({"target": "http://127.0.0.1:8080/api"}) is None
    assert key({"targets": [{"url": "grpc://model:9000"}]}) is None
    assert key({"note": "see the http:// docs"}) is not None  # prose, not an endpoint


def test_a_path_attribute_value_counts_by_its_file(repo: Path):
    (repo / "app.py").write_text("def reply(prompt): return prompt\n")
    assert config_paths({"function": "app.py:reply"}, repo, repo) == [repo / "app.py"]


def test_code_digest_covers_the_collectors_package_sources(tmp_path, monkeypatch):
    import importlib
    import sys as _sys

    from aima_ci.evidence.cache import _tree_source_digest, code_digest

    pkg = tmp_path / "fakepkg_codedigest"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "impl.py").write_text("class C:\n    pass\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    cls = importlib.import_module("fakepkg_codedigest.impl").C
    before = code_digest(cls)
    (pkg / "helper.py").write_text("X = 1\n")  # any source change in the package
    _tree_source_digest.cache_clear()
    after = code_digest(cls)
    assert before and after and before != after
    for name in ("fakepkg_codedigest.impl", "fakepkg_codedigest"):
        _sys.modules.pop(name, None)
