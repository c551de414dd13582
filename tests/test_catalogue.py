"""The packaged AIMA catalogue: shape, IDs, and fidelity to the AIMA source it is generated from.

The question texts are what people answer, so they are checked against the worksheets (re-parsed
with the generator's own table parser, but mapped to IDs through the catalogue's names and aliases,
not the generator's matcher) and against the official toolkit spreadsheet. The source is vendored
under ``tests/fixtures/aima`` (CC BY-SA 4.0, licence and attribution beside it) so these tests run
on any clone; ``$AIMA_SOURCE`` points them at another copy.
"""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

from aima_ci.assess.catalogue import (
    PRACTICE_ID,
    QUESTION_ID,
    STREAM_ID,
    Catalogue,
    Practice,
    load_catalogue,
    parse_catalogue,
)

REPO_ROOT = Path(__file__).resolve().parent.parent
GENERATOR = REPO_ROOT / "scripts" / "gen_catalogue.py"
DOMAIN_ID = re.compile(r"^[A-Z]{3}$")

DOMAINS = {
    "RAI": "Responsible AI",
    "GOV": "Governance",
    "DAT": "Data Management",
    "PRV": "Privacy",
    "DES": "Design",
    "IMP": "Implementation",
    "VER": "Verification",
    "OPS": "Operations",
}
PRACTICES = {
    "RAI-ES": "Ethical Values & Societal Impact",
    "RAI-TE": "Transparency & Explainability",
    "RAI-FB": "Fairness & Bias",
    "GOV-SM": "Strategy & Metrics",
    "GOV-PC": "Policy & Compliance",
    "GOV-EA": "Education & Awareness",
    "DAT-QI": "Data Quality & Integrity",
    "DAT-GA": "Data Governance & Accountability",
    "DAT-DT": "Data Training",
    "PRV-DM": "Data Minimization & Purpose Limitation",
    "PRV-PD": "Privacy by Design & Default",
    "PRV-UC": "User Control & Transparency",
    "DES-TA": "Threat Assessment",
    "DES-SA": "Security Architecture",
    "DES-SR": "Security Requirements",
    "IMP-SB": "Secure Build",
    "IMP-SD": "Secure Deployment",
    "IMP-DM": "Defect Management",
    "VER-ST": "Security Testing",
    "VER-RT": "Requirement-based Testing",
    "VER-AA": "Architecture Assessment",
    "OPS-IM": "Incident Management",
    "OPS-EM": "Event Management",
    "OPS-OM": "Operational Management",
}
INVERTED = {"RAI-TE-B1", "GOV-EA-B1", "DAT-DT-A1", "DAT-DT-B1"} | {
    # the nine the audit found unflagged (issue 13)
    "RAI-FB-B1",
    "DAT-QI-A1",
    "PRV-DM-B1",
    "DES-SR-A1",
    "IMP-SD-A1",
    "IMP-DM-A1",
    "OPS-IM-A1",
    "OPS-IM-B1",
    "OPS-EM-B1",
}

# Where the toolkit (OWASP-AIMA-Toolkit_V1.0.1.xlsx) words a question differently from the worksheet
# (the catalogue keeps the worksheet text). Toolkit text after whitespace normalisation.
TOOLKIT_DIFFERENCES = {
    # straight apostrophe in the toolkit, curly one in the worksheet
    "RAI-TE-B1": "Is communication about AI systems' workings sporadic or reactive?",
    "GOV-SM-A3": "Is the AI strategy integrated into the organization's broader business strategy "
    "and continuously improved?",
    "GOV-PC-B3": "Is compliance management systematically integrated into daily operations, with "
    "proactive management of compliance risks and regular audits?",
    "DAT-DT-A3": "Is data preparation fully automated, consistently maintained, and continuously "
    "improved?",
    "PRV-PD-A3": "Is privacy by design fully embedded and continuously improved across the entire "
    "AI lifecycle?",
    "VER-ST-A3": "Are security assessments fully integrated, regularly performed, and continuously "
    "improved?",
    "OPS-EM-B3": "Is event response proactively managed, continuously improved, and regularly "
    "audited?",
}


def collapse(text: str) -> str:
    """Whitespace-normalised text (the toolkit pads some cells)."""
    return " ".join(text.split())


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    return load_catalogue()


