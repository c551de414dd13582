#!/usr/bin/env python3
"""Generate ``aima_ci/data/catalogue.yaml`` from the OWASP AIMA source.

Why a generator: the 144 assessment questions are the contract between aima-ci and the people who
answer them, so they must be the AIMA wording, verbatim, and re-derivable when AIMA v1.1 ships. The
committed YAML is the only thing the package reads; this script is a dev-time tool (stdlib + PyYAML;
the toolkit .xlsx is read with ``zipfile``, so openpyxl is not needed here).

Inputs (``--source``, default ``<repo>/tests/fixtures/aima``, the vendored copy):

* ``model-source/10_The_Model/<NN_domain>/<NN_practice>.md``: practice chapters (objective paragraph
  and a stream table whose level rows hold bold-labelled bullet characteristics);
* ``model-source/10_The_Model/<NN_domain>/00_index.md``: the domain intro (names the practices);
* ``model-source/20_Applying_the_model/2N_*.md``: the worksheets (per practice: stream titles in the
  header row and one yes/no question per level x stream cell);
* ``*Toolkit*.xlsx`` (optional): the spreadsheet toolkit, read only for the names it uses.

IDs and canonical names are fixed here (``DOMAINS``); every source spelling is matched to them by
name, never by position, and an unknown spelling stops the run so that a new AIMA release is
reviewed rather than silently mis-mapped. ``--check`` exits 1 when the committed YAML is not what
this script generates.
"""

from __future__ import annotations

import argparse
import difflib
import json
import re
import sys
import unicodedata
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from xml.etree import ElementTree

import yaml

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SOURCE = REPO_ROOT / "tests" / "fixtures" / "aima"  # vendored, CC BY-SA 4.0
DEFAULT_OUTPUT = REPO_ROOT / "aima_ci" / "data" / "catalogue.yaml"

# Update these three when regenerating from a new AIMA release (the run fails if the preface no
# longer announces AIMA_VERSION, so a stale value cannot slip through).
AIMA_VERSION = "1.0"
SNAPSHOT = "2025-10-29"
REPOSITORY = "OWASP/www-project-ai-maturity-assessment"

MODEL_NAME = "OWASP AI Maturity Assessment"
LICENCE = "CC BY-SA 4.0"
LICENCE_URL = "https://creativecommons.org/licenses/by-sa/4.0/"
ATTRIBUTION = (
    f"OWASP AI Maturity Assessment (AIMA) v{AIMA_VERSION} by the OWASP AIMA project team "
    "(project co-leads Matteo Meucci and Philippe Schrettenbrunner), "
    f"https://github.com/{REPOSITORY}, licensed {LICENCE} ({LICENCE_URL}). "
    "Adapted by aima-ci: reformatted into YAML, IDs added, names normalised, "
    "short level descriptors condensed from the stream tables."
)

# AIMA gives no one-word names for its levels. These are the commonest openings of the 24
# chapters' level rows ("1 - Establish ..." 16x, "2 - Define(d) ..." 12x, "3 - Continuously
# improve/optimize ..." 9x, ahead of "Embed(ded)" 6x), matching how "Using the maturity levels"
# describes them (basic ... established / comprehensive / continuous improvement and optimisation).
LEVEL_NAMES = {1: "Establish", 2: "Define", 3: "Continuously improve"}

STREAM_LETTERS = ("A", "B")
LEVELS = (1, 2, 3)
DESCRIPTOR_MAX = 300


@dataclass(frozen=True)
class PracticeSpec:
    """A practice's fixed ID and canonical name, plus spellings that do not normalise to it."""

    id: str
    name: str
    match: tuple[str, ...] = ()


@dataclass(frozen=True)
class DomainSpec:
    """A domain's fixed ID and name; ``extra_aliases``: spellings found only in the model image."""

    id: str
    name: str
    practices: tuple[PracticeSpec, ...]
    match: tuple[str, ...] = ()
    extra_aliases: tuple[str, ...] = ()


