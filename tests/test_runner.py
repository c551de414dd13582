"""The runner fails closed: crashes, timeouts, SIGKILL, junk output and missing tools never pass.

Uses the third-party test plugin (tests/plugins/aima-ci-testplugin), discovered through the same
entry-point group as every collector.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from aima_ci.config import ConfigError, load_config
from aima_ci.evidence.collect import EvidenceLocked, collect, locked
from aima_ci.evidence.directory import read_findings, read_json, verify_manifest
from aima_ci.models import Status
from aima_ci.plugin import CollectorConfigError


def run(repo: Path, write_config, **settings) -> tuple[list, dict]:
    timeout = settings.pop("timeout", None)
    coll = {"testplugin": {**settings, **({"timeout": timeout} if timeout else {})}}
    cfg = load_config(write_config({"collectors": coll}), cwd=repo)
    out = repo / ".aima"
    collect(cfg, out)
    findings = read_findings(out)
    runinfo = read_json(out / "run.json")
    return findings, {r["name"]: r for r in runinfo["collectors"]}


def statuses(findings) -> dict[str, Status]:
    return {f.check: f.status for f in findings}


def test_passing_collector_writes_findings_artefacts_and_manifest(repo, write_config):
    findings, runs = run(repo, write_config, behaviour="pass")
    assert statuses(findings) == {"testplugin.alpha": Status.PASS, "testplugin.beta": Status.PASS}
    assert runs["testplugin"]["status"] == "ok"
    alpha = next(f for f in findings if f.check == "testplugin.alpha")
    assert alpha.artefacts == ("artefacts/testplugin/result.txt",)
    assert alpha.questions == ("VER-ST-A1",) and alpha.value == 0.9
    assert (repo / ".aima" / alpha.artefacts[0]).read_text() == "behaviour=pass\n"
    assert verify_manifest(repo / ".aima") == []


@pytest.mark.parametrize(
    ("behaviour", "run_status", "message"),
    [
        ("crash", "error", "collector crashed: RuntimeError: simulated tool crash"),
        ("kill", "error", "killed by SIGKILL"),
        ("input_error", "input_error", "has no column 'label'"),
        ("junk", "error", "not valid events"),
    ],
)
def test_faults_become_errors_never_pass(repo, write_config, behaviour, run_status, message):
    findings, runs = run(repo, write_config, behaviour=behaviour)
    assert runs["testplugin"]["status"] == run_status
    assert message in runs["testplugin"]["message"]
    assert set(statuses(findings)) == {"testplugin.alpha", "testplugin.beta"}
    # Even the passes a junk-emitting collector reported are distrusted.
    assert all(f.status is Status.ERROR for f in findings)
    assert all(message in f.message for f in findings)


def test_timeout_kills_the_collector(repo, write_config):
    findings, runs = run(repo, write_config, behaviour="hang", timeout=1.5)
    assert runs["testplugin"]["status"] == "timeout"
    assert runs["testplugin"]["duration"] < 20
    assert {f.status for f in findings} == {Status.ERROR}
    assert "timed out after 1.5s" in findings[0].message


def test_partial_crash_keeps_reported_checks_and_errors_the_rest(repo, write_config):
    findings, runs = run(repo, write_config, behaviour="partial")
    assert runs["testplugin"]["status"] == "error"
    assert statuses(findings) == {"testplugin.alpha": Status.PASS, "testplugin.beta": Status.ERROR}


def test_stdout_noise_from_a_tool_does_not_corrupt_events(repo, write_config):
    findings, runs = run(repo, write_config, behaviour="stdout_noise")
    assert runs["testplugin"]["status"] == "ok"
    assert statuses(findings)["testplugin.beta"] is Status.PASS
    log = (repo / ".aima" / "artefacts" / "testplugin" / "collector.log").read_text()
    assert "a tool chatting on stdout" in log and "raw bytes on fd 1" in log


def test_missing_tool_is_not_run_with_install_hint(repo, write_config):
    cfg = load_config(write_config({"collectors": {"testplugin_missing": {}}}), cwd=repo)
    (run_,) = collect(cfg, repo / ".aima")
    assert run_.status == "not_installed"
    (f,) = run_.findings
    assert f.status is Status.NOT_RUN
    assert "pip install 'aima-ci[no-such-tool]'" in f.message


def test_unknown_collector_name_is_a_config_error(repo, write_config):
    """A name no plugin provides is a typo or a missing plugin: exit 2 before anything runs
    (skipping it would let attestations answer the questions its checks should decide)."""
    cfg = load_config(write_config({"collectors": {"nosuch": {}}}), cwd=repo)
    with pytest.raises(ConfigError, match=r"collectors\.nosuch: no collector named 'nosuch'"):
        collect(cfg, repo / ".aima")
    assert not (repo / ".aima" / "findings.jsonl").exists()


def test_collector_config_is_validated_before_running(repo, write_config):
    cfg = load_config(
        write_config({"collectors": {"testplugin": {"behaviour": "dance"}}}), cwd=repo
    )
    with pytest.raises(CollectorConfigError) as info:
        collect(cfg, repo / ".aima")
    assert info.value.key == "collectors.testplugin.behaviour"


def test_disabled_collector_does_not_run(repo, write_config):
    cfg = load_config(write_config({"collectors": {"testplugin": {"enabled": False}}}), cwd=repo)
    assert collect(cfg, repo / ".aima") == []
    assert read_findings(repo / ".aima") == []


def test_second_run_on_same_directory_is_refused(repo):
    out = repo / ".aima"
    with (
        locked(out),
        pytest.raises(EvidenceLocked, match="in use by another aima-ci run"),
        locked(out),
    ):
        pass


def test_secret_in_environment_never_reaches_outputs(repo, write_config, monkeypatch):
    secret = "sk-test-PLANTED0123456789abcdef"
    monkeypatch.setenv("OPENAI_API_KEY", secret)
    # The collector's message includes its config, which carries the secret by mistake.
    cfg = load_config(
        write_config({"collectors": {"testplugin": {"behaviour": "input_error", "note": secret}}}),
        cwd=repo,
    )
    collect(cfg, repo / ".aima")
    for path in (repo / ".aima").rglob("*"):
        if path.is_file():
            assert secret not in path.read_text(errors="replace"), path
    findings = read_findings(repo / ".aima")
    assert "[REDACTED:env:OPENAI_API_KEY]" in findings[0].message
    run_json = json.loads((repo / ".aima" / "run.json").read_text())
    assert run_json["redactions"]["env:OPENAI_API_KEY"] >= 1


def test_a_broken_plugin_is_an_error_and_does_not_stop_the_others(repo, write_config):
    cfg = load_config(
        write_config({"collectors": {"testplugin": {}, "testplugin_broken": {}}}), cwd=repo
    )
    runs = {r.name: r for r in collect(cfg, repo / ".aima")}
    assert runs["testplugin"].status == "ok"
    assert runs["testplugin_broken"].status == "error"
    assert "plugin failed to load: ImportError: this plugin is broken on purpose" in (
        runs["testplugin_broken"].message
    )


def test_requirements_depend_on_mode():
    from aima_ci.plugin import Collector

    class Tool(Collector):
        name = "tool"
        requires = ("aima_ci_no_such_tool_xyz",)

    assert Tool().missing_requirements({}) == ["aima_ci_no_such_tool_xyz"]
    assert Tool().missing_requirements({"mode": "run"}) == ["aima_ci_no_such_tool_xyz"]
    assert Tool().missing_requirements({"mode": "report"}) == []
    assert Tool().missing_requirements({"report": "scan.json"}) == []


def test_check_keys_names_the_unknown_key():
    from aima_ci.plugin import Collector

    class Tool(Collector):
        name = "tool"

    Tool().check_keys({"enabled": True, "timeout": 5, "data": "x"}, {"data"})
    with pytest.raises(CollectorConfigError) as info:
        Tool().check_keys({"data": "x", "lable": "y"}, {"data", "label"})
    assert info.value.key == "collectors.tool.lable"
    assert "label" in info.value.reason


def test_longest_first_starts_unknown_then_the_longest_last_time():
    from dataclasses import dataclass

    from aima_ci.evidence.runner import longest_first

    @dataclass
    class _Fake:
        name: str

    @dataclass
    class _Job:
        collector: _Fake

    jobs = [_Job(_Fake(n)) for n in ("fairlearn", "evidently", "art", "shap", "newcomer")]
    durations = {"fairlearn": 3.0, "evidently": 9.5, "art": 20.0, "shap": 12.0}
    order = [jobs[i].collector.name for i in longest_first(jobs, durations)]
    assert order == ["newcomer", "art", "shap", "evidently", "fairlearn"]
    assert longest_first(jobs, {}) == [0, 1, 2, 3, 4]  # nothing known: config order


def test_last_durations_reads_run_json_and_ignores_junk(tmp_path):
    from aima_ci.evidence.runner import last_durations

    run_json = tmp_path / "run.json"
    run_json.write_text(
        json.dumps(
            {
                "collectors": [
                    {"name": "art", "status": "ok", "duration": 20.5},
                    {"name": "shap", "status": "reused", "duration": 0.01},
                    {"name": "evil", "status": "ok", "duration": "forever"},
                    "junk",
                ]
            }
        )
    )
    assert last_durations(run_json) == {"art": 20.5}
    run_json.write_text("{not json")
    assert last_durations(run_json) == {}
    assert last_durations(tmp_path / "missing.json") == {}


SPEC_PLUGIN = """
import os
from dataclasses import dataclass

