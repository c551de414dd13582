"""Damaged or hostile evidence bundles (.tar.gz/.zip) merge exactly or fail with MergeError.

tests/test_merge.py covers the merge rules and the classic escapes (``..``, absolute names,
symlinks, hard links, devices). This file adds what damage in transit and hostile authors do to
the archive itself: random byte damage of a real bundle, entries that appear twice (the second
would overwrite the first after it was checked), a file that is also a folder, bad CRCs, cut
streams, encrypted or exotic compression, names the filesystem refuses. Before the fix each of
those escaped as an exception from zipfile/tarfile (exit 3).

The property: a merge either raises MergeError (exit 2, naming the bundle) or produces evidence
that matches its manifest and holds exactly the intact merge's findings: damage never changes a
result silently.
"""

from __future__ import annotations

import io
import json
import shutil
import tarfile
import warnings
import zipfile
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from rb_support import budget, damaged, make_repo, mutated_json, run_cli

from aima_ci.config import load_config
from aima_ci.errors import EvidenceError
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
    "collectors": {
        "testplugin": {"behaviour": "fail"},
        "testsplit": {"items": ["a", "bad-b", "c", "d"]},
    }
}


@pytest.fixture(scope="module")
def shards(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = make_repo(tmp_path_factory.mktemp("bundles"))
    (root / "aima.yaml").write_text(json.dumps(CONFIG))
    config = load_config(cwd=root)
    for i in (1, 2):
        collect(config, root / f"shard{i}", shard=ShardSpec(i, 2))
    with tarfile.open(root / "shard1.tar.gz", "w:gz") as tf:
        tf.add(root / "shard1", arcname="shard1")
    with zipfile.ZipFile(root / "shard1.zip", "w", zipfile.ZIP_DEFLATED) as zf:
        for path in sorted((root / "shard1").rglob("*")):
            if path.is_file():
                zf.write(path, path.relative_to(root / "shard1").as_posix())
    return root


def canonical(directory: Path) -> list[str]:
    return sorted(json.dumps(f.to_dict(), sort_keys=True) for f in read_findings(directory))


@pytest.fixture(scope="module")
def intact(shards: Path, tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    out = tmp_path_factory.mktemp("merged") / "out"
    merge([shards / "shard1.tar.gz", shards / "shard2"], out)
    merged = canonical(out)
    other = tmp_path_factory.mktemp("merged-zip") / "out"
    merge([shards / "shard1.zip", shards / "shard2"], other)
    assert canonical(other) == merged and verify_manifest(out) == []
    return merged


def merge_or_refuse(inputs: list[Path], out: Path, intact: list[str]) -> str:
    try:
        merge(inputs, out)
    except MergeError as exc:
        return str(exc)
    assert verify_manifest(out) == []
    assert canonical(out) == intact, "a damaged bundle changed the merged findings"
    return ""


@pytest.mark.parametrize("suffix", ["tar.gz", "zip"])
@budget(80)
@given(data=st.data())
def test_damaged_bundle_merges_exactly_or_is_refused(tmp_path, shards, intact, suffix, data):
    raw = data.draw(damaged((shards / f"shard1.{suffix}").read_bytes()))
    bundle = tmp_path / f"damaged.{suffix}"
    bundle.write_bytes(raw)
    out = tmp_path / "out"
    shutil.rmtree(out, ignore_errors=True)
    message = merge_or_refuse([bundle, shards / "shard2"], out, intact)
    if message:  # named by the bundle, never by the scratch folder it was unpacked into
        assert message.startswith(str(bundle)) or message.startswith(bundle.name), message
        assert "aima-merge-" not in message, message


@budget(60)
@given(data=st.data())
def test_a_producer_bug_in_run_json_is_refused_not_a_crash(tmp_path, shards, data):
    """run.json damaged *and* re-hashed into the manifest (a buggy or hostile producer): the
    merge rules still meet it, and must answer with MergeError, not KeyError/ValueError."""
    shard = tmp_path / "shard1"
    shutil.rmtree(shard, ignore_errors=True)
    shutil.copytree(shards / "shard1", shard)
    write_json(shard / "run.json", data.draw(mutated_json(read_json(shard / "run.json"))))
    write_manifest(shard, read_json(shard / "manifest.json")["subjects"])
    out = tmp_path / "out"
    shutil.rmtree(out, ignore_errors=True)
    try:
        merge([shard, shards / "shard2"], out)
    except EvidenceError:
        pass
    else:
        assert verify_manifest(out) == []


# --------------------------------------------------------------------------- hostile archives
def _zip(path: Path, entries: list[tuple[str, bytes]], method: int = zipfile.ZIP_STORED) -> Path:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns about duplicate names: that is the point
        with zipfile.ZipFile(path, "w", method) as zf:
            for name, data in entries:
                zf.writestr(name, data)
    return path


def _tar(path: Path, entries: list[tuple[str, bytes | None]]) -> Path:
    with tarfile.open(path, "w:gz") as tf:
        for name, data in entries:
            info = tarfile.TarInfo(name)
            if data is None:
                info.type = tarfile.DIRTYPE
                tf.addfile(info)
            else:
                info.size = len(data)
                tf.addfile(info, io.BytesIO(data))
    return path


def _patched(path: Path, edit) -> Path:  # type: ignore[no-untyped-def]
    data = bytearray(path.read_bytes())
    edit(data)
    path.write_bytes(bytes(data))
    return path


def _hostile(kind: str, tmp: Path, shards: Path) -> Path:
    run = (shards / "shard1" / "run.json").read_bytes()
    if kind == "zip-duplicate":
        return _zip(tmp / "b.zip", [("run.json", run), ("run.json", b'{"collectors": []}')])
    if kind == "tar-duplicate":
        return _tar(tmp / "b.tar.gz", [("run.json", run), ("run.json", b"{}")])
    if kind == "tar-dir-then-file":
        return _tar(tmp / "b.tar.gz", [("artefacts", None), ("artefacts", b"x")])
    if kind == "zip-file-then-child":
        return _zip(tmp / "b.zip", [("artefacts", b"x"), ("artefacts/y", b"y")])
    if kind == "zip-long-name":
        return _zip(tmp / "b.zip", [("a" * 300, b"x")])
    if kind == "zip-bad-crc":

        def flip(b: bytearray) -> None:
            b[b.find(b'"collectors"')] ^= 1

        return _patched(_zip(tmp / "b.zip", [("run.json", run)]), flip)
    if kind == "zip-encrypted":

        def encrypt(b: bytearray) -> None:
            b[6] |= 1
            b[b.find(b"PK\x01\x02") + 8] |= 1

        return _patched(_zip(tmp / "b.zip", [("run.json", run)]), encrypt)
    if kind == "zip-unknown-method":

        def method(b: bytearray) -> None:
            b[8] = 99
            b[b.find(b"PK\x01\x02") + 10] = 99

        return _patched(_zip(tmp / "b.zip", [("run.json", run)]), method)
    if kind == "tar-cut":
        whole = _tar(tmp / "w.tar.gz", [("run.json", run * 50)])
        (tmp / "b.tar.gz").write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])
        return tmp / "b.tar.gz"
    raise AssertionError(kind)


