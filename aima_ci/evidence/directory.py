"""The evidence directory: findings.jsonl, artefacts/, run.json, assessment.json, manifest.json.

It is the hand-off between CI jobs (collect in one, score and gate in another) and what an
auditor keeps, so every file is written atomically and hashed into the manifest.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aima_ci.errors import EvidenceError
from aima_ci.safety.atomic import atomic_copy as atomic_copy  # re-exported: evidence writers
from aima_ci.safety.atomic import atomic_write as atomic_write
from aima_ci.safety.paths import PathError, safe_relpath

if TYPE_CHECKING:
    from aima_ci.models import Finding

FINDINGS = "findings.jsonl"
# What scoring reads of findings.jsonl, written beside it (index.py).
FINDINGS_INDEX = "findings.index.json"
RUN = "run.json"
ASSESSMENT = "assessment.json"
# What the gate reads: levels and scores without per-question detail (fast on huge evidence).
SUMMARY = "summary.json"
MANIFEST = "manifest.json"
ARTEFACTS = "artefacts"
LOCK = ".lock"
# The signed statement over the manifest (attest.py) cannot itself be listed in the manifest.
ENVELOPE = "attestation.intoto.jsonl"
# The HMAC over the manifest (seal.py) and the marker of a run still writing (mark_incomplete).
SEAL = "seal.json"
INCOMPLETE = ".run-in-progress"
UNLISTED = frozenset({MANIFEST, LOCK, ENVELOPE, SEAL, INCOMPLETE})
MAX_FINDING_LINE = 1 << 20


def is_temp(name: str) -> bool:
    """A temp file of atomic_write (``.<name>.<random>.tmp``): left behind only by a killed
    writer, never part of the evidence, so neither listed in nor checked against the manifest."""
    return name.startswith(".") and name.endswith(".tmp")


def mark_incomplete(directory: Path, step: str) -> None:
    """Written before a step changes the directory, removed once its manifest is written: a run
    killed half-way leaves the marker, and score and gate refuse the half-written evidence
    instead of gating what the previous run left as if it were current."""
    directory.mkdir(parents=True, exist_ok=True)
    atomic_write(directory / INCOMPLETE, json.dumps({"step": step, "pid": os.getpid()}) + "\n")


def clear_incomplete(directory: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        (directory / INCOMPLETE).unlink()


def check_complete(directory: Path) -> None:
    """EvidenceError (exit 2) while the marker of an unfinished step is present."""
    marker = directory / INCOMPLETE
    if marker.exists() or marker.is_symlink():
        try:
            step = json.loads(marker.read_text(encoding="utf-8")).get("step", "a step")
        except (OSError, ValueError, AttributeError):
            step = "a step"
        raise EvidenceError(
            f"{directory}: an aima-ci {step} started here and did not finish ({INCOMPLETE} is"
            " present), so this evidence is incomplete; run 'aima-ci run' (or collect) again"
        )


# The large machine-read files (assessment.json, manifest.json) are written compact, which lets
# json use its C encoder: indent=2 on a 10,000-finding assessment falls back to the pure-Python
# encoder and costs ten times as long. Every other file (summary.json, run.json, cache entries)
# keeps its indented form, which people read and other code may compare byte for byte.
MACHINE_READ = frozenset({"assessment.json", "manifest.json"})


def write_json(path: Path, data: Any, *, indent: bool | None = None) -> None:
    """Write JSON atomically; indented unless it is a large machine-read file (``indent``
    overrides)."""
    indented = path.name not in MACHINE_READ if indent is None else indent
    if indented:
        text = json.dumps(data, indent=2, ensure_ascii=False)
    else:
        text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    atomic_write(path, text + "\n")


def read_json(path: Path) -> Any:
    try:
        with open(path, "rb") as fh:
            raw = fh.read()
    except FileNotFoundError:
        raise EvidenceError(f"{path.name} not found in {path.parent}") from None
    return _parse_json(path, raw)


def _parse_json(path: Path, raw: bytes) -> Any:
    try:
        return json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        # ValueError covers JSONDecodeError and integers past the 4300-digit conversion limit;
        # RecursionError, nesting deeper than the decoder can follow.
        raise EvidenceError(f"{path}: not valid JSON ({exc})") from None


def write_findings(directory: Path, findings: Iterable[Finding]) -> Path:
    """findings.jsonl, and beside it the findings index scoring reads instead (index.py)."""
    import hashlib

    from aima_ci.evidence.index import write_index

    dicts = [f.to_dict() for f in findings]
    raw = "".join(json.dumps(d, ensure_ascii=False, sort_keys=True) + "\n" for d in dicts).encode()
    path = directory / FINDINGS
    atomic_write(path, raw)
    write_index(directory, dicts, hashlib.sha256(raw).hexdigest())
    return path


class Digests:
    """The SHA-256 of evidence files, each hashed once per command: score checks every file
    against the manifest, records the digests it scored from and writes a new manifest, and
    hashing a 20 MB findings.jsonl three times cost more than the scoring. Scoped to one command
    (never process-wide: a file rewritten within one clock tick would keep its cached digest);
    ``forget`` a file the command rewrites."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._known: dict[str, str] = {}
        self._pending: dict[str, Any] = {}

    def prefetch(self, rel: str) -> None:
        """Start hashing a large file in a thread (hashlib releases the GIL), so the hash of a
        20 MB findings.jsonl runs while the scoring code is imported and scores; regular
        files only."""
        import threading

        path = self.directory / rel
        if rel in self._known or rel in self._pending or not path.is_file() or path.is_symlink():
            return
        from aima_ci.safety.hashing import sha256_file

        result: dict[str, Any] = {}

        def work() -> None:
            try:
                result["sha256"] = sha256_file(path)
            except OSError as exc:  # raised again, in the caller's thread, by __call__
                result["error"] = exc

        thread = threading.Thread(target=work, name=f"sha256 {rel}", daemon=True)
        thread.start()
        self._pending[rel] = (thread, result)

    def __call__(self, rel: str) -> str:
        """The digest of a regular file (the caller checked it is one: a FIFO would hang)."""
        from aima_ci.safety.hashing import sha256_file

        if rel in self._pending:
            thread, result = self._pending.pop(rel)
            thread.join()
            if "sha256" in result:
                self._known[rel] = result["sha256"]
        if rel not in self._known:
            self._known[rel] = sha256_file(self.directory / rel)
        return self._known[rel]

    def forget(self, *names: str) -> None:
        for name in names:
            self._known.pop(name, None)