DOMAINS: tuple[DomainSpec, ...] = (
    DomainSpec(
        "RAI",
        "Responsible AI",
        (
            PracticeSpec(
                "RAI-ES", "Ethical Values & Societal Impact", ("Ethical & Societal Impact",)
            ),
            PracticeSpec("RAI-TE", "Transparency & Explainability"),
            PracticeSpec("RAI-FB", "Fairness & Bias"),
        ),
        match=("Responsible AI Principles",),
    ),
    DomainSpec(
        "GOV",
        "Governance",
        (
            PracticeSpec("GOV-SM", "Strategy & Metrics"),
            PracticeSpec("GOV-PC", "Policy & Compliance"),
            PracticeSpec("GOV-EA", "Education & Awareness", ("Education & Guidance",)),
        ),
    ),
    DomainSpec(
        "DAT",
        "Data Management",
        (
            PracticeSpec("DAT-QI", "Data Quality & Integrity"),
            PracticeSpec("DAT-GA", "Data Governance & Accountability"),
            PracticeSpec("DAT-DT", "Data Training"),
        ),
    ),
    DomainSpec(
        "PRV",
        "Privacy",
        (
            PracticeSpec("PRV-DM", "Data Minimization & Purpose Limitation"),
            PracticeSpec("PRV-PD", "Privacy by Design & Default"),
            PracticeSpec("PRV-UC", "User Control & Transparency", ("User Control & Trasparency",)),
        ),
    ),
    DomainSpec(
        "DES",
        "Design",
        (
            PracticeSpec("DES-TA", "Threat Assessment"),
            PracticeSpec("DES-SA", "Security Architecture"),
            PracticeSpec("DES-SR", "Security Requirements"),
        ),
    ),
    DomainSpec(
        "IMP",
        "Implementation",
        (
            PracticeSpec("IMP-SB", "Secure Build"),
            PracticeSpec("IMP-SD", "Secure Deployment"),
            PracticeSpec("IMP-DM", "Defect Management"),
        ),
    ),
    DomainSpec(
        "VER",
        "Verification",
        (
            PracticeSpec("VER-ST", "Security Testing"),
            PracticeSpec("VER-RT", "Requirement-based Testing"),
            PracticeSpec("VER-AA", "Architecture Assessment"),
        ),
    ),
    DomainSpec(
        "OPS",
        "Operations",
        (
            PracticeSpec("OPS-IM", "Incident Management"),
            PracticeSpec("OPS-EM", "Event Management"),
            PracticeSpec("OPS-OM", "Operational Management"),
        ),
        # The AIMA model diagram (AIMA_model.png, not in the text sources) labels it "Operational".
        extra_aliases=("Operational",),
    ),
)


@dataclass(frozen=True)
class Inversion:
    """A level-1 question whose literal "yes" describes the immature state it measures.

    ``marker`` must occur in the worksheet text: if a new release rewords the question, the run
    fails so that someone re-decides whether it is still inverted.
    """

    marker: str
    initial: str
    beyond: str


INVERTED: dict[str, Inversion] = {
    "RAI-TE-B1": Inversion(
        "sporadic or reactive",
        "communication about how AI systems work is sporadic or reactive",
        "it is regular, documented or proactive",
    ),
    "GOV-EA-B1": Inversion(
        "sporadic or ad hoc",
        "communication about AI security risks is sporadic or ad hoc",
        "it is regular or part of an established awareness culture",
    ),
    "DAT-DT-A1": Inversion(
        "minimal consistency or curation standards",
        "training data is gathered informally, with minimal consistency or curation standards",
        "collection and labelling follow defined or automated processes",
    ),
    "DAT-DT-B1": Inversion(
        "minimal or no compliance checks",
        "compliance checks on third-party data use are minimal or absent",
        "such checks are regular or systematically monitored",
    ),
    "RAI-FB-B1": Inversion(
        "informal or ad hoc",
        "bias mitigation steps are informal or ad hoc",
        "mitigation strategies are defined, reviewed or continuously refined",
    ),
    "DAT-QI-A1": Inversion(
        "informal or ad hoc",
        "data quality is ensured by informal or ad hoc processes",
        "data quality procedures are formalised or embedded in the data lifecycle",
    ),
    "PRV-DM-B1": Inversion(
        "inconsistently documented",
        "data collection purposes are informally discussed or inconsistently documented",
        "purposes are explicitly defined, communicated and reviewed",
    ),
    "DES-SR-A1": Inversion(
        "sporadically documented",
        "security requirements are informally identified or sporadically documented",
        "they are formally documented and communicated",
    ),
    "IMP-SD-A1": Inversion(
        "informal or ad hoc",
        "secure deployment follows informal or ad hoc processes",
        "deployment processes are formally defined and consistently followed",
    ),
    "IMP-DM-A1": Inversion(
        "inconsistently documented",
        "defect tracking is informally applied or inconsistently documented",
        "defects are tracked through a defined, consistently applied process",
    ),
    "OPS-IM-A1": Inversion(
        "ad hoc responses",
        "AI incidents are handled by basic informal procedures or ad hoc responses",
        "incident response is documented and consistently applied",
    ),
    "OPS-IM-B1": Inversion(
        "occasionally resolved",
        "incidents are informally documented and occasionally resolved",
        "incidents are systematically managed, documented and reviewed",
    ),
    "OPS-EM-B1": Inversion(
        "sporadically documented",
        "event responses are informally conducted and sporadically documented",
        "event responses are systematically executed, documented and reviewed",
    ),
}