from aima_ci.models import Check, Status
from aima_ci.options import Int, ListOf, Option, Spec, Text, Values
from aima_ci.plugin import Collector


@dataclass(frozen=True)
class DemoSettings:
    word: str
    times: int
    words: tuple


def build(values: Values) -> DemoSettings:
    with open(os.environ["SPEC_DEMO_LOG"], "a", encoding="utf-8") as log:
        log.write(f"{os.getpid()}\\n")  # one line per parse, with the parsing process
    return DemoSettings(values["word"], values["times"], values["words"])


class SpecDemo(Collector):
    name = "specdemo"
    checks = (Check("specdemo.echo", "Echo", ("VER-ST-A1",)),)
    shard_key = "words"
    spec = Spec(options=(Option("word", Text(), required=True), Option("times", Int(), default=2),
                         Option("words", ListOf(Text()), default=())),
                build=build)

    def collect(self, ctx):
        s = ctx.settings
        yield ctx.finding("specdemo.echo", Status.PASS, value=s.times,
                          message=f"{type(s).__name__} {s.word} pid={os.getpid()} {list(s.words)}")
"""


def _spec_demo(tmp_path: Path, monkeypatch) -> tuple[type, Path]:
    """A collector with an option spec, in a module the worker process can import."""
    import importlib
    import os

    pkgs = tmp_path / "pkgs"
    pkgs.mkdir()
    (pkgs / "specdemo_plugin.py").write_text(SPEC_PLUGIN, encoding="utf-8")
    monkeypatch.syspath_prepend(str(pkgs))
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(pkgs), os.environ.get("PYTHONPATH", "")]))
    log = tmp_path / "parses.log"
    monkeypatch.setenv("SPEC_DEMO_LOG", str(log))
    return importlib.import_module("specdemo_plugin").SpecDemo, log


def test_settings_are_parsed_once_in_the_parent_and_reach_the_worker(
    repo, write_config, tmp_path, monkeypatch
):
    import os

    cls, log = _spec_demo(tmp_path, monkeypatch)
    cfg = load_config(
        write_config({"collectors": {"specdemo": {"word": "hello", "times": 3}}}), cwd=repo
    )
    collect(cfg, repo / ".aima", available={"specdemo": cls})
    [finding] = read_findings(repo / ".aima")
    assert finding.status is Status.PASS and finding.value == 3
    assert finding.message.startswith("DemoSettings hello pid=")
    assert finding.message != f"DemoSettings hello pid={os.getpid()}"  # ran in the worker
    assert log.read_text().split() == [str(os.getpid())]  # parsed once, here, never there


def test_a_bad_spec_value_is_refused_before_anything_runs(
    repo, write_config, tmp_path, monkeypatch
):
    cls, log = _spec_demo(tmp_path, monkeypatch)
    cfg = load_config(
        write_config({"collectors": {"specdemo": {"word": "hi", "times": True}}}), cwd=repo
    )
    with pytest.raises(CollectorConfigError) as info:
        collect(cfg, repo / ".aima", available={"specdemo": cls})
    assert (info.value.key, info.value.reason) == (
        "collectors.specdemo.times",
        "must be a whole number",
    )
    assert not (repo / ".aima" / "findings.jsonl").exists() and not log.exists()


def test_each_shard_gets_the_settings_of_its_own_part(repo, write_config, tmp_path, monkeypatch):
    from aima_ci.evidence.shard import ShardSpec

    cls, log = _spec_demo(tmp_path, monkeypatch)
    block = {"word": "w", "words": ["a", "b", "c"]}
    cfg = load_config(write_config({"collectors": {"specdemo": block}}), cwd=repo)
    seen = []
    for index in (1, 2):
        out = repo / f".aima-{index}"
        collect(cfg, out, available={"specdemo": cls}, shard=ShardSpec(index, 2))
        [finding] = read_findings(out)
        seen.append(finding.message.partition(" [")[2])  # the words the worker's settings hold
    assert seen == ["'a', 'c']", "'b']"]
    assert len(log.read_text().split()) == 2  # once per shard run, in the parent
