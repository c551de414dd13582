"""No secret in any output: planted credentials are redacted from every file and stream.

Two planted values, one per redaction rule: ``PLANTED_ENV_SECRET`` only matches because it sits
in a credential-named variable (AIMA_DEMO_TOKEN), ``PLANTED_OPENAI_KEY`` matches a key format
wherever it appears. Each is planted where a careless user or tool would put it, every path to
an output is exercised (findings, run.json, collector.log, artefacts copied from tools, the
assessment, every report format, ``report``/``export`` on stdout, progress and error lines on
stderr), and every byte written is searched. ``run.json`` must record what kind of thing was
removed (``redactions``), never the value.

tests/test_runner.py checks one path (a collector message); tests/collectors/test_garak_run.py
and test_llm_endpoint_faults.py cover garak's run mode, which passes the key to garak.
"""

from __future__ import annotations

import json
import shutil

import pytest
import yaml
from rb_support import (
    FIXTURES,
    PLANTED_ENV_SECRET,
    PLANTED_OPENAI_KEY,
    grep_files,
    make_repo,
    run_cli,
)

from aima_ci.reports import get as report_format
from aima_ci.reports import names as report_formats

SECRETS = [PLANTED_ENV_SECRET, PLANTED_OPENAI_KEY]
# The key-format value is deliberately not in the environment: the format rule alone catches it.
ENV = {"AIMA_DEMO_TOKEN": PLANTED_ENV_SECRET, "AIMA_CI_TODAY": "2026-12-01"}


