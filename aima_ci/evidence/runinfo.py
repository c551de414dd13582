"""Facts about the run for run.json: versions, git commit, CI provider (from its environment)."""

from __future__ import annotations

import os
import platform
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from aima_ci import __version__

CI_PROVIDERS = (
    ("github-actions", "GITHUB_ACTIONS"),
    ("gitlab-ci", "GITLAB_CI"),
    ("jenkins", "JENKINS_URL"),
    ("azure-pipelines", "TF_BUILD"),
    ("circleci", "CIRCLECI"),
    ("buildkite", "BUILDKITE"),
    ("bitbucket", "BITBUCKET_BUILD_NUMBER"),
)


def detect_ci(environ: Mapping[str, str] | None = None) -> dict[str, Any] | None:
    env = os.environ if environ is None else environ
    for name, var in CI_PROVIDERS:
        if env.get(var):
            info: dict[str, Any] = {"provider": name}
            if name == "github-actions":
                info.update(
                    run_id=env.get("GITHUB_RUN_ID"),
                    ref=env.get("GITHUB_REF"),
                    repository=env.get("GITHUB_REPOSITORY"),
                )
            elif name == "gitlab-ci":
                info.update(
                    pipeline_id=env.get("CI_PIPELINE_ID"),
                    ref=env.get("CI_COMMIT_REF_NAME"),
                    project=env.get("CI_PROJECT_PATH"),
                )
            return info
    if env.get("CI"):
        return {"provider": "unknown"}
    return None


def git_commit(root: Path) -> str | None:
    from aima_ci.safety.git import head_commit

    return head_commit(root)


def base_info(root: Path) -> dict[str, Any]:
    return {
        "aima_ci_version": __version__,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "git_commit": git_commit(root),
        "ci": detect_ci(),
    }
