"""Shared by the integration tests: paths and a clean CI-like environment."""

from __future__ import annotations

import os
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
FIXTURES = Path(__file__).resolve().parent / "fixtures"
TODAY = "2026-11-26"


def clean_env(**extra: str) -> dict[str, str]:
    """The test's environment without GitHub's or GitLab's own variables, plus ``extra``."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("GITHUB_", "RUNNER_", "CI_", "GITLAB_", "PRE_COMMIT"))
    }
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    env["AIMA_CI_TODAY"] = TODAY
    env["NO_COLOR"] = "1"
    env.update(extra)
    return env
