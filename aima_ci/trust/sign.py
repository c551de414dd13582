"""Sign what the gate decided: an in-toto Statement v1 in a DSSE envelope, with an Ed25519 key.

The statement's subjects are the digests of the assessed models and datasets; its predicate
(``https://aima-ci.dev/assessment/v1``, in the spirit of a SLSA verification summary) carries the
AIMA levels per domain and overall, the gate verdict, the policy (config) digest and the digest
of the evidence manifest, which in turn pins every artefact. Whoever holds the public key can
then check, offline, that this evidence was judged this way by this policy and not edited since.

``cryptography`` is an optional extra (``aima-ci[sign]``) imported only when signing or checking
a signature, so the gate path never loads it. Keyless signing (Sigstore) would fit the same
envelope and is left for later: everything here works without a network.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from aima_ci import __version__
from aima_ci.errors import UserError
from aima_ci.evidence.directory import ASSESSMENT, ENVELOPE, MANIFEST, RUN, read_json

STATEMENT_TYPE = "https://in-toto.io/Statement/v1"
PREDICATE_TYPE = "https://aima-ci.dev/assessment/v1"
PAYLOAD_TYPE = "application/vnd.in-toto+json"
VERIFIER_ID = "https://aima-ci.dev/aima-ci"
POLICY_KINDS = frozenset({"config", "attestations"})
MAX_ENVELOPE_BYTES = 16 << 20


class SigningError(UserError):
    """A key that is missing, unreadable or of the wrong kind (exit 2); never echoes the key."""


# --------------------------------------------------------------------------- DSSE
def pae(payload_type: str, payload: bytes) -> bytes:
    """DSSE v1 Pre-Authentication Encoding: what is actually signed.

    ``"DSSEv1" SP LEN(type) SP type SP LEN(body) SP body``, lengths as ASCII decimal byte counts.
    """
    kind = payload_type.encode("utf-8")
    return b"DSSEv1 %d %s %d %s" % (len(kind), kind, len(payload), payload)


def _b64decode(value: Any, what: str) -> bytes:
    """Standard base64, strictly; DSSE readers also meet URL-safe encodings, so accept those."""
    if not isinstance(value, str):
        raise ValueError(f"{what} is not a base64 string")
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        pass
    try:
        return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    except (binascii.Error, ValueError):
        raise ValueError(f"{what} is not valid base64") from None


def _crypto() -> Any:
    try:
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import ed25519
    except ImportError:
        raise SigningError(
            "signing needs the 'cryptography' package: pip install 'aima-ci[sign]'"
        ) from None
    return serialization, ed25519


def load_private_key(pem: bytes, source: str) -> Any:
    serialization, ed25519 = _crypto()
    data = _maybe_base64_pem(pem)
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except TypeError:
        raise SigningError(
            f"{source}: the private key is encrypted; give an unencrypted PKCS8 key"
        ) from None
    except ValueError:
        raise SigningError(f"{source}: not a PEM private key") from None
    if not isinstance(key, ed25519.Ed25519PrivateKey):
        raise SigningError(f"{source}: not an Ed25519 key")
    return key


def load_public_key(pem: bytes, source: str) -> Any:
    serialization, ed25519 = _crypto()
    try:
        key = serialization.load_pem_public_key(_maybe_base64_pem(pem))
    except ValueError:
        raise SigningError(f"{source}: not a PEM public key") from None
    if not isinstance(key, ed25519.Ed25519PublicKey):
        raise SigningError(f"{source}: not an Ed25519 public key")
    return key


def _maybe_base64_pem(data: bytes) -> bytes:
    """CI secret stores often hold the PEM base64-encoded on one line; accept both."""
    stripped = data.strip()
    if stripped.startswith(b"-----BEGIN"):
        return stripped + b"\n"
    try:
        decoded = base64.b64decode(stripped, validate=True)
    except (binascii.Error, ValueError):
        return stripped
    return decoded if decoded.strip().startswith(b"-----BEGIN") else stripped


def key_from(path: Path | None, env_var: str | None) -> Any:
    """The private key from a file or an environment variable (never both, never printed)."""
    if (path is None) == (env_var is None):
        raise SigningError("give the signing key with exactly one of --key PATH or --key-env VAR")
    if path is not None:
        try:
            return load_private_key(path.read_bytes(), str(path))
        except OSError as exc:
            raise SigningError(f"--key {path}: {exc.strerror or exc}") from None
    assert env_var is not None
    value = os.environ.get(env_var)
    if not value:
        raise SigningError(f"--key-env {env_var}: the variable is not set or empty")
    return load_private_key(value.encode("utf-8"), f"${env_var}")


def public_der(public_key: Any) -> bytes:
    serialization, _ = _crypto()
    return public_key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def keyid_for(public_key: Any) -> str:
    """SHA-256 of the DER SubjectPublicKeyInfo: names the key without revealing anything."""
    return hashlib.sha256(public_der(public_key)).hexdigest()


def generate_keypair(path: Path) -> tuple[Path, Path]:
    """Write an Ed25519 private key (PKCS8 PEM, mode 0600) and ``<path>.pub``; never overwrite."""
    serialization, ed25519 = _crypto()
    pub_path = path.with_name(path.name + ".pub")
    for target in (path, pub_path):
        if target.exists():
            raise SigningError(f"{target} already exists; refusing to overwrite a key")
    key = ed25519.Ed25519PrivateKey.generate()
    private = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    for target, data in ((path, private), (pub_path, public)):
        _create_whole(target, data)
    return path, pub_path


def _create_whole(target: Path, data: bytes) -> None:
    """Write a key file whole or not at all (mode 0600), and never over an existing file: a temp
    file is written and fsynced, then hard-linked to the name, which fails if the name exists."""
    from aima_ci.safety.atomic import write_staged

    def link(tmp: str, path: Path) -> None:
        try:
            os.link(tmp, path)
        except FileExistsError:
            raise SigningError(f"{path} already exists; refusing to overwrite a key") from None

    write_staged(target, lambda fh: fh.write(data), publish=link)


def sign_envelope(statement: Mapping[str, Any], private_key: Any) -> dict[str, Any]:
    payload = json.dumps(statement, sort_keys=True, separators=(",", ":")).encode("utf-8")
    signature = private_key.sign(pae(PAYLOAD_TYPE, payload))
    return {
        "payloadType": PAYLOAD_TYPE,
        "payload": base64.b64encode(payload).decode("ascii"),
        "signatures": [
            {
                "keyid": keyid_for(private_key.public_key()),
                "sig": base64.b64encode(signature).decode("ascii"),
            }
        ],
    }


def open_envelope(envelope: Any) -> tuple[dict[str, Any], bytes]:
    """The statement inside an envelope, and the raw payload; ValueError when malformed."""
    if not isinstance(envelope, Mapping):
        raise ValueError("the envelope is not a JSON object")
    if envelope.get("payloadType") != PAYLOAD_TYPE:
        raise ValueError(f"payloadType is {envelope.get('payloadType')!r}, not {PAYLOAD_TYPE}")
    payload = _b64decode(envelope.get("payload"), "payload")
    try:
        statement = json.loads(payload.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise ValueError("the payload is not a JSON statement") from None
    if not isinstance(statement, dict):
        raise ValueError("the payload is not a JSON object")
    return statement, payload


def check_signature(envelope: Mapping[str, Any], public_key: Any) -> str | None:
    """None when some signature verifies with ``public_key``; else why not."""
    from cryptography.exceptions import InvalidSignature

    try:
        _, payload = open_envelope(envelope)
    except ValueError as exc:
        return str(exc)
    signatures = envelope.get("signatures")
    if not isinstance(signatures, list) or not signatures:
        return "the envelope has no signatures"
    message = pae(str(envelope["payloadType"]), payload)
    for entry in signatures:
        if not isinstance(entry, Mapping):
            continue
        try:
            public_key.verify(_b64decode(entry.get("sig"), "sig"), message)
            return None
        except (InvalidSignature, ValueError):
            continue
    return f"no signature verifies with the given public key (keyid {keyid_for(public_key)[:16]}…)"


# --------------------------------------------------------------------------- the statement
def _sha256_of(path: Path) -> str:
    from aima_ci.safety.hashing import sha256_file

    return sha256_file(path)


def _hex(digest: str) -> tuple[str, str]:
    algo, sep, value = digest.partition(":")
    return (algo, value) if sep else ("sha256", digest)


def statement_subjects(manifest: Mapping[str, Any], manifest_sha256: str) -> list[dict[str, Any]]:
    """The assessed models and datasets; the manifest itself when the evidence names none."""
    seen: dict[tuple[str, str], dict[str, Any]] = {}
    for s in manifest.get("subjects", []):
        if not isinstance(s, Mapping) or s.get("kind") in POLICY_KINDS or not s.get("digest"):
            continue
        algo, value = _hex(str(s["digest"]))
        name = str(s.get("path") or s.get("name") or value)
        seen[(name, value)] = {"name": name, "digest": {algo: value}}
    if not seen:
        return [{"name": MANIFEST, "digest": {"sha256": manifest_sha256}}]
    return [seen[k] for k in sorted(seen)]


def _policy(manifest: Mapping[str, Any], assessment: Mapping[str, Any]) -> dict[str, Any] | None:
    for s in manifest.get("subjects", []):
        if isinstance(s, Mapping) and s.get("kind") == "config" and s.get("digest"):
            algo, value = _hex(str(s["digest"]))
            return {"uri": s.get("path") or assessment.get("config"), "digest": {algo: value}}
    return None


def levels_of(assessment: Mapping[str, Any]) -> dict[str, Any]:
    """Levels and scores per domain and practice: what the predicate asserts."""
    keep = ("id", "level", "score", "plus")
    return {
        "overall": {k: assessment["overall"][k] for k in ("level", "score", "plus")},
        "domains": [
            {
                **{k: d[k] for k in keep},
                "name": d.get("name"),
                "practices": [{k: p[k] for k in keep} for p in d["practices"]],
            }
            for d in assessment["domains"]
        ],
    }


def build_statement(evidence_dir: Path, now: dt.datetime | None = None) -> dict[str, Any]:
    """The in-toto Statement for a scored evidence directory (manifest must be current)."""
    manifest_path = evidence_dir / MANIFEST
    assessment = read_json(evidence_dir / ASSESSMENT)
    manifest = read_json(manifest_path)
    manifest_sha = _sha256_of(manifest_path)
    try:
        run_id = read_json(evidence_dir / RUN).get("run_id")
    except Exception:
        run_id = None
    gate = assessment.get("gate") or {}
    when = (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {
        "_type": STATEMENT_TYPE,
        "subject": statement_subjects(manifest, manifest_sha),
        "predicateType": PREDICATE_TYPE,
        "predicate": {
            "verifier": {"id": VERIFIER_ID, "version": {"aima-ci": __version__}},
            "timeVerified": when,
            "aimaVersion": assessment.get("aima_version"),
            "assessmentDate": assessment.get("date"),
            **levels_of(assessment),
            "gate": {
                "passed": gate.get("passed"),
                "targetLevel": (gate.get("target") or {}).get("level"),
                "failures": [
                    {"kind": f.get("kind"), "id": f.get("id"), "message": f.get("message")}
                    for f in gate.get("failures", [])
                ],
            },
            "policy": _policy(manifest, assessment),
            "evidence": {
                "runId": run_id,
                "manifest": {"uri": MANIFEST, "digest": {"sha256": manifest_sha}},
                "assessment": {
                    "uri": ASSESSMENT,
                    "digest": {"sha256": _sha256_of(evidence_dir / ASSESSMENT)},
                },
            },
        },
    }


def write_envelope(path: Path, envelope: Mapping[str, Any]) -> None:
    """One envelope per line: the in-toto bundle format (``.intoto.jsonl``)."""
    from aima_ci.evidence.directory import atomic_write

    atomic_write(path, json.dumps(envelope, sort_keys=True) + "\n")


def read_envelopes(path: Path) -> list[Any]:
    """Envelopes from a bundle (one JSON per line) or a single pretty-printed JSON envelope."""
    if path.stat().st_size > MAX_ENVELOPE_BYTES:
        raise ValueError(f"larger than {MAX_ENVELOPE_BYTES} bytes")
    text = path.read_text(encoding="utf-8")
    try:
        whole = json.loads(text)
    except json.JSONDecodeError:
        return [json.loads(line) for line in text.splitlines() if line.strip()]
    return [whole]


def attest(
    evidence_dir: Path, private_key: Any, out: Path | None = None, now: dt.datetime | None = None
) -> tuple[Path, dict[str, Any]]:
    """Sign the evidence directory's statement; returns where the envelope went and the statement."""
    if not (evidence_dir / ASSESSMENT).is_file():
        raise UserError(f"{evidence_dir}: no {ASSESSMENT}; run 'aima-ci score' first")
    refuse_unverified(evidence_dir)
    statement = build_statement(evidence_dir, now)
    target = out or evidence_dir / ENVELOPE
    write_envelope(target, sign_envelope(statement, private_key))
    return target, statement


def refuse_unverified(evidence_dir: Path) -> None:
    """Sign only what verifies and what this machine's aima-ci wrote (UserError, exit 2).

    A signature turns "consistent" into "vouched for": signing evidence a forger re-scored
    (edited findings, manifest deleted, ``aima-ci score``) would launder the forgery, and every
    such directory is consistent. The seal (seal.py) is what a forger cannot produce.
    """
    from aima_ci.evidence.seal import check_seal
    from aima_ci.trust.verify import verify_evidence

    report = verify_evidence(evidence_dir)
    if report.problems:
        raise UserError(
            f"{evidence_dir}: the evidence does not verify, refusing to sign"
            f" ({'; '.join(report.problems[:3])})"
        )
    problem = check_seal(evidence_dir, None)
    if problem:
        raise UserError(f"{evidence_dir}: refusing to sign: {problem}")
