"""The pre-commit hooks: .pre-commit-hooks.yaml well formed, and the `aima-ci` hook run for real by
pre-commit from a clone of this repository's last commit (pre-commit clones it in turn, builds its
own virtualenv and pip-installs aima-ci into it) on a project whose light check passes, then
fails, then has a config error.

It is `pre-commit run` with a .pre-commit-config.yaml naming that repository and commit, as a user
has it. (`pre-commit try-repo` works too, but builds the environment in a throwaway store on
every call: 15-30 s each here.)
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from ci_env import FIXTURES, REPO, clean_env

HOOKS = REPO / ".pre-commit-hooks.yaml"


def test_hook_definitions() -> None:
    hooks = {h["id"]: h for h in yaml.safe_load(HOOKS.read_text())}
    assert set(hooks) == {"aima-ci", "aima-ci-gate"}
    for h in hooks.values():
        assert h["language"] == "python" and h["entry"].split()[0] == "aima-ci"
        assert h["pass_filenames"] is False and h["always_run"] is True
        valid = {"pre-commit", "pre-merge-commit", "pre-push", "commit-msg", "manual"}
        assert set(h["stages"]) <= valid, "stage names of pre-commit >= 3.2"
    assert hooks["aima-ci"]["entry"] == "aima-ci run --light"
    assert hooks["aima-ci-gate"]["stages"] == ["manual"]


@pytest.fixture
def project(tmp_path, require_tool):
    require_tool("pre-commit")
    require_tool("git")
    repo = tmp_path / "project"
    shutil.copytree(FIXTURES / "precommit", repo)
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    return repo


@pytest.fixture(scope="module")
def hook_repo(tmp_path_factory) -> Path:
    clone = tmp_path_factory.mktemp("hook-repo") / "aima-ci"
    subprocess.run(["git", "clone", "-q", str(REPO), str(clone)], check=True)
    return clone


def pre_commit(repo: Path, home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    exe = shutil.which("pre-commit", path=clean_env()["PATH"])
    git = ["git", "-C", str(repo), "-c", "user.email=t@example.com", "-c", "user.name=t"]
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-q", "--allow-empty", "-m", "change"], check=True)
    return subprocess.run(
        [exe, *args, "--all-files", "--verbose"],
        cwd=repo,
        env=clean_env(PRE_COMMIT_HOME=str(home), PIP_DISABLE_PIP_VERSION_CHECK="1"),
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def test_hook_passes_then_fails_on_a_broken_model_card(project, hook_repo, tmp_path) -> None:
    home = tmp_path / "pre-commit-home"
    rev = subprocess.run(
        ["git", "-C", str(hook_repo), "rev-parse", "HEAD"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    config = {"repos": [{"repo": str(hook_repo), "rev": rev, "hooks": [{"id": "aima-ci"}]}]}
    (project / ".pre-commit-config.yaml").write_text(yaml.safe_dump(config))
    ok = pre_commit(project, home, "run", "aima-ci")
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "aima-ci light checks" in ok.stdout and "Passed" in ok.stdout
    assert "all light checks pass" in ok.stdout
    assert "fairlearn" not in ok.stdout, "heavy collectors are not run by the hook"
    assert not (project / ".aima").exists(), "the light run leaves nothing in the work tree"
    card = project / "MODEL_CARD.md"
    card.write_text(card.read_text().replace("## Limitations", "## Notes"))
    bad = pre_commit(project, home, "run", "aima-ci")
    assert bad.returncode == 1, bad.stdout + bad.stderr
    assert "Failed" in bad.stdout and "model_card.sections: fail" in bad.stdout
    (project / "aima.yaml").write_text("version: 1\ncolectors: {}\n")
    broken = pre_commit(project, home, "run", "aima-ci")
    assert broken.returncode == 1 and "colectors: unknown key" in broken.stdout
    assert "- exit code: 2" in broken.stdout
