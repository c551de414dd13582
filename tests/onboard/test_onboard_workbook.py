"""The OWASP toolkit workbook both ways: imported answers score as the workbook's formulas say,
and an exported assessment makes the workbook's formulas show aima-ci's practice scores."""

from __future__ import annotations

import datetime as dt
import json
import random
from importlib import resources
from pathlib import Path

import pytest
from click.testing import CliRunner

from aima_ci.assess.attestations import load_attestations
from aima_ci.assess.catalogue import load_catalogue
from aima_ci.assess.scoring import score
from aima_ci.cli.main import cli
from aima_ci.errors import UserError
from aima_ci.models import Finding, Status
from aima_ci.onboard.workbook import (
    SHEET,
    export_workbook,
    grid_of,
    practice_formulas,
    question_rows,
    read_answers,
)

openpyxl = pytest.importorskip("openpyxl")
TODAY = dt.date(2026, 11, 26)
CAT = load_catalogue()
TEMPLATE = resources.files("aima_ci").joinpath("data/toolkit/OWASP-AIMA-Toolkit_V1.0.1.xlsx")


def filled_workbook(path: Path, seed: int) -> dict[str, object]:
    """The bundled workbook with random answers as a person would enter them."""
    with resources.as_file(TEMPLATE) as src:
        book = openpyxl.load_workbook(src)
    sheet = book[SHEET]
    rng = random.Random(seed)
    given: dict[str, object] = {}
    for qid, row in question_rows(grid_of(sheet), CAT).items():
        value = rng.choice(["To evaluate", 0, 1, 2, 3, 3.0, None])
        sheet[f"E{row}"] = value
        given[qid] = "To evaluate" if value is None else value
    book.save(path)
    return given


def test_bundled_workbook_is_the_official_one_and_maps_all_144() -> None:
    with resources.as_file(TEMPLATE) as src:
        sheet = openpyxl.load_workbook(src)[SHEET]
        assert len(question_rows(grid_of(sheet), CAT)) == 144
        assert read_answers(Path(src), CAT) == {}  # every answer 'To evaluate'
        formulas = practice_formulas(Path(src), CAT)
    assert set(formulas) == set(CAT.practices) and set(formulas.values()) == {0.0}
    notice = resources.files("aima_ci").joinpath("data/toolkit/TOOLKIT-LICENSE.md").read_text()
    assert "CC BY-SA 4.0" in notice


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_import_then_score_equals_the_workbook_formulas(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, seed: int
) -> None:
    book = tmp_path / "assessed.xlsx"
    given = filled_workbook(book, seed)
    (tmp_path / ".git").mkdir()
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("AIMA_CI_TODAY", TODAY.isoformat())
    res = CliRunner().invoke(
        cli, ["toolkit", "import", str(book), "--owner", "ciso@example.com", "--out", "tk.yaml"]
    )
    assert res.exit_code == 0, res.output
    accepted, problems = load_attestations([tmp_path / "tk.yaml"], tmp_path, CAT.questions, TODAY)
    assert problems == []
    assert len(accepted) == sum(1 for v in given.values() if v != "To evaluate")
    scored = score(CAT, [], accepted)
    formulas = practice_formulas(book, CAT)
    assert any(v > 0 for v in formulas.values())
    for pid, expected in formulas.items():
        assert scored.practice(pid).score == pytest.approx(expected), pid


def test_import_refuses_a_value_outside_the_scale(tmp_path: Path) -> None:
    book = tmp_path / "bad.xlsx"
    filled_workbook(book, 4)
    wb = openpyxl.load_workbook(book)
    row = question_rows(grid_of(wb[SHEET]), CAT)["VER-ST-A2"]
    wb[SHEET][f"E{row}"] = 4
    wb.save(book)
    with pytest.raises(UserError, match=f"E{row}: 4 is not an answer"):
        read_answers(book, CAT)
    wb = openpyxl.load_workbook(book)
    wb[SHEET][f"E{row}"] = "2"  # text: the sheet's SUM counts it as 0
    wb.save(book)
    with pytest.raises(UserError, match="is text"):
        read_answers(book, CAT)
    (tmp_path / "junk.xlsx").write_bytes(b"PK not a zip")
    res = CliRunner().invoke(
        cli, ["toolkit", "import", str(tmp_path / "junk.xlsx"), "--owner", "a@example.com"]
    )
    assert res.exit_code == 2 and "not a readable .xlsx" in res.output


