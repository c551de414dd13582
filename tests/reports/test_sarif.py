"""SARIF 2.1.0: valid against the OASIS schema (draft-07), shaped the way GitHub code scanning
ingests it, anchored to aima.yaml lines, stable fingerprints, and within GitHub's upload limits."""

from __future__ import annotations

import copy
import gzip
import json
import os
import random
import string
from pathlib import Path
from typing import Any

from aima_ci.config import load_config
from aima_ci.reports import ReportContext, get
from aima_ci.reports import sarif as sarif_mod

SHARED_SCHEMA = (
    Path(os.environ.get("AIMA_SHARED", Path(__file__).resolve().parents[3] / "shared"))
    / "schemas"
    / "sarif-schema-2.1.0.json"
)
VENDORED_SCHEMA = (
    Path(__file__).resolve().parents[1] / "fixtures" / "schemas" / "sarif-schema-2.1.0.json"
)


def assert_github_ready(doc: dict[str, Any], validator: Any) -> None:
    """The schema, then what GitHub requires beyond it (docs: SARIF support for code scanning)."""
    errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.path))
    assert not errors, [f"{list(e.path)}: {e.message[:200]}" for e in errors[:5]]
    assert doc["version"] == "2.1.0" and doc["$schema"].startswith("https://")
    assert 1 <= len(doc["runs"]) <= 20
    for run in doc["runs"]:
        driver = run["tool"]["driver"]
        assert driver["name"] == "aima-ci"
        rules = driver["rules"]
        assert len(rules) <= 25_000 and len(run["results"]) <= 25_000
        ids = [r["id"] for r in rules]
        assert len(ids) == len(set(ids)), "rule ids must be unique"
        for r in rules:
            assert r["shortDescription"]["text"] and len(r["shortDescription"]["text"]) <= 1024
            assert r["fullDescription"]["text"] and r["help"]["text"]
            assert len(r.get("properties", {}).get("tags", [])) <= 20
        for res in run["results"]:
            assert res["message"]["text"]
            assert res["level"] in ("error", "warning", "note")
            assert rules[res["ruleIndex"]]["id"] == res["ruleId"]
            loc = res["locations"][0]["physicalLocation"]
            uri = loc["artifactLocation"]["uri"]
            assert "://" not in uri and not uri.startswith("/"), uri
            assert loc["region"]["startLine"] >= 1
            assert res["partialFingerprints"]["primaryLocationLineHash"]


