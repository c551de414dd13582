"""The ratchet: no practice may drop below its last default-branch level, and dated targets rise.

Pure gate logic first (gate.regressions, effective_target), then the wiring end to end: history
as the baseline (``--baseline history`` and ``history: {baseline: true}``), branches, and the
date-driven target through the real CLI.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from aima_ci.assess.catalogue import load_catalogue
from aima_ci.assess.gate import effective_target, evaluate, regressions, summarise
from aima_ci.assess.scoring import score
from aima_ci.config import Target
from aima_ci.models import Attestation
from aima_ci.trust.history import record_from_assessment

CAT = load_catalogue()
TODAY = dt.date(2026, 11, 26)
ALL_ONE = {p: 1 for p in CAT.practices}


def levels(practice_levels: dict[str, int]) -> dict:
    atts = [
        Attestation(f"{pid}-{s}{lvl}", 1.0, "yes", "o", "2026-11-01", "2027-11-01")
        for pid, level in practice_levels.items()
        for s in "AB"
        for lvl in range(1, level + 1)
    ]
    scored = score(CAT, [], atts)
    return {
        "overall": {"score": scored.score, "level": scored.level, "plus": scored.plus},
        "domains": [d.to_dict() for d in scored.domains],
    }


RATCHET = Target(level=0, no_regression=True)


def test_a_drop_fails_even_far_above_target():
    before = levels({**ALL_ONE, "VER-ST": 3, "GOV-PC": 2})
    after = levels({**ALL_ONE, "VER-ST": 2, "GOV-PC": 2})
    result = evaluate(after, effective_target(RATCHET, TODAY), baseline=before)
    assert not result.passed
    (failure,) = result.failures
    assert (failure.kind, failure.id, failure.expected, failure.actual) == (
        "regression",
        "VER-ST",
        3,
        2,
    )
    assert "dropped from level 3 to 2" in failure.message


def test_every_dropped_practice_is_named():
    before = levels({p: 2 for p in CAT.practices})
    after = levels({**{p: 2 for p in CAT.practices}, "VER-ST": 1, "OPS-IM": 0, "RAI-ES": 1})
    ids = sorted(f.id for f in regressions(after, before))
    assert ids == ["OPS-IM", "RAI-ES", "VER-ST"]


def test_improvement_or_equal_is_fine_and_new_practices_are_ignored():
    before = levels(ALL_ONE)
    assert regressions(levels({**ALL_ONE, "VER-ST": 2}), before) == []
    assert regressions(before, before) == []
    partial = {"domains": [{"practices": [{"id": "VER-ST", "level": 1}]}]}
    assert regressions(levels({**ALL_ONE, "GOV-SM": 0}), partial) == []


def test_no_baseline_or_ratchet_off_means_no_regression_check():
    before = levels({**ALL_ONE, "VER-ST": 3})
    after = levels(ALL_ONE)
    assert evaluate(after, effective_target(RATCHET, TODAY), baseline=None).passed
    assert evaluate(after, effective_target(Target(level=0), TODAY), baseline=before).passed


def test_the_gate_summary_and_a_history_record_both_serve_as_baseline():
    before = levels({**ALL_ONE, "VER-ST": 2})
    before_full = {**before, "gate": {"passed": True}, "date": "2026-11-01"}
    after = levels(ALL_ONE)
    from_summary = regressions(after, summarise(before_full))
    record = record_from_assessment(before_full, assessment_sha256="x", branch="main", commit=None)
    from_history = regressions(after, record.as_baseline())
    assert [f.id for f in from_summary] == [f.id for f in from_history] == ["VER-ST"]
    # and the current side may be a summary too (the gate reads summary.json)
    assert [f.id for f in regressions(summarise({**after, "gate": {}}), before)] == ["VER-ST"]


def test_regression_and_target_failures_are_both_reported():
    before = levels({**ALL_ONE, "VER-ST": 2})
    after = levels({**ALL_ONE, "VER-ST": 0})
    target = Target(level=1, no_regression=True)
    kinds = sorted(
        f.kind for f in evaluate(after, effective_target(target, TODAY), baseline=before).failures
    )
    assert kinds == ["domain_level", "regression"]


# --------------------------------------------------------------------------- dated targets
SCHEDULE = Target(
    level=1,
    schedule=(
        {"date": "2027-03-01", "level": 2},
        {"date": "2027-09-01", "level": 3, "domains": {"VER": {"level": 3, "score": 2.5}}},
    ),
)


@pytest.mark.parametrize(
    ("day", "level", "entry"),
    [
        (dt.date(2027, 2, 28), 1, None),
        (dt.date(2027, 3, 1), 2, "2027-03-01"),
        (dt.date(2027, 8, 31), 2, "2027-03-01"),
        (dt.date(2027, 9, 1), 3, "2027-09-01"),
        (dt.date(2030, 1, 1), 3, "2027-09-01"),
    ],
)
def test_schedule_entries_take_effect_on_their_date(day: dt.date, level: int, entry: str | None):
    target = effective_target(SCHEDULE, day)
    assert (target.level, target.schedule_entry) == (level, entry)


def test_a_dated_domain_goal_merges_into_the_target():
    target = effective_target(SCHEDULE, dt.date(2027, 9, 1))
    assert target.domain_goal("VER") == {"level": 3, "score": 2.5}
    assert target.domain_goal("OPS") == {"level": 3}


def test_a_later_entry_never_lowers_the_level():
    target = Target(level=2, schedule=({"date": "2027-01-01", "level": 1},))
    assert effective_target(target, dt.date(2028, 1, 1)).level == 2


def test_the_same_assessment_passes_before_and_fails_after_the_date():
    at_two = levels({p: 2 for p in CAT.practices})
    assert evaluate(at_two, effective_target(SCHEDULE, dt.date(2027, 8, 31))).passed
    failed = evaluate(at_two, effective_target(SCHEDULE, dt.date(2027, 9, 1)))
    assert {f.kind for f in failed.failures} == {"domain_level", "domain_score"}


# --------------------------------------------------------------------------- wired end to end
def _config(write_config, behaviour: str, **extra) -> None:
    write_config(
        {
            "target": {"level": 0, "no_regression": True},
            "history": {"path": "history.sqlite", "default_branch": "main"},
            "collectors": {"testplugin": {"behaviour": behaviour}},
            **extra,
        }
    )


def _run(cli, repo: Path, *args: str, branch: str = "main", **env: str):
    return cli("run", "--no-cache", *args, cwd=repo, env={"AIMA_CI_BRANCH": branch, **env})


def test_history_baseline_fails_a_drop_on_main_and_on_a_branch(repo: Path, write_config, cli):
    _config(write_config, "pass")
    first = _run(cli, repo, "--baseline", "history")
    assert first.returncode == 0, first.stdout + first.stderr  # nothing to regress from yet
    _config(write_config, "fail")
    branch = _run(cli, repo, "--baseline", "history", branch="feature")
    assert branch.returncode == 1
    assert "VER-ST" in branch.stdout and "dropped from level 1 to 0" in branch.stdout
    assessment = json.loads((repo / ".aima/assessment.json").read_text())
    assert assessment["gate_inputs"]["baseline"]["source"].startswith("history:main@")
    assert assessment["gate_inputs"]["baseline"]["practices"]["VER-ST"] == 1
    # the failing branch run was recorded on its own branch and did not move main's baseline
    again = _run(cli, repo, "--baseline", "history", branch="feature")
    assert again.returncode == 1
    verified = cli("verify", ".aima", cwd=repo)
    assert verified.returncode == 0, verified.stdout  # the recorded baseline replays


def test_config_can_make_history_the_default_baseline(repo: Path, write_config, cli):
    history = {"path": "history.sqlite", "default_branch": "main", "baseline": True}
    write_config(
        {
            "target": {"level": 0, "no_regression": True},
            "history": history,
            "collectors": {"testplugin": {"behaviour": "pass"}},
        }
    )
    assert _run(cli, repo).returncode == 0
    write_config(
        {
            "target": {"level": 0, "no_regression": True},
            "history": history,
            "collectors": {"testplugin": {"behaviour": "fail"}},
        }
    )
    dropped = _run(cli, repo)
    assert dropped.returncode == 1 and "dropped" in dropped.stdout


def test_gate_with_history_baseline_never_compares_an_assessment_with_itself(
    repo: Path, write_config, cli
):
    _config(write_config, "pass")
    env = {"AIMA_CI_BRANCH": "main"}
    assert cli("collect", "--no-cache", cwd=repo).returncode == 0
    assert cli("score", cwd=repo, env=env).returncode == 0  # appended: main's latest is itself
    _config(write_config, "fail")
    assert cli("collect", "--no-cache", cwd=repo).returncode == 0
    assert cli("score", cwd=repo, env=env).returncode == 0  # appended too
    gate = cli("gate", "--baseline", "history", cwd=repo, env=env)
    assert gate.returncode == 1 and "dropped from level 1 to 0" in gate.stdout


def test_baseline_history_without_a_store_is_a_usage_error(repo: Path, write_config, cli):
    write_config({"collectors": {"testplugin": {}}})
    done = cli("score", "--baseline", "history", cwd=repo)  # refused before anything is read
    assert done.returncode == 2 and "no history store" in done.stderr


def test_a_baseline_file_still_works(repo: Path, write_config, cli, tmp_path: Path):
    _config(write_config, "pass")
    assert _run(cli, repo).returncode == 0
    saved = tmp_path / "baseline.json"
    saved.write_text((repo / ".aima/assessment.json").read_text())
    _config(write_config, "fail")
    done = _run(cli, repo, "--baseline", str(saved))
    assert done.returncode == 1 and "dropped" in done.stdout


def test_dated_target_through_the_cli(repo: Path, write_config, cli):
    write_config(
        {
            "target": {"level": 0, "schedule": [{"date": "2027-03-01", "level": 1}]},
            "collectors": {"testplugin": {}},
        }
    )
    before = cli("run", "--no-cache", cwd=repo, env={"AIMA_CI_TODAY": "2027-02-28"})
    after = cli("run", "--no-cache", cwd=repo, env={"AIMA_CI_TODAY": "2027-03-01"})
    assert before.returncode == 0, before.stdout
    assert after.returncode == 1 and "target 1" in after.stdout