@pytest.fixture(scope="module")
def generator() -> ModuleType:
    """scripts/gen_catalogue.py imported from its path (scripts/ is not a package)."""
    spec = importlib.util.spec_from_file_location("gen_catalogue", GENERATOR)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses resolve annotations through sys.modules
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def source() -> Path:
    """The AIMA source folder: the data tests need the upstream text to compare with."""
    path = Path(os.environ.get("AIMA_SOURCE") or REPO_ROOT / "tests" / "fixtures" / "aima")
    assert (path / "model-source").is_dir(), f"AIMA source not found at {path}"
    assert (path / "LICENSE.md").is_file(), "the CC BY-SA licence travels with the source"
    return path


def practice_by_source_name(catalogue: Catalogue) -> dict[str, Practice]:
    """Practices keyed by every name the catalogue records (canonical name and aliases)."""
    return {
        name: practice
        for practice in catalogue.practices.values()
        for name in (practice.name, *practice.aliases)
    }


# --- shape and IDs


def test_counts(catalogue: Catalogue) -> None:
    assert len(catalogue.domains) == 8
    assert len(catalogue.practices) == 24
    assert len(catalogue.streams) == 48
    assert len(catalogue.questions) == 144


def test_ids_are_unique(catalogue: Catalogue) -> None:
    ids = [d.id for d in catalogue.domains]
    for practice in catalogue.practices.values():
        ids.append(practice.id)
        for stream in practice.streams:
            ids.append(stream.id)
            ids.extend(q.id for q in stream.questions)
    assert len(ids) == len(set(ids)) == 8 + 24 + 48 + 144


def test_domains_and_practices_in_order(catalogue: Catalogue) -> None:
    assert [(d.id, d.name) for d in catalogue.domains] == list(DOMAINS.items())
    assert [(p.id, p.name) for p in catalogue.practices.values()] == list(PRACTICES.items())
    for domain in catalogue.domains:
        assert DOMAIN_ID.match(domain.id)
        assert all(p.id.startswith(f"{domain.id}-") for p in domain.practices)


def test_id_scheme(catalogue: Catalogue) -> None:
    for practice in catalogue.practices.values():
        assert PRACTICE_ID.match(practice.id)
        assert [s.letter for s in practice.streams] == ["A", "B"]
        for stream in practice.streams:
            assert STREAM_ID.match(stream.id)
            assert stream.id == f"{practice.id}-{stream.letter}"
            assert [q.level for q in stream.questions] == [1, 2, 3]
            for question in stream.questions:
                match = QUESTION_ID.match(question.id)
                assert match, question.id
                assert question.id == f"{stream.id}{question.level}"
                assert (question.practice, question.stream) == (practice.id, stream.letter)


def test_every_question_has_text_and_descriptor(catalogue: Catalogue) -> None:
    for question in catalogue.questions.values():
        assert question.text.strip() == question.text
        assert question.text.endswith("?"), question.id
        assert question.descriptor, question.id
        assert len(question.descriptor) <= 300, question.id
        assert "<br" not in question.descriptor and "**" not in question.descriptor


def test_every_practice_has_an_objective(catalogue: Catalogue) -> None:
    for practice in catalogue.practices.values():
        assert len(practice.objective) > 100, practice.id
        assert "**" not in practice.objective and "\n" not in practice.objective


def test_meta(catalogue: Catalogue) -> None:
    meta = catalogue.meta
    assert catalogue.version == "1.0"
    assert meta["model"] == "OWASP AI Maturity Assessment"
    assert meta["licence"] == "CC BY-SA 4.0"
    assert meta["source"] == "OWASP/www-project-ai-maturity-assessment (snapshot 2025-10-29)"
    assert meta["generated_by"] == "scripts/gen_catalogue.py"
    assert "OWASP" in meta["attribution"] and "CC BY-SA 4.0" in meta["attribution"]
    assert meta["stream_generic_titles"] == {"A": "Create & Promote", "B": "Measure & Improve"}
    assert sorted(meta["levels"]) == [1, 2, 3] and all(meta["levels"].values())


def test_yaml_header_names_generator_and_licence() -> None:
    head = (REPO_ROOT / "aima_ci" / "data" / "catalogue.yaml").read_text(encoding="utf-8")[:1000]
    assert "scripts/gen_catalogue.py" in head and "do not edit" in head
    assert "CC BY-SA 4.0" in head


# --- inverted phrasing and naming quirks ---------------------------------------------------------


