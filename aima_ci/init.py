"""``aima-ci init``: write a commented starter config and an attestation file to fill in."""

from __future__ import annotations

import datetime as dt
from importlib import resources
from pathlib import Path

import yaml

from .catalogue import Catalogue


def starter_config() -> str:
    return resources.files("aima_ci").joinpath("templates/aima.yaml").read_text(encoding="utf-8")


def starter_attestations(
    catalogue: Catalogue, today: dt.date, questions: list[str] | None = None
) -> str:
    """Every question (or the given ones) as a commented-out entry with owner/expiry placeholders."""
    expires = (today + dt.timedelta(days=365)).isoformat()
    lines = [
        "# aima-ci attestations: answers to AIMA questions that no tool can answer.",
        "# Uncomment an entry, set answer (yes/no, or 0-3 on the OWASP toolkit scale), owner,",
        "# date and expires (ISO dates), and evidence (a URL or a repository path, hashed into the",
        "# evidence). Expired or malformed entries earn nothing and are reported.",
        "attestations: []",
    ]
    wanted = set(questions) if questions is not None else None
    for practice in catalogue.practices.values():
        qs = [q for q in practice.questions if wanted is None or q.id in wanted]
        if not qs:
            continue
        lines.append(f"# --- {practice.id} {practice.name}")
        for q in sorted(qs, key=lambda q: (q.level, q.stream)):
            text = yaml.safe_dump(q.text, width=1000).strip().removesuffix("...").strip()
            lines += [
                f"# - question: {q.id}   # L{q.level} stream {q.stream}: {text}",
                "#   answer: no",
                "#   owner: team@example.com",
                f"#   date: {today.isoformat()}",
                f"#   expires: {expires}",
                "#   evidence: docs/link-or-url",
            ]
    return "\n".join(lines) + "\n"


def write_starters(
    directory: Path, catalogue: Catalogue, today: dt.date, force: bool
) -> list[Path]:
    targets = {
        directory / "aima.yaml": starter_config(),
        directory / "aima-attestations.yaml": starter_attestations(catalogue, today),
    }
    existing = [p for p in targets if p.exists()]
    if existing and not force:
        raise FileExistsError(", ".join(p.name for p in existing))
    for path, text in targets.items():
        path.write_text(text, encoding="utf-8")
    return list(targets)
