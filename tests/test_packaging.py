"""Packaging promises: collectors install namespaced, every collector folder is packaged and
registered, and the gate path stays light (no numpy, pandas or torch)."""

from __future__ import annotations

import importlib.util
import re
import tomllib
from pathlib import Path

from aima_ci.plugin import ENTRY_POINT_GROUP, discover_names

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())


def test_collectors_install_namespaced_never_bare():
    assert PYPROJECT["tool"]["setuptools"]["package-dir"]["aima_ci_collectors"] == "collectors"
    spec = importlib.util.find_spec("aima_ci_collectors")
    assert spec is not None and Path(spec.origin).parent == ROOT / "collectors"
    assert "collectors" not in PYPROJECT["tool"]["setuptools"]["packages"]


def test_every_core_subpackage_is_packaged():
    packages = set(PYPROJECT["tool"]["setuptools"]["packages"])
    for init in (ROOT / "aima_ci").rglob("__init__.py"):
        name = ".".join(init.parent.relative_to(ROOT).parts)
        assert name in packages, f"{name} is missing from [tool.setuptools] packages"


def test_every_collector_folder_is_packaged_and_registered():
    packages = set(PYPROJECT["tool"]["setuptools"]["packages"])
    eps = PYPROJECT["project"].get("entry-points", {}).get(ENTRY_POINT_GROUP, {})
    folders = sorted(p.parent.name for p in (ROOT / "collectors").glob("*/__init__.py"))
    for name in folders:
        assert f"aima_ci_collectors.{name}" in packages, name
        if name.startswith("_"):  # a shared helper package (_modelio), not a collector
            continue
        assert any(v.startswith(f"aima_ci_collectors.{name}:") for v in eps.values()), name
    installed = discover_names()
    for name, target in eps.items():
        assert name in installed and installed[name].value == target


def test_core_never_imports_collectors():
    pattern = re.compile(r"^\s*(from|import)\s+(aima_ci_collectors|collectors)\b", re.M)
    for path in (ROOT / "aima_ci").rglob("*.py"):
        assert not pattern.search(path.read_text()), path


def test_gate_path_imports_no_heavy_library(repo, write_config, cli, loaded_modules):
    write_config({"collectors": {"testplugin": {}}})
    assert cli("run", cwd=repo).returncode in (0, 1)
    _, modules = loaded_modules("gate", repo)
    heavy = {"numpy", "pandas", "torch", "sklearn", "requests", "jsonschema"}
    heavy |= {"prometheus_client", "rich"}
    assert sorted(m for m in modules if m.split(".")[0] in heavy) == []


def test_fairlearn_extra_brings_no_plotting_library():
    """The fairlearn collector draws its charts as SVG itself: matplotlib would be dead weight."""
    import tomllib

    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"][
        "optional-dependencies"
    ]
    assert not any(req.startswith("matplotlib") for req in extras["fairlearn"])
    pattern = re.compile(r"^\s*(from|import)\s+matplotlib\b", re.M)
    for path in (ROOT / "collectors" / "fairlearn").rglob("*.py"):
        assert not pattern.search(path.read_text()), path
