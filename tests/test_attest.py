"""Signed statements: DSSE PAE byte-exact, real Ed25519, and a statement that says what was assessed."""

from __future__ import annotations

import base64
import hashlib
import json
import stat
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

from aima_ci.assess.assessment import assess
from aima_ci.config import load_config
from aima_ci.evidence.collect import collect
from aima_ci.evidence.directory import manifest_subjects, read_findings, write_manifest
from aima_ci.evidence.seal import seal
from aima_ci.safety.hashing import sha256_file
from aima_ci.trust.sign import (
    PAYLOAD_TYPE,
    PREDICATE_TYPE,
    STATEMENT_TYPE,
    SigningError,
    attest,
    build_statement,
    check_signature,
    generate_keypair,
    key_from,
    keyid_for,
    load_public_key,
    open_envelope,
    pae,
    read_envelopes,
    sign_envelope,
)


def test_pae_matches_the_dsse_specification_example():
    assert pae("http://example.com/HelloWorld", b"hello world") == (
        b"DSSEv1 29 http://example.com/HelloWorld 11 hello world"
    )


def test_pae_counts_bytes_not_characters_and_keeps_the_body_verbatim():
    assert pae("é", b"") == b"DSSEv1 2 \xc3\xa9 0 "
    assert pae("t", "ಠ".encode()) == b"DSSEv1 1 t 3 \xe0\xb2\xa0"
    body = b"a b\n\x00" * 300
    assert pae(PAYLOAD_TYPE, body) == b"DSSEv1 28 " + PAYLOAD_TYPE.encode() + b" 1500 " + body


@pytest.fixture
def key() -> ed25519.Ed25519PrivateKey:
    return ed25519.Ed25519PrivateKey.generate()


def test_envelope_signature_is_over_the_pae_and_verifies(key):
    statement = {"_type": STATEMENT_TYPE, "subject": [], "predicateType": "x", "predicate": {}}
    envelope = sign_envelope(statement, key)
    assert envelope["payloadType"] == PAYLOAD_TYPE
    payload = base64.b64decode(envelope["payload"])
    assert json.loads(payload) == statement
    sig = base64.b64decode(envelope["signatures"][0]["sig"])
    key.public_key().verify(sig, pae(PAYLOAD_TYPE, payload))  # independent check: raises if wrong
    assert check_signature(envelope, key.public_key()) is None


def test_keyid_is_the_sha256_of_the_public_key_info(key):
    der = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    assert keyid_for(key.public_key()) == hashlib.sha256(der).hexdigest()
    assert sign_envelope({}, key)["signatures"][0]["keyid"] == hashlib.sha256(der).hexdigest()


def test_another_key_or_any_changed_byte_fails(key):
    envelope = sign_envelope({"a": 1}, key)
    other = ed25519.Ed25519PrivateKey.generate().public_key()
    assert "no signature verifies" in check_signature(envelope, other)
    forged = dict(envelope, payload=base64.b64encode(b'{"a":2}').decode())
    assert check_signature(forged, key.public_key()) is not None
    retyped = dict(envelope, payloadType="application/json")
    assert check_signature(retyped, key.public_key()) is not None
    assert check_signature(dict(envelope, signatures=[]), key.public_key()) == (
        "the envelope has no signatures"
    )


def test_open_envelope_refuses_junk():
    for junk in ([], {"payloadType": PAYLOAD_TYPE, "payload": "%%%"}, {"payloadType": "x"}):
        with pytest.raises(ValueError):
            open_envelope(junk)


def test_generated_keys_are_private_and_never_overwritten(tmp_path: Path):
    private, public = generate_keypair(tmp_path / "keys/signing")
    assert stat.S_IMODE(private.stat().st_mode) == 0o600
    assert public.name == "signing.pub"
    loaded = key_from(private, None)
    assert keyid_for(loaded.public_key()) == keyid_for(load_public_key(public.read_bytes(), "pub"))
    with pytest.raises(SigningError, match="already exists"):
        generate_keypair(tmp_path / "keys/signing")


