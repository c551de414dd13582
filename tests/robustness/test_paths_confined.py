"""Nothing outside the repository root is read or written through a config, manifest or bundle
path: ``..``, absolute paths, symlinks (as the file, or as a folder on the way) are refused.

tests/collectors/test_provenance.py covers ``../x``, ``/etc/passwd`` and a symlinked file in a
data manifest; tests/test_merge.py and test_bundle_damage.py the archive escapes; tests/test_config
.py a symlinked attestation file. Here: a canary file outside the root that no hostile path in a
data manifest may ever verify (a property over generated paths), symlinked folders on the way,
manifests and reports that are themselves symlinks out, globs that match a link out, and
``provenance write``/``--out`` targets outside the root.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from aima_ci_collectors.evidently import EvidentlyCollector
from aima_ci_collectors.garak import GarakCollector
from aima_ci_collectors.provenance import ProvenanceCollector
from hypothesis import given
from hypothesis import strategies as st
from rb_support import FIXTURES, budget, make_repo, run_cli

from aima_ci.config import ConfigError, load_config
from aima_ci.plugin import CollectorContext, InputError

CANARY = b"outside the repository: must never be read\n"
CANARY_SHA = hashlib.sha256(CANARY).hexdigest()
ENV = {"AIMA_CI_TODAY": "2026-03-01"}


class Provenance(ProvenanceCollector):
    def tool_version(self) -> str | None:
        return None


def context(collector: Any, root: Path, config: dict[str, Any]) -> CollectorContext:
    collector.validate_config(config)
    out = root / ".aima"
    shutil.rmtree(out, ignore_errors=True)
    return CollectorContext(
        collector=collector,
        config=config,
        root=root,
        config_dir=root,
        artefact_dir=out / "artefacts" / collector.name,
        evidence_dir=out,
    )


@pytest.fixture(scope="module")
def fenced(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A repository with a dataset, next to a canary file, with links pointing at it."""
    base = tmp_path_factory.mktemp("fenced")
    (base / "canary.csv").write_bytes(CANARY)
    (base / "outside").mkdir()
    (base / "outside" / "canary.csv").write_bytes(CANARY)
    root = make_repo(base)
    (root / "data").mkdir()
    (root / "data" / "train.csv").write_text("a,b\n1,2\n")
    (root / "data" / "link.csv").symlink_to(base / "canary.csv")
    (root / "data" / "linkdir").symlink_to(base / "outside")
    return root


HOSTILE_PATHS = st.one_of(
    st.sampled_from(
        [
            "../canary.csv",
            "data/../../canary.csv",
            "data/link.csv",
            "data/linkdir/canary.csv",
            "data/linkdir",
            "/etc/passwd",
            str(Path("/").resolve()),
            "./data/../../canary.csv",
            "data//train.csv",
            "data\\..\\..\\canary.csv",
            "data/train.csv\x00../canary.csv",
            "~/canary.csv",
            "a" * 300,
            "data/./train.csv",
            "..",
            ".",
            "",
        ]
    ),
    st.text(alphabet="./\\ab~\x00", max_size=20),
)


@budget(80)
@given(
    paths=st.lists(HOSTILE_PATHS, min_size=1, max_size=4),
    folders=st.lists(HOSTILE_PATHS, max_size=2),
)
def test_no_manifest_path_ever_verifies_a_file_outside_the_root(fenced, paths, folders):
    """Each hostile path is listed with the canary's true digest: had the collector read the
    canary, the entry would verify. It must be refused (error), missing, or changed, never ok."""
    manifest = {
        "version": 1,
        "signed_off_by": "Jane <j@example.com>",
        "date": "2026-02-01",
        "folders": folders,
        "files": [{"path": p, "sha256": CANARY_SHA, "source": "s", "licence": "l"} for p in paths],
    }
    (fenced / "data-manifest.yaml").write_text(yaml.safe_dump(manifest, allow_unicode=True))
    collector = Provenance()
    ctx = context(collector, fenced, {"dvc": False})
    findings = list(collector.collect(ctx))
    for f in findings:
        verified = f.details.get("verified") or []
        assert not any("canary" in str(v) for v in verified), (f.check, verified)
        if f.check == "provenance.integrity":
            assert str(f.status) in ("error", "fail"), f.message


