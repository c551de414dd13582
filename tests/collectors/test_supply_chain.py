"""supply_chain: pickles are inspected without ever being loaded; inventory and SBOM checks."""

from __future__ import annotations

import gzip
import io
import json
import os
import pickle
import shutil
import zipfile
from pathlib import Path
from typing import Any

import pytest
import yaml
from aima_ci_collectors.supply_chain import SupplyChainCollector, formats, sbom
from aima_ci_collectors.supply_chain.pickle_scan import PickleFormatError, classify, scan_pickle

from aima_ci.config import load_config
from aima_ci.evidence.collect import collect
from aima_ci.evidence.directory import read_findings
from aima_ci.models import Severity, Status
from aima_ci.plugin import CollectorConfigError, CollectorContext

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "supply_chain"


class _Payload:
    """Pickles as ``os.system(<command>)``: what a poisoned model file does on load."""

    def __init__(self, command: str) -> None:
        self.command = command

    def __reduce__(self) -> tuple[Any, ...]:
        return (os.system, (self.command,))


def malicious(marker: Path, protocol: int = 4) -> bytes:
    return pickle.dumps(_Payload(f"touch {marker}"), protocol=protocol)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    (root / ".git").mkdir(parents=True)
    (root / "models").mkdir()
    return root


def run(root: Path, settings: dict[str, Any]) -> dict[str, list[Any]]:
    """Through the real runner (a worker subprocess), as `aima-ci collect` does."""
    cfg = root / "aima.yaml"
    cfg.write_text(yaml.safe_dump({"collectors": {"supply_chain": settings}}))
    out = root / ".aima"
    collect(load_config(cfg), out)
    by_check: dict[str, list[Any]] = {}
    for f in read_findings(out):
        by_check.setdefault(f.check, []).append(f)
    return by_check


def direct(root: Path, settings: dict[str, Any]) -> list[Any]:
    """In-process, for cases that need monkeypatching."""
    c = SupplyChainCollector()
    ev = root / ".aima"
    ctx = CollectorContext(
        collector=c,
        config=settings,
        root=root,
        config_dir=root,
        artefact_dir=ev / "artefacts" / "supply_chain",
        evidence_dir=ev,
    )
    return list(c.collect(ctx))


def by_subject(findings: list[Any]) -> dict[str, Any]:
    return {f.subject.path if f.subject else f.message: f for f in findings}


def test_malicious_pickle_fails_and_never_runs(repo: Path, tmp_path: Path) -> None:
    marker = tmp_path / "PWNED"
    (repo / "models" / "evil.pkl").write_bytes(malicious(marker))
    (repo / "models" / "evil-p0.pkl").write_bytes(malicious(marker, protocol=0))
    (repo / "models" / "evil.pt").write_bytes(_torch_zip(malicious(marker, protocol=2)))
    (repo / "models" / "evil.joblib").write_bytes(gzip.compress(malicious(marker)))
    (repo / "models" / "data.pkl").write_bytes(pickle.dumps({"weights": [0.1, 0.2], "bias": 1}))

    found = run(repo, {"sbom": False})

    assert not marker.exists(), "scanning must never execute the pickle"
    scans = by_subject(found["supply_chain.unsafe_serialisation"])
    for name in ("evil.pkl", "evil-p0.pkl", "evil.pt", "evil.joblib"):
        f = scans[f"models/{name}"]
        assert f.status is Status.FAIL, name
        assert f.severity is Severity.CRITICAL
        assert "posix.system" in f.message or "os.system" in f.message
    assert scans["models/data.pkl"].status is Status.PASS
    assert scans["models/evil.joblib"].details["compression"] == "gzip"
    report = json.loads((repo / ".aima/artefacts/supply_chain/model-scan.json").read_text())
    assert {f["path"] for f in report["files"]} >= {"models/evil.pkl", "models/data.pkl"}
    assert "supply_chain.sbom" not in found  # sbom: false removes the check


def _torch_zip(data_pkl: bytes) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("archive/data.pkl", data_pkl)
        zf.writestr("archive/version", "3\n")
    return buf.getvalue()


