"""Shared fixtures: a throwaway git repository with an aima.yaml, and CLI runners."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO_ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session", autouse=True)
def _one_machine(tmp_path_factory: pytest.TempPathFactory) -> None:
    """The session is one machine: one user cache dir, so one seal key (seal.py), outside every
    test repository; module-scoped fixtures build evidence the tests' gates accept."""
    os.environ["XDG_CACHE_HOME"] = str(tmp_path_factory.mktemp("user-cache"))
    for name in ("AIMA_CI_SEAL_KEY", "AIMA_CI_NO_CACHE"):
        os.environ.pop(name, None)


@pytest.fixture(autouse=True)
def _own_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test its own result cache (outside its repository), so no test is served another's
    cached results."""
    monkeypatch.setenv("AIMA_CI_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """An empty git work tree: its root is the repository root aima-ci confines paths to."""
    root = tmp_path / "repo"
    root.mkdir()
    (root / ".git").mkdir()
    return root


@pytest.fixture
def write_config(repo: Path) -> Callable[..., Path]:
    def write(data: dict[str, Any] | str, name: str = "aima.yaml") -> Path:
        path = repo / name
        path.parent.mkdir(parents=True, exist_ok=True)
        text = data if isinstance(data, str) else yaml.safe_dump(data, sort_keys=False)
        path.write_text(text, encoding="utf-8")
        return path

    return write


def run_cli(
    *args: str, cwd: Path, env: dict[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """Run the real console entry point in a subprocess (exit codes, stderr, no shared state)."""
    full_env = {**os.environ, "NO_COLOR": "1", **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "aima_ci", *args],
        cwd=cwd,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


@pytest.fixture
def cli() -> Callable[..., subprocess.CompletedProcess[str]]:
    return run_cli


def modules_loaded_by(command: str, cwd: Path) -> tuple[int, set[str]]:
    """(exit status, every module imported) of ``aima-ci <command>`` run as the console entry
    point runs it. The command line ends without the interpreter's teardown but still runs
    the atexit functions (aima_ci/safety/fastexit.py), so the modules are listed from one."""
    probe = (
        "import sys, runpy, json, atexit\n"
        f"sys.argv = ['aima-ci', {command!r}]\n"
        "atexit.register(lambda: print(json.dumps(sorted(sys.modules)), flush=True))\n"
        "runpy.run_module('aima_ci', run_name='__main__')\n"
    )
    res = subprocess.run(
        [sys.executable, "-c", probe], cwd=cwd, capture_output=True, text=True, check=False
    )
    lines = res.stdout.strip().splitlines()
    assert lines, f"aima-ci {command} printed nothing: {res.stderr}"
    return res.returncode, set(json.loads(lines[-1]))


@pytest.fixture
def loaded_modules() -> Callable[[str, Path], tuple[int, set[str]]]:
    return modules_loaded_by
