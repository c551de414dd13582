"""Damaged attestation files and hostile waivers: a clean error or a rejected entry, never credit
that the rules forbid.

tests/test_attestations.py has one case per rule; here the real example attestation file is
damaged at random and entries get hostile values. Whatever is accepted must still satisfy every
rule (known question, answer on the scale, owner, ISO dates, date <= today <= expires); whatever
is not becomes a reported Problem or a ConfigError naming the file. Waivers likewise: an active
waiver is always owned, reasoned, unexpired, within ``waiver_max_days`` and aimed at a known id,
and no waiver ever turns an ``error`` finding into credit.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from aima_ci_collectors._safeio import FileProblem, parse_yaml
from hypothesis import given
from hypothesis import strategies as st
from rb_support import REPO_ROOT, budget, damaged, hostile_values, make_repo, mutated_json

from aima_ci.assess.attestations import ANSWER_VALUES, load_attestations
from aima_ci.assess.catalogue import load_catalogue
from aima_ci.assess.scoring import score
from aima_ci.assess.waivers import parse_waivers
from aima_ci.config import ConfigError
from aima_ci.models import Attestation, Finding, Status
from aima_ci.trust.provenance import DocumentError
from aima_ci.trust.provenance import load_yaml as strict_yaml

EXAMPLE = REPO_ROOT / "examples" / "credit-model"
TODAY = dt.date(2026, 12, 1)
CATALOGUE = load_catalogue()


@pytest.fixture(scope="module")
def example(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = make_repo(tmp_path_factory.mktemp("attest"))
    shutil.copytree(EXAMPLE, root, dirs_exist_ok=True, ignore=shutil.ignore_patterns(".aima"))
    return root


def load(root: Path, path: Path) -> Any:
    try:
        return load_attestations([path], root, CATALOGUE.questions, TODAY)
    except ConfigError as exc:
        assert exc.file == path.name and exc.reason, exc
        return exc


def assert_rules_hold(accepted: list[Attestation]) -> None:
    for a in accepted:
        assert a.question in CATALOGUE.questions
        assert a.answer in ANSWER_VALUES and a.value == ANSWER_VALUES[a.answer]
        assert a.owner.strip() == a.owner and a.owner
        date, expires = dt.date.fromisoformat(a.date), dt.date.fromisoformat(a.expires)
        assert date <= TODAY <= expires, a
        if a.evidence and "://" not in a.evidence:
            assert a.evidence_sha256 and a.evidence_sha256.startswith("sha256:")


def test_the_intact_example_is_accepted(example):
    accepted, problems = load(example, example / "aima-attestations.yaml")
    assert len(accepted) > 30 and not problems
    assert_rules_hold(accepted)


@budget(120)
@given(data=st.data())
def test_damaged_attestation_file(example, data):
    raw = data.draw(damaged((example / "aima-attestations.yaml").read_bytes()))
    path = example / "damaged.yaml"
    path.write_bytes(raw)
    result = load(example, path)
    if not isinstance(result, ConfigError):
        accepted, problems = result
        assert_rules_hold(accepted)
        assert all(p.kind == "attestation" and p.message for p in problems)


@budget(120)
@given(data=st.data())
def test_hostile_values_in_entries(example, data):
    doc = yaml.safe_load((example / "aima-attestations.yaml").read_text())
    doc["attestations"] = doc["attestations"][:6]
    mutated = data.draw(mutated_json(doc, max_edits=4))
    path = example / "mutated.yaml"
    path.write_text(yaml.safe_dump(mutated, allow_unicode=True))
    result = load(example, path)
    if not isinstance(result, ConfigError):
        assert_rules_hold(result[0])


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        (
            "{question: VER-ST-A1, answer: yes, owner: o, date: 2026-01-01, expires: 2026-11-30}",
            "expired",
        ),
        (
            "{question: VER-ST-A1, answer: yes, owner: o, date: 2027-01-01, expires: 2028-01-01}",
            "future",
        ),
        (
            "{question: VER-ST-A1, answer: 4, owner: o, date: 2026-01-01, expires: 2028-01-01}",
            "answer",
        ),
        (
            "{question: VER-ST-A1, answer: .nan, owner: o, date: 2026-01-01, expires: 2028-01-01}",
            "answer",
        ),
        (
            "{question: VER-ST-A1, answer: yes, owner: ' ', date: 2026-01-01, expires: 2028-01-01}",
            "owner",
        ),
        (
            "{question: VER-ST-A1, answer: yes, owner: o, date: '2026-13-01', expires: 2028-01-01}",
            "date",
        ),
        (
            "{question: VER-ST-A1, answer: yes, owner: o, date: 2026-01-01, expires: 2028-01-01, evidence: ../../etc/passwd}",
            "outside the repository root",
        ),
        (
            "{question: VER-ST-A1, answer: yes, owner: o, date: 2026-01-01, expires: 2028-01-01, evidence: /etc/passwd}",
            "outside the repository root",
        ),
        (
            "{question: [VER-ST-A1], answer: yes, owner: o, date: 2026-01-01, expires: 2028-01-01}",
            "unknown question",
        ),
    ],
)
def test_rule_breaking_entries_earn_nothing(tmp_path, entry, message):
    root = make_repo(tmp_path)
    path = root / "att.yaml"
    path.write_text(f"attestations:\n  - {entry}\n")
    accepted, problems = load(root, path)
    assert accepted == [] and len(problems) == 1 and message in problems[0].message, problems


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("attestations: " + "[" * 20_000 + "]" * 20_000, "invalid YAML"),
        ("attestations:\n- question: " + "9" * 5000 + "\n", "invalid YAML: Exceeds the limit"),
        ("attestations: {a: 1}\n", "needs a top-level 'attestations:' list"),
        ("\xff\xfe", "not UTF-8"),
        # the strict reader keeps dates as text (an impossible one is then a per-entry problem)
        (
            "attestations:\n- {question: VER-ST-A1}\n- {question: VER-ST-A1, question: x}\n",
            "duplicate key",
        ),
        ("a: &a [1]\nattestations: *a\n", "aliases"),
    ],
)
def test_unreadable_attestation_file_is_a_config_error(tmp_path, text, reason):
    """The 5000-digit integer raised ValueError out of the YAML reader (exit 3) before the fix."""
    root = make_repo(tmp_path)
    path = root / "att.yaml"
    path.write_bytes(text.encode("utf-8", "surrogateescape") if text != "\xff\xfe" else b"\xff\xfe")
    result = load(root, path)
    assert isinstance(result, ConfigError) and reason in str(result), result


@pytest.mark.parametrize(
    "text",
    ["a: " + "[" * 20_000, "a: " + "9" * 5000, "a: &x [1]\nb: *x\n"],
    ids=["deep", "int", "alias"],
)
def test_strict_and_safe_yaml_readers_fail_with_their_own_errors(text):
    """provenance's strict loader raised RecursionError/ValueError and _safeio ValueError."""
    with pytest.raises(DocumentError):
        strict_yaml(text, "doc.yaml")
    if text.startswith("a: &x"):
        return  # _safeio allows aliases (GitLab CI uses them) and bounds their expansion
    with pytest.raises(FileProblem):
        parse_yaml(text, "doc.yaml")


