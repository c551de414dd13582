"""Attestations and waivers: expiry, malformed entries, evidence hashing; problems are reported."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from aima_ci.assess.attestations import answer_value, load_attestations
from aima_ci.assess.catalogue import load_catalogue
from aima_ci.assess.waivers import parse_waivers
from aima_ci.config import ConfigError
from aima_ci.plugin import sha256_file

CAT = load_catalogue()
TODAY = dt.date(2026, 11, 26)


def write(repo: Path, text: str) -> Path:
    path = repo / "att.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def entry(**kw: object) -> str:
    base = {
        "question": "GOV-SM-A1",
        "answer": "yes",
        "owner": "ciso@example.com",
        "date": "2026-10-01",
        "expires": "2027-10-01",
    }
    base.update(kw)
    lines = [f"  - question: {base.pop('question')}"]
    lines += [f"    {k}: {v}" for k, v in base.items() if v is not None]
    return "\n".join(lines)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("yes", ("yes", 1.0)),
        (True, ("yes", 1.0)),
        ("No", ("no", 0.0)),
        (0, ("0", 0.0)),
        (2, ("2", 2 / 3)),
        ("3", ("3", 1.0)),
        ("maybe", None),
        (4, None),
        (None, None),
    ],
)
def test_answer_values(raw, expected):
    assert answer_value(raw) == expected


def test_valid_entry_and_evidence_digest(repo: Path):
    (repo / "docs").mkdir()
    (repo / "docs" / "strategy.md").write_text("our AI strategy\n")
    path = write(repo, "attestations:\n" + entry(evidence="docs/strategy.md") + "\n")
    accepted, problems = load_attestations([path], repo, CAT.questions, TODAY)
    assert problems == []
    (a,) = accepted
    assert (a.question, a.value, a.owner) == ("GOV-SM-A1", 1.0, "ciso@example.com")
    assert a.evidence_sha256 == "sha256:" + sha256_file(repo / "docs" / "strategy.md")


@pytest.mark.parametrize(
    ("kw", "message"),
    [
        ({"expires": "2026-11-25"}, "expired on 2026-11-25"),
        ({"question": "GOV-XX-A1"}, "unknown question"),
        ({"answer": "perhaps"}, "answer must be"),
        ({"owner": None}, "owner is required"),
        ({"date": "yesterday"}, "date must be"),
        ({"expires": None}, "expires must be"),
        ({"date": "2026-12-30"}, "future"),
        ({"evidence": "../../etc/passwd"}, "outside the repository root"),
        ({"evidence": "docs/missing.md"}, "does not exist"),
    ],
)
def test_bad_entries_earn_nothing_and_are_reported(repo: Path, kw, message):
    path = write(repo, "attestations:\n" + entry(**kw) + "\n" + entry(question="GOV-SM-B1") + "\n")
    accepted, problems = load_attestations([path], repo, CAT.questions, TODAY)
    assert [a.question for a in accepted] == ["GOV-SM-B1"]
    (problem,) = problems
    assert message in problem.message
    assert problem.source == "att.yaml#attestations[0]"


def test_file_without_list_is_a_config_error(repo: Path):
    path = write(repo, "answers: []\n")
    with pytest.raises(ConfigError, match="attestations"):
        load_attestations([path], repo, CAT.questions, TODAY)


def test_waivers_active_expired_and_invalid():
    raw = [
        {"id": "fairlearn.dp", "reason": "fix in T-1", "owner": "ml", "expires": "2027-01-15"},
        {"id": "GOV-SM-A1", "reason": "r", "owner": "o", "expires": "2026-11-01"},
        {"id": "fairlearn.dp", "reason": "r", "owner": "o", "expires": "2028-01-01"},
        {"id": "nope", "reason": "r", "owner": "o", "expires": "2027-01-01"},
        {"id": "fairlearn.dp", "reason": "", "owner": "o", "expires": "2027-01-01"},
        {"id": "fairlearn.dp", "reason": "r", "owner": "o"},
    ]
    known = {"fairlearn.dp", *CAT.questions}
    active, expired, problems = parse_waivers(raw, known, TODAY, 90, "aima.yaml")
    assert [w.target for w in active] == ["fairlearn.dp"]
    assert [w.target for w in expired] == ["GOV-SM-A1"]
    messages = [p.message for p in problems]
    assert any("more than waiver_max_days (90)" in m for m in messages)
    assert any("unknown check or question" in m for m in messages)
    assert any("reason is required" in m for m in messages)
    assert any("expires" in m for m in messages)
    assert len(problems) == 4