# Questions about the whole organisation rather than one system: one repository's automated
# evidence cannot answer them, so aima-ci answers them by attestation only. ``marker`` must occur
# in the worksheet text (a reworded question stops the run, so someone re-decides).
ORG_SCOPE: dict[str, str] = {
    "RAI-ES-A3": "all AI projects",
    "RAI-ES-B3": "fully embedded in organizational processes",
    "RAI-TE-A3": "across all AI systems",
    "RAI-FB-B3": "across AI deployments",
    "GOV-SM-A3": "organization's broader business strategy",
    "GOV-SM-B2": "within the organization",
    "GOV-PC-A1": "within the organization",
    "GOV-PC-A2": "all relevant stakeholders",
    "GOV-PC-A3": "organizational goals",
    "GOV-EA-A1": "within the organization",
    "GOV-EA-B2": "across the organization",
    "GOV-EA-B3": "throughout the organization",
    "DAT-QI-B3": "across all datasets",
    "DAT-GA-A3": "organizational operations",
    "PRV-DM-A3": "across all operations",
    "PRV-PD-A3": "fully embedded",
    "DES-SR-A3": "across AI projects",
    "IMP-SB-B3": "fully embedded",
    "IMP-DM-B3": "fully embedded",
}


class SourceError(Exception):
    """The AIMA source is not shaped as this generator expects (review before regenerating)."""


# --------------------------------------------------------------------------------------------------
# Text helpers


def collapse(text: str) -> str:
    """Single-space a string: the tables pad cells with runs of spaces for alignment."""
    return " ".join(text.split())


def name_key(name: str) -> str:
    """Comparison key for names: case, '&' vs 'and', hyphens and padding differ between sources."""
    text = unicodedata.normalize("NFKC", name).casefold().replace("&", " and ")
    return collapse(re.sub(r"[^0-9a-z]+", " ", text))


BR = re.compile(r"<br\s*/?>", re.IGNORECASE)
BOLD = re.compile(r"\*\*(.+?)\*\*|__(.+?)__")
ITALIC = re.compile(r"(?<![\w*])[*_](?=\S)(.+?)(?<=\S)[*_](?![\w*])")
LINK = re.compile(r"\[([^\]]+)\]\([^)]*\)")


def plain(text: str) -> str:
    """Markdown inline markup removed (bold, italics, links), so YAML values read as plain text."""
    text = LINK.sub(r"\1", text)
    text = BOLD.sub(lambda m: m.group(1) or m.group(2), text)
    text = ITALIC.sub(r"\1", text)
    return collapse(text)


def cell_text(cell: str) -> str:
    """A table cell as one line: ``<br>`` becomes a space, padding is collapsed."""
    return collapse(BR.sub(" ", cell))


# --------------------------------------------------------------------------------------------------
# Markdown tables


def split_row(line: str) -> list[str]:
    """Cells of one markdown table row; outer pipes are optional and ``\\|`` is a literal pipe."""
    body = line.strip()
    if body.startswith("|"):
        body = body[1:]
    if body.endswith("|") and not body.endswith("\\|"):
        body = body[:-1]
    return [cell.replace("\\|", "|").strip() for cell in re.split(r"(?<!\\)\|", body)]


def is_separator(cells: list[str]) -> bool:
    """True for the ``|---|:--:|`` row under a table header."""
    return bool(cells) and all(re.fullmatch(r":?-+:?", cell.replace(" ", "")) for cell in cells)


def iter_tables(lines: Iterable[str]) -> Iterator[tuple[str, list[list[str]]]]:
    """(last heading above it, rows without the separator) for each pipe table in a document."""
    heading = ""
    rows: list[list[str]] = []
    for line in [*lines, ""]:
        if line.lstrip().startswith("|"):
            cells = split_row(line)
            if not is_separator(cells):
                rows.append(cells)
            continue
        if rows:
            yield heading, rows
            rows = []
        if line.startswith("#"):
            heading = line.lstrip("#").strip()


def stream_columns(header: list[str]) -> dict[str, tuple[int, str]]:
    """Map stream letter -> (column index, title after 'Stream X:') from a table header row."""
    columns: dict[str, tuple[int, str]] = {}
    for index, cell in enumerate(header):
        match = re.fullmatch(r"Stream\s+([AB])\b\s*[:\-–—]?\s*(.*)", plain(cell), re.IGNORECASE)
        if match:
            columns[match.group(1).upper()] = (index, match.group(2).strip())
    if set(columns) != set(STREAM_LETTERS):
        raise SourceError(f"table header has no Stream A/B columns: {header!r}")
    return columns


def row_level(first_cell: str) -> int | None:
    """The level of a table row: 'Level 2' in worksheets, '**2 - Define ...**' in chapters."""
    match = re.match(r"(?:Level\s*)?([1-9])(?!\d)", plain(first_cell), re.IGNORECASE)
    return int(match.group(1)) if match else None


