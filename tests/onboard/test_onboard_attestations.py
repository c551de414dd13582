"""The attestation workflow: a template that stays valid YAML whatever is uncommented, `todo`
listing what is left, and `answer` appending an entry that scoring then credits."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from aima_ci.assess.attestations import load_attestations
from aima_ci.assess.catalogue import load_catalogue
from aima_ci.assess.scoring import score
from aima_ci.cli.init import starter_attestations
from aima_ci.cli.main import cli
from aima_ci.config import ConfigError
from aima_ci.onboard.answers import append_answer, build_entry, open_questions

TODAY = dt.date(2026, 11, 26)
CAT = load_catalogue()
ENTRY_START = re.compile(r"^# - question: ")


def _entries(lines: list[str]) -> list[range]:
    """Line ranges of each commented entry: the question line and its indented lines after it."""
    out = []
    for i, line in enumerate(lines):
        if ENTRY_START.match(line):
            j = i + 1
            while j < len(lines) and lines[j].startswith("#   "):
                j += 1
            out.append(range(i, j))
    return out


def _uncomment(lines: list[str], ranges: list[range], prefix: str = "# ") -> str:
    out = list(lines)
    for r in ranges:
        for i in r:
            out[i] = out[i].removeprefix(prefix)
    return "\n".join(out) + "\n"


def _load(tmp_path: Path, text: str) -> tuple[list, list]:
    path = tmp_path / "aima-attestations.yaml"
    path.write_text(text, encoding="utf-8")
    return load_attestations([path], tmp_path, CAT.questions, TODAY)


def test_template_as_written_loads_with_no_answers(tmp_path: Path) -> None:
    accepted, problems = _load(tmp_path, starter_attestations(CAT, TODAY))
    assert (accepted, problems) == ([], [])


def test_every_entry_uncommented_alone_or_all_together_stays_valid(tmp_path: Path) -> None:
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "link-or-url").write_text("evidence\n")
    lines = starter_attestations(CAT, TODAY).splitlines()
    ranges = _entries(lines)
    assert len(ranges) == len(CAT.questions) == 144
    for r in ranges:
        text = _uncomment(lines, [r])
        data = yaml.safe_load(text)  # raises on the old `attestations: []` trap
        assert len(data["attestations"]) == 1
        accepted, problems = _load(tmp_path, text)
        assert problems == [] and len(accepted) == 1
        assert accepted[0].question == lines[r[0]].split()[3]
    for prefix in ("# ", "#"):  # deleting the '# ' or only the '#'
        accepted, problems = _load(tmp_path, _uncomment(lines, ranges, prefix))
        assert problems == [] and len(accepted) == 144
        assert {a.question for a in accepted} == set(CAT.questions)


def test_old_template_trap_is_still_reported_as_invalid_yaml(tmp_path: Path) -> None:
    text = "attestations: []\n- question: VER-ST-A1\n  answer: yes\n"
    with pytest.raises(ConfigError, match="invalid YAML"):
        _load(tmp_path, text)


def test_todo_puts_the_profile_first_then_levels() -> None:
    items = open_questions(
        CAT,
        covered={"VER-ST-A1"},
        attested={"RAI-FB-A1"},
        priorities=("OPS-IM-A3", "RAI-FB-A1", "DES-TA-A1"),
    )
    ids = [t.question.id for t in items]
    assert ids[:2] == ["OPS-IM-A3", "DES-TA-A1"]
    assert "VER-ST-A1" not in ids and "RAI-FB-A1" not in ids
    assert len(ids) == 142
    levels = [t.question.level for t in items[2:]]
    assert levels == sorted(levels)


def _repo(tmp_path: Path, config: str) -> Path:
    root = tmp_path / "repo"
    (root / ".git").mkdir(parents=True)
    (root / "aima.yaml").write_text(config)
    (root / "docs").mkdir()
    (root / "docs" / "bias-review.md").write_text("# Bias review\n")
    return root


def test_answer_then_score_credits_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = _repo(
        tmp_path, "version: 1\nprofile: tabular-classifier\nattestations: aima-attestations.yaml\n"
    )
    (root / "aima-attestations.yaml").write_text(starter_attestations(CAT, TODAY))
    monkeypatch.chdir(root)
    monkeypatch.setenv("AIMA_CI_TODAY", TODAY.isoformat())
    runner = CliRunner()
    before = runner.invoke(cli, ["attestations", "todo", "--format", "json"])
    assert before.exit_code == 0, before.output
    assert "RAI-FB-B1" in before.output
    for qid, answer in (("RAI-FB-B1", "yes"), ("RAI-FB-A1", "2")):
        res = runner.invoke(
            cli,
            [
                "attestations",
                "answer",
                qid,
                "--answer",
                answer,
                "--owner",
                "ml@example.com",
                "--evidence",
                "docs/bias-review.md",
            ],
        )
        assert res.exit_code == 0, res.output
    accepted, problems = load_attestations(
        [root / "aima-attestations.yaml"], root, CAT.questions, TODAY
    )
    assert problems == []
    assert {a.question: a.answer for a in accepted} == {"RAI-FB-B1": "yes", "RAI-FB-A1": "2"}
    practice = score(CAT, [], accepted).practice("RAI-FB")
    assert practice.score == pytest.approx((3 + 2) / 6)
    after = runner.invoke(cli, ["attestations", "todo"])
    first = after.output.split("First, for the tabular-classifier profile")[1].split("\n\n")[0]
    assert "RAI-FB-B1" not in first and "RAI-FB-A1" not in first and "DAT-QI-A1" in first
    # the file keeps its comments: the template's commented entries are still there
    assert "# - question: VER-ST-A1" in (root / "aima-attestations.yaml").read_text()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["VER-ST-A9", "--answer", "yes"], "did you mean"),
        (["VER-ST-A1", "--answer", "maybe"], "not yes, no or 0-3"),
        (["VER-ST-A1", "--answer", "yes", "--evidence", "docs/missing.md"], "does not exist"),
        (["VER-ST-A1", "--answer", "yes", "--evidence", "../outside.md"], "VER-ST-A1"),
        (["VER-ST-A1", "--answer", "yes", "--expires", "2026-01-01"], "expire"),
    ],
)
def test_answers_scoring_would_refuse_are_exit_2_and_leave_the_file_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str], message: str
) -> None:
    root = _repo(tmp_path, "version: 1\nattestations: aima-attestations.yaml\n")
    (tmp_path / "outside.md").write_text("x")
    (root / "aima-attestations.yaml").write_text("attestations:\n")
    monkeypatch.chdir(root)
    monkeypatch.setenv("AIMA_CI_TODAY", TODAY.isoformat())
    res = CliRunner().invoke(cli, ["attestations", "answer", *args, "--owner", "a@example.com"])
    assert res.exit_code == 2, res.output
    assert message in res.output
    assert (root / "aima-attestations.yaml").read_text() == "attestations:\n"


def test_append_opens_the_old_empty_list_and_refuses_a_flow_list(tmp_path: Path) -> None:
    entry = build_entry(
        "VER-ST-A1", "yes", "a@example.com", None, TODAY, TODAY + dt.timedelta(days=9)
    )
    old = tmp_path / "old.yaml"
    old.write_text("# comment kept\nattestations: []\n")
    append_answer(old, entry)
    assert old.read_text().startswith("# comment kept\nattestations:\n- question: VER-ST-A1")
    flow = tmp_path / "flow.yaml"
    flow.write_text("attestations: [{question: VER-ST-B1, answer: no}]\n")
    with pytest.raises(ConfigError, match="cannot append"):
        append_answer(flow, entry)
    assert flow.read_text() == "attestations: [{question: VER-ST-B1, answer: no}]\n"
    tail = tmp_path / "tail.yaml"
    tail.write_text("attestations:\n- question: VER-ST-B1\n  answer: no\nother: 1\n")
    with pytest.raises(ConfigError, match="cannot append"):
        append_answer(tail, entry)


def test_run_refuses_a_broken_attestation_file_before_any_collector(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _repo(tmp_path, "version: 1\nattestations: a.yaml\ncollectors:\n  pipeline: {}\n")
    (root / "a.yaml").write_text("attestations: []\n- question: VER-ST-A1\n  answer: yes\n")
    monkeypatch.chdir(root)
    res = CliRunner().invoke(cli, ["run"])
    assert res.exit_code == 2, res.output
    assert "a.yaml:2: invalid YAML" in res.output
    assert not (root / ".aima" / "findings.jsonl").exists()  # no collector ran


def test_todo_puts_what_the_gate_needs_after_the_profile() -> None:
    items = open_questions(
        CAT, covered=(), attested=(), priorities=("GOV-EA-A1",), targets={"OPS-IM": 2}
    )
    ids = [t.question.id for t in items]
    assert ids[0] == "GOV-EA-A1"
    assert ids[1:5] == ["OPS-IM-A1", "OPS-IM-B1", "OPS-IM-A2", "OPS-IM-B2"]
    assert not items[5].blocking and items[5].question.level == 1


def test_practice_targets_follow_the_config(tmp_path: Path) -> None:
    from aima_ci.config import load_config
    from aima_ci.onboard.answers import practice_targets

    root = _repo(
        tmp_path,
        "version: 1\ntarget:\n  level: 0\n  domains: {OPS: 1}\n  practices: {OPS-IM: 2, VER-ST: 1}\n",
    )
    got = practice_targets(load_config(root / "aima.yaml"), CAT)
    assert (got["OPS-IM"], got["OPS-EM"], got["VER-ST"], got["GOV-EA"]) == (2, 1, 1, 0)


def test_profile_ordered_template_lists_each_question_once_and_stays_valid(tmp_path: Path) -> None:
    from aima_ci.onboard.profiles import load_profile

    profile = load_profile("rag")
    text = starter_attestations(CAT, TODAY, None, profile.attestations, profile.name)
    lines = text.splitlines()
    ranges = _entries(lines)
    ids = [lines[r[0]].split()[3] for r in ranges]
    assert ids[: len(profile.attestations)] == list(profile.attestations)
    assert sorted(ids) == sorted(CAT.questions)
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "link-or-url").write_text("evidence\n")
    accepted, problems = _load(tmp_path, _uncomment(lines, ranges))
    assert problems == [] and len(accepted) == 144
