"""A CycloneDX SBOM of the project's declared dependencies, read from its own files.

An SBOM of whatever environment aima-ci runs in lists aima-ci, garak and torch, not the project
(issue 13: 277 components of the wrong thing earned IMP-SB-B1). So the default SBOM lists what the
repository declares: ``requirements*.txt`` (root and ``requirements/``), ``pyproject.toml``
(PEP 621 ``[project]`` and Poetry dependencies), the lock files ``poetry.lock``, ``uv.lock``,
``Pipfile.lock``, and conda's ``environment.yml``. Lock files pin versions; other entries keep
their declared specifier. Nothing is installed, imported or resolved: the files are parsed.
"""

from __future__ import annotations

import json
import re
import tomllib
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aima_ci.safety.safeio import FileProblem, read_text, strict_yaml

MAX_FILE_BYTES = 8 << 20
_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]*\])?\s*(.*)$")
_PIN = re.compile(r"^==\s*([^\s,;]+)$")


@dataclass(frozen=True)
class Dependency:
    name: str
    version: str  # an exact pin ("1.2.3") or the declared specifier (">=1.2"), "" when none
    pinned: bool
    source: str  # the file it was declared in


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _requirement(line: str, source: str) -> Dependency | None:
    line = line.split("#", 1)[0].strip()
    if not line or line.startswith(("-", "git+", "http:", "https:", "file:", ".", "/")):
        return None  # options (-r, -e, --hash), URLs and paths are not named packages
    spec = line.split(";", 1)[0].strip()
    m = _NAME.match(spec)
    if not m:
        return None
    rest = m.group(3).strip().rstrip("\\").strip()
    pin = _PIN.match(rest)
    return Dependency(_norm(m.group(1)), pin.group(1) if pin else rest, bool(pin), source)


def _requirements_files(root: Path) -> list[Path]:
    found = sorted(root.glob("requirements*.txt")) + sorted(root.glob("requirements/*.txt"))
    return [p for p in found if p.is_file()]


def _read(root: Path, path: Path) -> str:
    return read_text(path, path.relative_to(root).as_posix(), MAX_FILE_BYTES)


def _from_pyproject(data: dict[str, Any], source: str) -> Iterator[Dependency]:
    project = data.get("project") or {}
    for item in project.get("dependencies") or []:
        if isinstance(item, str) and (dep := _requirement(item, source)):
            yield dep
    for items in (project.get("optional-dependencies") or {}).values():
        for item in items or []:
            if isinstance(item, str) and (dep := _requirement(item, source)):
                yield dep
    poetry = ((data.get("tool") or {}).get("poetry")) or {}
    groups = [poetry.get("dependencies") or {}]
    groups += [g.get("dependencies") or {} for g in (poetry.get("group") or {}).values()]
    for table in groups:
        for name, spec in table.items():
            if name.lower() == "python":
                continue
            version = spec if isinstance(spec, str) else str((spec or {}).get("version", ""))
            yield Dependency(
                _norm(name), version, bool(re.fullmatch(r"=?=?\d[\w.]*", version)), source
            )


def _from_lock(data: dict[str, Any], source: str) -> Iterator[Dependency]:
    """poetry.lock and uv.lock: ``[[package]]`` with name and version."""
    for pkg in data.get("package") or []:
        if isinstance(pkg, dict) and pkg.get("name") and pkg.get("version"):
            yield Dependency(_norm(str(pkg["name"])), str(pkg["version"]), True, source)


def _from_pipfile_lock(data: dict[str, Any], source: str) -> Iterator[Dependency]:
    for section in ("default", "develop"):
        for name, spec in (data.get(section) or {}).items():
            version = str((spec or {}).get("version", "")) if isinstance(spec, dict) else ""
            pin = version.removeprefix("==")
            yield Dependency(_norm(name), pin or version, version.startswith("=="), source)


def _from_conda(data: Any, source: str) -> Iterator[Dependency]:
    for item in (data or {}).get("dependencies") or [] if isinstance(data, dict) else []:
        if isinstance(item, str):
            name, _, version = item.partition("=")
            version = version.lstrip("=")
            if name.strip() and name.strip() != "python":
                yield Dependency(_norm(name.strip()), version, bool(version), source)
        elif isinstance(item, dict):
            for line in item.get("pip") or []:
                if isinstance(line, str) and (dep := _requirement(line, source)):
                    yield dep


LOCK_AND_PROJECT_FILES = (
    "pyproject.toml",
    "poetry.lock",
    "uv.lock",
    "Pipfile.lock",
    "environment.yml",
    "environment.yaml",
)


def dependency_files(root: Path) -> list[Path]:
    """Every file this module would read (for the result cache's key)."""
    return _requirements_files(root) + [
        root / n for n in LOCK_AND_PROJECT_FILES if (root / n).is_file()
    ]


def declared_dependencies(root: Path) -> tuple[list[Dependency], list[str], list[str]]:
    """(dependencies, files read, problems). Lock-file pins win over declared specifiers."""
    deps: list[Dependency] = []
    files: list[str] = []
    problems: list[str] = []

    def parse(path: Path, reader: Any) -> None:
        source = path.relative_to(root).as_posix()
        try:
            deps.extend(reader(_read(root, path), source))
            files.append(source)
        except (FileProblem, tomllib.TOMLDecodeError, ValueError, AttributeError) as exc:
            problems.append(f"{source}: {exc}")

    for path in _requirements_files(root):
        parse(path, lambda text, s: [d for ln in text.splitlines() if (d := _requirement(ln, s))])
    readers = {
        "pyproject.toml": lambda text, s: list(_from_pyproject(tomllib.loads(text), s)),
        "poetry.lock": lambda text, s: list(_from_lock(tomllib.loads(text), s)),
        "uv.lock": lambda text, s: list(_from_lock(tomllib.loads(text), s)),
        "Pipfile.lock": lambda text, s: list(_from_pipfile_lock(json.loads(text), s)),
        "environment.yml": lambda text, s: list(_from_conda(strict_yaml(text, s), s)),
        "environment.yaml": lambda text, s: list(_from_conda(strict_yaml(text, s), s)),
    }
    for name, reader in readers.items():
        path = root / name
        if path.is_file():
            parse(path, reader)
    merged: dict[str, Dependency] = {}
    for dep in deps:
        prev = merged.get(dep.name)
        if prev is None or (dep.pinned and not prev.pinned):
            merged[dep.name] = dep
    return sorted(merged.values(), key=lambda d: d.name), files, problems


def write_bom(deps: list[Dependency], files: list[str], out: Path) -> None:
    """CycloneDX 1.6 JSON: one library component per declared dependency."""
    bom = {
        "bomFormat": "CycloneDX",
        "specVersion": "1.6",
        "serialNumber": f"urn:uuid:{uuid.uuid4()}",
        "version": 1,
        "metadata": {
            "tools": {"components": [{"type": "application", "name": "aima-ci"}]},
            "properties": [{"name": "aima-ci:declared-in", "value": f} for f in files],
        },
        "components": [
            {
                "type": "library",
                "name": d.name,
                **(
                    {"version": d.version, "purl": f"pkg:pypi/{d.name}@{d.version}"}
                    if d.pinned
                    else {}
                ),
                "properties": [
                    {"name": "aima-ci:declared-in", "value": d.source},
                    *(
                        [{"name": "aima-ci:declared-specifier", "value": d.version}]
                        if not d.pinned and d.version
                        else []
                    ),
                ],
            }
            for d in deps
        ],
    }
    out.write_text(json.dumps(bom, indent=2), encoding="utf-8")