def level_cells(rows: list[list[str]], where: str) -> dict[tuple[str, int], str]:
    """{(letter, level): raw cell} for a levels x streams table whose first row is the header."""
    columns = stream_columns(rows[0])
    cells: dict[tuple[str, int], str] = {}
    for row in rows[1:]:
        level = row_level(row[0]) if row else None
        if level is None:
            raise SourceError(f"{where}: row without a level: {row[:1]!r}")
        for letter, (index, _title) in columns.items():
            if index >= len(row) or not row[index].strip():
                raise SourceError(f"{where}: empty cell for stream {letter} level {level}")
            cells[(letter, level)] = row[index]
    expected = {(letter, level) for letter in STREAM_LETTERS for level in LEVELS}
    if set(cells) != expected:
        raise SourceError(f"{where}: expected levels {LEVELS} x streams A/B, got {sorted(cells)}")
    return cells


# --------------------------------------------------------------------------------------------------
# Worksheets


@dataclass(frozen=True)
class WorksheetPractice:
    """One practice section of a worksheet, as written there."""

    name: str
    stream_titles: dict[str, str]
    questions: dict[tuple[str, int], str]  # (letter, level) -> question text


@dataclass(frozen=True)
class Worksheet:
    """One domain's assessment worksheet."""

    domain: str
    practices: tuple[WorksheetPractice, ...]


def heading_name(heading: str) -> str:
    """Name part of 'Name – tagline' headings (a spaced dash; 'Requirement-Based' stays whole)."""
    return collapse(re.split(r"\s+[–—-]\s+", plain(heading), maxsplit=1)[0])


def parse_worksheet(text: str, where: str = "worksheet") -> Worksheet:
    """Parse a worksheet: each practice table's stream titles and its six questions, verbatim."""
    lines = text.splitlines()
    title = next((line for line in lines if line.startswith("#")), "")
    domain = re.sub(r"\s*(Assessment\s+)?Worksheet\s*$", "", title.lstrip("#").strip(), flags=re.I)
    practices = []
    for heading, rows in iter_tables(lines):
        if not rows or not re.search(r"Stream\s+A", " ".join(rows[0]), re.IGNORECASE):
            continue
        here = f"{where} [{heading}]"
        columns = stream_columns(rows[0])
        cells = level_cells(rows, here)
        practices.append(
            WorksheetPractice(
                name=heading_name(heading),
                stream_titles={letter: title for letter, (_i, title) in columns.items()},
                questions={key: cell_text(value) for key, value in cells.items()},
            )
        )
    return Worksheet(domain=collapse(domain), practices=tuple(practices))


def worksheet_paths(source: Path) -> list[Path]:
    """The per-domain worksheets: ``2N_*.md`` beside the two general chapters ``10_``/``20_``."""
    folder = source / "model-source" / "20_Applying_the_model"
    paths = sorted(p for p in folder.glob("2[1-9]_*.md"))
    if not paths:
        raise SourceError(f"no worksheets (2N_*.md) in {folder}")
    return paths


# --------------------------------------------------------------------------------------------------
# Model chapters


@dataclass(frozen=True)
class Chapter:
    """One practice chapter: its heading name, first paragraph, and stream-table cells."""

    name: str
    objective: str
    cells: dict[tuple[str, int], str]


def first_paragraph(lines: list[str]) -> str:
    """First prose paragraph after the chapter heading (the practice's one-paragraph summary)."""
    paragraph: list[str] = []
    for line in lines:
        if line.startswith("#") or line.lstrip().startswith("|"):
            if paragraph:
                break
            continue
        if not line.strip():
            if paragraph:
                break
            continue
        paragraph.append(line.strip())
    return plain(" ".join(paragraph))


def parse_chapter(text: str, where: str = "chapter") -> Chapter:
    """Parse a practice chapter: heading, intro paragraph, and the levels x streams table."""
    lines = text.splitlines()
    index = next((i for i, line in enumerate(lines) if line.startswith("#")), None)
    if index is None:
        raise SourceError(f"{where}: no heading")
    tables = [
        rows
        for _heading, rows in iter_tables(lines)
        if rows and re.search(r"Stream\s+A", " ".join(rows[0]), re.IGNORECASE)
    ]
    if len(tables) != 1:
        raise SourceError(f"{where}: expected one stream table, found {len(tables)}")
    return Chapter(
        name=collapse(plain(lines[index].lstrip("#"))),
        objective=first_paragraph(lines[index + 1 :]),
        cells=level_cells(tables[0], where),
    )


LABEL_ONLY = re.compile(r"^\*\*([^*]+?)\*\*\s*:?$")


