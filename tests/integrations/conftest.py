"""Fixtures for the CI integrations: a tool finder that fails in CI and skips locally, and a
throwaway workspace holding a copy of one of the fixture projects."""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from ci_env import FIXTURES


@pytest.fixture(scope="session")
def require_tool() -> Callable[[str], str]:
    """Find an external tool; missing: fail under CI=true (the CI must install it), else skip."""

    def find(name: str) -> str:
        beside = Path(sys.executable).parent / name
        path = str(beside) if beside.exists() else shutil.which(name)
        if path:
            return path
        if os.environ.get("CI") == "true":
            pytest.fail(f"{name} is not installed; .ci/run must install it", pytrace=False)
        pytest.skip(f"{name} is not installed")

    return find


@pytest.fixture
def workspace(tmp_path: Path) -> Callable[[str], Path]:
    """A git work tree with fixtures/<name> copied to <workspace>/project."""

    def make(name: str) -> Path:
        ws = tmp_path / "ws"
        if not ws.exists():
            ws.mkdir()
            (ws / ".git").mkdir()
        shutil.copytree(FIXTURES / name, ws / "project")
        return ws

    return make
