"""The packaged crosswalks: every reference resolves, every mapping is justified, every file says
it is aima-ci's own (AIMA v1.0 has no mapping tables), and malformed data is refused by name."""

from __future__ import annotations

import re
from importlib import resources
from typing import Any

import pytest
import yaml

from aima_ci.assess.catalogue import load_catalogue
from aima_ci.assess.crosswalk import (
    FRAMEWORKS,
    STRENGTHS,
    CrosswalkError,
    load_all,
    load_crosswalk,
    match_checks,
    parse_crosswalk,
    validate,
)
from aima_ci.plugin import _load, discover_names

# Written here, independently of the files' own id_pattern, so a loosened pattern cannot hide a typo.
ITEM_ID = {
    "eu-ai-act": re.compile(r"^Art\. (?:[1-9]\d{0,2})$"),
    "nist-ai-rmf": re.compile(r"^(?:GOVERN|MAP|MEASURE|MANAGE) [1-6]\.(?:[1-9]|1[0-3])$"),
    "iso-42001": re.compile(r"^A\.(?:[2-9]|10)$"),
    "owasp-llm-2025": re.compile(r"^LLM(?:0[1-9]|10)$"),
    "atlas": re.compile(r"^AML\.T\d{4}(?:\.\d{3})?$"),
}
OWASP_LLM_2025 = {
    "LLM01": "Prompt Injection",
    "LLM02": "Sensitive Information Disclosure",
    "LLM03": "Supply Chain",
    "LLM04": "Data and Model Poisoning",
    "LLM05": "Improper Output Handling",
    "LLM06": "Excessive Agency",
    "LLM07": "System Prompt Leakage",
    "LLM08": "Vector and Embedding Weaknesses",
    "LLM09": "Misinformation",
    "LLM10": "Unbounded Consumption",
}


def declared_checks() -> set[str]:
    """Check IDs declared by every installed collector that loads.

    A plugin that fails to import (the core's tests install a deliberately broken one) declares
    nothing, so a mapping to one of its checks fails below rather than being trusted.
    """
    out: set[str] = set()
    for ep in discover_names().values():
        try:
            cls = _load(ep)
        except Exception:  # any import failure means "declares nothing"
            continue
        out.update(c.id for c in cls.checks)
    return out


@pytest.fixture(scope="module")
def checks() -> set[str]:
    return declared_checks()


@pytest.mark.parametrize("fid", FRAMEWORKS)
def test_file_says_it_is_aima_ci_own_crosswalk_not_aima(fid: str) -> None:
    text = resources.files("aima_ci").joinpath(f"data/crosswalk/{fid}.yaml").read_text()
    header = " ".join(
        line.lstrip("#").strip() for line in text.splitlines()[:8] if line.startswith("#")
    )
    assert "aima-ci's OWN crosswalk" in header
    assert "NOT part of OWASP AIMA" in header
    cw = load_crosswalk(fid)
    assert "aima-ci's own crosswalk" in cw.notice and "not part of OWASP AIMA" in cw.notice
    assert cw.version and cw.source.startswith("https://")


@pytest.mark.parametrize("fid", FRAMEWORKS)
def test_every_reference_resolves(fid: str, checks: set[str]) -> None:
    """Questions exist in the catalogue; checks are declared by an installed collector."""
    cw = load_crosswalk(fid)
    assert validate(cw, load_catalogue().questions, checks) == []


@pytest.mark.parametrize("fid", FRAMEWORKS)
def test_items_are_well_formed_and_every_mapping_justified(fid: str) -> None:
    cw = load_crosswalk(fid)
    ids = [item.id for item in cw.items]
    assert len(ids) == len(set(ids))
    for item in cw.items:
        assert ITEM_ID[fid].fullmatch(item.id), item.id
        assert item.title.strip()
        assert any(link.strength in ("direct", "partial") for link in item.links), item.id
        refs = [(link.kind, link.ref) for link in item.links]
        assert len(refs) == len(set(refs)), f"{item.id}: a reference is mapped twice"
        for link in item.links:
            assert link.strength in STRENGTHS
            assert len(link.rationale) >= 20 and "\n" not in link.rationale, (item.id, link.ref)


def test_owasp_llm_uses_the_2025_list_and_names() -> None:
    cw = load_crosswalk("owasp-llm-2025")
    assert {i.id: i.title for i in cw.items} == OWASP_LLM_2025
    assert "2025" in cw.version


def test_eu_ai_act_covers_the_high_risk_obligations() -> None:
    ids = {i.id for i in load_crosswalk("eu-ai-act").items}
    assert {f"Art. {n}" for n in (9, 10, 11, 12, 13, 14, 15, 17, 72)} <= ids


def test_iso_42001_covers_every_annex_a_area_and_nist_every_function() -> None:
    assert {i.id for i in load_crosswalk("iso-42001").items} == {f"A.{n}" for n in range(2, 11)}
    nist = {i.id.split()[0] for i in load_crosswalk("nist-ai-rmf").items}
    assert nist == {"GOVERN", "MAP", "MEASURE", "MANAGE"}
    assert "MEASURE 2.7" in {i.id for i in load_crosswalk("nist-ai-rmf").items}


