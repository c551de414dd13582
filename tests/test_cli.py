"""The command line, through the real entry point: exit codes 0/1/2, the attestation-only
assessment with hand-computable levels, and the catalogue/explain/init commands."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from aima_ci.assess.catalogue import load_catalogue

CAT = load_catalogue()
TODAY_ENV = {"AIMA_CI_TODAY": "2026-11-26"}


def attest(repo: Path, answers: dict[str, str]) -> None:
    entries = [
        {
            "question": q,
            "answer": a,
            "owner": "qa@example.com",
            "date": "2026-11-01",
            "expires": "2027-11-01",
        }
        for q, a in answers.items()
    ]
    (repo / "attestations.yaml").write_text(yaml.safe_dump({"attestations": entries}))


def level1_everywhere() -> dict[str, str]:
    return {f"{p}-{s}1": "yes" for p in CAT.practices for s in "AB"}


def test_version(cli, repo):
    res = cli("--version", cwd=repo)
    assert res.returncode == 0 and "aima-ci, version" in res.stdout


def test_run_with_only_attestations_gives_hand_computed_levels(cli, repo, write_config):
    answers = level1_everywhere()
    # VER-ST reaches level 2 (both L2 yes) and has a '+' from VER-ST-A3 = 2 on the toolkit scale.
    answers.update({"VER-ST-A2": "yes", "VER-ST-B2": "yes", "VER-ST-A3": "2"})
    attest(repo, answers)
    write_config({"target": {"level": 1}, "attestations": "attestations.yaml"})
    res = cli("run", cwd=repo, env=TODAY_ENV)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "AIMA gate PASSED" in res.stdout
    a = json.loads((repo / ".aima" / "assessment.json").read_text())
    practices = {p["id"]: p for d in a["domains"] for p in d["practices"]}
    # VER-ST: (3+3 + 3+3 + 2+0) / 6 = 14/6; no level-3 question fully met, so no "+" (the
    # source's rule: fractional credit shows in the score only)
    assert practices["VER-ST"]["level"] == 2 and practices["VER-ST"]["plus"] is False
    assert abs(practices["VER-ST"]["score"] - 14 / 6) < 1e-3
    assert practices["GOV-SM"]["level"] == 1 and practices["GOV-SM"]["score"] == 1.0
    ver = next(d for d in a["domains"] if d["id"] == "VER")
    assert ver["level"] == 1 and ver["plus"] is True
    assert abs(ver["score"] - (14 / 6 + 1 + 1) / 3) < 1e-3
    assert a["overall"] == {"score": round((23 + 14 / 6) / 24, 4), "level": 1, "plus": True}
    assert a["gate"]["passed"] is True
    q = next(
        q
        for d in a["domains"]
        for p in d["practices"]
        for s in p["streams"]
        for q in s["questions"]
        if q["id"] == "VER-ST-A3"
    )
    assert q["basis"] == "attestation" and q["attestation"]["owner"] == "qa@example.com"
    manifest = json.loads((repo / ".aima" / "manifest.json").read_text())
    assert {"assessment.json", "findings.jsonl", "run.json"} <= {
        f["path"] for f in manifest["files"]
    }


def test_gate_fails_with_exit_1_and_names_the_gap(cli, repo, write_config):
    answers = level1_everywhere()
    del answers["GOV-EA-B1"]
    attest(repo, answers)
    write_config({"attestations": "attestations.yaml"})
    res = cli("run", cwd=repo, env=TODAY_ENV)
    assert res.returncode == 1
    assert "AIMA gate FAILED" in res.stdout
    assert "GOV-EA-B1" in res.stdout and "add an attestation for GOV-EA-B1" in res.stdout
    gate = cli("gate", cwd=repo, env=TODAY_ENV)
    assert gate.returncode == 1
    assert "Governance is at level 0+, target 1 (below target: GOV-EA)" in gate.stdout
    relaxed = cli("gate", "--target-level", "0", cwd=repo, env=TODAY_ENV)
    assert relaxed.returncode == 0 and "PASSED" in relaxed.stdout


def test_split_pipeline_collect_score_gate_report(cli, repo, write_config):
    attest(repo, level1_everywhere())
    write_config(
        {"attestations": "attestations.yaml", "collectors": {"testplugin": {"behaviour": "fail"}}}
    )
    assert cli("collect", cwd=repo).returncode == 0
    assert cli("score", cwd=repo, env=TODAY_ENV).returncode == 0
    gate = cli("gate", cwd=repo, env=TODAY_ENV)
    assert gate.returncode == 1  # the failing check pulls VER-ST below level 1
    assert "VER-ST" in gate.stdout
    for fmt, needle in (
        ("text", "testplugin.alpha: fail"),
        ("markdown", "## ❌ AIMA gate failed"),
        ("json", '"passed": false'),
    ):
        rep = cli("report", "--format", fmt, cwd=repo)
        assert rep.returncode == 0 and needle in rep.stdout, rep.stdout


def test_fail_on_error(cli, repo, write_config):
    attest(repo, level1_everywhere())
    write_config(
        {
            "attestations": "attestations.yaml",
            "target": {"level": 0},
            "collectors": {"testplugin": {"behaviour": "crash"}},
        }
    )
    assert cli("run", cwd=repo, env=TODAY_ENV).returncode == 0
    res = cli("run", "--fail-on-error", cwd=repo, env=TODAY_ENV)
    assert res.returncode == 1 and "simulated tool crash" in res.stdout


def test_required_collector_that_crashed_fails_gate(cli, repo, write_config):
    write_config(
        {
            "target": {"level": 0},
            "collectors": {"testplugin": {"behaviour": "crash"}},
            "required_collectors": ["testplugin"],
        }
    )
    res = cli("run", cwd=repo, env=TODAY_ENV)
    assert res.returncode == 1
    assert "required collector 'testplugin' error" in res.stdout


def test_config_error_exits_2_without_traceback(cli, repo, write_config):
    write_config("target:\n  level: five\n")
    for cmd in ("run", "collect", "score", "gate"):
        res = cli(cmd, cwd=repo)
        assert res.returncode == 2, cmd
        assert "aima.yaml:2: target.level: must be a whole number from 0 to 3" in res.stderr
        assert "Traceback" not in res.stderr


def test_collector_key_error_exits_2(cli, repo, write_config):
    write_config({"collectors": {"testplugin": {"behaviour": "dance"}}})
    res = cli("run", cwd=repo)
    assert res.returncode == 2 and "collectors.testplugin.behaviour" in res.stderr


def test_usage_error_and_missing_evidence_exit_2(cli, repo):
    assert cli("report", "--format", "nope", cwd=repo).returncode == 2
    res = cli("report", cwd=repo)
    assert res.returncode == 2 and "assessment.json not found" in res.stderr
    assert "Traceback" not in res.stderr


def test_corrupt_findings_exit_2_naming_the_line(cli, repo):
    out = repo / ".aima"
    out.mkdir()
    (out / "findings.jsonl").write_text(
        '{"check": "a", "collector": "b", "status": "pass"}\n{oops\n'
    )
    res = cli("score", cwd=repo)
    assert res.returncode == 2 and "findings.jsonl:2" in res.stderr


def test_controls_json_lists_all_questions(cli, repo):
    res = cli("controls", "--format", "json", cwd=repo)
    rows = json.loads(res.stdout)
    assert len(rows) == 144
    by_id = {r["id"]: r for r in rows}
    assert by_id["VER-ST-A2"]["text"] == CAT.questions["VER-ST-A2"].text
    assert sum(r["inverted_phrasing"] for r in rows) == 13  # 4 + the 9 of issue 13
    text = cli("controls", "--domain", "IMP-SB", cwd=repo).stdout
    assert "IMP-SB-B3" in text and "VER-ST" not in text


def test_explain_question_practice_and_check(cli, repo, write_config):
    attest(repo, {"GOV-SM-A1": "yes"})
    write_config({"attestations": "attestations.yaml"})
    cli("run", cwd=repo, env=TODAY_ENV)
    q = cli("explain", "gov-sm-a1", cwd=repo)
    assert q.returncode == 0
    assert CAT.questions["GOV-SM-A1"].text in q.stdout
    assert "attested 'yes' by qa@example.com" in q.stdout
    p = cli("explain", "GOV-SM", cwd=repo)
    assert "To reach level 1" in p.stdout and "GOV-SM-B1" in p.stdout
    assert "GOV-SM-A1:" not in p.stdout  # already satisfied
    c = cli("explain", "testplugin.alpha", cwd=repo)
    assert "Evidence for: VER-ST-A1" in c.stdout
    assert cli("explain", "XYZ", cwd=repo).returncode == 2


def test_collectors_lists_plugins(cli, repo):
    res = cli("collectors", "--format", "json", cwd=repo)
    rows = {r["name"]: r for r in json.loads(res.stdout)}
    assert rows["testplugin"]["installed"] is True
    assert rows["testplugin"]["entry_point"] == "aima_ci_testplugin:TestPluginCollector"
    assert rows["testplugin_missing"]["installed"] is False
    assert rows["testplugin_missing"]["install"] == "pip install 'aima-ci[no-such-tool]'"


def test_init_writes_starters_that_run(cli, repo):
    res = cli("init", cwd=repo)
    assert res.returncode == 0
    assert (repo / "aima.yaml").exists() and (repo / "aima-attestations.yaml").exists()
    assert cli("init", cwd=repo).returncode == 2  # refuses to overwrite
    run = cli("run", cwd=repo, env=TODAY_ENV)
    assert run.returncode == 1 and "AIMA gate FAILED" in run.stdout


def test_plain_progress_lines_when_not_a_tty(cli, repo, write_config):
    write_config({"collectors": {"testplugin": {}}})
    res = cli("collect", cwd=repo)
    assert "testplugin: running" in res.stderr
    assert "testplugin: done in" in res.stderr
    assert "\x1b[" not in res.stderr


def test_the_fast_exit_gives_the_status_sys_exit_would(tmp_path: Path) -> None:
    """main() ends without the interpreter's teardown (safety/fastexit.py): the process status
    must still be what ``sys.exit(code)`` gives, and what the command printed must arrive."""
    import subprocess
    import sys

    from aima_ci.cli.main import _exit_status

    assert [_exit_status(c) for c in (None, 0, 1, 2, 3)] == [0, 0, 1, 2, 3]
    script = (
        "import sys; sys.argv = ['aima-ci', *sys.argv[1:]]\n"
        "from aima_ci.cli.main import main\n"
        "main()\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, "controls", "--format", "json"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert len(json.loads(done.stdout)) == 144  # the whole document reached the pipe
    usage = subprocess.run(
        [sys.executable, "-c", script, "no-such-command"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert usage.returncode == 2 and "No such command" in usage.stderr
    text_status = subprocess.run(
        [
            sys.executable,
            "-c",
            "from aima_ci.cli.main import _exit_status; "
            "import sys; sys.exit(_exit_status('stopped: reason'))",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert text_status.returncode == 1 and "stopped: reason" in text_status.stderr