def test_key_from_environment_as_pem_or_base64(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    private, _ = generate_keypair(tmp_path / "k")
    pem = private.read_text()
    monkeypatch.setenv("AIMA_KEY", pem)
    expected = keyid_for(key_from(private, None).public_key())
    assert keyid_for(key_from(None, "AIMA_KEY").public_key()) == expected
    monkeypatch.setenv("AIMA_KEY", base64.b64encode(pem.encode()).decode())
    assert keyid_for(key_from(None, "AIMA_KEY").public_key()) == expected


def test_key_problems_are_usage_errors_that_never_echo_the_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    with pytest.raises(SigningError, match="exactly one"):
        key_from(None, None)
    with pytest.raises(SigningError, match="not set"):
        key_from(None, "AIMA_NO_SUCH_VAR_XYZ")
    secret = "-----BEGIN PRIVATE KEY-----\nTOPSECRETMATERIAL\n-----END PRIVATE KEY-----\n"
    monkeypatch.setenv("AIMA_KEY", secret)
    with pytest.raises(SigningError) as caught:
        key_from(None, "AIMA_KEY")
    assert "TOPSECRET" not in str(caught.value)
    ec_key = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    (tmp_path / "ec.pem").write_bytes(ec_key)
    with pytest.raises(SigningError, match="not an Ed25519 key"):
        key_from(tmp_path / "ec.pem", None)
    with pytest.raises(SigningError, match="No such file"):
        key_from(tmp_path / "missing.pem", None)


# --------------------------------------------------------------------------- the statement
@pytest.fixture
def scored(repo: Path, write_config) -> Path:
    (repo / "model.bin").write_bytes(b"weights")
    write_config(
        {"target": 1, "collectors": {"testwork": {"model": "model.bin"}, "testplugin": {}}}
    )
    config = load_config(cwd=repo)
    out = repo / ".aima"
    collect(config, out)
    assess(config, out)
    write_manifest(out, manifest_subjects(config, read_findings(out)))
    seal(out, repo)  # as 'aima-ci score' does for sealed input
    return repo


def test_statement_names_the_model_levels_verdict_policy_and_evidence(scored: Path):
    out = scored / ".aima"
    statement = build_statement(out)
    assert statement["_type"] == STATEMENT_TYPE
    assert statement["predicateType"] == PREDICATE_TYPE
    assert statement["subject"] == [
        {"name": "model.bin", "digest": {"sha256": sha256_file(scored / "model.bin")}}
    ]
    predicate = statement["predicate"]
    assessment = json.loads((out / "assessment.json").read_text())
    assert predicate["overall"] == {k: assessment["overall"][k] for k in ("level", "score", "plus")}
    assert [d["id"] for d in predicate["domains"]] == [d["id"] for d in assessment["domains"]]
    assert predicate["gate"]["passed"] is assessment["gate"]["passed"]
    assert predicate["policy"] == {
        "uri": "aima.yaml",
        "digest": {"sha256": sha256_file(scored / "aima.yaml")},
    }
    assert predicate["evidence"]["manifest"]["digest"]["sha256"] == sha256_file(
        out / "manifest.json"
    )
    assert predicate["verifier"]["version"]["aima-ci"]


def test_without_model_subjects_the_manifest_is_the_subject(repo: Path, write_config):
    write_config({"collectors": {"testplugin": {}}})
    config = load_config(cwd=repo)
    out = repo / ".aima"
    collect(config, out)
    assess(config, out)
    write_manifest(out, manifest_subjects(config, read_findings(out)))
    (subject,) = build_statement(out)["subject"]
    assert subject == {
        "name": "manifest.json",
        "digest": {"sha256": sha256_file(out / "manifest.json")},
    }


def test_attest_writes_a_bundle_line_and_refuses_stale_manifests(scored: Path, key):
    out = scored / ".aima"
    target, _ = attest(out, key)
    assert target == out / "attestation.intoto.jsonl"
    (envelope,) = read_envelopes(target)
    assert check_signature(envelope, key.public_key()) is None
    assert len(target.read_text().splitlines()) == 1
    (out / "artefacts/extra.txt").write_text("added after scoring")
    with pytest.raises(Exception, match="does not verify"):
        attest(out, key)


def test_cli_attest_never_prints_the_key(scored: Path, cli):
    made = cli("attest", "--generate-key", "k", cwd=scored)
    assert made.returncode == 0, made.stderr
    pem = (scored / "k").read_text()
    body = "".join(pem.strip().splitlines()[1:-1])
    signed = cli("attest", "--key-env", "SIGNING_KEY", cwd=scored, env={"SIGNING_KEY": pem})
    assert signed.returncode == 0, signed.stderr
    assert body not in signed.stdout + signed.stderr + made.stdout + made.stderr
    missing = cli("attest", "--key", "nope.pem", cwd=scored)
    assert missing.returncode == 2 and "nope.pem" in missing.stderr