@pytest.fixture(scope="module")
def leaky(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """A repository where the secrets sit in a tool's report, an attestation note, a waiver
    reason, a collector's error message and a report file name; then ``run`` in every format,
    ``report`` to stdout in every format and ``export``."""
    root = make_repo(tmp_path_factory.mktemp("secrets"))
    # evidently's report mode copies the tool's JSON into the artefacts as is
    drift = json.loads((FIXTURES / "evidently" / "evidently-drift.json").read_text())
    drift["tests"][0]["description"] += f" (token={PLANTED_ENV_SECRET}, key {PLANTED_OPENAI_KEY})"
    (root / "drift.json").write_text(json.dumps(drift))
    # garak's report mode reports progress with the file's name
    reports = root / "reports"
    reports.mkdir()
    shutil.copy(
        FIXTURES / "garak" / "garak-0.17.1-rest.report.jsonl",
        reports / f"{PLANTED_OPENAI_KEY}.report.jsonl",
    )
    (root / "att.yaml").write_text(
        yaml.safe_dump(
            {
                "attestations": [
                    {
                        "question": "GOV-SM-A1",
                        "answer": "yes",
                        "owner": "o@example.com",
                        "date": "2026-11-01",
                        "expires": "2027-11-01",
                        "note": f"rotated {PLANTED_ENV_SECRET} after the review",
                    }
                ]
            }
        )
    )
    config = {
        "target": 1,
        "attestations": "att.yaml",
        "waivers": [
            {
                "id": "testplugin.alpha",
                "reason": f"vendor key {PLANTED_OPENAI_KEY} pending rotation",
                "owner": "o@example.com",
                "expires": "2026-12-20",
            }
        ],
        "collectors": {
            "evidently": {"mode": "report", "report": "drift.json"},
            "garak": {"mode": "report", "report": "reports/*.report.jsonl"},
            "testplugin": {"behaviour": "input_error", "note": PLANTED_ENV_SECRET},
        },
    }
    (root / "aima.yaml").write_text(yaml.safe_dump(config))
    outputs = []
    args = ["run"] + [arg for fmt in report_formats() for arg in ("-f", fmt)]
    outputs.append(run_cli(*args, cwd=root, env=ENV))
    for fmt in report_formats():
        outputs.append(run_cli("report", "-f", fmt, cwd=root, env=ENV))
    outputs.append(run_cli("export", cwd=root, env=ENV))
    outputs.append(run_cli("gate", cwd=root, env=ENV))
    return {"root": root, "evidence": root / ".aima", "outputs": outputs}


def test_the_commands_ran(leaky):
    codes = [r.returncode for r in leaky["outputs"]]
    assert codes[0] == 1 and all(c in (0, 1) for c in codes), [
        r.stderr[-500:] for r in leaky["outputs"]
    ]
    for name in report_formats():
        assert (leaky["evidence"] / report_format(name).filename).is_file()


def test_no_planted_secret_in_any_evidence_file(leaky):
    assert grep_files(leaky["evidence"], SECRETS) == []


def test_no_planted_secret_on_stdout_or_stderr(leaky):
    for result in leaky["outputs"]:
        for secret in SECRETS:
            assert secret not in result.stdout, result.args
            assert secret not in result.stderr, result.args


def test_redactions_are_recorded_by_kind_never_by_value(leaky):
    run = json.loads((leaky["evidence"] / "run.json").read_text())
    kinds = run["redactions"]
    assert kinds.get("env:AIMA_DEMO_TOKEN", 0) >= 1 and kinds.get("openai-key", 0) >= 1, kinds
    for key in kinds:
        assert not any(secret in key for secret in SECRETS)


def test_what_was_removed_is_marked_in_place(leaky):
    evidence = leaky["evidence"]
    copied = (evidence / "artefacts" / "evidently" / "drift-report.json").read_text()
    assert "[REDACTED:env:AIMA_DEMO_TOKEN]" in copied and "[REDACTED:openai-key]" in copied
    json.loads(copied)  # still valid JSON: markers are plain text inside strings
    assessment = (evidence / "assessment.json").read_text()
    assert "[REDACTED:env:AIMA_DEMO_TOKEN]" in assessment  # the attestation note
    assert "[REDACTED:openai-key]" in assessment  # the waiver reason


def test_an_artefact_rewritten_by_redaction_keeps_its_subject_digest_true(leaky):
    """Redaction happens before hashing: the manifest, and any finding naming the artefact as
    its subject, describe the file as stored."""
    result = run_cli("verify", str(leaky["evidence"]), cwd=leaky["root"], env=ENV)
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_secret_in_a_config_value_is_redacted_from_the_error(tmp_path):
    root = make_repo(tmp_path)
    (root / "aima.yaml").write_text(f"attestations: {PLANTED_OPENAI_KEY}.yaml\n")
    result = run_cli("gate", cwd=root, env=ENV)
    assert result.returncode == 2
    assert PLANTED_OPENAI_KEY not in result.stderr
    assert "[REDACTED:openai-key].yaml' does not exist" in result.stderr, result.stderr


def test_a_literal_key_in_a_garak_generator_file_is_refused_without_echoing_it(tmp_path):
    """An Authorization header with the key itself, instead of $KEY: refused (input_error, every
    garak check error) before garak runs, and the key appears in no output."""
    root = make_repo(tmp_path)
    (root / "rest.json").write_text(
        json.dumps(
            {
                "rest": {
                    "RestGenerator": {
                        "uri": "http://127.0.0.1:9/generate",
                        "headers": {"Authorization": f"Bearer {PLANTED_ENV_SECRET}-but-longer"},
                        "req_template_json_object": {"prompt": "$INPUT"},
                    }
                }
            }
        )
    )
    config = {
        "collectors": {
            "garak": {
                "mode": "run",
                "target_type": "rest",
                "generator_config": "rest.json",
                "probes": ["dan.Dan_11_0"],
            }
        }
    }
    (root / "aima.yaml").write_text(yaml.safe_dump(config))
    result = run_cli("run", "-f", "json", cwd=root, env=ENV)
    assert result.returncode == 1, result.stderr
    findings = [json.loads(x) for x in (root / ".aima" / "findings.jsonl").read_text().splitlines()]
    assert {f["status"] for f in findings} == {"error"}
    assert all("looks like a literal credential" in f["message"] for f in findings)
    secret = f"{PLANTED_ENV_SECRET}-but-longer"
    assert grep_files(root / ".aima", [secret, PLANTED_ENV_SECRET]) == []
    assert secret not in result.stdout + result.stderr


def test_file_redaction_skips_binary_and_clean_files(tmp_path):
    """Redactor.file rewrites only text that holds a secret; binary artefacts stay intact."""
    from aima_ci.safety.redact import Redactor

    redactor = Redactor(environ={"AIMA_DEMO_TOKEN": PLANTED_ENV_SECRET})
    png = tmp_path / "plot.png"
    png.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00" + PLANTED_ENV_SECRET.encode())
    clean = tmp_path / "clean.json"
    clean.write_text('{"ok": true}\n' * 100_000)
    before = clean.stat().st_mtime_ns
    text = tmp_path / "log.txt"
    text.write_bytes(b"line \xff\n" + f"Authorization: Bearer {'x' * 20}\n".encode() + b"tail")
    assert redactor.file(png) is False and PLANTED_ENV_SECRET.encode() in png.read_bytes()
    assert redactor.file(clean) is False and clean.stat().st_mtime_ns == before
    assert redactor.file(text) is True
    assert text.read_bytes() == b"line \xff\n[REDACTED:bearer-token]\ntail".replace(
        b"[REDACTED", b"Authorization: [REDACTED"
    )
    assert redactor.note() == {"bearer-token": 1}
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []
