"""The import layers of aima_ci (docs/architecture.md), checked by parsing every import.

Why a test: the layout only explains the code while the arrows point one way. A lower layer
importing a higher one (scoring reaching into the CLI, the cache into scoring) brings back the
cycles the restructuring removed, and collectors reaching into the core's internals would make
every internal change a plugin-API break. Lazy imports inside functions count like any other.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CORE = ROOT / "aima_ci"
COLLECTORS = ROOT / "collectors"

# Lowest first. A unit is a top-level module or subpackage of aima_ci. A unit may import units of
# its own rank or lower (never a cycle), never a higher one.
RANKS: dict[str, int] = {
    "__init__": 0,  # the version string only
    "errors": 0,
    "models": 0,
    "safety": 0,
    "config": 1,
    "options": 1,  # the option specs collectors declare (plugin and config use them)
    "plugin": 1,
    "evidence": 2,
    "assess": 3,
    "trust": 4,
    "onboard": 4,  # init's inspection, profiles, attestation workflow, toolkit workbook
    "reports": 5,
    "api": 6,
    "cli": 7,
    "__main__": 8,
}

# What a collector (first-party or third-party) may import from aima_ci: the public faces.
# trust.provenance is the data-manifest format the provenance collector verifies and the
# `aima-ci provenance` command writes; config is read for CONFIG_NAMES (what an aima.yaml is called).
COLLECTOR_API = (
    "aima_ci.plugin",
    "aima_ci.options",
    "aima_ci.models",
    "aima_ci.errors",
    "aima_ci.config",
)
COLLECTOR_API_PACKAGES = ("aima_ci.safety",)
COLLECTOR_API_EXTRA = ("aima_ci.trust.provenance",)


def _module_name(path: Path, base: Path, package: str) -> str:
    parts = list(path.relative_to(base).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join([package, *parts])


def _is_module(dotted: str) -> bool:
    rel = Path(*dotted.split("."))
    return (ROOT / rel).with_suffix(".py").is_file() or (ROOT / rel / "__init__.py").is_file()


def imports_of(path: Path, base: Path, package: str) -> list[tuple[int, str]]:
    """(line, absolute module) for every import in the file, relative ones resolved."""
    name = _module_name(path, base, package)
    pkg = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                anchor = pkg.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                module = ".".join([*anchor, *([node.module] if node.module else [])])
            else:
                module = node.module or ""
            for alias in node.names:
                sub = f"{module}.{alias.name}"
                found.append((node.lineno, sub if _is_module(sub) else module))
    return found


def unit_of(module: str) -> str | None:
    parts = module.split(".")
    if parts[0] != "aima_ci":
        return None
    return parts[1] if len(parts) > 1 else "__init__"


def core_edges() -> list[tuple[str, str, str, int, str]]:
    """(importer unit, imported unit, file, line, module) for imports between units."""
    edges = []
    for path in sorted(CORE.rglob("*.py")):
        src = unit_of(_module_name(path, CORE, "aima_ci"))
        assert src is not None
        for line, module in imports_of(path, CORE, "aima_ci"):
            dst = unit_of(module)
            if dst is not None and dst != src:
                edges.append((src, dst, str(path.relative_to(ROOT)), line, module))
    return edges


def test_every_core_unit_has_a_layer():
    units = {unit_of(_module_name(p, CORE, "aima_ci")) for p in CORE.rglob("*.py")}
    assert units <= set(RANKS), f"add {sorted(units - set(RANKS))} to RANKS and the docs"


def test_no_import_from_a_lower_layer_to_a_higher_one():
    upward = [
        f"{file}:{line}: {src} (layer {RANKS[src]}) imports {module} (layer {RANKS[dst]})"
        for src, dst, file, line, module in core_edges()
        if RANKS[dst] > RANKS[src]
    ]
    assert upward == []


def test_no_cycle_between_units():
    graph: dict[str, set[str]] = {}
    for src, dst, *_ in core_edges():
        graph.setdefault(src, set()).add(dst)

    def reaches(start: str, goal: str) -> bool:
        seen, todo = set(), [start]
        while todo:
            node = todo.pop()
            if node == goal:
                return True
            if node not in seen:
                seen.add(node)
                todo += graph.get(node, ())
        return False

    cycles = sorted(
        (a, b) for a, targets in graph.items() for b in targets if a < b and reaches(b, a)
    )
    assert cycles == []


def test_the_plugin_api_does_not_import_the_machinery_that_runs_it():
    # plugin -> cache -> runner -> plugin was a cycle before the restructuring.
    plugin_imports = {m for _, m in imports_of(CORE / "plugin.py", CORE, "aima_ci")}
    assert {unit_of(m) for m in plugin_imports} <= {None, "errors", "models", "safety", "options"}


def test_commands_do_not_import_each_other():
    commands = CORE / "cli" / "commands"
    crossing = [
        f"{path.name}:{line}: {module}"
        for path in sorted(commands.glob("*.py"))
        for line, module in imports_of(path, CORE, "aima_ci")
        if module.startswith("aima_ci.cli.commands.")
    ]
    assert crossing == []


def _allowed_for_collectors(module: str) -> bool:
    return (
        module in COLLECTOR_API
        or module in COLLECTOR_API_EXTRA
        or any(module == p or module.startswith(p + ".") for p in COLLECTOR_API_PACKAGES)
    )


def test_collectors_import_only_the_public_faces_of_the_core():
    bad = [
        f"{path.relative_to(ROOT)}:{line}: {module}"
        for path in sorted(COLLECTORS.rglob("*.py"))
        for line, module in imports_of(path, COLLECTORS, "aima_ci_collectors")
        if unit_of(module) is not None and not _allowed_for_collectors(module)
    ]
    assert bad == []


@pytest.mark.parametrize(
    ("module", "allowed"),
    [
        ("aima_ci.plugin", True),
        ("aima_ci.safety.safeio", True),
        ("aima_ci.trust.provenance", True),
        ("aima_ci.evidence.cache", False),
        ("aima_ci.assess.scoring", False),
        ("aima_ci.trust.sign", False),
    ],
)
def test_the_collector_rule_itself(module: str, allowed: bool):
    assert _allowed_for_collectors(module) is allowed


def test_the_layer_check_sees_lazy_and_relative_imports(tmp_path: Path):
    # The checker must not be blind to the forms the core uses: an import inside a function
    # and a relative one from a report module.
    pkg = tmp_path / "aima_ci" / "reports"
    pkg.mkdir(parents=True)
    source = pkg / "x.py"
    source.write_text("def f():\n    from ..api import run\n\nfrom . import json\n")
    found = {m for _, m in imports_of(source, tmp_path / "aima_ci", "aima_ci")}
    assert "aima_ci.api" in found
    assert any(m.startswith("aima_ci.reports") for m in found)