HOSTILE = {
    "zip-duplicate": "entry 'run.json' appears twice",
    "tar-duplicate": "entry 'run.json' appears twice",
    "tar-dir-then-file": "entry 'artefacts' appears twice",
    "zip-file-then-child": "cannot be unpacked (FileExistsError",
    "zip-long-name": "cannot be unpacked (OSError: [Errno 36] File name too long",
    "zip-bad-crc": "cannot be unpacked (BadZipFile: Bad CRC-32 for file 'run.json')",
    "zip-encrypted": "cannot be unpacked (RuntimeError",
    "zip-unknown-method": "cannot be unpacked (NotImplementedError",
    "tar-cut": "cannot be unpacked (EOFError",
}


def test_a_damaged_file_inside_a_bundle_is_named_by_the_bundle(tmp_path, shards):
    """A manifest.json that is not JSON inside a bundle: the error named the scratch folder
    (/tmp/aima-merge-.../in-.../manifest.json) instead of the bundle."""
    bundle = _zip(
        tmp_path / "b.zip",
        [
            ("run.json", (shards / "shard1" / "run.json").read_bytes()),
            ("manifest.json", b'{"files": [\n\t\x01'),
        ],
    )
    with pytest.raises(MergeError) as info:
        merge([bundle, shards / "shard2"], tmp_path / "out")
    assert str(info.value).startswith(f"{bundle}: manifest.json: not valid JSON"), info.value


@pytest.mark.parametrize("kind", sorted(HOSTILE))
def test_hostile_archive_is_refused_naming_the_bundle(tmp_path, shards, kind):
    bundle = _hostile(kind, tmp_path, shards)
    with pytest.raises(MergeError) as info:
        merge([bundle, shards / "shard2"], tmp_path / "out")
    assert str(info.value).startswith(f"{bundle.name}: "), info.value
    assert HOSTILE[kind] in str(info.value), info.value


def test_hostile_archive_exits_2_on_the_command_line(tmp_path, shards):
    bundle = _hostile("zip-bad-crc", tmp_path, shards)
    result = run_cli("merge", str(bundle), str(shards / "shard2"), "--out", "out", cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith("aima-ci: error: b.zip: cannot be unpacked (BadZipFile")
    assert "Traceback" not in result.stderr and not (tmp_path / "out" / "run.json").exists()


def test_nothing_is_written_outside_the_scratch_folder(tmp_path, shards):
    """An escaping entry is refused before a byte lands anywhere: the marker never appears."""
    marker = tmp_path / "escaped.txt"
    bundle = _tar(tmp_path / "b.tar.gz", [("shard/../../escaped.txt", b"pwned")])
    with pytest.raises(MergeError, match="escapes the target folder"):
        merge([bundle, shards / "shard2"], tmp_path / "out")
    assert not marker.exists()
