"""The threat_model collector: YAML, Markdown and real pytm models, freshness from git history."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from aima_ci_collectors.threat_model import ThreatModelCollector, judge
from aima_ci_collectors.threat_model.lastchange import Change
from aima_ci_collectors.threat_model.measure import Freshness
from aima_ci_collectors.threat_model.owasp_llm import ids_from_references, named_ids

from aima_ci.config import load_config
from aima_ci.evidence.collect import collect
from aima_ci.models import Status
from aima_ci.plugin import CollectorConfigError, CollectorContext

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "threat_model"


def git(root: Path, *args: str, when: str | None = None) -> None:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com"}
    env |= {"GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}
    if when:
        env |= {"GIT_AUTHOR_DATE": when, "GIT_COMMITTER_DATE": when}
    subprocess.run(["git", "-C", str(root), *args], check=True, env=env, capture_output=True)


def commit(root: Path, when: str, *paths: str) -> None:
    git(root, "add", *paths)
    git(root, "commit", "-q", "-m", f"change at {when}", when=when)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    root.mkdir()
    git(root, "init", "-q")
    (root / "model").mkdir()
    (root / "model" / "weights.bin").write_bytes(b"\x00\x01")
    (root / "prompts").mkdir()
    (root / "prompts" / "system.txt").write_text("You are a helpful assistant.\n")
    return root


def run(root: Path, settings: dict[str, Any]) -> dict[str, Any]:
    cfg = root / "aima.yaml"
    cfg.write_text(yaml.safe_dump({"collectors": {"threat_model": settings}}))
    runs = collect(
        load_config(cfg),
        root / ".aima",
        available={"threat_model": ThreatModelCollector},
    )
    return {f.check: f for f in runs[0].findings}


def test_yaml_model_current_covering_and_mitigated(repo: Path) -> None:
    shutil.copy(FIXTURES / "threats.yaml", repo / "threats.yaml")
    commit(repo, "2026-01-01T10:00:00", "model", "prompts")
    commit(repo, "2026-01-02T10:00:00", "threats.yaml")
    found = run(
        repo,
        {
            "path": "threats.yaml",
            "watch": ["model/", "prompts/"],
            "required_llm_risks": "all",
        },
    )
    assert {k: f.status for k, f in found.items()} == {
        "threat_model.present": Status.PASS,
        "threat_model.current": Status.PASS,
        "threat_model.llm_risks": Status.PASS,
        "threat_model.mitigations": Status.PASS,
    }
    assert "by git history" in found["threat_model.current"].message
    assert found["threat_model.present"].value == 10


def test_model_change_after_the_threat_model_fails_current(repo: Path) -> None:
    shutil.copy(FIXTURES / "threats.yaml", repo / "threats.yaml")
    commit(repo, "2026-01-01T10:00:00", "threats.yaml")
    commit(repo, "2026-02-01T10:00:00", "prompts")
    (repo / "model" / "weights.bin").write_bytes(b"\x00\x02")  # uncommitted edit counts too
    f = run(repo, {"path": "threats.yaml", "watch": ["model/", "prompts/"]})["threat_model.current"]
    assert f.status is Status.FAIL
    assert "older than the last change of model (uncommitted), prompts (commit)" in f.message


def test_missing_llm_risks_and_open_threats_fail(repo: Path) -> None:
    (repo / "threats.yaml").write_text(
        "threats:\n"
        "  - {id: T1, title: Prompt injection via uploads (LLM01), mitigation: input filter}\n"
        "  - {id: T2, title: Model theft}\n"
    )
    found = run(repo, {"path": "threats.yaml", "required_llm_risks": ["LLM01", "LLM07:2025"]})
    f = found["threat_model.llm_risks"]
    assert f.status is Status.FAIL and f.message.endswith("LLM07 (System Prompt Leakage)")
    m = found["threat_model.mitigations"]
    assert m.status is Status.FAIL and m.details["open"] == ["T2"]
    assert found["threat_model.current"].status is Status.NOT_APPLICABLE  # no watch paths


def test_markdown_model(repo: Path) -> None:
    (repo / "THREAT_MODEL.md").write_text(
        "# Threat model\n\n## Threats\n- LLM01:2025 prompt injection: guarded by filters.\n"
    )
    found = run(repo, {})
    assert found["threat_model.present"].status is Status.PASS
    assert found["threat_model.llm_risks"].value == 1
    assert found["threat_model.mitigations"].status is Status.NOT_APPLICABLE
    (repo / "THREAT_MODEL.md").write_text("# Notes\n\n## Plan\nShip it.\n")
    f = run(repo, {})["threat_model.present"]
    assert f.status is Status.ERROR and "never mentions a threat" in f.message


def test_not_a_git_repo_uses_file_times(tmp_path: Path) -> None:
    root = tmp_path / "plain"
    (root / "model").mkdir(parents=True)
    (root / "model" / "m.bin").write_bytes(b"1")
    (root / "THREAT_MODEL.md").write_text("# Threats\n\n## T1\nThreat: theft.\n")
    os.utime(root / "model" / "m.bin", (1_700_000_000, 1_700_000_000))
    os.utime(root / "THREAT_MODEL.md", (1_600_000_000, 1_600_000_000))
    f = run(root, {"watch": ["model"]})["threat_model.current"]
    assert f.status is Status.FAIL and "(mtime)" in f.message


def test_pytm_model_is_run_and_its_findings_collected(repo: Path) -> None:
    pytest.importorskip("pytm")
    shutil.copy(FIXTURES / "tm.py", repo / "tm.py")
    commit(repo, "2026-01-01T10:00:00", "model", "prompts", "tm.py")
    found = run(
        repo,
        {
            "path": "tm.py",
            "watch": ["model/", "prompts/"],
            "required_llm_risks": ["LLM01", "LLM02", "LLM07"],
        },
    )
    assert found["threat_model.present"].status is Status.PASS
    assert "pytm model identifying" in found["threat_model.present"].message
    llm = found["threat_model.llm_risks"]
    # LLM01 from pytm's prompt-injection finding; LLM02 and LLM07 only as named 2025 IDs.
    assert llm.status is Status.PASS
    assert llm.details["from_pytm_findings"] == ["LLM01"]
    assert llm.details["named"] == ["LLM02", "LLM07"]
    m = found["threat_model.mitigations"]
    assert m.status is Status.FAIL
    assert "LLM07 on Assistant (High)" in m.details["open"]  # jailbreak: no response recorded
    assert not any(o.startswith("LLM01") for o in m.details["open"])  # has a response
    assert m.artefacts == ("artefacts/threat_model/pytm.json",)
    assert (repo / ".aima" / "artefacts" / "threat_model" / "pytm.json").stat().st_size > 100
    relaxed = run(repo, {"path": "tm.py", "fail_on_severity": "very high"})
    assert relaxed["threat_model.mitigations"].status is Status.PASS


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("import pytm\ndef broken(:\n", "tm.py:2: Python syntax error"),
        ("print('no pytm here')\n", "does not import pytm"),
        ("import pytm\nraise SystemExit(3)\n", "exited with code 3"),
        ("import pytm\n", "must call tm.process()"),
        ("import pytm, time\ntime.sleep(30)\n", "did not finish within 2s"),
    ],
)
def test_broken_pytm_models_are_errors(repo: Path, source: str, expected: str) -> None:
    if "SystemExit" in source or "process" in expected or "sleep" in source:
        pytest.importorskip("pytm")
    (repo / "tm.py").write_text(source)
    # Only the sleeping model is about the time limit; the others get room for a loaded machine
    # (pytm's own import can take seconds there), so a slow start is not mistaken for a hang.
    limit = 2 if "sleep" in source else 60
    found = run(repo, {"path": "tm.py", "pytm_timeout": limit})
    assert {f.status for f in found.values()} == {Status.ERROR}
    assert expected in found["threat_model.present"].message


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"threats: [\n", "threats.yaml:2: invalid YAML"),
        (b"threats: []\n", "'threats' must be a non-empty list"),
        (
            b"threats:\n  - {id: T1}\n",
            "threats.yaml:2: each threat needs an 'id' and a 'title'",
        ),
        (b"\x7fELF\x02\x01\x00", "NUL byte"),
    ],
)
def test_malformed_yaml_model_is_an_error(repo: Path, content: bytes, expected: str) -> None:
    (repo / "threats.yaml").write_bytes(content)
    found = run(repo, {"path": "threats.yaml"})
    assert {f.status for f in found.values()} == {Status.ERROR}
    assert expected in found["threat_model.present"].message


def test_missing_model_fails_and_watch_outside_root_errors(repo: Path) -> None:
    found = run(repo, {})
    assert {f.status for f in found.values()} == {Status.FAIL}
    shutil.copy(FIXTURES / "threats.yaml", repo / "threats.yaml")
    found = run(repo, {"path": "threats.yaml", "watch": ["../../etc"]})
    assert found["threat_model.current"].status is Status.ERROR
    assert "outside the repository root" in found["threat_model.current"].message


def test_llm_id_rules() -> None:
    assert named_ids("LLM01 and LLM10:2025, not LLM11 or LLM00", strict=False) == {
        "LLM01",
        "LLM10",
    }
    # In pytm source only the :2025 form counts: pytm's own SIDs reuse LLM01..LLM09.
    assert named_ids('threat_id="LLM03"  # LLM05:2025', strict=True) == {"LLM05"}
    # 2023 pages map by name: 'llm06-sensitive-information-disclosure' is LLM02 in 2025.
    refs = "https://genai.owasp.org/llmrisk/llm06-sensitive-information-disclosure/"
    assert ids_from_references(refs) == {"LLM02"}


@pytest.mark.parametrize(
    ("settings", "key"),
    [
        ({"paht": "tm.yaml"}, "collectors.threat_model.paht: unknown key"),
        ({"kind": "word"}, "collectors.threat_model.kind: must be one of auto, pytm"),
        ({"watch": [3]}, "collectors.threat_model.watch[0]: must be"),
        ({"required_llm_risks": ["LLM99"]}, "collectors.threat_model.required_llm_risks: 'LLM99'"),
        ({"fail_on_severity": "huge"}, "collectors.threat_model.fail_on_severity: must be one"),
        ({"pytm_timeout": True}, "collectors.threat_model.pytm_timeout: must be a number"),
    ],
)
def test_bad_settings_name_the_key(settings: dict[str, Any], key: str) -> None:
    with pytest.raises(CollectorConfigError) as err:
        ThreatModelCollector().validate_config(settings)
    assert str(err.value).startswith(f"config: {key}")


def test_settings_are_parsed_once_into_their_typed_form() -> None:
    settings = ThreatModelCollector().parse_settings(
        {
            "watch": "model/",
            "required_llm_risks": ["llm01:2025", "LLM06"],
            "fail_on_severity": "Medium",
        }
    )
    assert settings.watch == ("model/",)
    assert settings.required_llm_risks == ["LLM01", "LLM06"]
    assert (settings.fail_on_severity, settings.severity_floor) == ("Medium", 2)


def judge_ctx(tmp_path: Path) -> CollectorContext:
    ev = tmp_path / ".aima"
    return CollectorContext(
        collector=ThreatModelCollector(),
        config={},
        root=tmp_path,
        config_dir=tmp_path,
        artefact_dir=ev / "artefacts" / "threat_model",
        evidence_dir=ev,
    )


@pytest.mark.parametrize(
    ("fresh", "status", "text"),
    [
        (Freshness(watched=False), Status.NOT_APPLICABLE, "no 'watch' paths"),
        (Freshness(True, use_git=True, shallow=True), Status.INCONCLUSIVE, "shallow git clone"),
        (
            Freshness(
                True,
                True,
                False,
                Change("tm.yaml", 100.0, "commit"),
                (
                    Change("model", 200.0, "commit"),
                    Change("prompts", 50.0, "commit"),
                ),
            ),
            Status.FAIL,
            "tm.yaml (commit) is older than the last change of model (commit)",
        ),
        (
            Freshness(
                True,
                False,
                False,
                Change("tm.yaml", 100.0, "mtime"),
                (Change("gone", None, "absent"),),
            ),
            Status.FAIL,
            "none of the watched paths exist: gone",
        ),
        (
            Freshness(
                True,
                False,
                False,
                Change("tm.yaml", 100.0, "mtime"),
                (
                    Change("model", 100.0, "mtime"),
                    Change("gone", None, "absent"),
                ),
            ),
            Status.PASS,
            "is at least as recent as model (by file times: not a git work tree)",
        ),
    ],
)
def test_judge_current_from_readings_alone(
    tmp_path: Path, fresh: Freshness, status: Status, text: str
) -> None:
    """The freshness verdict needs no repository: judge works on what measure read."""
    f = judge.current(judge_ctx(tmp_path), fresh, ())
    assert f.status is status and text in f.message