def _hasher(directory: Path, digest_of: Digests | None) -> Any:
    if digest_of is not None:
        return digest_of
    from aima_ci.safety.hashing import sha256_file

    return lambda rel: sha256_file(directory / rel)


def iter_findings(path: Path) -> Iterator[Finding]:
    """Stream findings; a malformed line raises EvidenceError naming the line (fail closed)."""
    from aima_ci.models import Finding

    if not path.is_file():
        raise EvidenceError(f"{path} not found")
    with open(path, "rb") as fh:
        for number, raw in enumerate(fh, 1):
            if not raw.strip():
                continue
            if len(raw) > MAX_FINDING_LINE:
                raise EvidenceError(
                    f"{path.name}:{number}: line longer than {MAX_FINDING_LINE} bytes"
                )
            try:
                data = json.loads(raw.decode("utf-8"))
                yield Finding.from_dict(data)
            except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
                raise EvidenceError(f"{path.name}:{number}: not valid JSON ({exc})") from None
            except (EvidenceError, ValueError, TypeError, KeyError) as exc:
                raise EvidenceError(f"{path.name}:{number}: {exc}") from None


_PARSED: dict[tuple[str, str], list[Finding]] = {}


def read_findings(directory: Path) -> list[Finding]:
    """The findings, parsed once per process: scoring and the manifest both need them, and a
    10,000-finding file costs a third of a second to parse. Keyed by the file's SHA-256 (a few
    milliseconds), not its modification time: an edit of equal size within one clock tick
    (``fail`` -> ``pass``) must still be seen."""
    from aima_ci.safety.hashing import sha256_file

    path = directory / FINDINGS
    if not path.is_file():  # a FIFO would hang the hash; iter_findings names the problem
        return list(iter_findings(path))
    try:
        key = (str(path.resolve()), sha256_file(path))
    except OSError:
        return list(iter_findings(path))  # raises the usual EvidenceError
    if key not in _PARSED:
        _PARSED.clear()
        _PARSED[key] = list(iter_findings(path))
    return list(_PARSED[key])


# The key subjects are deduplicated and sorted by in the manifest. One encoder for all of them:
# json.dumps builds a new one per call, which was most of the cost of 450 subjects.
_SUBJECT_KEY = json.JSONEncoder(sort_keys=True)


def build_manifest(
    directory: Path, subjects: Iterable[dict[str, Any]] = (), digest_of: Digests | None = None
) -> dict[str, Any]:
    """SHA-256 and size of every file in the evidence directory, except the manifest and lock."""
    sha256_of = _hasher(directory, digest_of)
    files = []
    for path in sorted(directory.rglob("*")):
        rel = path.relative_to(directory).as_posix()
        if rel in UNLISTED or is_temp(path.name):
            continue
        if path.is_symlink():
            raise EvidenceError(f"evidence directory holds a symlink: {rel}")
        if path.is_file():
            files.append({"path": rel, "sha256": sha256_of(rel), "size": path.stat().st_size})
    key = _SUBJECT_KEY.encode  # json.dumps(s, sort_keys=True), without a new encoder per call
    unique_subjects = {key(s): s for s in subjects}
    return {
        "version": 1,
        "algorithm": "sha256",
        "files": files,
        "subjects": [unique_subjects[k] for k in sorted(unique_subjects)],
    }


def write_manifest(
    directory: Path, subjects: Iterable[dict[str, Any]] = (), digest_of: Digests | None = None
) -> dict[str, Any]:
    manifest = build_manifest(directory, subjects, digest_of)
    write_json(directory / MANIFEST, manifest)
    return manifest