def test_atlas_maps_the_tools_that_exercise_techniques() -> None:
    """ATLAS items are decided by checks (what a tool ran), not by maturity questions alone."""
    for item in load_crosswalk("atlas").items:
        deciding = [lk for lk in item.links if lk.strength != "supporting"]
        assert deciding, item.id
    by_check = {
        lk.ref for i in load_crosswalk("atlas").items for lk in i.links if lk.kind == "check"
    }
    assert {"modelscan.unsafe_operators", "promptfoo.redteam", "garak.promptinject"} <= by_check
    assert "art.robustness_ratio" in by_check


def test_load_all_returns_every_framework_in_order() -> None:
    assert list(load_all()) == list(FRAMEWORKS)
    with pytest.raises(CrosswalkError, match="unknown framework"):
        load_crosswalk("soc2")


# --------------------------------------------------------------------------- validation
def _doc(**item_overrides: Any) -> dict[str, Any]:
    item = {
        "id": "X1",
        "title": "An item",
        "map": [
            {"question": "VER-ST-A2", "strength": "direct", "rationale": "A good reason here."}
        ],
    }
    item.update(item_overrides)
    return {
        "crosswalk": {
            "id": "t",
            "framework": "Test",
            "version": "1",
            "source": "https://example.org",
            "id_pattern": "^X\\d$",
            "notice": "aima-ci's own crosswalk, not part of OWASP AIMA v1.0.",
        },
        "items": [item],
    }


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"id": "Y1"}, r"items\[0\]\.id: 'Y1' does not match"),
        ({"title": ""}, r"items\[0\]\.title: must be a non-empty string"),
        ({"map": []}, r"\(X1\)\.map: must be a non-empty list"),
        (
            {"map": [{"question": "VER-ST-A2", "strength": "strong", "rationale": "because."}]},
            r"map\[0\]\.strength: must be one of direct, partial, supporting",
        ),
        (
            {"map": [{"question": "VER-ST-A2", "strength": "direct"}]},
            r"map\[0\]\.rationale: must be a non-empty string",
        ),
        (
            {
                "map": [
                    {
                        "question": "VER-ST-A2",
                        "check": "x.y",
                        "strength": "direct",
                        "rationale": "r",
                    }
                ]
            },
            r"exactly one of 'question' or 'check'",
        ),
        (
            {"map": [{"question": "VER-ST-A2", "strength": "supporting", "rationale": "a reason"}]},
            r"at least one 'direct' or 'partial'",
        ),
        (
            {"map": [{"question": "VER-ST-A2", "strength": "direct", "rationale": "r", "why": 1}]},
            r"unknown key\(s\) why",
        ),
    ],
)
def test_malformed_mapping_is_refused_naming_the_key(
    overrides: dict[str, Any], message: str
) -> None:
    with pytest.raises(CrosswalkError, match=message):
        parse_crosswalk(_doc(**overrides), "t.yaml")


def test_duplicate_item_and_bad_header_are_refused() -> None:
    doc = _doc()
    doc["items"].append(dict(doc["items"][0]))
    with pytest.raises(CrosswalkError, match="appears twice"):
        parse_crosswalk(doc, "t.yaml")
    bad = _doc()
    bad["crosswalk"]["id_pattern"] = "("
    with pytest.raises(CrosswalkError, match="id_pattern: not a valid regular expression"):
        parse_crosswalk(bad, "t.yaml")
    with pytest.raises(CrosswalkError, match="must be a mapping"):
        parse_crosswalk(yaml.safe_load("- a\n- b\n"), "t.yaml")


def test_validate_reports_unknown_questions_and_undeclared_checks() -> None:
    doc = _doc(
        map=[
            {"question": "VER-ST-A9", "strength": "direct", "rationale": "no such level"},
            {"check": "nosuch.check", "strength": "partial", "rationale": "no such collector"},
            {"check": "garak.*", "strength": "partial", "rationale": "a family with no member"},
            {"check": "Bad Check", "strength": "partial", "rationale": "not an identifier"},
        ]
    )
    cw = parse_crosswalk(doc, "t.yaml")
    problems = validate(cw, load_catalogue().questions, {"zap.high_risk"})
    assert len(problems) == 4
    assert "VER-ST-A9: not an AIMA question ID" in problems[0]
    assert "nosuch.check: no installed collector declares such a check" in problems[1]
    assert "garak.*: no installed collector" in problems[2]
    assert "not a well-formed check ID" in problems[3]


def test_glob_mappings_match_a_check_family() -> None:
    ids = {"garak.promptinject", "garak.dan", "art.evasion"}
    assert match_checks("garak.*", ids) == ["garak.dan", "garak.promptinject"]
    assert match_checks("art.evasion", ids) == ["art.evasion"]
    assert match_checks("art.poison", ids) == []