# --------------------------------------------------------------------------- waivers
KNOWN = {"testplugin.alpha", "VER-ST-A1"}
WAIVER = st.fixed_dictionaries(
    {},
    optional={
        "id": st.one_of(st.sampled_from(sorted(KNOWN)), hostile_values()),
        "check": hostile_values(),
        "question": hostile_values(),
        "reason": st.one_of(st.just("accepted risk, ticket R-1"), hostile_values()),
        "owner": st.one_of(st.just("sec@example.com"), hostile_values()),
        "expires": st.one_of(
            st.dates(dt.date(2020, 1, 1), dt.date(2030, 1, 1)),
            st.dates(dt.date(2020, 1, 1), dt.date(2030, 1, 1)).map(str),
            hostile_values(),
        ),
        "created": st.one_of(st.dates(dt.date(2020, 1, 1), dt.date(2030, 1, 1)), hostile_values()),
    },
)


@budget(300)
@given(raw=st.lists(WAIVER, max_size=6), max_days=st.integers(1, 400))
def test_only_valid_waivers_become_active(raw, max_days):
    active, expired, problems = parse_waivers(raw, KNOWN, TODAY, max_days, "aima.yaml")
    assert len(active) + len(expired) + len(problems) == len(raw)
    for w in active:
        expires = dt.date.fromisoformat(w.expires)
        start = dt.date.fromisoformat(w.created) if w.created else TODAY
        assert w.target in KNOWN and w.reason and w.owner
        assert expires >= TODAY and (expires - start).days <= max_days
    for w in expired:
        assert dt.date.fromisoformat(w.expires) < TODAY
    assert all(p.source.startswith("aima.yaml#waivers[") for p in problems)


def test_a_waiver_never_turns_an_error_into_credit():
    """Check waivers apply to fail/warn only: a broken tool stays visible however it is waived."""
    (active,), _, _ = parse_waivers(
        [{"id": "testplugin.alpha", "reason": "r", "owner": "o", "expires": "2026-12-31"}],
        KNOWN,
        TODAY,
        90,
        "aima.yaml",
    )
    finding = Finding(
        check="testplugin.alpha",
        collector="testplugin",
        status=Status.ERROR,
        questions=("VER-ST-A1",),
        message="collector crashed",
    )
    question = score(CATALOGUE, [finding], [], [active]).questions()["VER-ST-A1"]
    (check,) = question.checks
    assert check.status is Status.ERROR and not check.credit and question.value == 0.0
