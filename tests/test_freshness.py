"""Freshness and binding: stale or re-bound evidence must stop earning credit, and say why."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from aima_ci.assess.assessment import assess
from aima_ci.assess.gate import iter_questions
from aima_ci.config import load_config
from aima_ci.evidence.collect import collect
from aima_ci.evidence.freshness import (
    RepoDigests,
    apply_freshness,
    clock_for,
    evaluate_freshness,
    replay_freshness,
    staleness,
    ttl_lookup,
    ttl_overrides,
)
from aima_ci.models import Finding, Status, Subject
from aima_ci.safety.hashing import sha256_file

NOW = dt.datetime(2026, 6, 10, 12, 0, tzinfo=dt.UTC)


def finding(
    status: Status = Status.PASS,
    finished: str | None = "2026-06-08T12:00:00Z",
    subjects: tuple[Subject, ...] = (),
    ttl: float | None = None,
    check: str = "x.check",
    collector: str = "x",
) -> Finding:
    return Finding(
        check=check,
        collector=collector,
        status=status,
        message="ok",
        finished_at=finished,
        subjects=subjects,
        details={"ttl_days": ttl} if ttl is not None else {},
    )


def no_files(rel: str) -> str | None:
    return None


def test_fresh_finding_is_untouched():
    f = finding(ttl=7)
    out, stale = apply_freshness([f], NOW, ttl_lookup({}), no_files)
    assert out == [f] and stale == []


def test_finding_older_than_its_ttl_becomes_not_run_with_the_reason():
    f = finding(finished="2026-06-01T12:00:00Z", ttl=7)
    (out,), (record,) = apply_freshness([f], NOW, ttl_lookup({}), no_files)
    assert out.status is Status.NOT_RUN
    assert "9.0 day(s) old" in out.message and "time-to-live of 7 day(s)" in out.message
    assert out.details["stale_status"] == "pass"
    assert record.to_dict()["status"] == "pass" and "older than" in record.reason


def test_ttl_boundary_is_inclusive_of_exactly_ttl_days():
    at_limit = finding(finished="2026-06-03T12:00:00Z", ttl=7)
    just_over = finding(finished="2026-06-03T11:59:59Z", ttl=7)
    assert staleness(at_limit, NOW, 7, no_files) is None
    assert staleness(just_over, NOW, 7, no_files) is not None


def test_without_a_ttl_age_does_not_matter():
    assert staleness(finding(finished="2001-01-01T00:00:00Z"), NOW, None, no_files) is None


def test_missing_timestamp_with_a_ttl_fails_closed():
    assert "no timestamp" in staleness(finding(finished=None), NOW, 1, no_files)


def test_timestamp_far_in_the_future_is_not_fresh_for_longer():
    assert "future" in staleness(finding(finished="2026-06-11T12:00:00Z"), NOW, 7, no_files)
    # a collecting clock a few minutes ahead is tolerated
    assert staleness(finding(finished="2026-06-10T12:10:00Z"), NOW, 7, no_files) is None


def test_errors_and_not_run_keep_their_own_reason():
    for status in (Status.ERROR, Status.NOT_RUN):
        f = finding(status=status, finished=None)
        assert apply_freshness([f], NOW, lambda _: 1.0, no_files)[0] == [f]


def test_fail_goes_stale_too_so_the_record_says_why():
    f = finding(status=Status.FAIL, finished="2020-01-01T00:00:00Z")
    (out,), _ = apply_freshness([f], NOW, lambda _: 1.0, no_files)
    assert out.status is Status.NOT_RUN and out.details["stale_status"] == "fail"


def test_subject_bound_to_another_digest_is_stale():
    subject = Subject("model", "m.pkl", "sha256:" + "a" * 64, "models/m.pkl")
    digests = {"models/m.pkl": "sha256:" + "b" * 64}
    reason = staleness(finding(subjects=(subject,)), NOW, None, digests.get)
    assert reason and "models/m.pkl" in reason and "aaaaaaaaaaaa" in reason


def test_subject_whose_file_is_gone_is_stale():
    subject = Subject("model", "m.pkl", "sha256:" + "a" * 64, "models/m.pkl")
    assert "no longer in the repository" in staleness(
        finding(subjects=(subject,)), NOW, None, no_files
    )


def test_matching_digest_with_or_without_prefix_is_bound():
    subject = Subject("model", "m.pkl", "A" * 64, "m.pkl")  # bare hex, other case
    assert (
        staleness(finding(subjects=(subject,)), NOW, None, {"m.pkl": "sha256:" + "a" * 64}.get)
        is None
    )


def test_a_digest_we_cannot_recompute_fails_closed():
    subject = Subject("model", "m.pkl", "md5:" + "a" * 32, "m.pkl")
    assert "md5" in staleness(finding(subjects=(subject,)), NOW, None, lambda _: "x")


def test_subjects_without_a_path_are_not_checked():
    subject = Subject("endpoint", "http://127.0.0.1:9/v1", "sha256:" + "a" * 64, None)
    assert staleness(finding(subjects=(subject,)), NOW, None, no_files) is None


def test_ttl_precedence_config_check_then_collector_then_declared():
    overrides = ttl_overrides(
        {"x.check": {"ttl_days": 2}, "y.check": {"severity": "low"}},
        {"x": {"ttl_days": 5}, "y": {"ttl_days": 5}, "z": {"enabled": True}},
    )
    assert overrides == {"checks": {"x.check": 2.0}, "collectors": {"x": 5.0, "y": 5.0}}
    ttl_for = ttl_lookup(overrides)
    assert ttl_for(finding(check="x.check", collector="x", ttl=30)) == 2.0
    assert ttl_for(finding(check="y.check", collector="y", ttl=30)) == 5.0
    assert ttl_for(finding(check="z.check", collector="z", ttl=30)) == 30.0
    assert ttl_for(finding(check="z.check", collector="z")) is None


def test_repo_digests_hash_inside_the_root_only(tmp_path: Path):
    root = tmp_path / "repo"
    root.mkdir()
    (root / "m.bin").write_bytes(b"model")
    (tmp_path / "outside.bin").write_bytes(b"secret")
    digests = RepoDigests(root)
    assert digests("m.bin") == "sha256:" + sha256_file(root / "m.bin")
    assert digests("../outside.bin") is None
    assert digests("missing.bin") is None


def test_record_replays_the_same_decision_without_the_repository():
    subject = Subject("model", "m.pkl", "sha256:" + "a" * 64, "m.pkl")
    findings = [
        finding(subjects=(subject,)),
        finding(check="old.check", finished="2026-01-01T00:00:00Z", ttl=7),
        finding(check="fresh.check", ttl=7),
    ]
    current = {"m.pkl": "sha256:" + "b" * 64}
    out, record = evaluate_freshness(findings, NOW, {"checks": {}}, current.get)
    assert [f.status for f in out] == [Status.NOT_RUN, Status.NOT_RUN, Status.PASS]
    assert record["subjects"] == current and record["evaluated_at"] == "2026-06-10T12:00:00Z"
    replayed, again = replay_freshness(findings, record)
    assert replayed == out and again == record


def test_clock_for_another_day_is_noon_utc_that_day():
    assert clock_for(dt.date(2030, 1, 2)) == dt.datetime(2030, 1, 2, 12, tzinfo=dt.UTC)
    assert abs(clock_for(None) - dt.datetime.now(dt.UTC)) < dt.timedelta(minutes=1)


# --------------------------------------------------------------------------- wired in
@pytest.fixture
def bound_repo(repo: Path, write_config) -> Path:
    (repo / "model.bin").write_bytes(b"model v1")
    write_config({"collectors": {"testwork": {"model": "model.bin"}}})
    return repo


def _question(assessment: dict, qid: str) -> dict:
    return next(q for q in iter_questions(assessment) if q["id"] == qid)


def test_collected_findings_carry_the_checks_declared_ttl(bound_repo: Path):
    config = load_config(cwd=bound_repo)
    runs = collect(config, bound_repo / ".aima")
    (f,) = runs[0].findings
    assert f.details["ttl_days"] == 7
    assert f.subjects[0].path == "model.bin" and f.subjects[0].digest.startswith("sha256:")


def test_assessment_counts_expired_and_rebound_evidence_as_not_run(bound_repo: Path):
    config = load_config(cwd=bound_repo)
    out = bound_repo / ".aima"
    collect(config, out)
    fresh = assess(config, out)
    assert _question(fresh, "VER-RT-A1")["value"] == 1.0
    assert fresh["freshness"]["stale"] == []

    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=8)
    expired = assess(config, out, now=later)
    q = _question(expired, "VER-RT-A1")
    assert q["value"] == 0.0 and q["checks"][0]["status"] == "not_run"
    assert "time-to-live" in q["checks"][0]["message"]
    assert expired["findings"]["by_status"] == {"not_run": 1}

    (bound_repo / "model.bin").write_bytes(b"model v2")
    rebound = assess(config, out)
    (stale,) = rebound["freshness"]["stale"]
    assert stale["check"] == "testwork.result" and "model.bin" in stale["reason"]
    assert _question(rebound, "VER-RT-A1")["value"] == 0.0


def test_config_ttl_override_applies_at_scoring_time(bound_repo: Path, write_config):
    config = load_config(cwd=bound_repo)
    out = bound_repo / ".aima"
    collect(config, out)
    write_config(
        {
            "collectors": {"testwork": {"model": "model.bin"}},
            "checks": {"testwork.result": {"ttl_days": 0.5}},
        }
    )
    strict = load_config(cwd=bound_repo)
    soon = dt.datetime.now(dt.UTC) + dt.timedelta(days=1)
    assert _question(assess(config, out, now=soon), "VER-RT-A1")["value"] == 1.0
    assert _question(assess(strict, out, now=soon), "VER-RT-A1")["value"] == 0.0
