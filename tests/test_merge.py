"""Merging shard evidence: same verdict as one big run, and nothing ambiguous or unsafe gets in."""

from __future__ import annotations

import io
import json
import shutil
import tarfile
import zipfile
from pathlib import Path

import pytest

from aima_ci.assess.assessment import assess
from aima_ci.config import load_config
from aima_ci.evidence.collect import collect
from aima_ci.evidence.directory import (
    read_findings,
    read_json,
    verify_manifest,
    write_json,
    write_manifest,
)
from aima_ci.evidence.shard import ShardSpec
from aima_ci.trust.merge import MergeError, merge

CONFIG = {
    "target": {"level": 1},
    "required_collectors": ["testsplit"],
    "collectors": {
        "testplugin": {},
        "testwork": {"model": "model.bin"},
        "testwork2": {"verdict": "fail"},
        "testsplit": {"items": ["a", "b", "bad-c", "d", "e"]},
        "testplugin_missing": {},
    },
}


@pytest.fixture(scope="module")
def shards(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One unsharded run and a 3-shard run of the same config and repository."""
    root = tmp_path_factory.mktemp("merge") / "repo"
    (root / ".git").mkdir(parents=True)
    (root / "model.bin").write_bytes(b"weights")
    (root / "aima.yaml").write_text(json.dumps(CONFIG))
    config = load_config(cwd=root)
    collect(config, root / "whole")
    for i in (1, 2, 3):
        collect(config, root / f"shard{i}", shard=ShardSpec(i, 3))
    return root


@pytest.fixture
def work(shards: Path, tmp_path: Path) -> Path:
    """A private copy, so tests may tamper freely."""
    root = tmp_path / "repo"
    shutil.copytree(shards, root)
    return root


def _verdict(assessment: dict) -> dict:
    return {
        "overall": assessment["overall"],
        "domains": assessment["domains"],
        "passed": assessment["gate"]["passed"],
        "failures": sorted(f["id"] for f in assessment["gate"]["failures"]),
        "findings": assessment["findings"],
    }


def test_merged_shards_score_exactly_like_the_unsharded_run(work: Path):
    config = load_config(cwd=work)
    plan = merge([work / f"shard{i}" for i in (1, 2, 3)], work / "merged")
    assert verify_manifest(work / "merged") == []
    whole = assess(config, work / "whole")
    merged = assess(config, work / "merged")
    for a in (whole, merged):  # messages name the run; everything that decides must match
        for q in (
            q
            for d in a["domains"]
            for p in d["practices"]
            for s in p["streams"]
            for q in s["questions"]
        ):
            for c in q["checks"]:
                c.pop("message")
    assert _verdict(merged) == _verdict(whole)
    assert not whole["gate"]["passed"]  # the comparison is not between two empty results
    names = [c["name"] for c in plan.collectors]
    assert names == sorted(CONFIG["collectors"])
    split = next(c for c in plan.collectors if c["name"] == "testsplit")
    assert [p["items"] for p in split["parts"]] == [["a", "d"], ["b", "e"], ["bad-c"]]
    assert split["findings"] == 5 and split["status"] == "ok"
    run = read_json(work / "merged" / "run.json")
    assert [m["shard"]["index"] for m in run["merged_from"]] == [1, 2, 3]
    assert sorted(p.name for p in (work / "merged/artefacts/testsplit").iterdir()) == [
        "part-1-of-3",
        "part-2-of-3",
        "part-3-of-3",
    ]


def test_inputs_in_any_order_give_the_same_findings(work: Path):
    merge([work / f"shard{i}" for i in (3, 1, 2)], work / "m1")
    merge([work / f"shard{i}" for i in (1, 2, 3)], work / "m2")
    assert (work / "m1/findings.jsonl").read_bytes() == (work / "m2/findings.jsonl").read_bytes()


def test_missing_shard_is_refused_unless_partial_is_allowed(work: Path):
    with pytest.raises(MergeError, match="shard\\(s\\) 3/3 missing"):
        merge([work / "shard1", work / "shard2"], work / "m")
    merge([work / "shard1", work / "shard2"], work / "m", allow_partial=True)
    assert "testplugin" in {f.collector for f in read_findings(work / "m")}


def test_the_same_shard_twice_is_harmless(work: Path):
    merge([work / "shard1", work / "shard1", work / "shard2", work / "shard3"], work / "m")
    assert len(read_findings(work / "m")) == len(read_findings(work / "whole"))


def test_one_collector_with_two_different_results_is_a_conflict(work: Path):
    with pytest.raises(MergeError, match="different results"):
        merge([work / "whole", work / "shard1", work / "shard2", work / "shard3"], work / "m")


def _rewrite_run(directory: Path, **changes: object) -> None:
    info = read_json(directory / "run.json")
    info.update(changes)
    write_json(directory / "run.json", info)
    write_manifest(directory, read_json(directory / "manifest.json")["subjects"])


def test_shards_of_different_runs_or_counts_are_refused(work: Path):
    _rewrite_run(work / "shard3", shard={"index": 3, "count": 4})
    with pytest.raises(MergeError, match="different shard counts"):
        merge([work / f"shard{i}" for i in (1, 2, 3)], work / "m")
    _rewrite_run(work / "shard3", shard={"index": 3, "count": 3}, git_commit="f" * 40)
    _rewrite_run(work / "shard2", git_commit="e" * 40)
    with pytest.raises(MergeError, match="different git commits"):
        merge([work / f"shard{i}" for i in (1, 2, 3)], work / "m")


def test_different_configs_are_refused(work: Path):
    _rewrite_run(work / "shard2", config_sha256="0" * 64)
    with pytest.raises(MergeError, match="different configs"):
        merge([work / f"shard{i}" for i in (1, 2, 3)], work / "m")


def test_an_input_that_fails_its_manifest_is_refused(work: Path):
    with open(work / "shard2/findings.jsonl", "a") as fh:
        fh.write("\n")
    with pytest.raises(MergeError, match="shard2: does not match its manifest"):
        merge([work / f"shard{i}" for i in (1, 2, 3)], work / "m")
    assert not (work / "m").exists()


def test_same_artefact_path_with_different_content_is_a_conflict(work: Path):
    extra = work / "shard1/artefacts/shared.txt"
    extra.write_text("one")
    write_manifest(work / "shard1", [])
    (work / "shard2/artefacts/shared.txt").write_text("two")
    write_manifest(work / "shard2", [])
    with pytest.raises(MergeError, match=r"artefacts/shared\.txt differs"):
        merge([work / f"shard{i}" for i in (1, 2, 3)], work / "m")


def test_findings_of_an_unlisted_collector_are_refused(work: Path):
    info = read_json(work / "shard1/run.json")
    info["collectors"] = info["collectors"][1:]
    write_json(work / "shard1/run.json", info)
    write_manifest(work / "shard1", [])
    with pytest.raises(MergeError, match="has no entry"):
        merge([work / f"shard{i}" for i in (1, 2, 3)], work / "m")


def test_output_must_be_new_and_not_an_input(work: Path):
    with pytest.raises(MergeError, match="one of the inputs"):
        merge([work / "shard1"], work / "shard1", allow_partial=True)
    (work / "busy").mkdir()
    (work / "busy/keep.txt").write_text("x")
    with pytest.raises(MergeError, match="not empty"):
        merge([work / "shard1"], work / "busy", allow_partial=True)


def test_symlinked_input_is_refused(work: Path):
    (work / "link").symlink_to(work / "shard1")
    with pytest.raises(MergeError, match="symlink"):
        merge([work / "link"], work / "m", allow_partial=True)


# --------------------------------------------------------------------------- bundles
def _tar(path: Path, source: Path, arcname: str) -> Path:
    with tarfile.open(path, "w:gz") as tf:
        tf.add(source, arcname=arcname)
    return path


def _zip(path: Path, source: Path) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        for f in sorted(source.rglob("*")):
            if f.is_file():
                zf.write(f, f.relative_to(source).as_posix())
    return path


def test_tar_and_zip_bundles_merge_like_directories(work: Path):
    a = _tar(work / "s1.tar.gz", work / "shard1", "shard1")
    b = _zip(work / "s2.zip", work / "shard2")
    merge([a, b, work / "shard3"], work / "m")
    merge([work / f"shard{i}" for i in (1, 2, 3)], work / "d")
    assert (work / "m/findings.jsonl").read_bytes() == (work / "d/findings.jsonl").read_bytes()


def _evil_tar(path: Path, member: tarfile.TarInfo, data: bytes = b"") -> Path:
    with tarfile.open(path, "w:gz") as tf:
        tf.add(Path(__file__), arcname="run.json")  # a plausible-looking top level
        tf.addfile(member, io.BytesIO(data) if data else None)
    return path


@pytest.mark.parametrize(
    ("name", "kind", "message"),
    [
        ("../escape.txt", tarfile.REGTYPE, "escapes"),
        ("/tmp/aima-absolute.txt", tarfile.REGTYPE, "escapes"),
        ("artefacts/../../escape.txt", tarfile.REGTYPE, "escapes"),
        ("artefacts/link", tarfile.SYMTYPE, "is a link"),
        ("artefacts/hard", tarfile.LNKTYPE, "is a link"),
        ("artefacts/fifo", tarfile.FIFOTYPE, "not a regular file"),
    ],
)
def test_tar_entries_that_escape_or_are_not_plain_files_are_refused(
    work: Path, name: str, kind: bytes, message: str
):
    member = tarfile.TarInfo(name)
    member.type = kind
    data = b""
    if kind == tarfile.REGTYPE:
        data = b"pwned"
        member.size = len(data)
    else:
        member.linkname = "/etc/passwd"
    bundle = _evil_tar(work / "evil.tar.gz", member, data)
    with pytest.raises(MergeError, match=message):
        merge([bundle], work / "m", allow_partial=True)
    assert not (work / "escape.txt").exists() and not (work.parent / "escape.txt").exists()
    assert not Path("/tmp/aima-absolute.txt").exists()
    assert not (work / "m").exists()


@pytest.mark.parametrize("name", ["../escape.txt", "/abs.txt", "a/../../escape.txt", "a\\..\\b"])
def test_zip_entries_that_escape_are_refused(work: Path, name: str):
    bundle = work / "evil.zip"
    with zipfile.ZipFile(bundle, "w") as zf:
        zf.writestr("run.json", "{}")
        zf.writestr(name, "pwned")
    with pytest.raises(MergeError, match=r"escapes|backslash"):
        merge([bundle], work / "m", allow_partial=True)
    assert not (work.parent / "escape.txt").exists()


def test_zip_symlink_entry_is_refused(work: Path):
    bundle = work / "link.zip"
    with zipfile.ZipFile(bundle, "w") as zf:
        info = zipfile.ZipInfo("artefacts/link")
        info.external_attr = 0o120777 << 16
        zf.writestr(info, "/etc/passwd")
    with pytest.raises(MergeError, match="symlink"):
        merge([bundle], work / "m", allow_partial=True)


def test_archive_without_evidence_at_the_top_is_refused(work: Path):
    bundle = work / "empty.zip"
    with zipfile.ZipFile(bundle, "w") as zf:
        zf.writestr("a/b/run.json", "{}")
    with pytest.raises(MergeError, match=r"no run\.json"):
        merge([bundle], work / "m", allow_partial=True)


def test_merge_cli_exit_codes(work: Path, cli):
    ok = cli("merge", "shard1", "shard2", "shard3", "--out", "m", cwd=work)
    assert ok.returncode == 0, ok.stderr
    assert "3 input(s)" in ok.stdout
    clash = cli("merge", "whole", "shard1", "--out", "m2", "--allow-partial", cwd=work)
    assert clash.returncode == 2 and "different results" in clash.stderr
