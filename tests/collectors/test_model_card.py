"""The model_card collector on Markdown and YAML cards."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from aima_ci_collectors.model_card import ModelCardCollector
from aima_ci_collectors.model_card.document import parse_sections

from aima_ci.config import load_config
from aima_ci.evidence.collect import collect
from aima_ci.models import Severity, Status
from aima_ci.plugin import CollectorConfigError

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "model_card"


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    root.mkdir()
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    return root


def run(root: Path, settings: dict[str, Any]) -> dict[str, Any]:
    cfg = root / "aima.yaml"
    cfg.write_text(yaml.safe_dump({"collectors": {"model_card": settings}}))
    runs = collect(load_config(cfg), root / ".aima", available={"model_card": ModelCardCollector})
    return {f.check: f for f in runs[0].findings}


def card(root: Path, text: str, name: str = "MODEL_CARD.md") -> None:
    (root / name).write_text(text, encoding="utf-8")


def test_complete_card_passes_every_check(repo: Path) -> None:
    card(repo, (FIXTURES / "complete.md").read_text())
    found = run(repo, {})
    assert {k: f.status for k, f in found.items()} == {
        "model_card.sections": Status.PASS,
        "model_card.risk_class": Status.PASS,
        "model_card.risk_justification": Status.PASS,
    }
    assert found["model_card.risk_class"].value == "high"
    assert found["model_card.sections"].details["found_at"]["contacts"] == "'Contacts' (line 40)"
    assert found["model_card.sections"].questions == ("RAI-TE-B2", "RAI-TE-B1")
    assert found["model_card.risk_justification"].questions == (
        "GOV-PC-B2",
        "RAI-ES-A2",
        "GOV-PC-B1",
        "RAI-ES-A1",
    )


def test_missing_and_placeholder_sections_are_listed(repo: Path) -> None:
    card(
        repo,
        "# Card\n\n## Intended Use\nScoring.\n\n## Limitations\n[More Information Needed]\n\n"
        "## Evaluation\n### Metrics\nAUC 0.81\n\n## Bias, Risks and Limitations\nTODO\n",
    )
    f = run(repo, {"risk_class_required": False})["model_card.sections"]
    assert f.status is Status.FAIL
    assert f.details["missing"] == ["training data", "contacts"]
    assert f.details["empty"] == ["limitations", "fairness"]
    assert "missing sections: training data, contacts" in f.message
    assert "limitations at 'Limitations' (line 6)" in f.message


def test_configured_sections_and_headings_in_code_blocks_do_not_count(
    repo: Path,
) -> None:
    card(
        repo,
        "# Card\n\n```\n## Privacy\nnot a heading\n```\n\nSecurity\n--------\nSigned.\n",
    )
    f = run(
        repo,
        {"required_sections": ["security", "privacy"], "risk_class_required": False},
    )["model_card.sections"]
    assert f.details["present"] == ["security"] and f.details["missing"] == ["privacy"]
    mapping = {
        "required_sections": {"privacy": ["data protection"]},
        "risk_class_required": False,
    }
    card(repo, "# Card\n## Data protection\nGDPR Art. 35 DPIA done.\n")
    assert run(repo, mapping)["model_card.sections"].status is Status.PASS


@pytest.mark.parametrize(
    ("front", "status", "text"),
    [
        (
            "eu_ai_act: {risk_class: unacceptable}",
            Status.FAIL,
            "prohibits this practice",
        ),
        ("eu_ai_act: {risk_class: severe}", Status.FAIL, "'severe' is not one of"),
        ("model: x", Status.FAIL, "no EU AI Act risk class"),
        ("risk_class: Minimal", Status.PASS, "'minimal'"),
    ],
)
def test_risk_class(repo: Path, front: str, status: Status, text: str) -> None:
    card(repo, f"---\n{front}\n---\n# Card\n")
    f = run(repo, {})["model_card.risk_class"]
    assert f.status is status and text in f.message
    if "unacceptable" in front:
        assert f.severity is Severity.CRITICAL


def test_risk_class_in_body_and_short_justification(repo: Path) -> None:
    card(repo, "# Card\n\n**EU AI Act risk class:** limited\n\nJustification: chatbot.\n")
    found = run(repo, {})
    assert found["model_card.risk_class"].value == "limited"
    j = found["model_card.risk_justification"]
    assert j.status is Status.FAIL and "1 word(s), fewer than 8" in j.message
    assert run(repo, {"min_justification_words": 1})["model_card.risk_justification"].status is (
        Status.PASS
    )


def test_yaml_card(repo: Path) -> None:
    data = yaml.safe_load((FIXTURES / "card.yaml").read_text())
    card(repo, yaml.safe_dump(data), "card.yaml")
    found = run(repo, {"path": "card.yaml"})
    assert found["model_card.sections"].status is Status.PASS
    assert found["model_card.risk_class"].status is Status.PASS
    data["fairness"] = "TBD"
    card(repo, yaml.safe_dump(data), "card.yaml")
    f = run(repo, {"path": "card.yaml"})["model_card.sections"]
    assert f.details["empty"] == ["fairness"]


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        (
            "MODEL_CARD.md",
            b"---\nrisk_class: [unclosed\n---\n# x\n",
            "MODEL_CARD.md:3: invalid YAML",
        ),
        ("MODEL_CARD.md", b"# Card\n\xff\xfe\n", "MODEL_CARD.md:2: not UTF-8 text"),
        ("card.yaml", b"a: 1\na: 2\n", "card.yaml:2: invalid YAML: duplicate key"),
        ("card.txt", b"hello\n", "unsupported file type"),
    ],
)
def test_malformed_card_is_an_error(repo: Path, name: str, content: bytes, expected: str) -> None:
    (repo / name).write_bytes(content)
    found = run(repo, {"path": name})
    assert {f.status for f in found.values()} == {Status.ERROR}
    assert expected in found["model_card.sections"].message


def test_missing_card_fails_and_symlink_outside_is_refused(repo: Path) -> None:
    found = run(repo, {})
    assert found["model_card.sections"].status is Status.FAIL
    assert "no model card at MODEL_CARD.md" in found["model_card.sections"].message
    (repo.parent / "card.md").write_text("# outside\n")
    (repo / "MODEL_CARD.md").symlink_to(repo.parent / "card.md")
    found = run(repo, {})
    assert found["model_card.sections"].status is Status.ERROR
    assert "outside the repository root" in found["model_card.sections"].message


def test_section_parser_levels_and_setext() -> None:
    sections = parse_sections("Title\n=====\nintro\n## A\ntext\n### A.1\nmore\n## B\n", 10)
    assert [(s.level, s.title, s.line) for s in sections] == [
        (1, "Title", 10),
        (2, "A", 13),
        (3, "A.1", 15),
        (2, "B", 17),
    ]
    assert sections[1].content == "text\n### A.1\nmore"


def test_cache_inputs_include_the_default_card(repo: Path) -> None:
    """The result cache must see the card even when the config relies on the default path."""
    from aima_ci.plugin import CollectorContext

    card(repo, "# Card\n")
    collector = ModelCardCollector()
    ctx = CollectorContext(
        collector=collector,
        config={},
        root=repo,
        config_dir=repo,
        artefact_dir=repo / ".aima" / "artefacts",
        evidence_dir=repo / ".aima",
    )
    assert (repo / "MODEL_CARD.md").resolve() in list(collector.cache_inputs({}, ctx))


@pytest.mark.parametrize(
    ("settings", "key"),
    [
        ({"pth": "CARD.md"}, "collectors.model_card.pth: unknown key"),
        ({"path": 3}, "collectors.model_card.path: must be the model card's path"),
        ({"required_sections": []}, "collectors.model_card.required_sections: must be a non-empty"),
        ({"required_sections": {"a": 3}}, "collectors.model_card.required_sections: must be"),
        ({"risk_class_required": 1}, "collectors.model_card.risk_class_required: must be true"),
        ({"min_justification_words": 0}, "collectors.model_card.min_justification_words: must"),
    ],
)
def test_bad_settings_name_the_key(settings: dict[str, Any], key: str) -> None:
    with pytest.raises(CollectorConfigError) as err:
        ModelCardCollector().validate_config(settings)
    assert str(err.value).startswith(f"config: {key}")


def test_risk_class_required_false_reports_only_the_sections() -> None:
    c = ModelCardCollector()
    assert [x.id for x in c.enabled_checks({"risk_class_required": False})] == [
        "model_card.sections"
    ]
    assert len(c.enabled_checks({})) == 3
