"""The documentation: `mkdocs build --strict` passes, the configuration reference covers every key
the validator knows and its complete example is accepted by it, the exit codes and report formats
match the code, and the GitHub workflow in the quickstart passes actionlint."""

from __future__ import annotations

import re
import subprocess

import pytest
import yaml
from ci_env import REPO, clean_env

DOCS = REPO / "docs"
MY_PAGES = (
    "index",
    "quickstart-local",
    "quickstart-github",
    "quickstart-gitlab",
    "quickstart-precommit",
    "configuration",
    "exit-codes",
    "reports",
)


def yaml_blocks(page: str) -> list[str]:
    return re.findall(r"```yaml\n(.*?)```", (DOCS / page).read_text(), re.S)


def test_mkdocs_build_strict(require_tool, tmp_path) -> None:
    mkdocs = require_tool("mkdocs")
    site = tmp_path / "site"
    res = subprocess.run(
        [
            mkdocs,
            "build",
            "--strict",
            "--config-file",
            str(REPO / "mkdocs.yml"),
            "--site-dir",
            str(site),
        ],
        cwd=REPO,
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert res.returncode == 0, res.stdout + res.stderr
    for page in MY_PAGES:
        path = site / ("index.html" if page == "index" else f"{page}/index.html")
        assert path.is_file(), page
    assert (site / "img" / "report.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    reports = (site / "reports" / "index.html").read_text()
    assert 'id="sarif"' in reports and "../img/report.png" in reports


def test_configuration_reference_covers_every_key(repo) -> None:
    from aima_ci.config import TOP_LEVEL_KEYS, build_config

    text = (DOCS / "configuration.md").read_text()
    headings = set(re.findall(r"^## `([a-z_]+)`$", text, re.M))
    assert headings == set(TOP_LEVEL_KEYS), set(TOP_LEVEL_KEYS) ^ headings
    for key in ("level", "domains", "practices", "score", "schedule", "no_regression"):
        assert f"`target.{key}`" in text, key
    example = yaml.safe_load(yaml_blocks("configuration.md")[0])
    assert set(example) == set(TOP_LEVEL_KEYS), "the complete example uses every key"
    (repo / "aima.yaml").write_text(yaml_blocks("configuration.md")[0])
    (repo / "aima-attestations.yaml").write_text("attestations: []\n")
    config = build_config(example, repo / "aima.yaml", repo, {})
    assert config.target.domains["VER"] == {"level": 2} and config.required_collectors == (
        "fairlearn",
    )


def test_exit_codes_and_formats_match_the_code() -> None:
    from aima_ci import reports
    from aima_ci.cli import main as _cli

    text = (DOCS / "exit-codes.md").read_text()
    for code in (_cli.EXIT_PASS, _cli.EXIT_FAIL, _cli.EXIT_USAGE, _cli.EXIT_INTERNAL):
        assert f"| **{code}** |" in text
    assert (_cli.EXIT_PASS, _cli.EXIT_FAIL, _cli.EXIT_USAGE, _cli.EXIT_INTERNAL) == (0, 1, 2, 3)
    table = (DOCS / "reports.md").read_text()
    rows = set(re.findall(r"^\| `([a-z]+)` \| `report\.", table, re.M))
    assert rows == set(reports.FORMATS), rows ^ set(reports.FORMATS)
    for name in reports.FORMATS:
        fmt = reports.get(name)
        assert f"| `{name}` | `{fmt.filename}` | `{fmt.media_type}` |" in table, name


def test_github_quickstart_workflow_passes_actionlint(require_tool, tmp_path) -> None:
    actionlint = require_tool("actionlint")
    workflow = next(b for b in yaml_blocks("quickstart-github.md") if "jobs:" in b)
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    (tmp_path / ".github" / "workflows").mkdir(parents=True)
    (tmp_path / ".github" / "workflows" / "aima.yml").write_text(workflow)
    res = subprocess.run(
        [actionlint, "-no-color", "-oneline", "-shellcheck=", "-pyflakes="],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert res.returncode == 0, res.stdout + res.stderr


@pytest.mark.parametrize("page", MY_PAGES)
def test_pages_link_only_to_pages_that_exist(page) -> None:
    for target in re.findall(r"\]\(([^)#:]+\.md)(?:#[^)]*)?\)", (DOCS / f"{page}.md").read_text()):
        assert (DOCS / target).is_file(), f"{page}.md links to missing {target}"


def test_scale_out_workflow_passes_actionlint_and_pins_shas(require_tool, tmp_path) -> None:
    """docs/scale-out.md pins actions by commit SHA, as the quickstart does, and is valid."""
    actionlint = require_tool("actionlint")
    workflow = next(b for b in yaml_blocks("scale-out.md") if "jobs:" in b)
    uses = re.findall(r"uses: ([\w./-]+)@(\S+)", workflow)
    assert len(uses) >= 6
    assert all(re.fullmatch(r"[0-9a-f]{40}", ref) for _, ref in uses), uses
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    (tmp_path / ".github" / "workflows").mkdir(parents=True)
    (tmp_path / ".github" / "workflows" / "aima.yml").write_text(workflow)
    res = subprocess.run(
        [actionlint, "-no-color", "-oneline", "-shellcheck=", "-pyflakes="],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert res.returncode == 0, res.stdout + res.stderr


def test_files_the_ci_script_points_to_exist() -> None:
    text = (REPO / ".ci" / "run").read_text()
    referenced = re.findall(r"\b(docs/[\w./-]+\.md)\b", text)
    assert referenced, "the CI script explains its torch pin in the docs"
    for path in referenced:
        assert (REPO / path).is_file(), f".ci/run points at missing {path}"