def verify_manifest(directory: Path, digest_of: Digests | None = None) -> list[str]:
    """Differences between the directory and its manifest: changed, missing and unlisted files."""
    sha256_of = _hasher(directory, digest_of)
    manifest = read_json(directory / MANIFEST)
    if not isinstance(manifest, dict) or not isinstance(manifest.get("files"), list):
        return ["manifest.json is malformed"]
    problems: list[str] = []
    listed: set[str] = set()
    for entry in manifest["files"]:
        if not isinstance(entry, dict):
            problems.append("manifest entry is not an object")
            continue
        try:
            rel = safe_relpath(entry.get("path"))
        except PathError as exc:
            problems.append(str(exc))
            continue
        listed.add(rel)
        path = directory / rel
        try:
            if path.is_symlink():
                problems.append(f"{rel}: is a symlink")
            elif not path.is_file():
                problems.append(f"{rel}: missing")
            elif sha256_of(rel) != entry.get("sha256"):
                problems.append(f"{rel}: changed (SHA-256 differs)")
        except OSError as exc:  # a name too long for the filesystem, a path through a file
            problems.append(f"{rel[:200]}: cannot be checked ({exc.strerror or exc})")
    for path in sorted(directory.rglob("*")):
        rel = path.relative_to(directory).as_posix()
        if rel in UNLISTED or is_temp(path.name) or not (path.is_file() or path.is_symlink()):
            continue
        if rel not in listed:
            problems.append(f"{rel}: not in the manifest (added)")
    return problems


def listed_digests(directory: Path) -> dict[str, str | None]:
    """The manifest's SHA-256 per listed path (empty without a manifest); EvidenceError for a
    manifest that is not one."""
    path = directory / MANIFEST
    if not path.is_file():
        return {}
    try:
        with open(path, "rb") as fh:
            raw = fh.read()
    except FileNotFoundError:
        raise EvidenceError(f"{MANIFEST} not found in {directory}") from None
    # Score asks for this several times (the findings, the index, the manifest's subjects):
    # parsed once per content, never per modification time (an edit within one clock tick).
    key = (str(path), raw)
    if key not in _LISTED:
        _LISTED.clear()
        _LISTED[key] = _listed(_parse_json(path, raw), path)
    return dict(_LISTED[key])


_LISTED: dict[tuple[str, bytes], dict[str, str | None]] = {}


def _listed(manifest: Any, path: Path) -> dict[str, str | None]:
    files = manifest.get("files") if isinstance(manifest, dict) else None
    if not isinstance(files, list):
        raise EvidenceError(f"{path}: malformed (no 'files' list)")
    return {
        e["path"]: e.get("sha256")
        for e in files
        if isinstance(e, dict) and isinstance(e.get("path"), str)
    }


def check_listed(directory: Path, *names: str, digest_of: Digests | None = None) -> None:
    """Refuse evidence files that no longer match manifest.json (EvidenceError, exit 2).

    score and gate read findings.jsonl, run.json and summary.json as facts; a line lost in a
    copy between CI jobs, or an edited level, would otherwise be scored or gated as if it were
    what aima-ci wrote. Files the manifest does not list (hand-made evidence, a manifest from
    before scoring) are not checked; ``aima-ci verify`` checks everything.
    """
    sha256_of = _hasher(directory, digest_of)
    listed = listed_digests(directory)
    for name in names:
        path = directory / name
        if name in listed and path.is_file() and sha256_of(name) != listed[name]:
            raise EvidenceError(
                f"{path}: does not match manifest.json (changed or damaged after aima-ci wrote"
                f" it); run 'aima-ci verify {directory}' to see what differs, or collect again"
            )


def subjects_of(findings: Iterable[Finding]) -> list[dict[str, Any]]:
    """Each distinct subject once (the manifest lists them deduplicated and sorted anyway): a
    garak scan writes thousands of findings about one endpoint, and serialising each to compare
    it cost more than the rest of the manifest."""
    unique = dict.fromkeys(s for f in findings for s in f.subjects if s.digest)
    return [s.to_dict() for s in unique]


def file_subjects(kind: str, paths: Iterable[Path], root: Path) -> list[dict[str, Any]]:
    """Subjects for repository files (the config, attestation files) with their SHA-256."""
    from aima_ci.safety.hashing import sha256_file

    out = []
    for path in paths:
        if not path.is_file():
            continue
        try:
            rel = path.resolve().relative_to(root.resolve()).as_posix()
        except ValueError:
            rel = path.name
        out.append(
            {"kind": kind, "name": path.name, "digest": "sha256:" + sha256_file(path), "path": rel}
        )
    return out


def manifest_subjects(config: Any, findings: Iterable[Finding]) -> list[dict[str, Any]]:
    """What the evidence is about: findings' models and datasets, plus the policy that judged them.

    ``config`` is a config.Config (typed loosely to keep this module free of the config import).
    """
    policy = file_subjects("config", [config.path] if config.path else [], config.root)
    answers = file_subjects("attestations", config.attestation_files, config.root)
    return subjects_of(findings) + policy + answers