def results_by_rule(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {r["ruleId"]: r for r in doc["runs"][0]["results"]}


def start_line(result: dict[str, Any]) -> int:
    return result["locations"][0]["physicalLocation"]["region"]["startLine"]


# SHA-256 of the OASIS SARIF 2.1.0 schema as published (oasis-tcs/sarif-spec, Schemata/), the
# file vendored beside the tests: a changed byte is caught on any clone.
SARIF_SCHEMA_SHA256 = "cfa305856fadf006ed349e80b2478a49f8476c0e7131f62778960cdfe71fdf85"


def test_vendored_schema_is_the_oasis_one() -> None:
    import hashlib

    data = VENDORED_SCHEMA.read_bytes()
    assert hashlib.sha256(data).hexdigest() == SARIF_SCHEMA_SHA256
    schema = json.loads(data)
    assert schema["$id"].startswith("https://raw.githubusercontent.com/oasis-tcs/sarif-spec/")
    assert schema["$schema"] == "http://json-schema.org/draft-07/schema#"
    if SHARED_SCHEMA.is_file():  # the reference copy, when laid beside the checkout
        assert data == SHARED_SCHEMA.read_bytes()


def test_plugin_run_is_valid_and_anchored_to_the_config(plugin_run, sarif_validator) -> None:
    doc = json.loads(plugin_run.report("sarif"))
    assert_github_ready(doc, sarif_validator)
    by_rule = results_by_rule(doc)
    # The failing check: anchored to its collector block, error (the gate waits for VER-ST-A1).
    alpha = by_rule["testplugin.alpha"]
    assert start_line(alpha) == plugin_run.line_of("  testplugin:")
    assert alpha["level"] == "error" and "VER-ST-A1" in alpha["message"]["text"]
    assert alpha["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "aima.yaml"
    assert alpha["properties"]["artefacts"] == ["artefacts/testplugin/result.txt"]
    # The waived check is declared (so an old alert can close) but not reported.
    assert "testplugin.beta" not in by_rule
    assert "testplugin.beta" in {r["id"] for r in doc["runs"][0]["tool"]["driver"]["rules"]}
    # Attested "no": the attestations key. Unanswered: the target that asks for it.
    assert start_line(by_rule["GOV-SM-B1"]) == plugin_run.line_of("attestations:")
    assert start_line(by_rule["RAI-ES-B1"]) == plugin_run.line_of("  level: 1")
    assert start_line(by_rule["VER-RT-A2"]) == plugin_run.line_of("VER: 2")
    # Satisfied questions are not results; the expired attestation earns nothing (RAI-ES-A1 open).
    assert "GOV-SM-A1" not in by_rule and "RAI-ES-A1" in by_rule
    # All 144 AIMA questions are declared as rules, with the question as help.
    rules = {r["id"]: r for r in doc["runs"][0]["tool"]["driver"]["rules"]}
    assert sum(1 for r in rules if r.count("-") == 2 and "." not in r) == 144
    assert "Is there an initial AI strategy documented" in rules["GOV-SM-A1"]["help"]["text"]
    assert doc["runs"][0]["properties"]["gatePassed"] is False


def test_fingerprints_do_not_move_with_the_config_lines(plugin_run, tmp_path) -> None:
    before = json.loads(plugin_run.report("sarif"))
    moved = tmp_path / "aima.yaml"
    text = "# a new header\n# another line\n" + plugin_run.config.read_text()
    plugin_run.config.rename(moved)  # keep the original to restore it
    try:
        plugin_run.config.write_text(text)
        after = json.loads(plugin_run.report("sarif"))
    finally:
        moved.replace(plugin_run.config)

    def prints(doc: dict[str, Any]) -> dict[str, tuple[str, int]]:
        return {
            r["ruleId"]: (r["partialFingerprints"]["primaryLocationLineHash"], start_line(r))
            for r in doc["runs"][0]["results"]
        }

    b, a = prints(before), prints(after)
    assert b.keys() == a.keys() and b
    assert all(b[k][0] == a[k][0] for k in b), "fingerprints must not depend on line numbers"
    assert all(a[k][1] == b[k][1] + 2 for k in b), "but the anchors follow the config"
    assert len({v[0] for v in b.values()}) == len(b), "one fingerprint per criterion"


def test_passing_run_has_no_results_but_keeps_the_rules(passing_run, sarif_validator) -> None:
    doc = json.loads(passing_run.report("sarif"))
    assert_github_ready(doc, sarif_validator)
    assert doc["runs"][0]["results"] == []
    assert len(doc["runs"][0]["tool"]["driver"]["rules"]) >= 144


def test_hostile_evidence_stays_valid_and_ranked(
    hostile_evidence, sarif_validator, hostile_text
) -> None:
    doc = json.loads(hostile_evidence.report("sarif"))
    assert_github_ready(doc, sarif_validator)
    by_rule = results_by_rule(doc)
    markup = by_rule["evil.markup"]
    assert hostile_text.split(" ")[0] in markup["message"]["text"]  # carried as data
    assert len(markup["message"]["text"]) <= sarif_mod.clip.__defaults__[0]
    assert by_rule["evil.crash"]["level"] == "error"
    # A low-severity warning on a level-3 question the gate does not wait for: a note.
    assert by_rule["evil.soft"]["level"] == "note"
    assert by_rule["evil.soft"]["properties"]["blocking"] is False
    assert "evil.na" not in by_rule and "evil.pass" not in by_rule
    rules = {r["id"]: r for r in doc["runs"][0]["tool"]["driver"]["rules"]}
    assert rules["evil.markup"]["properties"]["security-severity"] == "9.5"
    assert start_line(markup) == hostile_evidence.line_of("  evil:")
    levels = [r["level"] for r in doc["runs"][0]["results"]]
    order = {"error": 0, "warning": 1, "note": 2}
    assert levels == sorted(levels, key=order.__getitem__), "most severe first"


def _synthetic(assessment: dict[str, Any], n: int, message: str | None = None) -> dict[str, Any]:
    """The plugin run's assessment with ``n`` extra failing checks on VER-ST-A1."""
    a = copy.deepcopy(assessment)
    rng = random.Random(7)
    q = next(
        q
        for d in a["domains"]
        for p in d["practices"]
        for s in p["streams"]
        for q in s["questions"]
        if q["id"] == "VER-ST-A1"
    )
    for i in range(n):
        text = (
            message if message is not None else "".join(rng.choices(string.ascii_letters, k=1500))
        )
        q["checks"].append(
            {
                "check": f"synthetic.c{i:05d}",
                "status": "fail",
                "credit": False,
                "findings": 1,
                "counts": {"fail": 1},
                "message": text,
                "next_step": "",
                "collector": "synthetic",
            }
        )
    return a


def _ctx(built) -> ReportContext:
    return ReportContext(evidence_dir=None, config_lines=load_config(built.config).lines)


def test_more_results_than_github_accepts_are_trimmed_with_a_note(
    plugin_run, sarif_validator
) -> None:
    base = len(
        json.loads(get("sarif").render(plugin_run.assessment, _ctx(plugin_run)))["runs"][0][
            "results"
        ]
    )
    big = _synthetic(plugin_run.assessment, 30_000, message="check failed")
    doc = json.loads(get("sarif").render(big, _ctx(plugin_run)))
    run = doc["runs"][0]
    assert len(run["results"]) == sarif_mod.MAX_RESULTS == 25_000
    assert len(run["tool"]["driver"]["rules"]) <= sarif_mod.MAX_RULES
    notes = run["invocations"][0]["toolExecutionNotifications"]
    assert any("omitted" in n["message"]["text"] for n in notes)
    assert run["properties"]["omittedResults"] == 30_000 + base - 25_000
    # The gate-blocking results are kept first.
    assert run["results"][0]["level"] == "error"
    small = {**doc, "runs": [{**run, "results": run["results"][:200]}]}
    assert_github_ready(small, sarif_validator)


def test_gzip_size_limit_trims_the_least_severe(plugin_run, monkeypatch) -> None:
    # GitHub's documented limit; the mechanism is tested below with a smaller one for speed.
    assert sarif_mod.MAX_GZIP_BYTES == 10_000_000
    monkeypatch.setattr(sarif_mod, "MAX_GZIP_BYTES", 400_000)
    big = _synthetic(plugin_run.assessment, 2_000)  # ~1.1 MB of incompressible messages
    text = get("sarif").render(big, _ctx(plugin_run))
    assert len(gzip.compress(text.encode("utf-8"))) <= 400_000
    run = json.loads(text)["runs"][0]
    assert 0 < len(run["results"]) < 2_000
    base = len(
        json.loads(get("sarif").render(plugin_run.assessment, _ctx(plugin_run)))["runs"][0][
            "results"
        ]
    )
    assert run["properties"]["omittedResults"] == 2_000 + base - len(run["results"])
    assert any(
        "omitted" in n["message"]["text"]
        for n in run["invocations"][0]["toolExecutionNotifications"]
    )


def test_config_in_a_subfolder_is_addressed_from_the_repository_root(tmp_path) -> None:
    repo = tmp_path / "repo"
    sub = repo / "examples" / "model"
    sub.mkdir(parents=True)
    (repo / ".git").mkdir()
    (sub / "aima.yaml").write_text("version: 1\ntarget:\n  level: 1\n")
    import subprocess
    import sys

    res = subprocess.run(
        [sys.executable, "-m", "aima_ci", "run", "-f", "sarif"],
        cwd=sub,
        capture_output=True,
        text=True,
        env={**os.environ, "NO_COLOR": "1"},
    )
    assert res.returncode == 1, res.stderr
    doc = json.loads((sub / ".aima" / "report.sarif").read_text())
    uris = {
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        for r in doc["runs"][0]["results"]
    }
    assert uris == {"examples/model/aima.yaml"}
    assert {start_line(r) for r in doc["runs"][0]["results"]} == {3}
