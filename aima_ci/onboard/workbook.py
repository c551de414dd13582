"""The OWASP AIMA toolkit workbook (V1.0.1) in both directions.

Organisations that already assessed themselves did it in this workbook, and auditors know it:
importing its answers turns them into attestations (so aima-ci's practice scores equal the
workbook's own ``=SUM(E..:E..)/6`` formulas), and exporting writes an assessment back into a
copy of the bundled workbook so those formulas show aima-ci's scores.

Rows are matched to question IDs by the practice name in column B (the toolkit's own spellings,
recorded as catalogue aliases, e.g. "Trasparency"), the stream letter and the level in column C,
never by row number, so a workbook with inserted rows still maps. openpyxl is imported inside
the functions: it is the ``toolkit`` extra, and nothing else in aima-ci needs it.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from aima_ci.assess.catalogue import Catalogue
from aima_ci.errors import UserError

SHEET = "Assessment Questions"
UNANSWERED = "To evaluate"
ANSWER_COL, EVIDENCE_COL = "E", "I"  # G:H is the interview note
STREAM_CELL = re.compile(r"^(.+?)\s+-\s+Stream\s+([AB])\s*$")
FORMULA = re.compile(r"^=\s*SUM\(\s*([A-Z]+)(\d+)\s*:\s*([A-Z]+)(\d+)\s*\)\s*/\s*(\d+)\s*$", re.I)
TEMPLATE = "data/toolkit/OWASP-AIMA-Toolkit_V1.0.1.xlsx"
MAX_BYTES = 16 << 20


def _collapse(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().lower()


def _openpyxl() -> Any:
    try:
        import openpyxl  # type: ignore[import-untyped]
    except ImportError:
        raise UserError(
            "the toolkit workbook needs openpyxl: pip install 'aima-ci[toolkit]'"
        ) from None
    return openpyxl


Grid = dict[int, tuple[Any, ...]]  # row number -> values of columns A..F


def grid_of(sheet: Any) -> Grid:
    """The question sheet's columns A-F by row number (values, formulas as text)."""
    rows = sheet.iter_rows(max_col=6, values_only=True)
    return {i: tuple(row) + (None,) * (6 - len(row)) for i, row in enumerate(rows, start=1)}


def read_grid(path: Path) -> Grid:
    book = _open(path, read_only=True)
    try:
        return grid_of(book[SHEET])
    finally:
        book.close()


def question_rows(grid: Grid, catalogue: Catalogue) -> dict[str, int]:
    """Question ID -> row number in the sheet; all 144 must be found exactly once."""
    names: dict[str, str] = {}
    for practice in catalogue.practices.values():
        for name in (practice.name, *practice.aliases):
            names[_collapse(name)] = practice.id
    rows: dict[str, int] = {}
    for number, values in grid.items():
        match = STREAM_CELL.match(str(values[1] or ""))
        level = values[2]
        if not match or not isinstance(level, int | float):
            continue
        pid = names.get(_collapse(match.group(1)))
        if pid is None:
            raise UserError(f"{SHEET}!B{number}: unknown practice {match.group(1)!r}")
        qid = f"{pid}-{match.group(2)}{int(level)}"
        if qid in rows:
            raise UserError(f"{SHEET}!B{number}: {qid} appears twice (row {rows[qid]})")
        rows[qid] = number
    missing = sorted(set(catalogue.questions) - set(rows))
    if missing:
        raise UserError(f"{SHEET}: no row for {len(missing)} question(s), e.g. {missing[0]}")
    return rows


def _open(path: Path, **kwargs: Any) -> Any:
    openpyxl = _openpyxl()
    if path.stat().st_size > MAX_BYTES:
        raise UserError(f"{path.name}: larger than {MAX_BYTES} bytes")
    try:
        book = openpyxl.load_workbook(path, **kwargs)
    except Exception as exc:  # zipfile, XML and openpyxl's own errors: not a workbook
        raise UserError(
            f"{path.name}: not a readable .xlsx workbook ({type(exc).__name__})"
        ) from None
    if SHEET not in book.sheetnames:
        raise UserError(f"{path.name}: no sheet named {SHEET!r} (is it the OWASP AIMA toolkit?)")
    return book