def test_exactly_the_thirteen_inverted_questions(catalogue: Catalogue) -> None:
    inverted = {q.id for q in catalogue.questions.values() if q.inverted_phrasing}
    assert inverted == INVERTED
    for question in catalogue.questions.values():
        if question.inverted_phrasing:
            assert question.level == 1
            assert "yes" in question.note and "at least" in question.note
        else:
            assert question.note == ""


def test_naming_quirks_are_recorded_as_aliases(catalogue: Catalogue) -> None:
    practices = catalogue.practices
    assert "Education and Guidance" in practices["GOV-EA"].aliases
    assert "User Control & Trasparency" in practices["PRV-UC"].aliases
    assert "Ethical & Societal Impact" in practices["RAI-ES"].aliases
    assert "Operational" in catalogue.domain_map["OPS"].aliases
    assert "Responsible AI Principles" in catalogue.domain_map["RAI"].aliases


def test_stream_titles(catalogue: Catalogue) -> None:
    for practice in catalogue.practices.values():
        titles = [s.title for s in practice.streams]
        assert all(titles) and titles[0] != titles[1], practice.id
        assert not any(t.lower().startswith("stream") for t in titles), practice.id
        assert [s.generic_title for s in practice.streams] == [
            "Create & Promote",
            "Measure & Improve",
        ]
    for pid in ("IMP-SB", "IMP-SD", "IMP-DM"):
        assert [s.title for s in catalogue.practices[pid].streams] == [
            "Process-Oriented",
            "Technical Controls",
        ]
    assert [s.title for s in catalogue.practices["RAI-ES"].streams] == [
        "Impact Assessment Procedures",
        "Ethical Decision-Making Framework",
    ]


# --- fidelity to the source


def test_questions_match_worksheets(
    catalogue: Catalogue, generator: ModuleType, source: Path
) -> None:
    """Every question equals its worksheet cell; every stream title equals the header's."""
    by_name = practice_by_source_name(catalogue)
    seen: set[str] = set()
    for path in generator.worksheet_paths(source):
        sheet = generator.parse_worksheet(path.read_text(encoding="utf-8"), str(path))
        for section in sheet.practices:
            practice = by_name.get(section.name)
            assert practice, f"{path.name}: {section.name!r} is neither a name nor an alias"
            for stream in practice.streams:
                assert stream.title == section.stream_titles[stream.letter], stream.id
                for question in stream.questions:
                    expected = section.questions[(stream.letter, question.level)]
                    assert question.text == expected, question.id
                    seen.add(question.id)
    assert seen == set(catalogue.questions)


def test_inverted_questions_read_as_immature_states(catalogue: Catalogue) -> None:
    """The four flagged questions do ask whether a deficiency exists (the reason for the flag)."""
    wording = {
        "RAI-TE-B1": "sporadic or reactive",
        "GOV-EA-B1": "sporadic or ad hoc",
        "DAT-DT-A1": "minimal consistency",
        "DAT-DT-B1": "minimal or no compliance checks",
    }
    for qid, phrase in wording.items():
        assert phrase in catalogue.questions[qid].text


def test_org_scope_questions_are_marked(catalogue: Catalogue) -> None:
    """Questions about the whole organisation are flagged; one system's lifecycle is not."""
    scoped = {q.id for q in catalogue.questions.values() if q.org_scope}
    assert {"RAI-TE-A3", "RAI-ES-A3", "GOV-EA-B3", "IMP-SB-B3", "PRV-PD-A3"} <= scoped
    assert "RAI-FB-A3" not in scoped and "DES-TA-A3" not in scoped  # one system's lifecycle
    assert len(scoped) == 19


