"""Class 6 of issue 12 (leaks), the redaction half: a credential survives in no spelling a tool
may give it, and redaction never corrupts the evidence.

- A value holding ``"`` or ``\\`` reaches a JSON artefact escaped (``\\"``, ``\\\\``): looking for
  the raw value alone lets it through. The same for XML/HTML (``&quot;``, ``&amp;``).
- A password in a URL (``scheme://user:password@host``) is a credential whatever variable it
  came from.
- A short secret value that happens to occur inside a SHA-256 digest is a coincidence: rewriting
  it would break the subject digest the gate and ``verify`` check.

Each test failed on the redactor before the one-pass rewrite (checked) and passes after.
"""

from __future__ import annotations

import hashlib
import html
import json

import pytest
from rb_support import FIXTURES, grep_files, make_repo, run_cli

QUOTED_SECRET = 'pa"ss\\word-Q7x<&>'  # a password generator's output: quote, backslash, XML
URL_PASSWORD = "hunter2-url-password"


def _evidently_repo(root, description_extra: str) -> None:
    drift = json.loads((FIXTURES / "evidently" / "evidently-drift.json").read_text())
    drift["tests"][0]["description"] += description_extra
    (root / "drift.json").write_text(json.dumps(drift))
    (root / "aima.yaml").write_text(
        "target: 1\ncollectors:\n  evidently: {mode: report, report: drift.json}\n"
    )


@pytest.fixture(scope="module")
def escaped_run(tmp_path_factory: pytest.TempPathFactory) -> dict:
    root = make_repo(tmp_path_factory.mktemp("escaped"))
    _evidently_repo(
        root,
        f" (db password {QUOTED_SECRET}; mirror https://ciuser:{URL_PASSWORD}@example.com/x)",
    )
    env = {"AIMA_DEMO_PASSWORD": QUOTED_SECRET, "AIMA_CI_TODAY": "2026-12-01"}
    result = run_cli("run", "-f", "json", "-f", "junit", "-f", "html", cwd=root, env=env)
    return {"root": root, "result": result, "evidence": root / ".aima"}


def test_the_run_happened(escaped_run):
    result = escaped_run["result"]
    assert result.returncode in (0, 1), result.stderr[-2000:]
    assert (escaped_run["evidence"] / "artefacts" / "evidently" / "drift-report.json").is_file()


def test_a_credential_with_quote_and_backslash_survives_in_no_escaped_spelling(escaped_run):
    spellings = [
        QUOTED_SECRET,
        json.dumps(QUOTED_SECRET)[1:-1],  # as the copied JSON artefact holds it
        html.escape(QUOTED_SECRET),  # as an XML/HTML report would hold it
    ]
    assert grep_files(escaped_run["evidence"], spellings) == []
    copied = (escaped_run["evidence"] / "artefacts" / "evidently" / "drift-report.json").read_text()
    assert "[REDACTED:env:AIMA_DEMO_PASSWORD]" in copied
    json.loads(copied)  # the marker replaced the escaped text inside a string: still valid JSON


def test_a_password_in_a_url_is_redacted_whatever_its_variable(escaped_run):
    assert grep_files(escaped_run["evidence"], [URL_PASSWORD]) == []
    copied = (escaped_run["evidence"] / "artefacts" / "evidently" / "drift-report.json").read_text()
    assert "https://[REDACTED:url-userinfo]@example.com/x" in copied
    run = json.loads((escaped_run["evidence"] / "run.json").read_text())
    assert run["redactions"].get("url-userinfo", 0) >= 1, run["redactions"]


def test_an_xml_escaped_credential_is_redacted_from_an_artefact(tmp_path):
    from aima_ci.safety.redact import Redactor

    redactor = Redactor(environ={"SERVICE_TOKEN": QUOTED_SECRET})
    xml = tmp_path / "report.xml"
    xml.write_text(f'<r><p name="db">{html.escape(QUOTED_SECRET)}</p></r>\n')
    assert redactor.file(xml) is True
    assert xml.read_text() == '<r><p name="db">[REDACTED:env:SERVICE_TOKEN]</p></r>\n'


def test_a_short_value_inside_a_digest_leaves_the_evidence_verifiable(tmp_path):
    """The secret is six hex digits of the report's own SHA-256: the subject digest, the
    manifest and ``verify`` must still describe the file."""
    root = make_repo(tmp_path)
    _evidently_repo(root, "")
    digest = hashlib.sha256((root / "drift.json").read_bytes()).hexdigest()
    secret = digest[20:26]
    env = {"AIMA_DEMO_TOKEN": secret, "AIMA_CI_TODAY": "2026-12-01"}
    result = run_cli("run", "-f", "json", cwd=root, env=env)
    assert result.returncode in (0, 1), result.stderr[-2000:]
    findings = [
        json.loads(line)
        for line in (root / ".aima" / "findings.jsonl").read_text().splitlines()
        if line.strip()
    ]
    digests = {s.get("digest") for f in findings for s in f.get("subjects", []) if s.get("digest")}
    assert f"sha256:{digest}" in digests, digests
    assert not any("REDACTED" in d for d in digests), digests
    verify = run_cli("verify", str(root / ".aima"), cwd=root, env=env)
    assert verify.returncode == 0, verify.stdout + verify.stderr


def test_a_hex_value_is_redacted_standing_alone_and_kept_inside_a_digest_or_uuid():
    from aima_ci.safety.redact import Redactor

    redactor = Redactor(environ={"API_TOKEN": "c0ffee42"})
    digest = "sha256:" + "ab" * 10 + "c0ffee42" + "cd" * 24
    uuid = "c0ffee42-1234-4abc-8def-0123456789ab"
    text = f"{digest} run {uuid} token c0ffee42 and c0ffee42c0ffee42"
    assert redactor.text(text) == (
        f"{digest} run {uuid} token [REDACTED:env:API_TOKEN] and "
        "[REDACTED:env:API_TOKEN][REDACTED:env:API_TOKEN]"
    )