def parse_answer(value: Any, cell: str) -> int | None:
    """0-3 as the toolkit's drop-down offers it; "To evaluate" or empty = unanswered."""
    if value is None or (isinstance(value, str) and value.strip() in ("", UNANSWERED)):
        return None
    if isinstance(value, str) and value.strip().isdigit():
        # The sheet's SUM skips text, so the workbook itself scores this cell 0: importing it as
        # a number would make aima-ci's score differ from the workbook's.
        raise UserError(
            f"{SHEET}!{cell}: {value!r} is text, which the workbook's formula counts as 0;"
            " enter it as a number"
        )
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 3:
        raise UserError(f"{SHEET}!{cell}: {value!r} is not an answer (0-3 or {UNANSWERED!r})")
    return value


def read_answers(path: Path, catalogue: Catalogue) -> dict[str, int]:
    """The workbook's answered questions: question ID -> 0-3."""
    grid = read_grid(path)
    answers: dict[str, int] = {}
    for qid, row in question_rows(grid, catalogue).items():
        value = parse_answer(grid[row][4], f"{ANSWER_COL}{row}")
        if value is not None:
            answers[qid] = value
    return answers


def attestations_yaml(
    answers: Mapping[str, int],
    owner: str,
    today: dt.date,
    expires: dt.date,
    source: str,
    catalogue: Catalogue,
) -> str:
    """An attestation file holding the workbook's answers in catalogue order."""
    entries = [
        {
            "question": qid,
            "answer": answers[qid],
            "owner": owner,
            "date": today,
            "expires": expires,
            "note": f"imported from the OWASP AIMA toolkit workbook {source}",
        }
        for qid in catalogue.questions
        if qid in answers
    ]
    head = (
        f"# Answers imported from the OWASP AIMA toolkit workbook {source} by `aima-ci toolkit"
        " import`.\n# 0-3 is the toolkit's scale; questions left 'To evaluate' are not listed.\n"
    )
    from aima_ci.onboard.answers import PlainDumper

    body = yaml.dump(
        {"attestations": entries},
        Dumper=PlainDumper,
        sort_keys=False,
        allow_unicode=True,
        width=1000,
    )
    return head + body


# -- export -------------------------------------------------------------------------------------
def _evidence_text(q: Mapping[str, Any]) -> str:
    basis = q.get("basis", "none")
    if basis == "automated":
        checks = q.get("checks") or []
        return "automated: " + "; ".join(
            f"{c.get('check')} {c.get('status')}"
            for c in checks
            if c.get("status") != "not_applicable"
        )
    if basis == "attestation":
        a = q.get("attestation") or {}
        where = f", evidence {a['evidence']}" if a.get("evidence") else ""
        return f"attested {a.get('answer')} by {a.get('owner')} on {a.get('date')}{where}"
    if basis == "waived":
        w = q.get("waiver") or {}
        return f"waived until {w.get('expires')} by {w.get('owner')}: {w.get('reason', '')}".strip()
    return "no evidence yet"


def answer_cell_value(q: Mapping[str, Any]) -> int | float | str:
    """The 0-3 answer for a question result: value (0-1) x 3; unanswered = "To evaluate".

    Automated answers can fall between the drop-down's steps (2 of 3 checks pass = 2.0, 1 of 2
    = 1.5): written as is, so the sheet's SUM equals aima-ci's practice score exactly.
    """
    if q.get("basis", "none") == "none":
        return UNANSWERED
    value = round(float(q["value"]) * 3, 4)
    return int(value) if value.is_integer() else value