def cell_items(cell: str) -> list[str]:
    """A chapter cell's characteristics as plain 'Label: text' items.

    Cells come in several layouts ('- **L:** t<br>- ...', '**L**: t <br> **L**: t',
    '**L**<br>t<br>...', '**L**<br>- t', '- t<br>- t'); a bold label alone on its segment is
    joined to the segment after it.
    """
    segments = [re.sub(r"^[-*•]\s+", "", part.strip()) for part in BR.split(cell)]
    items: list[str] = []
    pending = ""
    for segment in filter(None, segments):
        label = LABEL_ONLY.match(segment)
        if label:
            pending = label.group(1).strip().rstrip(":")
            continue
        text = plain(segment)
        items.append(f"{pending}: {text}" if pending else text)
        pending = ""
    if pending:
        items.append(pending)
    return [item.rstrip(" .") for item in items]


def descriptor(cell: str, limit: int = DESCRIPTOR_MAX) -> str:
    """Short level descriptor: whole items joined with '; ' while they fit in ``limit`` chars."""
    items = cell_items(cell)
    if not items:
        return ""
    text = items[0]
    for item in items[1:]:
        if len(text) + 2 + len(item) > limit:
            break
        text = f"{text}; {item}"
    if len(text) > limit:
        text = text[: limit - 1].rsplit(" ", 1)[0] + "…"
    return text


def chapter_paths(source: Path) -> dict[Path, list[Path]]:
    """Domain folder -> its practice chapters, in file-name order."""
    model = source / "model-source" / "10_The_Model"
    folders = sorted(p for p in model.iterdir() if p.is_dir() and re.match(r"\d+_", p.name))
    if not folders:
        raise SourceError(f"no domain folders in {model}")
    return {
        folder: sorted(p for p in folder.glob("*.md") if not p.name.startswith("00_"))
        for folder in folders
    }


def folder_name(path: Path) -> str:
    """'10_Responsible_AI_Principles' -> 'Responsible AI Principles'."""
    return re.sub(r"^\d+_", "", path.stem if path.is_file() else path.name).replace("_", " ")


def index_names(path: Path) -> tuple[str, list[str]]:
    """A domain's ``00_index.md``: its heading and the bold practice names it lists."""
    if not path.exists():
        return "", []
    lines = path.read_text(encoding="utf-8").splitlines()
    heading = next((plain(x.lstrip("#")) for x in lines if x.startswith("#")), "")
    names = [
        collapse(m.group(1)).rstrip(":")
        for line in lines
        if (m := re.match(r"\s*(?:\d+\.|[-*])\s+\*\*(.+?)\*\*", line))
    ]
    return heading, names


# --------------------------------------------------------------------------------------------------
# Toolkit spreadsheet (names only)

XLSX_NS = {
    "m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
    "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
    "rel": "http://schemas.openxmlformats.org/package/2006/relationships",
}


def xlsx_shared_strings(book: zipfile.ZipFile) -> list[str]:
    """The workbook's shared-string table (rich-text runs concatenated)."""
    if "xl/sharedStrings.xml" not in book.namelist():
        return []
    root = ElementTree.fromstring(book.read("xl/sharedStrings.xml"))
    return [
        "".join(t.text or "" for t in item.iter(f"{{{XLSX_NS['m']}}}t"))
        for item in root.findall("m:si", XLSX_NS)
    ]


def xlsx_sheet_path(book: zipfile.ZipFile, sheet: str) -> str:
    """The zip member holding the named sheet (workbook.xml -> relationship -> part)."""
    workbook = ElementTree.fromstring(book.read("xl/workbook.xml"))
    rels = ElementTree.fromstring(book.read("xl/_rels/workbook.xml.rels"))
    targets = {
        rel.get("Id"): rel.get("Target", "") for rel in rels.findall("rel:Relationship", XLSX_NS)
    }
    for node in workbook.iterfind("m:sheets/m:sheet", XLSX_NS):
        if node.get("name") == sheet:
            target = targets[node.get(f"{{{XLSX_NS['r']}}}id")]
            return target.lstrip("/") if target.startswith("/") else f"xl/{target}"
    raise SourceError(f"toolkit has no sheet {sheet!r}")


def xlsx_rows(path: Path, sheet: str) -> list[dict[str, str]]:
    """A sheet's rows as {column letter: text}, stdlib only (no openpyxl needed to generate)."""
    with zipfile.ZipFile(path) as book:
        strings = xlsx_shared_strings(book)
        root = ElementTree.fromstring(book.read(xlsx_sheet_path(book, sheet)))
    rows = []
    for row in root.iterfind("m:sheetData/m:row", XLSX_NS):
        values: dict[str, str] = {}
        for cell in row.findall("m:c", XLSX_NS):
            column = re.sub(r"\d", "", cell.get("r", ""))
            kind = cell.get("t")
            if kind == "inlineStr":
                value = "".join(t.text or "" for t in cell.iter(f"{{{XLSX_NS['m']}}}t"))
            else:
                raw = cell.findtext("m:v", default="", namespaces=XLSX_NS)
                value = strings[int(raw)] if kind == "s" and raw else raw
            if value.strip():
                values[column] = value
        rows.append(values)
    return rows