def test_export_formulas_equal_the_scores_with_partial_automated_credit(tmp_path: Path) -> None:
    findings = [
        Finding("x.one", "x", Status.PASS, questions=("VER-ST-A1",)),
        Finding("x.two", "x", Status.FAIL, questions=("VER-ST-A1",)),
        Finding("x.three", "x", Status.PASS, questions=("VER-ST-B1", "IMP-SB-A1")),
        Finding("x.four", "x", Status.ERROR, questions=("IMP-SB-A2",)),
    ]
    with_attestation = load_attestations([], tmp_path, CAT.questions, TODAY)[0]
    scored = score(CAT, findings, with_attestation)
    assessment = {"date": TODAY.isoformat(), "domains": [d.to_dict() for d in scored.domains]}
    out = tmp_path / "out.xlsx"
    export_workbook(assessment, CAT, out)
    formulas = practice_formulas(out, CAT)
    for d in assessment["domains"]:
        for p in d["practices"]:
            assert formulas[p["id"]] == pytest.approx(p["score"], abs=1e-3), p["id"]
    assert formulas["VER-ST"] == pytest.approx((1.5 + 3) / 6)
    sheet = openpyxl.load_workbook(out)[SHEET]
    rows = question_rows(grid_of(sheet), CAT)
    assert sheet[f"E{rows['VER-ST-A1']}"].value == 1.5
    assert sheet[f"I{rows['VER-ST-A1']}"].value == "automated: x.one pass; x.two fail"
    assert sheet[f"E{rows['GOV-EA-A1']}"].value == "To evaluate"
    assert sheet[f"F{rows['VER-ST-A1']}"].value.startswith("=SUM(E")  # the formulas are kept


def test_cli_export_after_a_real_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """run -> assessment.json -> export: the workbook shows the run's practice scores."""
    root = tmp_path / "repo"
    (root / ".git").mkdir(parents=True)
    (root / "docs").mkdir()
    (root / "docs" / "training.md").write_text("# AI security training\n")
    (root / "aima.yaml").write_text(
        "version: 1\nattestations: aima-attestations.yaml\ncollectors:\n  pipeline: {}\n"
    )
    (root / "aima-attestations.yaml").write_text(
        "attestations:\n"
        "- {question: GOV-EA-A1, answer: 3, owner: a@example.com, date: 2026-11-01,"
        " expires: 2027-11-01, evidence: docs/training.md}\n"
        "- {question: GOV-EA-B1, answer: 1, owner: a@example.com, date: 2026-11-01,"
        " expires: 2027-11-01}\n"
    )
    monkeypatch.chdir(root)
    monkeypatch.setenv("AIMA_CI_TODAY", TODAY.isoformat())
    runner = CliRunner()
    run = runner.invoke(cli, ["run"])
    assert run.exit_code in (0, 1), run.output
    res = runner.invoke(cli, ["toolkit", "export", "-o", "aima.xlsx"])
    assert res.exit_code == 0, res.output
    assessment = json.loads((root / ".aima" / "assessment.json").read_text())
    formulas = practice_formulas(root / "aima.xlsx", CAT)
    scores = {p["id"]: p["score"] for d in assessment["domains"] for p in d["practices"]}
    assert scores["GOV-EA"] == pytest.approx(4 / 6, abs=1e-3)
    for pid, value in scores.items():
        assert formulas[pid] == pytest.approx(value, abs=1e-3), pid
    sheet = openpyxl.load_workbook(root / "aima.xlsx")[SHEET]
    row = question_rows(grid_of(sheet), CAT)["GOV-EA-A1"]
    assert "attested 3 by a@example.com" in sheet[f"I{row}"].value
    assert "docs/training.md" in sheet[f"I{row}"].value


def test_export_without_an_assessment_and_a_foreign_workbook_are_exit_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / ".git").mkdir()
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    res = runner.invoke(cli, ["toolkit", "export", "-o", "out.xlsx"])
    assert res.exit_code == 2 and "no assessment.json" in res.output
    other = openpyxl.Workbook()
    other.active.title = "Sheet1"
    other.save(tmp_path / "other.xlsx")
    res = runner.invoke(cli, ["toolkit", "import", "other.xlsx", "--owner", "a@example.com"])
    assert res.exit_code == 2 and "no sheet named 'Assessment Questions'" in res.output
    assert not (tmp_path / "toolkit-attestations.yaml").exists()