def test_safe_formats_pass(repo: Path) -> None:
    np = pytest.importorskip("numpy")
    joblib = pytest.importorskip("joblib")
    shutil.copy(FIXTURES / "logreg.skops", repo / "models" / "model.skops")
    (repo / "models" / "array.pkl").write_bytes(pickle.dumps(np.arange(6.0), protocol=5))
    joblib.dump(
        {"x": np.arange(5.0), "s": np.array(["ab", "c"]), "b": np.zeros((2, 3), dtype=bool)},
        repo / "models" / "arrays.joblib",
    )
    header = json.dumps({"w": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}).encode()
    (repo / "models" / "w.safetensors").write_bytes(
        len(header).to_bytes(8, "little") + header + b"\0" * 4
    )
    (repo / "models" / "notes.bin").write_bytes(b"plain bytes, not a pickle")

    found = direct(repo, {"sbom": False, "modelscan": False, "skops_engine": "builtin"})
    scans = by_subject([f for f in found if f.check == "supply_chain.unsafe_serialisation"])
    for name in ("model.skops", "array.pkl", "arrays.joblib", "w.safetensors"):
        assert scans[f"models/{name}"].status is Status.PASS, scans[f"models/{name}"].message
    assert "models/notes.bin" not in scans  # not pickle-based: not a model file


def test_joblib_object_array_hiding_a_payload_is_found(repo: Path, tmp_path: Path) -> None:
    np = pytest.importorskip("numpy")
    joblib = pytest.importorskip("joblib")
    marker = tmp_path / "PWNED"
    arr = np.array([1, _Payload(f"touch {marker}")], dtype=object)
    joblib.dump({"ok": np.arange(3.0), "bad": arr}, repo / "models" / "m.joblib")
    with open(repo / "models" / "m.joblib", "rb") as fh:
        result = scan_pickle(fh)
    assert result.joblib_arrays == 2
    assert result.dangerous
    assert not marker.exists()


@pytest.mark.parametrize("engine", ["builtin", pytest.param("skops", marks=pytest.mark.slow)])
def test_skops_with_an_os_call_fails(repo: Path, engine: str) -> None:
    if engine == "skops":
        pytest.importorskip("skops")
    shutil.copy(FIXTURES / "function-transformer-os-system.skops", repo / "models" / "p.skops")
    shutil.copy(FIXTURES / "logreg.skops", repo / "models" / "ok.skops")
    found = direct(repo, {"sbom": False, "modelscan": False, "skops_engine": engine})
    scans = by_subject([f for f in found if f.check.endswith("serialisation")])
    bad, ok = scans["models/p.skops"], scans["models/ok.skops"]
    assert bad.status is Status.FAIL and "posix.system" in bad.message
    assert bad.severity is Severity.CRITICAL
    assert ok.status is Status.PASS, ok.message
    assert bad.details["engine"] == (
        "skops.io.get_untrusted_types" if engine == "skops" else "aima-ci schema walk"
    )


def test_sklearn_joblib_needs_an_explicit_allowlist(repo: Path) -> None:
    # An estimator pickle as joblib writes it: NEWOBJ of the class, then BUILD with its state.
    data = (
        b"\x80\x04csklearn.linear_model._logistic\nLogisticRegression\n)\x81}\x94(\x8c\x01C\x94G?\xf0"
        b"\x00\x00\x00\x00\x00\x00ub."
    )
    (repo / "models" / "m.joblib").write_bytes(data)
    (f,) = [
        x
        for x in direct(repo, {"sbom": False, "modelscan": False})
        if x.check.endswith("serialisation")
    ]
    assert (
        f.status is Status.FAIL and "sklearn.linear_model._logistic.LogisticRegression" in f.message
    )
    assert f.severity is Severity.HIGH  # unknown, not known-dangerous
    (f,) = [
        x
        for x in direct(repo, {"sbom": False, "modelscan": False, "allow_globals": ["sklearn.*"]})
        if x.check.endswith("serialisation")
    ]
    assert f.status is Status.PASS


def test_allowlist_never_admits_dangerous_globals() -> None:
    assert classify("posix.system", ["*"]) == "dangerous"
    assert classify("builtins.eval", ["builtins.*"]) == "dangerous"
    assert classify("collections.OrderedDict") == "safe"
    assert classify("mypkg.Model") == "unknown"