def test_toolkit_questions(catalogue: Catalogue, generator: ModuleType, source: Path) -> None:
    """The toolkit's 144 questions equal the worksheets' but for a known set of rewordings."""
    import openpyxl  # dev extra: CI always has it

    paths = sorted(source.glob("*Toolkit*.xlsx"))
    assert paths, f"no toolkit spreadsheet in {source}"
    sheet = openpyxl.load_workbook(paths[0], read_only=True)["Assessment Questions"]
    by_name = practice_by_source_name(catalogue)
    toolkit: dict[str, str] = {}
    rows = []
    for _domain, practice_col, level, text, *_rest in sheet.iter_rows(values_only=True):
        match = re.match(r"(.+?)\s+-\s+Stream\s+([AB])\s*$", str(practice_col or ""))
        if not (match and isinstance(level, int | float) and text):
            continue
        practice = by_name[collapse(match.group(1))]
        qid = f"{practice.id}-{match.group(2)}{int(level)}"
        assert qid not in toolkit, f"toolkit repeats {qid}"
        toolkit[qid] = collapse(text)
        rows.append((collapse(match.group(1)), match.group(2), int(level), text))
    assert set(toolkit) == set(catalogue.questions)
    differences = {
        qid: text
        for qid, text in toolkit.items()
        if text != collapse(catalogue.questions[qid].text)
    }
    assert differences == TOOLKIT_DIFFERENCES
    # The generator's stdlib .xlsx reader sees the same rows as openpyxl.
    assert generator.toolkit_questions(paths[0]) == rows


def test_generated_yaml_is_up_to_date(source: Path) -> None:
    """The committed YAML is byte-identical to a fresh generation (hand edits are caught)."""
    result = subprocess.run(
        [sys.executable, str(GENERATOR), "--check", "--source", str(source)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_check_flags_a_stale_file(source: Path, tmp_path: Path) -> None:
    stale = tmp_path / "catalogue.yaml"
    stale.write_text("meta: {}\n", encoding="utf-8")
    result = subprocess.run(
        [
            sys.executable,
            str(GENERATOR),
            "--check",
            "--source",
            str(source),
            "--output",
            str(stale),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1
    assert "differs" in result.stderr


def test_generation_is_deterministic(generator: ModuleType, source: Path) -> None:
    first = generator.render(generator.build_catalogue(source))
    assert first == generator.render(generator.build_catalogue(source))


# --- the generator's parsers on awkward input -----------------------------------------------------


def test_table_parser_tolerates_padding_and_escapes(generator: ModuleType) -> None:
    text = (
        "## Demo Assessment Worksheet\n\n"
        "#### Secure Build – tagline\n"
        "|Maturity Level|  Stream A: Process-Oriented |Stream B:Technical Controls|\n"
        "| :--- | --- |---:|\n"
        "| Level 1 |  Is a\\|b  used?   | Is it “quoted”?<br>Yes? |\n"
        "| Level 2 | Two? | Two B? |\n"
        "|Level 3|Three?|Three B?|\n"
    )
    sheet = generator.parse_worksheet(text)
    assert sheet.domain == "Demo"
    (section,) = sheet.practices
    assert section.name == "Secure Build"
    assert section.stream_titles == {"A": "Process-Oriented", "B": "Technical Controls"}
    assert section.questions[("A", 1)] == "Is a|b used?"
    assert section.questions[("B", 1)] == "Is it “quoted”? Yes?"


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("- **Label:** Text one.<br>- **Other:** Text two.", "Label: Text one; Other: Text two"),
        ("**Label**: Text one. <br> - **Other**: Two.", "Label: Text one; Other: Two"),
        ("**Label**<br>Text one.<br>**Other**<br>- Two.", "Label: Text one; Other: Two"),
        ("- Plain one.<br/>- Plain two.", "Plain one; Plain two"),
    ],
)
def test_descriptor_layouts(generator: ModuleType, cell: str, expected: str) -> None:
    assert generator.descriptor(cell) == expected


def test_descriptor_is_capped(generator: ModuleType) -> None:
    cell = "<br>".join(f"- **L{i}:** " + "word " * 30 for i in range(5))
    text = generator.descriptor(cell)
    assert len(text) <= 300
    assert text.startswith("L0: word")


def test_the_compiled_catalogue_holds_exactly_the_yaml() -> None:
    """aima-ci loads catalogue.json (fast to parse on every start); catalogue.yaml is the
    reviewed form. A YAML edit without regenerating the JSON (scripts/gen_catalogue.py) would
    score against a stale catalogue: this fails until they agree."""
    import json

    import yaml

    data = REPO_ROOT / "aima_ci" / "data"
    from_yaml = yaml.safe_load((data / "catalogue.yaml").read_text(encoding="utf-8"))
    as_json = json.loads((data / "catalogue.json").read_text(encoding="utf-8"))
    assert as_json == json.loads(json.dumps(from_yaml))
    load_catalogue.cache_clear()
    assert load_catalogue() == parse_catalogue(from_yaml)
