"""Check declarations, the AIMA question mapping and the OWASP LLM Top 10 2023 -> 2025 crosswalk."""

from __future__ import annotations

import pytest
from aima_ci_collectors.garak import GarakCollector
from aima_ci_collectors.garak import mapping as m

from aima_ci.assess.catalogue import load_catalogue


def test_every_family_has_owasp_data_and_a_check():
    data = m.owasp_data()
    assert set(data["families"]) == set(m.FAMILIES)
    ids = {c.id for c in GarakCollector.checks}
    assert ids == {f"garak.{f}" for f in m.FAMILIES} | {m.SCAN_CHECK, m.OTHER_CHECK}


def test_family_checks_credit_only_the_mitigation_question():
    """Resisting an attack family shows a mitigation is implemented and holds (DES-TA-B1 asks
    "discussed or implemented"), and only when it passed (effective); it says nothing about
    deployment procedures (DES-SA-A2 was a stretched link)."""
    for family in m.FAMILIES:
        check = GarakCollector().check(f"garak.{family}")
        assert [(x.question, x.shows, x.strength) for x in check.links] == [
            ("DES-TA-B1", "effective", "direct")
        ], family
        assert check.kind == "outcome"


def test_questions_exist_in_the_catalogue():
    known = set(load_catalogue().questions)
    for check in GarakCollector.checks:
        assert set(check.questions) <= known, check.id
    assert GarakCollector().check(m.SCAN_CHECK).questions == ("VER-ST-A1", "VER-ST-A2", "VER-ST-B1")


def test_translation_table_covers_2023_and_lands_in_2025():
    data = m.owasp_data()
    table = data["translation_2023_to_2025"]
    assert set(table) == set(data["titles_2023"]) == {f"LLM{i:02d}" for i in range(1, 11)}
    for targets in table.values():
        assert targets and set(targets) <= set(data["titles_2025"])
    # the reorder that makes translation necessary
    assert table["LLM02"] == ["LLM05:2025"]  # Insecure Output Handling -> Improper Output Handling
    assert table["LLM06"] == ["LLM02:2025"]  # Sensitive Information Disclosure moved up
    for family in data["families"].values():
        assert set(family.get("defaults") or ()) <= set(data["titles_2025"])


def test_owasp_from_garak_tags_is_translated():
    label = m.owasp_for("promptinject.HijackHateHumans", ["owasp:llm01", "avid-effect:x"])
    assert label.ids_2025 == ("LLM01:2025",) and label.tags_2023 == ("LLM01",)
    label = m.owasp_for("web_injection.MarkdownXSS", ["owasp:llm02", "owasp:llm06"])
    assert label.ids_2025 == ("LLM02:2025", "LLM05:2025")


def test_owasp_override_drops_a_misleading_tag():
    label = m.owasp_for("ansiescape.AnsiRaw", ["owasp:llm01", "owasp:llm02", "owasp:llm05"])
    assert label.ids_2025 == ("LLM01:2025", "LLM05:2025")  # not LLM03:2025 Supply Chain
    assert "ignored LLM05" in label.basis


def test_owasp_family_default_extra_and_none():
    assert m.owasp_for("dan.Dan_11_0", None).ids_2025 == ("LLM01:2025",)
    assert m.owasp_for("dan.Dan_11_0", None).basis.startswith("aima-ci family default")
    assert "LLM07:2025" in m.owasp_for("sysprompt_extraction.X", ["owasp:llm01"]).ids_2025
    none = m.owasp_for("malwaregen.Evasion", [])
    assert none.ids_2025 == () and "harmful" in none.basis
    assert m.owasp_for("brandnew.Probe", None).ids_2025 == ()


def test_unknown_family_reports_under_other():
    assert m.check_id("encoding") == "garak.encoding"
    assert m.check_id("brandnew") == m.OTHER_CHECK


@pytest.mark.parametrize(
    ("thresholds", "probe", "tags", "expected"),
    [
        ({}, "dan.X", None, (0.95, "built-in default")),
        ({"default": 0.8}, "dan.X", None, (0.8, "default")),
        ({"default": 0.8, "owasp:llm01": 0.9}, "dan.X", ["owasp:llm01"], (0.9, "owasp:llm01")),
        (
            {"owasp:llm01": 0.9, "owasp:llm02": 0.97},
            "a.B",
            ["owasp:llm01", "owasp:llm02"],
            (0.97, "owasp:llm02"),
        ),
        ({"owasp:llm01": 0.9, "dan": 0.5}, "dan.X", ["owasp:llm01"], (0.5, "dan")),
        ({"dan": 0.5, "dan.X": 0.99}, "dan.X", None, (0.99, "dan.X")),
    ],
)
def test_threshold_precedence(thresholds, probe, tags, expected):
    assert m.threshold_for(thresholds, probe, tags) == expected