def test_malformed_and_junk_files_are_errors(repo: Path) -> None:
    good = pickle.dumps({"a": 1})
    (repo / "models" / "truncated.pkl").write_bytes(good[:-3])
    (repo / "models" / "junk.pkl").write_bytes(b"\xff\xfe this is not a pickle")
    (repo / "models" / "bad.skops").write_bytes(b"PK\x03\x04 broken zip")
    found = direct(repo, {"sbom": False, "modelscan": False})
    scans = by_subject([f for f in found if f.check.endswith("serialisation")])
    for name in ("truncated.pkl", "junk.pkl", "bad.skops"):
        assert scans[f"models/{name}"].status is Status.ERROR, name
        assert f"models/{name}" in scans[f"models/{name}"].message


def test_symlink_leaving_the_repository_is_refused(repo: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside.pkl"
    outside.write_bytes(pickle.dumps([1, 2]))
    (repo / "models" / "link.pkl").symlink_to(outside)
    found = direct(repo, {"sbom": False, "modelscan": False})
    (f,) = [x for x in found if x.check.endswith("serialisation")]
    assert f.status is Status.ERROR and "models/link.pkl" in f.message and "outside" in f.message


def test_oversized_file_is_an_error(repo: Path) -> None:
    (repo / "models" / "big.pkl").write_bytes(pickle.dumps(b"x" * 3_000_000))
    found = direct(repo, {"sbom": False, "modelscan": False, "max_file_mb": 1})
    (f,) = [x for x in found if x.check.endswith("serialisation")]
    assert f.status is Status.ERROR and "max_file_mb" in f.message


def test_no_models_is_not_applicable(repo: Path) -> None:
    found = {f.check: f for f in direct(repo, {"sbom": False})}
    assert found["supply_chain.unsafe_serialisation"].status is Status.NOT_APPLICABLE
    assert found["supply_chain.model_inventory"].status is Status.NOT_APPLICABLE


INVENTORY = """\
models:
  - name: scorer
    version: "1.2.0"
    licence: Apache-2.0
    source: internal training run 2026-10
    files: [models/scorer.pkl]
  - name: helper
    version: "0.3"
    license: unknown
    source: https://example.com/helper
    files: [models/helper.pkl]
datasets:
  - name: loans
    version: "2026-09"
    licence: CC-BY-4.0
    source: https://example.com/loans
    files: [data/*.csv]
"""


def test_inventory_names_missing_and_incomplete_entries(repo: Path) -> None:
    for name in ("scorer", "helper", "orphan"):
        (repo / "models" / f"{name}.pkl").write_bytes(pickle.dumps({name: 1}))
    (repo / "data").mkdir()
    (repo / "data" / "train.csv").write_text("a,b\n1,2\n")
    (repo / "inventory.yaml").write_text(INVENTORY)
    found = {
        f.check: f
        for f in direct(
            repo,
            {
                "sbom": False,
                "modelscan": False,
                "inventory": "inventory.yaml",
                "datasets": ["data/*.csv"],
            },
        )
        if not f.check.endswith("serialisation")
    }
    inv = found["supply_chain.model_inventory"]
    assert inv.status is Status.FAIL
    assert "inventory.yaml:7: models[1] (helper): licence is missing or undetermined" in inv.message
    assert "models/orphan.pkl: no models inventory entry" in inv.message
    assert inv.details["files"] == {"models/scorer.pkl": "scorer", "models/helper.pkl": "helper"}
    ds = found["supply_chain.dataset_inventory"]
    assert ds.status is Status.PASS, ds.message


def test_inventory_sha256_and_allowed_licences(repo: Path) -> None:
    (repo / "models" / "m.pkl").write_bytes(pickle.dumps([1]))
    (repo / "inv.yaml").write_text(
        "models:\n  - {name: m, version: '1', licence: GPL-3.0, source: x, files: [models/m.pkl],"
        " sha256: '" + "0" * 64 + "'}\n"
    )
    (f,) = [
        x
        for x in direct(
            repo,
            {
                "sbom": False,
                "modelscan": False,
                "inventory": "inv.yaml",
                "allowed_licences": ["MIT"],
            },
        )
        if x.check == "supply_chain.model_inventory"
    ]
    assert f.status is Status.FAIL
    assert "does not match" in f.message and "not in allowed_licences" in f.message


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("models:\n  - name: x\n  version: [unclosed\n", "inv.yaml:3: invalid YAML"),
        ("models:\n  - name: a\n    files: ../../etc/passwd\n", "points outside the repository"),
        ("models: {a: 1}\n", "models must be a list"),
        ("\x00\x01binary", "binary data"),
    ],
)
def test_malformed_inventory_is_an_error(repo: Path, text: str, expected: str) -> None:
    (repo / "inv.yaml").write_text(text)
    found = {f.check: f for f in direct(repo, {"sbom": False, "inventory": "inv.yaml"})}
    for cid in ("supply_chain.model_inventory", "supply_chain.dataset_inventory"):
        assert found[cid].status is Status.ERROR
        assert expected in found[cid].message