def test_a_manifest_that_is_a_symlink_out_of_the_root_is_refused(fenced, tmp_path):
    outside = tmp_path / "elsewhere.yaml"
    outside.write_text("version: 1\nfiles: []\n")
    link = fenced / "linked-manifest.yaml"
    link.unlink(missing_ok=True)
    link.symlink_to(outside)
    collector = Provenance()
    ctx = context(collector, fenced, {"dvc": False, "manifest": link.name})
    with pytest.raises(InputError, match=r"manifest: 'linked-manifest\.yaml' resolves outside"):
        list(collector.collect(ctx))


def test_garak_report_glob_does_not_follow_a_link_out(fenced, tmp_path):
    reports = fenced / "reports"
    reports.mkdir(exist_ok=True)
    shutil.copy(FIXTURES / "garak" / "garak-0.17.1-rest.report.jsonl", tmp_path / "x.report.jsonl")
    (reports / "a.report.jsonl").unlink(missing_ok=True)
    (reports / "a.report.jsonl").symlink_to(tmp_path / "x.report.jsonl")
    collector = GarakCollector()
    ctx = context(collector, fenced, {"mode": "report", "report": "reports/*.report.jsonl"})
    with pytest.raises(InputError, match="resolves outside the repository root"):
        list(collector.collect(ctx))


@pytest.mark.parametrize(
    "value", ["../drift.json", "/tmp/../etc/passwd", "data/linkdir/canary.csv"]
)
def test_evidently_report_path_outside_is_refused(fenced, value):
    collector = EvidentlyCollector()
    ctx = context(collector, fenced, {"mode": "report", "report": value})
    with pytest.raises(InputError, match="outside the repository root"):
        list(collector.collect(ctx))


def test_output_dir_through_a_symlinked_folder_is_refused(fenced):
    (fenced / "aima.yaml").write_text("output_dir: data/linkdir/evidence\n")
    with pytest.raises(ConfigError) as info:
        load_config(fenced / "aima.yaml", cwd=fenced)
    assert info.value.key == "output_dir" and "outside the repository root" in info.value.reason


@pytest.mark.parametrize(
    "args",
    [
        ["provenance", "write", "--out", "../stolen.yaml", "data/train.csv"],
        ["provenance", "write", "--out", "data/linkdir/stolen.yaml", "data/train.csv"],
        ["provenance", "write", "data/linkdir"],
        ["provenance", "write", "data/link.csv"],
    ],
)
def test_provenance_write_never_writes_or_hashes_outside(fenced, args):
    before = sorted(os.listdir(fenced.parent)), sorted(os.listdir(fenced.parent / "outside"))
    (fenced / "aima.yaml").write_text("version: 1\n")
    (fenced / "data-manifest.yaml").unlink(missing_ok=True)
    result = run_cli(*args, cwd=fenced, env=ENV)
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stderr.startswith("aima-ci: error: provenance write: ")
    after = sorted(os.listdir(fenced.parent)), sorted(os.listdir(fenced.parent / "outside"))
    assert after == before
    assert not (fenced / "data-manifest.yaml").exists()


@pytest.mark.parametrize("key", ["files", "folders"])
def test_a_manifest_path_too_long_for_the_filesystem_is_an_error_not_a_crash(fenced, key):
    """Path.is_dir()/exists() raise ENAMETOOLONG; the collector crashed (found by the deep run)."""
    entry = {"path": "data/train.csv", "sha256": CANARY_SHA}
    manifest = {"version": 1, "files": [entry], "folders": []}
    if key == "files":
        manifest["files"] = [{"path": "a" * 300, "sha256": CANARY_SHA}]
    else:
        manifest["folders"] = ["a" * 300]
    (fenced / "data-manifest.yaml").write_text(yaml.safe_dump(manifest))
    collector = Provenance()
    found = {f.check: f for f in collector.collect(context(collector, fenced, {"dvc": False}))}
    integrity = found["provenance.integrity"]
    assert str(integrity.status) == "error" and "cannot be used: File name too long" in (
        integrity.message
    )