def toolkit_path(source: Path) -> Path | None:
    """The toolkit spreadsheet if the source ships one (it is optional input)."""
    found = sorted(source.glob("*Toolkit*.xlsx"))
    if len(found) > 1:
        raise SourceError(f"several toolkit spreadsheets: {[p.name for p in found]}")
    return found[0] if found else None


@dataclass
class ToolkitNames:
    """Domain and practice names as the toolkit spells them (column A and B of its questions)."""

    domains: list[str] = field(default_factory=list)
    practices: list[str] = field(default_factory=list)


def toolkit_names(path: Path | None) -> ToolkitNames:
    """Names in the toolkit's 'Assessment Questions' sheet (practice = text before ' - Stream')."""
    names = ToolkitNames()
    if path is None:
        return names
    for row in xlsx_rows(path, "Assessment Questions"):
        is_question = bool(re.fullmatch(r"[1-9](\.0*)?", row.get("C", "").strip()))
        if row.get("A") and is_question:
            names.domains.append(collapse(row["A"]))
        practice = re.split(r"\s+-\s+Stream\b", row.get("B", ""), maxsplit=1)[0]
        if practice.strip() and (is_question or set(row) == {"B"}):
            names.practices.append(collapse(practice))
    return names


def toolkit_questions(path: Path) -> list[tuple[str, str, int, str]]:
    """(practice name, stream letter, level, question) rows of the toolkit, in sheet order."""
    questions = []
    for row in xlsx_rows(path, "Assessment Questions"):
        match = re.match(r"(.+?)\s+-\s+Stream\s+([AB])\s*$", row.get("B", ""))
        if match and row.get("D") and row.get("C"):
            level = int(float(row["C"]))
            questions.append((collapse(match.group(1)), match.group(2), level, row["D"]))
    return questions


# --------------------------------------------------------------------------------------------------
# Matching source names to the fixed IDs


def match_domain(name: str, where: str) -> DomainSpec:
    """The domain a source name refers to (by normalised name or a listed spelling)."""
    key = name_key(name)
    for spec in DOMAINS:
        if key in {name_key(n) for n in (spec.name, *spec.match)}:
            return spec
    raise SourceError(f"{where}: unknown domain name {name!r}; add it to DOMAINS")


def try_match_practice(domain: DomainSpec, name: str) -> PracticeSpec | None:
    """The practice of ``domain`` a source name refers to (by name, never by position), if any."""
    key = name_key(name)
    for spec in domain.practices:
        if key in {name_key(n) for n in (spec.name, *spec.match)}:
            return spec
    return None


def match_practice(domain: DomainSpec, name: str, where: str) -> PracticeSpec:
    """Like ``try_match_practice``, but an unknown name stops the run (a release to review)."""
    spec = try_match_practice(domain, name)
    if spec is None:
        raise SourceError(f"{where}: unknown {domain.id} practice name {name!r}; add it to DOMAINS")
    return spec


def aliases(canonical: str, spellings: Iterable[str]) -> list[str]:
    """Distinct source spellings other than the canonical name, sorted for stable output."""
    found = {collapse(s) for s in spellings if collapse(s)} - {canonical}
    return sorted(found, key=lambda s: (s.casefold(), s))


@dataclass
class Sources:
    """Everything read from the source tree, keyed by the fixed IDs."""

    chapters: dict[str, Chapter] = field(default_factory=dict)
    worksheets: dict[str, WorksheetPractice] = field(default_factory=dict)
    domain_spellings: dict[str, list[str]] = field(default_factory=dict)
    practice_spellings: dict[str, list[str]] = field(default_factory=dict)
    generic_titles: dict[str, str] = field(default_factory=dict)


def read_chapters(source: Path, found: Sources) -> None:
    """Read every domain folder: its name, its index's practice names, and each chapter."""
    for folder, chapters in chapter_paths(source).items():
        domain = match_domain(folder_name(folder), str(folder))
        heading, listed = index_names(folder / "00_index.md")
        found.domain_spellings.setdefault(domain.id, []).extend([folder_name(folder), heading])
        for name in listed:  # the index also bolds other bullets: keep only practice names
            practice = try_match_practice(domain, name)
            if practice is not None:
                found.practice_spellings.setdefault(practice.id, []).append(name)
        for path in chapters:
            chapter = parse_chapter(path.read_text(encoding="utf-8"), str(path))
            practice = match_practice(domain, chapter.name, str(path))
            if practice.id in found.chapters:
                raise SourceError(f"{path}: second chapter for {practice.id}")
            found.chapters[practice.id] = chapter
            found.practice_spellings.setdefault(practice.id, []).append(chapter.name)


