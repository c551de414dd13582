"""The format table: every registered module defines the format it is registered as, every format
renders the same real assessment, ``run`` and ``report`` go through the same table (same bytes in
the same file), the command line offers exactly the registered names, a new format plugs in with
one line, and the gate path loads none of the renderers."""

from __future__ import annotations

import json
import re
import shutil
import sys
import types
from pathlib import Path
from typing import Any

import pytest

from aima_ci import api, reports
from aima_ci.config import load_config
from aima_ci.errors import UserError
from aima_ci.reports import FORMATS, ReportContext, ReportFormat, UnknownFormat

# The only bytes allowed to differ between two renderings of one assessment: the age of the
# evidence at the moment of rendering.
AGE = re.compile(r"^aima_evidence_age_seconds\{.*$", re.M)
TODAY = {"AIMA_CI_TODAY": "2026-11-26"}  # the day the session's evidence was built for


def stable(text: str) -> str:
    return AGE.sub("aima_evidence_age_seconds{...}", text)


def context(built: Any) -> ReportContext:
    return api.report_context(load_config(built.config), built.evidence)


@pytest.mark.parametrize("name", list(FORMATS))
def test_each_module_defines_the_format_it_is_registered_as(name: str) -> None:
    fmt = reports.get(name)
    assert isinstance(fmt, ReportFormat) and fmt.name == name
    assert FORMATS[name] == f"aima_ci.reports.{name}"  # one module per format, named for it
    assert fmt.filename.startswith("report.") and "/" not in fmt.filename
    assert re.fullmatch(r"[a-z]+/[a-z0-9.+-]+(; .+)?", fmt.media_type), fmt.media_type


def test_file_names_are_distinct() -> None:
    files = [reports.get(n).filename for n in FORMATS]
    assert len(set(files)) == len(files), files


@pytest.mark.parametrize("fixture", ["plugin_run", "passing_run", "hostile_evidence"])
def test_every_format_renders_the_same_assessment(fixture: str, request) -> None:
    built: Any = request.getfixturevalue(fixture)
    assessment = built.assessment
    ctx = context(built)
    for name in FORMATS:
        text = reports.get(name).render(assessment, ctx)
        assert isinstance(text, str) and (text == "" or text.endswith("\n")), name
        if not text:  # only annotations may be empty: a passing gate has nothing to flag
            assert name == "github" and assessment["gate"]["passed"], name
        if name == "json":
            assert json.loads(text) == assessment
    assert built.assessment == assessment  # no renderer changed what it was given


def test_report_and_run_write_the_same_bytes_through_one_table(
    plugin_run: Any, tmp_path: Path, cli
) -> None:
    """``run --format`` writes each file the table names; ``report --format`` renders the same."""
    repo = tmp_path / "repo"  # a copy: the session's evidence stays as other tests expect it
    shutil.copytree(plugin_run.repo, repo, ignore=shutil.ignore_patterns(".aima"))
    formats = [arg for name in reports.names() for arg in ("-f", name)]
    res = cli("run", *formats, cwd=repo, env=TODAY)
    assert res.returncode == 1, res.stderr  # plugin_run's gate fails by design
    for name in reports.names():
        written = (repo / ".aima" / reports.get(name).filename).read_text(encoding="utf-8")
        shown = cli("report", "-f", name, cwd=repo, env=TODAY)
        assert shown.returncode == 0, shown.stderr
        assert stable(shown.stdout) == stable(written), name


def help_choices(cli, command: str) -> set[str]:
    res = cli(command, "--help", cwd=Path.cwd())
    assert res.returncode == 0, res.stderr
    flat = " ".join(res.stdout.split())
    match = re.search(r"--format \[([a-z|]+)\]", flat)
    assert match, flat
    return set(match.group(1).split("|"))


@pytest.mark.parametrize("command", ["report", "run"])
def test_the_command_line_offers_exactly_the_registered_formats(cli, command: str) -> None:
    assert help_choices(cli, command) == set(FORMATS)


def test_an_unknown_name_is_a_usage_error_listing_the_known_ones(repo, write_config) -> None:
    with pytest.raises(UnknownFormat, match=r"'pdf' \(one of: codequality, github, ") as err:
        reports.get("pdf")
    assert isinstance(err.value, UserError)
    config = load_config(write_config({"collectors": {"testplugin": {}}}))
    with pytest.raises(UnknownFormat):
        api.run(config, repo / ".aima", formats=["json", "pdf"])
    assert not (repo / ".aima" / "findings.jsonl").exists()  # refused before collecting


def test_a_new_format_is_one_module_and_one_line(monkeypatch, plugin_run: Any) -> None:
    module = types.ModuleType("aima_ci_test_yaml_format")

    def render(assessment, ctx):
        return f"passed: {str(assessment['gate']['passed']).lower()}\n"

    module.FORMAT = ReportFormat(  # type: ignore[attr-defined]
        name="tiny", filename="report.tiny.yaml", media_type="application/yaml", render=render
    )
    monkeypatch.setitem(sys.modules, module.__name__, module)
    monkeypatch.setitem(FORMATS, "tiny", module.__name__)
    assert reports.render("tiny", plugin_run.assessment, context(plugin_run)) == "passed: false\n"
    assert "tiny" in reports.names()
    with pytest.raises(UserError, match="--view renders as text, markdown or json, not tiny"):
        reports.render("tiny", plugin_run.assessment, context(plugin_run), view="atlas")
    monkeypatch.setitem(FORMATS, "other", module.__name__)  # registered under the wrong name
    with pytest.raises(TypeError, match="not the ReportFormat named 'other'"):
        reports.get("other")


def test_gate_path_loads_no_renderer(plugin_run: Any, loaded_modules: Any) -> None:
    """``aima-ci gate`` builds the commands (and their --format choices from the table) but
    imports no format module, no shared report piece and not the catalogue's report helpers."""
    code, modules = loaded_modules("gate", plugin_run.repo)
    loaded = sorted(m for m in modules if m.startswith("aima_ci.reports"))
    assert code == 1, loaded  # the gate really ran (and failed, as designed)
    # At most the format table itself (the CLI may build its --format choices lazily).
    assert set(loaded) <= {"aima_ci.reports", "aima_ci.reports.format"}, loaded


def test_the_readme_command_table_names_every_format() -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    match = re.search(r"`aima-ci report --format ([a-z\\|]+)`", readme)
    assert match, "README.md lost its report row"
    assert set(match.group(1).split("\\|")) == set(FORMATS)


def test_nothing_outside_reports_reaches_into_a_private_module() -> None:
    """The GitHub action once imported ``aima_ci.reports._issues`` for its annotations; the
    public ``report --format github`` replaced it. Every report module is public now, and no
    file outside the package (action, templates, benchmarks, tests) may import a ``_`` one."""
    root = Path(__file__).resolve().parents[2]
    assert not [p.name for p in (root / "aima_ci" / "reports").glob("_[!_]*.py")]
    private = re.compile(r"aima_ci\.reports\._|from aima_ci\.reports import _")
    outside = [
        p
        for folder in ("aima_ci", "actions", "templates", "benchmarks", "tests", ".github")
        for p in (root / folder).rglob("*")
        if p.suffix in (".py", ".yml", ".yaml", ".sh") and "reports" not in p.parent.parts[-1:]
    ] + [root / "action.yml"]
    assert [str(p) for p in outside if private.search(p.read_text(encoding="utf-8"))] == []
