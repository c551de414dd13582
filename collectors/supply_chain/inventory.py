"""The model and dataset inventory: which artefacts a project uses, their version, licence, source.

A licence or origin that nobody wrote down is a licence nobody checked, so every model file found
in the repository must be claimed by an inventory entry that names all four facts. Entries name
their files by path or glob relative to the inventory file.
"""

from __future__ import annotations

import fnmatch
import hashlib
import posixpath
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aima_ci.safety.safeio import FileProblem, parse_yaml, read_text, rel, yaml_lines

REQUIRED = ("name", "version", "licence", "source")
UNDETERMINED = frozenset({"", "unknown", "noassertion", "tbd", "todo", "none", "n/a", "?"})
MAX_INVENTORY_BYTES = 1 << 20


@dataclass
class Entry:
    kind: str  # "models" or "datasets"
    index: int
    line: int | None
    name: str
    fields: dict[str, str]
    patterns: tuple[str, ...]  # repository-relative globs
    sha256: str | None
    problems: list[str] = field(default_factory=list)

    def label(self) -> str:
        return f"{self.kind}[{self.index}] ({self.name or 'unnamed'})"

    def claims(self, relpath: str) -> bool:
        return any(fnmatch.fnmatchcase(relpath, p) for p in self.patterns)


@dataclass
class Inventory:
    display: str
    entries: list[Entry]

    def of(self, kind: str) -> list[Entry]:
        return [e for e in self.entries if e.kind == kind]


def load_inventory(root: Path, path: Path) -> Inventory:
    """Parse and validate the inventory; structural errors raise FileProblem naming file:line."""
    display = rel(root, path)
    text = read_text(path, display, MAX_INVENTORY_BYTES, root=root)
    data = parse_yaml(text, display)
    lines = yaml_lines(text)
    if not isinstance(data, Mapping):
        raise FileProblem(display, "the top level must be a mapping with models: and datasets:")
    unknown = sorted(str(k) for k in data if k not in ("models", "datasets", "version"))
    if unknown:
        raise FileProblem(
            display,
            f"unknown key {unknown[0]!r} (expected models, datasets)",
            lines.get(unknown[0], 1),
        )
    base = posixpath.dirname(display)
    entries: list[Entry] = []
    for kind in ("models", "datasets"):
        raw = data.get(kind) or []
        if not isinstance(raw, list):
            raise FileProblem(display, f"{kind} must be a list of entries", lines.get(kind, 1))
        for i, item in enumerate(raw):
            entries.append(_entry(kind, i, item, base, display, lines))
    return Inventory(display, entries)


def _entry(
    kind: str, i: int, item: Any, base: str, display: str, lines: Mapping[str, int]
) -> Entry:
    key = f"{kind}[{i}]"
    line = lines.get(key)
    where = f"{display}:{line}" if line else display
    if not isinstance(item, Mapping):
        raise FileProblem(
            display, f"{key} must be a mapping (name, version, licence, source)", line
        )
    fields: dict[str, str] = {}
    for name in REQUIRED:
        value = item.get(name)
        if value is None and name == "licence":
            value = item.get("license")
        fields[name] = "" if value is None else str(value).strip()
    raw_files = item.get("files", item.get("path"))
    files = [raw_files] if isinstance(raw_files, str) else raw_files or []
    if not isinstance(files, list) or not all(isinstance(f, str) and f for f in files):
        raise FileProblem(display, f"{key}.files must be a path or a list of paths/globs", line)
    patterns = []
    for f in files:
        joined = posixpath.normpath(posixpath.join(base, f)) if not f.startswith("/") else f
        if f.startswith("/") or joined == ".." or joined.startswith("../") or "\x00" in f:
            raise FileProblem(display, f"{key}.files: {f!r} points outside the repository", line)
        patterns.append(joined)
    sha = item.get("sha256")
    entry = Entry(
        kind=kind,
        index=i,
        line=line,
        name=fields["name"],
        fields=fields,
        patterns=tuple(patterns),
        sha256=str(sha).lower().removeprefix("sha256:") if sha else None,
    )
    for name in REQUIRED:
        if fields[name].lower() in UNDETERMINED:
            label = "licence" if name == "licence" else name
            entry.problems.append(f"{where}: {entry.label()}: {label} is missing or undetermined")
    return entry


def check_files(
    root: Path,
    inventory: Inventory,
    kind: str,
    files: Iterable[Path],
    allowed_licences: Iterable[str] = (),
) -> tuple[list[str], dict[str, Any]]:
    """Problems for ``kind`` entries and for files no complete entry claims; plus details."""
    allowed = {a.lower() for a in allowed_licences}
    entries = inventory.of(kind)
    problems: list[str] = []
    for e in entries:
        problems.extend(e.problems)
        if allowed and e.fields["licence"] and e.fields["licence"].lower() not in allowed:
            where = f"{inventory.display}:{e.line}" if e.line else inventory.display
            problems.append(
                f"{where}: {e.label()}: licence {e.fields['licence']!r} is not in allowed_licences"
            )
    claimed: dict[str, str] = {}
    for path in files:
        relpath = rel(root, path)
        owners = [e for e in entries if e.claims(relpath)]
        if not owners:
            problems.append(f"{relpath}: no {kind} inventory entry in {inventory.display}")
            continue
        claimed[relpath] = owners[0].name
        for e in owners:
            if e.sha256 and len(e.patterns) == 1 and "*" not in e.patterns[0]:
                actual = _sha256(path)
                if actual != e.sha256:
                    problems.append(
                        f"{relpath}: sha256 {actual[:12]}... does not match {e.label()}"
                        f" in {inventory.display}"
                    )
    details = {
        "entries": [
            {"name": e.name, **{k: v for k, v in e.fields.items() if k != "name"}} for e in entries
        ],
        "files": claimed,
    }
    return problems, details


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()
