"""Properties of the strict attestation reader (issue 12, class 5), on the real example file.

test_attestations_waivers_damage.py damages bytes and values; these properties target what the
strict reader adds: a duplicate key anywhere is refused at its line (a second ``answer:`` or
``expires:`` must not win), an alias anywhere is refused, and a date with anything after the
ISO date never earns credit. Each held false before the fix (PyYAML's last-key-wins, aliases
expanded, ``value[:10]`` date parsing).
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from rb_support import REPO_ROOT, budget, make_repo

from aima_ci.assess.attestations import load_attestations
from aima_ci.assess.catalogue import load_catalogue
from aima_ci.config import ConfigError

EXAMPLE = REPO_ROOT / "examples" / "credit-model" / "aima-attestations.yaml"
TODAY = dt.date(2026, 12, 1)
QUESTIONS = load_catalogue().questions


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    repo = make_repo(tmp_path_factory.mktemp("strict"))
    shutil.copytree(EXAMPLE.parent / "docs", repo / "docs")
    return repo


def _entries() -> list[str]:
    lines = EXAMPLE.read_text().splitlines()
    return [ln for ln in lines if ln.startswith("  - {question:") and ln.endswith("}")]


ENTRIES = _entries()
FIELDS = ("question", "answer", "owner", "date", "expires", "evidence")


def _write(root: Path, entries: list[str]) -> Path:
    path = root / "att.yaml"
    path.write_text("attestations:\n" + "\n".join(entries) + "\n")
    return path


@budget(40)
@given(data=st.data())
def test_a_duplicate_key_anywhere_is_refused_at_its_line(root, data):
    entries = list(ENTRIES)
    i = data.draw(st.integers(0, len(entries) - 1))
    key = data.draw(st.sampled_from(FIELDS))
    value = data.draw(st.sampled_from(["yes", "no", "2099-01-01", "x@example.com", "GOV-SM-A1"]))
    entries[i] = entries[i][:-1] + f", {key}: {value}}}"
    with pytest.raises(ConfigError) as info:
        load_attestations([_write(root, entries)], root, QUESTIONS, TODAY)
    assert f"duplicate key '{key}'" in str(info.value) and info.value.line == i + 2


@budget(30)
@given(data=st.data())
def test_an_alias_anywhere_is_refused(root, data):
    entries = list(ENTRIES)
    i = data.draw(st.integers(0, len(entries) - 1))
    j = data.draw(st.integers(0, len(entries) - 1))
    entries[i] = entries[i].replace("  - {", "  - &anchor {", 1)
    entries.insert(max(i, j) + 1, "  - *anchor")
    with pytest.raises(ConfigError, match="aliases"):
        load_attestations([_write(root, entries)], root, QUESTIONS, TODAY)


@budget(60)
@given(
    data=st.data(),
    tail=st.text(
        alphabet=st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=12
    ).filter(lambda t: t.strip() and not any(c in t for c in "{}[],:#&*!|>'\"%@`")),
)
def test_a_date_with_trailing_text_never_earns_credit(root, data, tail):
    entries = list(ENTRIES)
    i = data.draw(st.integers(0, len(entries) - 1))
    which = data.draw(st.sampled_from(["date", "expires"]))
    head, _, rest = entries[i].partition(f"{which}: ")
    value, sep, after = rest.partition(",")
    entries[i] = f"{head}{which}: {value}{tail}{sep}{after}"
    try:
        accepted, _ = load_attestations([_write(root, entries)], root, QUESTIONS, TODAY)
    except ConfigError:  # the tail broke the YAML itself: the file earns nothing, also fine
        return
    bad = entries[i].split("question: ")[1].split(",")[0]
    assert bad not in {a.question for a in accepted} or any(
        e.split("question: ")[1].split(",")[0] == bad for k, e in enumerate(entries) if k != i
    )
    for a in accepted:  # whatever was accepted holds plain ISO dates
        assert dt.date.fromisoformat(a.date).isoformat() == a.date
        assert dt.date.fromisoformat(a.expires).isoformat() == a.expires