def read_worksheets(source: Path, found: Sources) -> None:
    """Read every worksheet and file its practices under the fixed IDs."""
    for path in worksheet_paths(source):
        sheet = parse_worksheet(path.read_text(encoding="utf-8"), str(path))
        domain = match_domain(sheet.domain, str(path))
        found.domain_spellings.setdefault(domain.id, []).append(sheet.domain)
        for section in sheet.practices:
            practice = match_practice(domain, section.name, str(path))
            if practice.id in found.worksheets:
                raise SourceError(f"{path}: second worksheet table for {practice.id}")
            found.worksheets[practice.id] = section
            found.practice_spellings.setdefault(practice.id, []).append(section.name)


def read_toolkit(source: Path, found: Sources) -> None:
    """Record the toolkit's spellings of domain and practice names (e.g. 'Trasparency')."""
    names = toolkit_names(toolkit_path(source))
    for name in names.domains:
        found.domain_spellings.setdefault(match_domain(name, "toolkit").id, []).append(name)
    for name in names.practices:
        matches = (try_match_practice(domain, name) for domain in DOMAINS)
        practice = next((p for p in matches if p is not None), None)
        if practice is None:
            raise SourceError(f"toolkit: unknown practice name {name!r}; add it to DOMAINS")
        found.practice_spellings.setdefault(practice.id, []).append(name)


def read_generic_titles(source: Path) -> dict[str, str]:
    """'_Create & Promote_ (stream A)' and '_Measure & Improve_ (stream B)' from the model index."""
    text = (source / "model-source" / "10_The_Model" / "00_index.md").read_text(encoding="utf-8")
    titles = {
        m.group(2).upper(): collapse(m.group(1))
        for m in re.finditer(r"[_*]+([^_*]+?)[_*]+\s*\(stream\s+([AB])\)", text, re.IGNORECASE)
    }
    if set(titles) != set(STREAM_LETTERS):
        raise SourceError("model index does not name the generic streams A and B")
    return titles


def check_version(source: Path) -> None:
    """Fail if the preface does not announce AIMA_VERSION (forces a review of the constants)."""
    preface = source / "model-source" / "00_Intro" / "00_Preface.md"
    text = preface.read_text(encoding="utf-8") if preface.exists() else ""
    if not re.search(rf"\bVersion\s+{re.escape(AIMA_VERSION)}\b", text):
        raise SourceError(f"{preface} does not say 'Version {AIMA_VERSION}': update AIMA_VERSION")


def read_sources(source: Path) -> Sources:
    """Read and cross-reference all inputs; every fixed practice must be found in each."""
    check_version(source)
    found = Sources(generic_titles=read_generic_titles(source))
    read_chapters(source, found)
    read_worksheets(source, found)
    read_toolkit(source, found)
    expected = {p.id for d in DOMAINS for p in d.practices}
    for kind, got in (("chapter", found.chapters), ("worksheet", found.worksheets)):
        if set(got) != expected:
            raise SourceError(f"{kind}s missing for {sorted(expected - set(got))}")
    return found


# --------------------------------------------------------------------------------------------------
# Building the catalogue


def inversion_note(qid: str, text: str) -> tuple[bool, str]:
    """(inverted_phrasing, note) for a question; a reworded inverted question stops the run."""
    inversion = INVERTED.get(qid)
    if inversion is None:
        return False, ""
    if inversion.marker.casefold() not in text.casefold():
        raise SourceError(f"{qid} no longer says {inversion.marker!r}: review INVERTED")
    return True, (
        f"Inverted phrasing: a literal 'yes' describes the initial, ad hoc state "
        f"({inversion.initial}). Answer 'yes' when the organisation is at least at this stage, "
        f"including when it has moved beyond it ({inversion.beyond}); answer 'no' only when not "
        f"even this initial stage is reached."
    )


def org_scope(qid: str, text: str) -> bool:
    """True for an organisation-scope question; a reworded one stops the run."""
    marker = ORG_SCOPE.get(qid)
    if marker is None:
        return False
    if marker.casefold() not in text.casefold():
        raise SourceError(f"{qid} no longer says {marker!r}: review ORG_SCOPE")
    return True


def build_questions(practice_id: str, letter: str, found: Sources) -> list[dict[str, object]]:
    """The three questions of one stream, with the chapter's descriptor for the same cell."""
    questions = []
    for level in LEVELS:
        qid = f"{practice_id}-{letter}{level}"
        text = found.worksheets[practice_id].questions[(letter, level)]
        inverted, note = inversion_note(qid, text)
        questions.append(
            {
                "id": qid,
                "level": level,
                "text": text,
                "descriptor": descriptor(found.chapters[practice_id].cells[(letter, level)]),
                "inverted_phrasing": inverted,
                "org_scope": org_scope(qid, text),
                "note": note,
            }
        )
    return questions