def test_inventory_path_outside_the_repository(repo: Path, tmp_path: Path) -> None:
    (tmp_path / "inv.yaml").write_text("models: []\n")
    found = {f.check: f for f in direct(repo, {"sbom": False, "inventory": "../inv.yaml"})}
    assert found["supply_chain.model_inventory"].status is Status.ERROR
    assert "outside the repository root" in found["supply_chain.model_inventory"].message


def test_sbom_lists_the_projects_declared_dependencies_not_aima_cis(repo: Path) -> None:
    """Issue 13: the default SBOM is of what the project declares, never of the environment
    aima-ci runs in (which holds garak, torch and aima-ci itself)."""
    (repo / "requirements.txt").write_text(
        "scikit-learn==1.5.2\npandas>=2.0  # data\n-r extra.txt\n"
    )
    (repo / "pyproject.toml").write_text(
        '[project]\nname = "credit"\ndependencies = ["skops>=0.9", "Pandas==2.2.3"]\n'
    )
    (repo / "environment.yml").write_text("dependencies:\n  - python=3.12\n  - numpy=1.26.4\n")
    found = run(repo, {"modelscan": False})
    (f,) = found["supply_chain.sbom"]
    assert f.status is Status.PASS, f.message
    bom = json.loads((repo / ".aima" / f.artefacts[0]).read_text())
    assert bom["bomFormat"] == "CycloneDX"
    names = {c["name"]: c.get("version") for c in bom["components"]}
    assert names == {"scikit-learn": "1.5.2", "pandas": "2.2.3", "skops": None, "numpy": "1.26.4"}
    assert f.value == 4 and "garak" not in names and "aima-ci" not in names
    assert f.notes == ("not pinned: skops",)


def test_sbom_of_a_project_that_declares_nothing_earns_nothing(repo: Path) -> None:
    (f,) = [x for x in direct(repo, {"modelscan": False}) if x.check == "supply_chain.sbom"]
    assert f.status is Status.NOT_RUN and "declares no dependencies" in f.message


def _venv_with_one_package(repo: Path) -> str:
    """A real virtualenv inside the repository holding one installed distribution."""
    import subprocess
    import sys
    import sysconfig

    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(repo / ".venv")], check=True)
    purelib = sysconfig.get_path("purelib", vars={"base": str(repo / ".venv")})
    info = Path(purelib) / "pyyaml-6.0.2.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: PyYAML\nVersion: 6.0.2\n")
    return ".venv"


def test_sbom_of_an_environment_only_when_pointed_at_one(repo: Path) -> None:
    if not sbom.available():
        pytest.skip("cyclonedx-bom not installed")
    found = run(repo, {"modelscan": False, "sbom": {"python": _venv_with_one_package(repo)}})
    (f,) = found["supply_chain.sbom"]
    assert f.status is Status.PASS, f.message
    path = repo / ".aima" / f.artefacts[0]
    bom = json.loads(path.read_text())
    assert bom["bomFormat"] == "CycloneDX"
    assert len(bom["components"]) == f.value == 1  # the environment pointed at, nothing else
    assert any(c["name"] == "pyyaml" or c["name"] == "PyYAML" for c in bom["components"])


