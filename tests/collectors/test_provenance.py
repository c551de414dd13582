"""The provenance collector and 'aima-ci provenance write', on real files in throwaway git repos."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from aima_ci_collectors.provenance import ProvenanceCollector, judge

from aima_ci.config import load_config
from aima_ci.evidence.collect import collect
from aima_ci.models import Status
from aima_ci.plugin import CollectorConfigError, CollectorContext
from aima_ci.trust.provenance import Manifest, ManifestEntry

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "provenance"
TODAY = "2026-03-01"


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    root.mkdir()
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    (root / "data" / "raw").mkdir(parents=True)
    (root / "data" / "train.csv").write_text("a,b\n1,2\n")
    (root / "data" / "raw" / "dump.bin").write_bytes(bytes(range(256)))
    return root


def cli(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "aima_ci", *args],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "NO_COLOR": "1", "AIMA_CI_TODAY": TODAY},
        check=False,
    )


def run(root: Path, settings: dict[str, Any]) -> dict[str, list[Any]]:
    """Run the collector through the real runner (worker subprocess); findings by check id."""
    cfg = root / "aima.yaml"
    cfg.write_text(yaml.safe_dump({"collectors": {"provenance": settings}}))
    os.environ["AIMA_CI_TODAY"] = TODAY
    try:
        runs = collect(
            load_config(cfg),
            root / ".aima",
            available={"provenance": ProvenanceCollector},
        )
    finally:
        del os.environ["AIMA_CI_TODAY"]
    out: dict[str, list[Any]] = {}
    for f in runs[0].findings:
        out.setdefault(f.check, []).append(f)
    return out


def sign(root: Path, name: str = "data-manifest.yaml", **fields: Any) -> None:
    path = root / name
    data = yaml.safe_load(path.read_text())
    data.update({"signed_off_by": "Jane Doe <jane@example.com>", "date": "2026-02-01"})
    for entry in data["files"]:
        entry["source"], entry["licence"] = "generated in-house", "CC-BY-4.0"
    data.update(fields)
    path.write_text(yaml.safe_dump(data, sort_keys=False))


def test_write_then_verify_passes(repo: Path) -> None:
    proc = cli(repo, "provenance", "write", "data")
    assert proc.returncode == 0, proc.stderr
    manifest = yaml.safe_load((repo / "data-manifest.yaml").read_text())
    assert manifest["folders"] == ["data"]
    assert [f["path"] for f in manifest["files"]] == [
        "data/raw/dump.bin",
        "data/train.csv",
    ]
    assert manifest["files"][1]["size"] == 8
    assert manifest["signed_off_by"] == "" and manifest["date"] == ""
    sign(repo)
    found = run(repo, {"dvc": False})
    assert found["provenance.integrity"][0].status is Status.PASS
    assert found["provenance.integrity"][0].value == 2
    assert found["provenance.signoff"][0].status is Status.PASS
    assert "provenance.dvc" not in found  # dvc: false disables the check
    assert (repo / ".aima" / "artefacts" / "provenance" / "provenance.json").is_file()


def test_changed_missing_and_extra_files_fail(repo: Path) -> None:
    assert cli(repo, "provenance", "write", "data").returncode == 0
    sign(repo)
    (repo / "data" / "train.csv").write_text("a,b\n1,3\n")  # same size, other content
    (repo / "data" / "raw" / "dump.bin").unlink()
    (repo / "data" / "raw" / "sneaky.csv").write_text("x\n")
    (repo / "data" / ".gitkeep").write_text("")  # housekeeping: ignored
    f = run(repo, {"dvc": False})["provenance.integrity"][0]
    assert f.status is Status.FAIL
    assert f.details["changed"] == ["data/train.csv (SHA-256 differs)"]
    assert f.details["missing"] == ["data/raw/dump.bin"]
    assert f.details["extra"] == ["data/raw/sneaky.csv"]
    assert "not in the manifest: data/raw/sneaky.csv" in f.message


def test_unsigned_stale_and_unsourced_signoff_fails(repo: Path) -> None:
    assert cli(repo, "provenance", "write", "data").returncode == 0
    f = run(repo, {"dvc": False})["provenance.signoff"][0]
    assert f.status is Status.FAIL
    assert "signed_off_by is empty" in f.message and "no licence recorded" in f.message
    sign(repo, date="2024-01-01")
    f = run(repo, {"dvc": False})["provenance.signoff"][0]
    assert f.status is Status.FAIL and "days old (limit 365)" in f.message
    sign(repo, date="2027-01-01")
    assert "in the future" in run(repo, {"dvc": False})["provenance.signoff"][0].message
    found = run(repo, {"dvc": False, "require_signoff": False})
    assert "provenance.signoff" not in found


def test_rewrite_keeps_signoff_only_when_content_is_unchanged(repo: Path) -> None:
    assert cli(repo, "provenance", "write", "data").returncode == 0
    sign(repo)
    assert cli(repo, "provenance", "write", "data").returncode == 0
    data = yaml.safe_load((repo / "data-manifest.yaml").read_text())
    assert data["signed_off_by"] == "Jane Doe <jane@example.com>"
    assert data["files"][0]["licence"] == "CC-BY-4.0"  # per-file fields carried over
    (repo / "data" / "train.csv").write_text("new\n")
    proc = cli(repo, "provenance", "write", "data")
    assert "sign-off" in proc.stderr
    data = yaml.safe_load((repo / "data-manifest.yaml").read_text())
    assert data["signed_off_by"] == "" and data["files"][0]["licence"] == "CC-BY-4.0"


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("../outside.csv", "escapes"),
        ("/etc/passwd", "absolute"),
        ("data/link.csv", "symlink"),
    ],
)
def test_unsafe_manifest_paths_are_errors(repo: Path, path: str, reason: str) -> None:
    (repo.parent / "outside.csv").write_text("secret\n")
    (repo / "data" / "link.csv").symlink_to(repo.parent / "outside.csv")
    digest = "0" * 64
    (repo / "data-manifest.yaml").write_text(
        "version: 1\nsigned_off_by: x\ndate: '2026-01-01'\nfiles:\n"
        f"  - path: data/train.csv\n    sha256: '{digest}'\n"
        f"  - path: '{path}'\n    sha256: '{digest}'\n"
    )
    found = run(repo, {"dvc": False})
    f = found["provenance.integrity"][0]
    assert f.status is Status.ERROR
    assert "data-manifest.yaml:7" in f.message and reason in f.message
    assert found["provenance.signoff"][0].status is Status.ERROR


def test_symlink_in_dataset_folder_is_an_error(repo: Path) -> None:
    assert cli(repo, "provenance", "write", "data").returncode == 0
    (repo / "data" / "raw" / "evil").symlink_to("/etc/passwd")
    f = run(repo, {"dvc": False})["provenance.integrity"][0]
    assert f.status is Status.ERROR and "symlink in dataset folder: data/raw/evil" in f.message


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"files: [\n", "data-manifest.yaml:2: invalid YAML"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "not UTF-8 text"),
        (
            b"version: 1\nfiles:\n  - path: a\n    sha256: nothex\n",
            "data-manifest.yaml:3:",
        ),
        (b"version: 1\nfiles: []\nfiles: []\n", "duplicate key"),
    ],
)
def test_malformed_manifest_is_an_error_naming_the_file(
    repo: Path, content: bytes, expected: str
) -> None:
    (repo / "data-manifest.yaml").write_bytes(content)
    f = run(repo, {"dvc": False})["provenance.integrity"][0]
    assert f.status is Status.ERROR
    assert expected in f.message


def test_missing_manifest_fails_and_outside_config_path_errors(repo: Path) -> None:
    found = run(repo, {"dvc": False})
    assert found["provenance.integrity"][0].status is Status.FAIL
    assert "provenance write" in found["provenance.integrity"][0].message
    found = run(repo, {"dvc": False, "manifest": "../elsewhere.yaml"})
    f = found["provenance.integrity"][0]
    assert f.status is Status.ERROR and "outside the repository root" in f.message


def test_write_refuses_paths_outside_the_manifest_folder(repo: Path) -> None:
    (repo.parent / "outside.csv").write_text("x\n")
    proc = cli(repo, "provenance", "write", "../outside.csv")
    assert proc.returncode == 2 and "outside the manifest's folder" in proc.stderr
    (repo / "data" / "link").symlink_to(repo.parent / "outside.csv")
    proc = cli(repo, "provenance", "write", "data")
    assert proc.returncode == 2 and "symlink" in proc.stderr
    assert not (repo / "data-manifest.yaml").exists()


# --------------------------------------------------------------------------- DVC
@pytest.fixture
def dvc_repo(repo: Path) -> Path:
    """A real DVC 3 project (made with dvc 3.67: 'dvc add' a file and a folder, one stage)."""
    shutil.rmtree(repo / "data")
    shutil.copytree(FIXTURES / "dvc-project", repo, dirs_exist_ok=True)
    return repo


def test_dvc_hashes_verified_including_a_directory_from_the_cache(
    dvc_repo: Path,
) -> None:
    f = run(dvc_repo, {"manifest": None})["provenance.dvc"][0]
    assert f.status is Status.PASS, f.message
    verified = " ".join(f.details["verified"])
    assert "data/train.csv.dvc:2 out train.csv" in verified
    assert "images (2 files)" in verified
    assert "dvc.lock" in verified and "prep.py" in verified


def test_dvc_changed_file_and_directory_member_fail(dvc_repo: Path) -> None:
    (dvc_repo / "data" / "train.csv").write_bytes(b"a,b\r\n9,9\r\n")  # same size
    (dvc_repo / "data" / "images" / "3.txt").write_text("new")
    f = run(dvc_repo, {"manifest": None})["provenance.dvc"][0]
    assert f.status is Status.FAIL
    changed = "\n".join(f.details["changed"])
    assert "train.csv: md5 differs" in changed
    assert "images/3.txt: not in the DVC listing" in changed


def test_dvc_directory_without_cache_is_not_verifiable(dvc_repo: Path) -> None:
    shutil.rmtree(dvc_repo / ".dvc" / "cache")
    f = run(dvc_repo, {"manifest": None})["provenance.dvc"][0]
    assert f.status is Status.INCONCLUSIVE
    assert "not in the local DVC cache" in f.message


def test_dvc_legacy_text_hash_and_traversal(dvc_repo: Path) -> None:
    # DVC 2 (no 'hash: md5'): a text file's md5 was taken after CRLF -> LF.
    import hashlib

    legacy = hashlib.md5(b"a,b\n1,2\n", usedforsecurity=False).hexdigest()
    (dvc_repo / "data" / "train.csv.dvc").write_text(f"outs:\n- md5: {legacy}\n  path: train.csv\n")
    assert run(dvc_repo, {"manifest": None})["provenance.dvc"][0].status is Status.PASS
    (dvc_repo / "data" / "evil.dvc").write_text(
        "outs:\n- md5: 0123456789abcdef0123456789abcdef\n  path: ../../outside.txt\n"
    )
    f = run(dvc_repo, {"manifest": None})["provenance.dvc"][0]
    assert f.status is Status.ERROR and "data/evil.dvc:2" in f.message
    assert "outside the repository root" in f.message


def test_dvc_auto_without_files_is_not_applicable_and_required_fails(
    repo: Path,
) -> None:
    assert run(repo, {"manifest": None})["provenance.dvc"][0].status is Status.NOT_APPLICABLE
    assert run(repo, {"manifest": None, "dvc": True})["provenance.dvc"][0].status is Status.FAIL


def test_never_served_from_the_result_cache() -> None:
    # The hashed data files are named in the manifest, not the config, and the sign-off ages.
    assert ProvenanceCollector.cacheable is False


def test_explicit_nulls_keep_their_documented_meaning(repo: Path) -> None:
    """The option spec reads a null as "absent" (the default); for these two keys a null was
    documented as a setting before the spec existed, and must stay one."""
    assert cli(repo, "provenance", "write", "data").returncode == 0
    sign(repo, date="2020-01-15")  # six years before TODAY
    aged = run(repo, {"dvc": False})["provenance.signoff"][0]
    assert aged.status is Status.FAIL and "limit 365" in aged.message  # absent: the default
    unlimited = run(repo, {"dvc": False, "signoff_max_age_days": None})["provenance.signoff"][0]
    assert unlimited.status is Status.PASS and unlimited.details["max_age_days"] is None
    skipped = run(repo, {"dvc": True, "manifest": None})
    assert set(skipped) == {"provenance.dvc"}  # null: the manifest checks are skipped


@pytest.mark.parametrize(
    ("settings", "key"),
    [
        ({"manifets": "m.yaml"}, "collectors.provenance.manifets: unknown key"),
        ({"manifest": True}, "collectors.provenance.manifest: must be a path, or false"),
        ({"dvc": "maybe"}, "collectors.provenance.dvc: must be true, false or auto"),
        ({"signoff_max_age_days": 0}, "collectors.provenance.signoff_max_age_days: must be"),
        ({"require_sources": "yes"}, "collectors.provenance.require_sources: must be true"),
    ],
)
def test_bad_settings_name_the_key(settings: dict[str, Any], key: str) -> None:
    with pytest.raises(CollectorConfigError) as err:
        ProvenanceCollector().validate_config(settings)
    assert str(err.value).startswith(f"config: {key}")


@pytest.mark.parametrize(
    ("who", "when", "max_age", "status", "text"),
    [
        ("Jane <j@example.com>", "2026-02-01", 365, Status.PASS, "signed off by Jane"),
        ("TODO", "2026-02-01", 365, Status.FAIL, "signed_off_by is empty"),
        ("Jane", "2026-04-01", 365, Status.FAIL, "date 2026-04-01 is in the future"),
        ("Jane", "2026-02-30", 365, Status.FAIL, "is not a valid date"),
        ("Jane", "2025-01-01", 365, Status.FAIL, "is 424 days old (limit 365)"),
        ("Jane", "2025-01-01", None, Status.PASS, "signed off by Jane"),
    ],
)
def test_judge_signoff_from_the_manifest_alone(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    who: str,
    when: str,
    max_age: int | None,
    status: Status,
    text: str,
) -> None:
    """The sign-off verdict needs no files on disk: judge works on the parsed manifest."""
    monkeypatch.setenv("AIMA_CI_TODAY", TODAY)
    entry = ManifestEntry("data/a.csv", "0" * 64, source="in-house", licence="CC0-1.0")
    manifest = Manifest(tmp_path / "m.yaml", "m.yaml", who, when, (), (), (entry,))
    ev = tmp_path / ".aima"
    ctx = CollectorContext(
        collector=ProvenanceCollector(),
        config={},
        root=tmp_path,
        config_dir=tmp_path,
        artefact_dir=ev / "artefacts" / "provenance",
        evidence_dir=ev,
    )
    f = judge.signoff(ctx, manifest, [], max_age, require_sources=True)
    assert f.status is status and text in f.message