def build_practice(spec: PracticeSpec, found: Sources) -> dict[str, object]:
    """One practice entry: names, objective, and both streams with their worksheet titles."""
    sheet = found.worksheets[spec.id]
    return {
        "id": spec.id,
        "name": spec.name,
        "aliases": aliases(spec.name, found.practice_spellings.get(spec.id, [])),
        "objective": found.chapters[spec.id].objective,
        "streams": [
            {
                "id": f"{spec.id}-{letter}",
                "letter": letter,
                "title": sheet.stream_titles[letter],
                "generic_title": found.generic_titles[letter],
                "questions": build_questions(spec.id, letter, found),
            }
            for letter in STREAM_LETTERS
        ],
    }


def build_catalogue(source: Path) -> dict[str, object]:
    """The catalogue as plain data in the schema ``aima_ci.assess.catalogue.parse_catalogue`` reads."""
    found = read_sources(source)
    unused = set(INVERTED) - {f"{p.id}-{s}1" for d in DOMAINS for p in d.practices for s in "AB"}
    if unused:
        raise SourceError(f"INVERTED names unknown level-1 questions: {sorted(unused)}")
    known = {f"{p.id}-{s}{lv}" for d in DOMAINS for p in d.practices for s in "AB" for lv in LEVELS}
    if set(ORG_SCOPE) - known:
        raise SourceError(f"ORG_SCOPE names unknown questions: {sorted(set(ORG_SCOPE) - known)}")
    return {
        "meta": {
            "model": MODEL_NAME,
            "version": AIMA_VERSION,
            "source": f"{REPOSITORY} (snapshot {SNAPSHOT})",
            "licence": LICENCE,
            "attribution": ATTRIBUTION,
            "generated_by": "scripts/gen_catalogue.py",
            "stream_generic_titles": dict(found.generic_titles),
            "levels": dict(LEVEL_NAMES),
        },
        "domains": [
            {
                "id": spec.id,
                "name": spec.name,
                "aliases": aliases(
                    spec.name, [*found.domain_spellings.get(spec.id, []), *spec.extra_aliases]
                ),
                "practices": [build_practice(p, found) for p in spec.practices],
            }
            for spec in DOMAINS
        ],
    }


HEADER = f"""\
# GENERATED by scripts/gen_catalogue.py from the OWASP AIMA v{AIMA_VERSION} source - do not edit.
# Regenerate: python scripts/gen_catalogue.py [--source DIR]; verify: --check.
# Data: OWASP AI Maturity Assessment (AIMA) v{AIMA_VERSION}, {REPOSITORY} (snapshot {SNAPSHOT}),
# by the OWASP AIMA project team. Licence: {LICENCE} ({LICENCE_URL}).
# This file is an adaptation (reformatted into YAML, IDs added, names normalised, level descriptors
# condensed); it is shared under the same licence. See CATALOGUE-LICENSE.md beside it.
# Question texts are the worksheets' wording verbatim. Level names are aima-ci's summary of the
# chapters' level rows (AIMA itself gives the levels no one-word names).
"""


def render(data: dict[str, object]) -> str:
    """The YAML text: fixed key order, no line wrapping, UTF-8 kept (curly quotes stay as is)."""
    body = yaml.safe_dump(
        data, sort_keys=False, allow_unicode=True, width=1_000_000, default_flow_style=False
    )
    return HEADER + body


def check(output: Path, expected: str) -> int:
    """0 if ``output`` holds exactly ``expected``; else print a short diff and return 1."""
    current = output.read_text(encoding="utf-8") if output.exists() else ""
    if current == expected:
        print(f"{output} is up to date")
        return 0
    diff = difflib.unified_diff(
        current.splitlines(), expected.splitlines(), "committed", "generated", lineterm="", n=1
    )
    print(f"{output} differs from what scripts/gen_catalogue.py generates:", file=sys.stderr)
    for line in list(diff)[:60]:
        print(line, file=sys.stderr)
    return 1


def compiled(text: str) -> str:
    """The catalogue as JSON (``catalogue.json`` beside the YAML): what aima-ci loads at start-up,
    since parsing 100 KB of YAML cost `aima-ci score` a third of a Python start. The YAML stays
    the reviewed, human-read form; tests/test_catalogue.py checks the two agree."""
    data = yaml.safe_load(text)
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")) + "\n"


def main(argv: list[str] | None = None) -> int:
    """CLI entry point: generate (default) or ``--check`` the committed catalogue."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=DEFAULT_SOURCE, help="AIMA source folder")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT, help="YAML file to write")
    parser.add_argument("--check", action="store_true", help="exit 1 if the output is stale")
    args = parser.parse_args(argv)
    if not (args.source / "model-source").is_dir():
        parser.error(f"{args.source} is not an AIMA source folder (no model-source/)")
    try:
        text = render(build_catalogue(args.source))
    except SourceError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    as_json = args.output.with_suffix(".json")
    if args.check:
        return check(args.output, text) or check(as_json, compiled(text))
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text, encoding="utf-8", newline="\n")
    as_json.write_text(compiled(text), encoding="utf-8", newline="\n")
    print(f"wrote {args.output} and {as_json.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