def test_sbom_without_cyclonedx_is_not_run(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sbom, "available", lambda: False)
    (repo / ".venv").mkdir()
    (f,) = [
        x for x in direct(repo, {"sbom": {"python": ".venv"}}) if x.check == "supply_chain.sbom"
    ]
    assert f.status is Status.NOT_RUN and "cyclonedx-bom" in f.message


def test_sbom_check_rejects_a_non_cyclonedx_file(tmp_path: Path) -> None:
    bad = tmp_path / "x.json"
    bad.write_text('{"components": []}')
    assert sbom.check(bad).status == "error"
    bad.write_text("not json")
    assert "not valid JSON" in sbom.check(bad).message


def test_modelscan_second_opinion_is_recorded(repo: Path, tmp_path: Path) -> None:
    pytest.importorskip("modelscan")
    marker = tmp_path / "PWNED"
    (repo / "models" / "evil.pkl").write_bytes(malicious(marker))
    found = direct(repo, {"sbom": False, "modelscan": True})
    (f,) = [x for x in found if x.check.endswith("serialisation")]
    assert f.status is Status.FAIL
    assert any("CRITICAL" in i for i in f.details["modelscan"]["issues"])
    art = json.loads((repo / ".aima/artefacts/supply_chain/modelscan.json").read_text())
    assert art["models/evil.pkl"]["summary"]["total_issues"] >= 1
    assert not marker.exists()


def test_scanner_rejects_streams_that_are_not_pickles() -> None:
    with pytest.raises(PickleFormatError):
        scan_pickle(io.BytesIO(b"\x80\x04\x95"))  # truncated frame
    with pytest.raises(PickleFormatError):
        scan_pickle(io.BytesIO(b"\x80\x02h\x05."))  # memo read before write


def test_legacy_torch_format_is_scanned_as_five_pickles(tmp_path: Path) -> None:
    parts = [
        pickle.dumps(formats.TORCH_LEGACY_MAGIC, protocol=2),
        pickle.dumps(1001, protocol=2),
        pickle.dumps({"protocol_version": 1001}, protocol=2),
        pickle.dumps(_Payload("true"), protocol=2),
        pickle.dumps([], protocol=2),
    ]
    path = tmp_path / "legacy.pt"
    path.write_bytes(b"".join(parts) + b"\x00raw storage bytes")
    report = formats.inspect_file(path, "legacy.pt", (), 1 << 20)
    assert report.format == "torch-legacy" and report.status == "fail"


def test_config_is_validated() -> None:
    c = SupplyChainCollector()
    with pytest.raises(CollectorConfigError, match=r"collectors\.supply_chain\.modelz"):
        c.validate_config({"modelz": []})
    with pytest.raises(CollectorConfigError, match="max_file_mb"):
        c.validate_config({"max_file_mb": -1})
    with pytest.raises(CollectorConfigError, match=r"sbom\.colour"):
        c.validate_config({"sbom": {"colour": 1}})


def test_settings_are_parsed_once_into_typed_values() -> None:
    """sbom: true / false / a mapping, modelscan's auto/true/false, and the loader's
    declared_models (the models: trust decisions) all reach collect() as typed settings."""
    c = SupplyChainCollector()
    default = c.settings_for({})
    assert default.sbom is not None and default.sbom.python is None
    assert default.modelscan == "auto" and default.max_bytes == 2048 << 20
    assert c.settings_for({"sbom": False}).sbom is None
    env = c.settings_for({"sbom": {"python": ".venv/bin/python", "timeout": 5}}).sbom
    assert env is not None and (env.python, env.timeout, env.validate) == (
        ".venv/bin/python",
        5.0,
        False,
    )
    assert c.settings_for({"modelscan": False}).modelscan is False
    declared = [{"name": "m", "path": "model.pkl", "trust": True}]
    assert c.settings_for({"declared_models": declared}).declared_models == tuple(declared)
    for bad, key in (
        ({"modelscan": "yes"}, "collectors.supply_chain.modelscan"),
        ({"modelscan": 1}, "collectors.supply_chain.modelscan"),
        ({"sbom": "yes"}, "collectors.supply_chain.sbom"),
        ({"models": [""]}, "collectors.supply_chain.models[0]"),
    ):
        with pytest.raises(CollectorConfigError) as info:
            c.validate_config(bad)
        assert info.value.key == key, bad
