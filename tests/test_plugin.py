"""aima_ci.plugin: the collector API every first- and third-party collector is written against.

What a collector author relies on: config paths cannot leave the repository, artefacts stay in
their folder, findings get their boilerplate from the declared check, thresholds come from the
config when given, typos in config keys are refused, and one broken plugin does not take the
others down. The collector here is a real subclass, run in-process.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from aima_ci.errors import CollectorConfigError, InputError
from aima_ci.models import Check, Severity, Status
from aima_ci.plugin import (
    Collector,
    CollectorContext,
    discover_names,
    load_collector,
    load_entry_point,
    load_some,
    run_mode,
)
from aima_ci.safety.hashing import sha256_file


class Demo(Collector):
    name = "demo"
    version = "2.0"
    requires = ("aima_ci_no_such_tool_xyz",)
    report_requires = ()
    extra = "demo"
    checks = (
        Check("demo.ratio", "Ratio holds", ("RAI-FB-A2",), Severity.HIGH, threshold=0.8),
        Check("demo.plain", "Plain", ("VER-ST-A1",), next_step="Fix it."),
    )


@pytest.fixture
def ctx(tmp_path: Path) -> CollectorContext:
    root = tmp_path / "repo"
    (root / "conf").mkdir(parents=True)
    (root / "data.csv").write_text("a,b\n1,2\n")
    evidence = root / ".aima"
    return CollectorContext(
        collector=Demo(),
        config={"data": "../data.csv", "thresholds": {"ratio": 0.9}},
        root=root,
        config_dir=root / "conf",
        artefact_dir=evidence / "artefacts" / "demo",
        evidence_dir=evidence,
    )


def test_config_paths_resolve_from_the_config_and_never_leave_the_root(ctx, tmp_path):
    assert ctx.path("../data.csv", "data") == ctx.root / "data.csv"
    (tmp_path / "secret").write_text("x")
    with pytest.raises(InputError, match=r"collectors\.demo\.data: "):
        ctx.path("../../secret", "data")
    with pytest.raises(InputError, match=r"collectors\.demo\.model: "):
        ctx.path("missing.bin", "model")
    assert ctx.path("new.json", must_exist=False) == ctx.root / "conf" / "new.json"


def test_artefacts_stay_in_the_collector_folder(ctx):
    path = ctx.artefact("plots/group.svg")
    assert path.parent.is_dir() and path.is_relative_to(ctx.artefact_dir.resolve())
    path.write_text("<svg/>")
    assert ctx.rel_artefact(path) == "artefacts/demo/plots/group.svg"
    with pytest.raises(InputError, match="escapes the artefact folder"):
        ctx.artefact("../other/x.txt")


def test_a_subject_carries_the_file_digest_and_its_repository_path(ctx):
    subject = ctx.subject("data", ctx.root / "conf" / ".." / "data.csv")
    assert subject.path == "data.csv" and subject.name == "data.csv" and subject.kind == "data"
    assert subject.digest == "sha256:" + sha256_file(ctx.root / "data.csv")


def test_thresholds_come_from_the_config_else_the_check(ctx):
    assert ctx.threshold("demo.ratio") == 0.9
    assert ctx.threshold("demo.plain") is None
    ctx.config = {"thresholds": {"ratio": "high"}}
    with pytest.raises(CollectorConfigError, match=r"collectors\.demo\.thresholds\.ratio"):
        ctx.threshold("demo.ratio")
    ctx.config = {"thresholds": {"ratio": True}}  # a bool is not a number here
    with pytest.raises(CollectorConfigError):
        ctx.threshold("demo.ratio")


def test_a_finding_gets_its_boilerplate_from_the_declared_check(ctx):
    art = ctx.artefact("report.json")
    art.write_text("{}")
    finding = ctx.finding("demo.ratio", "fail", value=0.5, message="0.5 < 0.8", artefacts=[art])
    assert finding.status is Status.FAIL and finding.collector == "demo"
    assert finding.collector_version == "2.0" and finding.severity is Severity.HIGH
    assert finding.threshold == 0.8 and finding.questions == ("RAI-FB-A2",)
    assert finding.artefacts == ("artefacts/demo/report.json",)
    assert ctx.finding("demo.plain", Status.PASS).next_step == "Fix it."
    with pytest.raises(KeyError, match=r"declares no check 'demo\.other'"):
        ctx.finding("demo.other", Status.PASS)
    with pytest.raises(ValueError):
        ctx.finding("demo.plain", "passed")


def test_unknown_config_keys_are_refused_by_name():
    Demo().check_keys({"data": 1, "enabled": True, "timeout": 5}, {"data"})
    with pytest.raises(CollectorConfigError, match=r"collectors\.demo\.dta: unknown key"):
        Demo().check_keys({"dta": 1}, {"data"})


def test_report_mode_needs_no_tool():
    assert run_mode({}) == "run" and run_mode({"report": "r.json"}) == "report"
    assert run_mode({"report": "r.json", "mode": "run"}) == "run"
    demo = Demo()
    assert demo.missing_requirements({}) == ["aima_ci_no_such_tool_xyz"]
    assert demo.missing_requirements({"report": "r.json"}) == []
    assert demo.install_hint() == "pip install 'aima-ci[demo]'"


def test_the_default_cache_inputs_are_the_files_the_config_names(ctx):
    assert list(Demo().cache_inputs(ctx.config, ctx)) == [ctx.root / "data.csv"]


class _EntryPoint:
    """The two attributes of importlib.metadata.EntryPoint the loader reads."""

    def __init__(self, name: str, obj: object) -> None:
        self.name, self.value, self._obj = name, f"x:{name}", obj

    def load(self) -> object:
        if isinstance(self._obj, Exception):
            raise self._obj
        return self._obj


def test_an_entry_point_must_load_a_collector_of_its_own_name():
    assert load_entry_point(_EntryPoint("demo", Demo)) is Demo
    with pytest.raises(TypeError, match="not a Collector subclass"):
        load_entry_point(_EntryPoint("demo", object))
    with pytest.raises(TypeError, match="names must match"):
        load_entry_point(_EntryPoint("other", Demo))


def test_discovery_uses_the_entry_point_group_and_isolates_a_broken_plugin():
    names = discover_names()
    assert "testplugin" in names and "fairlearn" in names
    assert load_collector("testplugin").name == "testplugin"
    with pytest.raises(KeyError):
        load_collector("no_such_collector")
    loaded, broken = load_some(["testplugin", "no_such_collector"])
    assert list(loaded) == ["testplugin"] and broken == {}