def questions_of(assessment: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    try:
        return {
            q["id"]: q
            for d in assessment["domains"]
            for p in d["practices"]
            for s in p["streams"]
            for q in s["questions"]
        }
    except (KeyError, TypeError):
        raise UserError(
            "assessment.json: not an aima-ci assessment (domains/practices/streams)"
        ) from None


def export_workbook(assessment: Mapping[str, Any], catalogue: Catalogue, output: Path) -> None:
    """A copy of the bundled workbook with every answer filled and the evidence named."""
    template = resources.files("aima_ci").joinpath(TEMPLATE)
    with resources.as_file(template) as path:
        book = _open(Path(path))
    sheet = book[SHEET]
    results = questions_of(assessment)
    rows = question_rows(grid_of(sheet), catalogue)
    header_row = min(rows.values()) - 2
    sheet[f"{EVIDENCE_COL}{header_row}"] = "AIMA-CI EVIDENCE"
    sheet[f"{EVIDENCE_COL}{header_row}"]._style = sheet[f"G{header_row}"]._style
    sheet.column_dimensions[EVIDENCE_COL].width = 80
    for qid, row in rows.items():
        q = results.get(qid)
        if q is None:
            raise UserError(f"assessment.json: no result for {qid}")
        sheet[f"{ANSWER_COL}{row}"] = answer_cell_value(q)
        sheet[f"{EVIDENCE_COL}{row}"] = _evidence_text(q)
    intro = book["Introduction"]
    intro["B16"] = (
        f"Filled by aima-ci from an assessment dated {assessment.get('date', '?')}. Adapted from the"
        " OWASP AIMA toolkit V1.0.1 (CC BY-SA 4.0, OWASP AIMA project team); shared under the same"
        " licence."
    )
    output.parent.mkdir(parents=True, exist_ok=True)
    book.save(output)
    _check_export(output, assessment, catalogue)


def _check_export(output: Path, assessment: Mapping[str, Any], catalogue: Catalogue) -> None:
    """Fail closed: the written workbook's formulas must show the assessment's practice scores."""
    expected = {p["id"]: float(p["score"]) for d in assessment["domains"] for p in d["practices"]}
    got = practice_formulas(output, catalogue)
    wrong = [pid for pid, score in expected.items() if abs(got.get(pid, -1.0) - score) > 1e-3]
    if wrong:
        output.unlink(missing_ok=True)
        raise UserError(
            f"{output.name}: the workbook's formula for {wrong[0]} gives {got.get(wrong[0])},"
            f" the assessment says {expected[wrong[0]]}; nothing written"
        )


def formula_values(grid: Grid) -> dict[int, float]:
    """Evaluate the sheet's practice formulas (``=SUM(Ea:Eb)/n``) from its cells, by row.

    openpyxl does not compute formulas; SUM ignores text ("To evaluate") as spreadsheets do.
    """
    out: dict[int, float] = {}
    for number, values in grid.items():
        match = FORMULA.match(str(values[5] or ""))
        if not match:
            continue
        col, first, col2, last, divisor = match.groups()
        if col.upper() != col2.upper() or col.upper() not in "ABCDEF":
            raise UserError(f"{SHEET}!F{number}: a formula over another range than A-F")
        index = "ABCDEF".index(col.upper())
        total = 0.0
        for r in range(int(first), int(last) + 1):
            value = grid.get(r, (None,) * 6)[index]
            if isinstance(value, int | float) and not isinstance(value, bool):
                total += value
        out[number] = total / int(divisor)
    return out


def practice_formulas(path: Path, catalogue: Catalogue) -> dict[str, float]:
    """Practice ID -> the value the workbook's own formula gives it."""
    grid = read_grid(path)
    by_row = {row: qid for qid, row in question_rows(grid, catalogue).items()}
    out: dict[str, float] = {}
    for row, value in formula_values(grid).items():
        qid = by_row.get(row)
        if qid is None:
            raise UserError(f"{SHEET}!F{row}: a formula on a row that is not a question")
        out[catalogue.questions[qid].practice] = value
    return out
