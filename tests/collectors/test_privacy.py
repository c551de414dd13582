"""privacy: PII counts per column (never the values), purpose declaration and minimisation."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from aima_ci_collectors.privacy import PrivacyCollector, detectors, readers

from aima_ci.config import load_config
from aima_ci.evidence.collect import collect
from aima_ci.evidence.directory import read_findings
from aima_ci.models import Status
from aima_ci.plugin import CollectorConfigError, CollectorContext

EMAILS = ["ada.lovelace@example.com", "grace@example.org"]
CARD = "4111 1111 1111 1111"  # Visa test number: Luhn-valid
TRAIN = (
    "id,age,income,email,notes,approved\n"
    f"1,34,52000,{EMAILS[0]},call +44 20 7946 0958,1\n"
    f'2,45,61000,{EMAILS[1]},"card {CARD}",0\n'
    "3,29,40000,,order 1234567890123456 shipped,1\n"  # not Luhn-valid: not a card
    "4,51,58000,,IBAN GB82 WEST 1234 5698 7654 32,0\n"
)
PURPOSE = {
    "description": "Credit approval scoring",
    "needed_columns": ["age", "income", "email", "approved"],
    "personal_data": ["email"],
}


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    (root / ".git").mkdir(parents=True)
    (root / "data").mkdir()
    (root / "data" / "train.csv").write_text(TRAIN)
    return root


def run(root: Path, settings: dict[str, Any]) -> dict[str, list[Any]]:
    cfg = root / "aima.yaml"
    cfg.write_text(yaml.safe_dump({"collectors": {"privacy": settings}}))
    out = root / ".aima"
    collect(load_config(cfg), out)
    found: dict[str, list[Any]] = {}
    for f in read_findings(out):
        found.setdefault(f.check, []).append(f)
    return found


def direct(root: Path, settings: dict[str, Any]) -> dict[str, list[Any]]:
    c = PrivacyCollector()
    ev = root / ".aima"
    ctx = CollectorContext(
        collector=c,
        config=settings,
        root=root,
        config_dir=root,
        artefact_dir=ev / "artefacts" / "privacy",
        evidence_dir=ev,
    )
    found: dict[str, list[Any]] = {}
    for f in c.collect(ctx):
        found.setdefault(f.check, []).append(f)
    return found


def test_pii_counted_per_column_and_values_never_stored(repo: Path) -> None:
    (repo / "data-purpose.yaml").write_text(yaml.safe_dump(PURPOSE))
    found = run(repo, {"data": "data/train.csv"})

    (purpose,) = found["privacy.purpose_declared"]
    assert purpose.status is Status.PASS
    (pii,) = found["privacy.pii_scan"]
    assert pii.status is Status.FAIL
    assert pii.value == 3  # phone + card + IBAN in the undeclared notes column
    assert pii.details["pii_counts"] == {
        "email": {"email": 2},
        "notes": {"phone": 1, "card_number": 1, "iban": 1},
    }
    assert "notes (phone 1, card_number 1, iban 1)" in pii.message
    (mini,) = found["privacy.minimisation"]
    assert mini.status is Status.FAIL
    assert mini.details["extra_columns"] == ["id", "notes"]

    evidence = "\n".join(
        p.read_text()
        for p in (repo / ".aima").rglob("*")
        if p.is_file() and p.suffix in (".json", ".jsonl")
    )
    for raw in [*EMAILS, CARD, "4111111111111111", "7946 0958", "GB82 WEST"]:
        assert raw not in evidence, f"{raw!r} leaked into the evidence"
    report = json.loads((repo / ".aima/artefacts/privacy/pii-report.json").read_text())
    masked = report["data/train.csv"]["masked_examples"]
    assert masked["email"]["email"] == "a***@***.com"
    assert (
        masked["notes"]["card_number"].endswith("11")
        and "4111" not in masked["notes"]["card_number"]
    )


def test_clean_data_within_its_purpose_passes(repo: Path) -> None:
    (repo / "data" / "train.csv").write_text("age,income,email,approved\n34,1,a@example.com,1\n")
    found = direct(repo, {"data": ["data/*.csv"], "purpose": PURPOSE})
    assert [f.status for f in found["privacy.pii_scan"]] == [Status.PASS]
    assert "declared personal data found in email" in found["privacy.pii_scan"][0].message
    assert [f.status for f in found["privacy.minimisation"]] == [Status.PASS]


def test_an_empty_dataset_earns_no_pii_pass(repo: Path) -> None:
    (repo / "data" / "train.csv").write_text("age,income,email,approved\n")
    found = direct(repo, {"data": "data/train.csv", "purpose": PURPOSE})
    [scan] = found["privacy.pii_scan"]
    assert scan.status is Status.NOT_RUN and "no rows" in scan.message
    assert [f.status for f in found["privacy.minimisation"]] == [Status.PASS]


def test_missing_purpose_fails_both_purpose_checks(repo: Path) -> None:
    found = direct(repo, {"data": "data/train.csv"})
    assert found["privacy.purpose_declared"][0].status is Status.FAIL
    assert "data-purpose.yaml" in found["privacy.purpose_declared"][0].message
    assert found["privacy.minimisation"][0].status is Status.FAIL


def test_incomplete_purpose_fails(repo: Path) -> None:
    found = direct(
        repo, {"data": "data/train.csv", "purpose": {"description": "", "personal_data": ["ssn"]}}
    )
    msg = found["privacy.purpose_declared"][0].message
    assert "no description" in msg and "no needed_columns" in msg and "ssn" in msg


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"id,x\n1,ok\n2,\x00bad\n", "data/bad.csv:3: binary data"),
        (b"id,x\n1,\xff\xfe\n", "data/bad.csv:2: not UTF-8"),
        (b"", "data/bad.csv:1: no header row"),
    ],
)
def test_junk_data_is_an_error_naming_file_and_line(
    repo: Path, content: bytes, expected: str
) -> None:
    (repo / "data" / "bad.csv").write_bytes(content)
    found = direct(repo, {"data": "data/bad.csv", "purpose": PURPOSE})
    for cid in ("privacy.pii_scan", "privacy.minimisation"):
        (f,) = found[cid]
        assert f.status is Status.ERROR and expected in f.message


def test_jsonl_nested_keys_and_bad_lines(repo: Path) -> None:
    (repo / "data" / "logs.jsonl").write_text(
        json.dumps({"user": {"ip": "10.1.2.3", "ssn": "078-05-1120"}, "ok": 1}) + "\n"
    )
    found = direct(repo, {"data": "data/logs.jsonl", "purpose": PURPOSE})
    assert found["privacy.pii_scan"][0].details["pii_counts"] == {
        "user.ip": {"ipv4": 1},
        "user.ssn": {"us_ssn": 1},
    }
    (repo / "data" / "logs.jsonl").write_text('{"a": 1}\n[1, 2]\n')
    found = direct(repo, {"data": "data/logs.jsonl", "purpose": PURPOSE})
    assert (
        "data/logs.jsonl:2: each line must be a JSON object" in found["privacy.pii_scan"][0].message
    )


def test_parquet_sample(repo: Path) -> None:
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    table = pa.table(
        {"age": list(range(50)), "contact": [f"user{i}@example.com" for i in range(50)]}
    )
    pq.write_table(table, repo / "data" / "t.parquet")
    found = direct(repo, {"data": "data/t.parquet", "purpose": PURPOSE, "sample_rows": 10})
    (f,) = found["privacy.pii_scan"]
    assert f.status is Status.FAIL and f.details == {
        "pii_counts": {"contact": {"email": 10}},
        "rows_sampled": 10,
    }
    assert found["privacy.minimisation"][0].details["extra_columns"] == ["contact"]


def test_paths_outside_the_repository_are_errors(repo: Path, tmp_path: Path) -> None:
    (tmp_path / "secret.csv").write_text("a\n1\n")
    (repo / "data" / "link.csv").symlink_to(tmp_path / "secret.csv")
    found = direct(repo, {"data": ["../secret.csv", "data/link.csv"], "purpose": PURPOSE})
    messages = [f.message for f in found["privacy.pii_scan"]]
    assert all(f.status is Status.ERROR for f in found["privacy.pii_scan"])
    assert any("outside the repository root" in m for m in messages)


def test_malformed_purpose_file_is_an_error(repo: Path) -> None:
    (repo / "data-purpose.yaml").write_text("description: [unclosed\n")
    found = direct(repo, {"data": "data/train.csv"})
    assert found["privacy.purpose_declared"][0].status is Status.ERROR
    assert "data-purpose.yaml:" in found["privacy.purpose_declared"][0].message
    assert found["privacy.minimisation"][0].status is Status.ERROR


def test_reservoir_sample_is_seeded_and_bounded(tmp_path: Path) -> None:
    path = tmp_path / "big.csv"
    path.write_text("n\n" + "".join(f"{i}\n" for i in range(5000)))
    a = readers.read_sample(path, "big.csv", 100, seed=1)
    b = readers.read_sample(path, "big.csv", 100, seed=1)
    assert a.rows == b.rows and len(a.rows) == 100 and a.total_rows == 5000
    assert max(int(r["n"]) for r in a.rows) > 1000  # not just the head
    head = readers.read_sample(path, "big.csv", 10, mode="head")
    assert [r["n"] for r in head.rows] == [str(i) for i in range(10)]


@pytest.mark.parametrize(
    ("text", "kinds"),
    [
        ("4111111111111112", []),  # fails Luhn
        ("5500 0000 0000 0004", ["card_number"]),
        ("GB82WEST12345698765433", []),  # bad IBAN checksum
        ("DE89370400440532013000", ["iban"]),
        ("000-12-3456", []),  # never-issued SSN area
        ("AB 12 34 56 C", ["uk_nino"]),
        ("999.1.1.1", []),
        ("2001:db8::1", ["ipv6"]),
        ("12:30:45", []),
        ("(555) 123-4567", ["phone"]),
        ("20240101", []),
    ],
)
def test_detectors_validate_their_candidates(text: str, kinds: list[str]) -> None:
    assert [k for k, _ in detectors.find(text)] == kinds


def test_config_is_validated() -> None:
    c = PrivacyCollector()
    with pytest.raises(CollectorConfigError, match=r"collectors\.privacy\.data"):
        c.validate_config({})
    with pytest.raises(CollectorConfigError, match="pii_types"):
        c.validate_config({"data": "x.csv", "pii_types": ["dna"]})
    with pytest.raises(CollectorConfigError, match="sample_rows"):
        c.validate_config({"data": "x.csv", "sample_rows": 0})


def test_deeply_nested_json_is_an_error(repo: Path) -> None:
    (repo / "data" / "deep.jsonl").write_text('{"a": ' + "[" * 100_000 + "]" * 100_000 + "}\n")
    found = direct(repo, {"data": "data/deep.jsonl", "purpose": PURPOSE})
    (f,) = found["privacy.pii_scan"]
    assert f.status is Status.ERROR and "data/deep.jsonl:1: JSON nested too deeply" in f.message


def test_settings_are_parsed_once_into_typed_values() -> None:
    """The spec gives collect() typed settings with the documented defaults, and refuses a
    misspelt threshold instead of leaving the default silently in force."""
    c = PrivacyCollector()
    settings = c.settings_for({"data": "x.csv"})
    assert settings.data == ("x.csv",)
    assert (settings.sample_rows, settings.sample, settings.seed) == (1000, "random", 0)
    assert settings.pii_types == detectors.PII_TYPES and settings.purpose is None
    inline = c.settings_for({"data": ["a.csv", "b/*.parquet"], "purpose": {"description": "x"}})
    assert inline.data == ("a.csv", "b/*.parquet") and inline.purpose == {"description": "x"}
    with pytest.raises(CollectorConfigError) as info:
        c.validate_config({"data": "x.csv", "thresholds": {"pii_cell": 1}})
    assert info.value.key == "collectors.privacy.thresholds.pii_cell"
    with pytest.raises(CollectorConfigError) as info:
        c.validate_config({"data": "x.csv", "purpose": 3})
    assert info.value.key == "collectors.privacy.purpose"
