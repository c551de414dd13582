#!/usr/bin/env python3
"""Generate ``docs/aima.schema.json`` and the option tables of ``docs/collectors/*.md``.

Both come from one source: the top-level keys described in ``aima_ci/config.py``
(``schema_options``) and each first-party collector's option spec (``Collector.spec``, see
docs/plugins.md). A collector with a spec gets its block in the schema and its table in its docs
page, between ``<!-- options:begin -->`` and ``<!-- options:end -->`` (inserted under the page's
``## Configuration`` heading the first time); a collector without one yet is accepted by the
schema as any mapping and keeps its hand-written docs. Idempotent: run it after changing a spec
(or after a merge touched one); ``--check`` exits 1 when a committed file is not what it would
write, which ``tests/test_schema.py`` asserts.

    python scripts/gen_schema.py            # rewrite the schema and the tables
    python scripts/gen_schema.py --check    # are they current?

A script, not an ``aima-ci`` subcommand: what it writes are this repository's docs (the
published schema and the pages), which exist only in a source checkout.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from aima_ci.config import json_schema

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = ROOT / "docs" / "aima.schema.json"
DOCS = ROOT / "docs" / "collectors"
BEGIN = "<!-- options:begin -->"
END = "<!-- options:end -->"
NOTE = "<!-- generated from the collector's option spec (settings.py) by scripts/gen_schema.py -->"


def first_party_specs() -> dict[str, Any]:
    """name -> Spec of every collector shipped with aima-ci that declares one."""
    from aima_ci.assess.coverage import FIRST_PARTY_DIST
    from aima_ci.plugin import discover_names, load_some

    names = [
        n
        for n, ep in sorted(discover_names().items())
        if getattr(getattr(ep, "dist", None), "name", None) == FIRST_PARTY_DIST
    ]
    loaded, broken = load_some(names)
    if broken:  # a schema silently missing a collector would be worse than no schema
        raise SystemExit(f"collectors failed to load: {broken}")
    return {name: cls.spec for name, cls in loaded.items() if cls.spec is not None}


def schema_text(specs: dict[str, Any]) -> str:
    return json.dumps(json_schema(specs), indent=2, ensure_ascii=False) + "\n"


def block(name: str, spec: Any) -> str:
    return f"{BEGIN}\n{NOTE}\n\n{spec.table(name)}\n{END}"


def page_text(text: str, name: str, spec: Any) -> str:
    """The page with its options block current (added under ``## Configuration`` if absent)."""
    start, end = text.find(BEGIN), text.find(END)
    if start >= 0 and end > start:
        return text[:start] + block(name, spec) + text[end + len(END) :]
    lines = text.split("\n")
    for i, line in enumerate(lines):
        if line.startswith("## Configuration"):
            return "\n".join([*lines[: i + 1], "", block(name, spec), *lines[i + 1 :]])
    return text.rstrip("\n") + "\n\n## Configuration\n\n" + block(name, spec) + "\n"


def pages(specs: dict[str, Any]) -> dict[Path, str]:
    out: dict[Path, str] = {}
    for name, spec in sorted(specs.items()):
        page = DOCS / f"{name}.md"
        if page.exists():
            out[page] = page_text(page.read_text(encoding="utf-8"), name, spec)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if a file is not current")
    args = parser.parse_args(argv)
    specs = first_party_specs()
    wanted = {SCHEMA: schema_text(specs), **pages(specs)}
    if args.check:
        stale = [
            p for p, t in wanted.items() if not p.exists() or p.read_text(encoding="utf-8") != t
        ]
        if stale:
            print("not current (run python scripts/gen_schema.py): ", end="")
            print(", ".join(str(p.relative_to(ROOT)) for p in stale))
            return 1
        return 0
    for path, text in wanted.items():
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
            print(f"wrote {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
