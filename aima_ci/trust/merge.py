"""Combine the evidence directories of CI shards into one, refusing anything ambiguous or unsafe.

Inputs are evidence directories or ``.tar.gz``/``.tgz``/``.tar``/``.zip`` bundles of one (CI
artifacts usually arrive as archives). The rules, in order:

1. Archives are unpacked into a private temporary folder, entry by entry: absolute names, ``..``,
   backslashes, links, devices and FIFOs are refused, as are bundles over the size/entry limits.
2. Each input must match its own ``manifest.json`` (nothing changed, added, removed, no symlink).
3. Inputs must agree on the aima-ci version, the git commit and the config digest (where
   recorded). Sharded inputs must share one shard count and together cover every shard index
   (``allow_partial`` relaxes the coverage rule only).
4. A collector that appears in one input is taken as is. One that appears in several is combined
   only when (a) every occurrence is a *part* of a split list (same key and count, different
   shard indices): the findings are concatenated and the status is the worst part's; or (b) the
   occurrences are identical (same status, same findings, e.g. one shard passed twice). Any
   other repetition is a conflict: two different answers for one collector.
5. Files under ``artefacts/`` are united; one path in two inputs must have the same SHA-256.
   Everything else is rebuilt (findings.jsonl, run.json, manifest.json) or dropped
   (assessment.json, summary.json, reports, attestations): score the merged directory again.
"""

from __future__ import annotations

import contextlib
import json
import re
import shutil
import stat
import tarfile
import tempfile
import uuid
import zipfile
import zlib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from aima_ci import __version__
from aima_ci.errors import EvidenceError
from aima_ci.evidence.directory import (
    ARTEFACTS,
    MANIFEST,
    RUN,
    atomic_copy,
    read_findings,
    read_json,
    verify_manifest,
    write_findings,
    write_json,
    write_manifest,
)
from aima_ci.models import Finding
from aima_ci.safety.paths import PathError, safe_relpath

MAX_ARCHIVE_BYTES = 4 << 30
MAX_ARCHIVE_ENTRIES = 200_000
ARCHIVE_SUFFIXES = (".tar.gz", ".tgz", ".tar", ".zip")
# How bad a collector run status is, for combining the parts of a split collector.
STATUS_RANK = {"ok": 0, "reused": 0, "not_installed": 2, "input_error": 3, "timeout": 4}
CHUNK = 1 << 20


class MergeError(EvidenceError):
    """Inputs that cannot be merged safely or unambiguously (exit 2)."""


# --------------------------------------------------------------------------- safe unpacking
def _entry_name(raw: str, archive: str) -> str:
    name = raw
    while name.startswith("./"):
        name = name[2:]
    name = name.rstrip("/")
    try:
        return safe_relpath(name)
    except PathError:
        raise MergeError(f"{archive}: entry {raw!r} escapes the target folder") from None


def _copy_capped(src: IO[bytes], dest: Path, budget: list[int], archive: str) -> None:
    dest.parent.mkdir(parents=True, exist_ok=True)
    with open(dest, "xb") as out:
        while block := src.read(CHUNK):
            budget[0] -= len(block)
            if budget[0] < 0:
                raise MergeError(f"{archive}: unpacks to more than {MAX_ARCHIVE_BYTES} bytes")
            out.write(block)


def _inside(dest: Path, name: str, archive: str) -> Path:
    target = dest / name
    if not target.resolve().is_relative_to(dest.resolve()):
        raise MergeError(f"{archive}: entry {name!r} escapes the target folder")
    return target


def extract_archive(archive: Path, dest: Path) -> None:
    """Unpack a bundle into ``dest`` (empty), refusing every entry that is not a plain file/dir.

    Damage found while unpacking (a bad CRC, a stream cut short, an encrypted or oddly
    compressed entry, a name the filesystem refuses) is a MergeError naming the bundle, never an
    exception from zipfile/tarfile escaping as an internal error.
    """
    try:
        _extract(archive, dest)
    except MergeError:
        raise
    except (
        OSError,
        EOFError,
        ValueError,
        RuntimeError,
        NotImplementedError,
        tarfile.TarError,
        zipfile.BadZipFile,
        zlib.error,
    ) as exc:
        raise MergeError(
            f"{archive.name}: cannot be unpacked ({type(exc).__name__}: {exc})"
        ) from None


def _claim(seen: dict[str, bool], name: str, is_dir: bool, raw: str, archive: str) -> None:
    """Each path once: a second file of one name would overwrite (or clash with) the first."""
    if name in seen and not (is_dir and seen[name]):
        raise MergeError(f"{archive}: entry {raw!r} appears twice")
    seen[name] = is_dir


def _extract(archive: Path, dest: Path) -> None:
    label = archive.name
    seen: dict[str, bool] = {}
    budget = [MAX_ARCHIVE_BYTES]
    if archive.name.endswith(".zip"):
        try:
            zf = zipfile.ZipFile(archive)
        except zipfile.BadZipFile as exc:
            raise MergeError(f"{label}: not a zip file ({exc})") from None
        with zf:
            infos = zf.infolist()
            if len(infos) > MAX_ARCHIVE_ENTRIES:
                raise MergeError(f"{label}: more than {MAX_ARCHIVE_ENTRIES} entries")
            for info in infos:
                name = _entry_name(info.filename, label)
                mode = info.external_attr >> 16
                if stat.S_ISLNK(mode):
                    raise MergeError(f"{label}: entry {info.filename!r} is a symlink")
                if "\\" in info.filename:
                    raise MergeError(f"{label}: entry {info.filename!r} has a backslash")
                _claim(seen, name, info.is_dir(), info.filename, label)
                target = _inside(dest, name, label)
                if info.is_dir():
                    target.mkdir(parents=True, exist_ok=True)
                    continue
                with zf.open(info) as src:
                    _copy_capped(src, target, budget, label)
        return
    try:
        tf = tarfile.open(archive, "r:*")  # noqa: SIM115 - closed by the with below
    except (tarfile.TarError, OSError) as exc:
        raise MergeError(f"{label}: not a tar archive ({exc})") from None
    with tf:
        count = 0
        for member in tf:
            count += 1
            if count > MAX_ARCHIVE_ENTRIES:
                raise MergeError(f"{label}: more than {MAX_ARCHIVE_ENTRIES} entries")
            if member.name in (".", "./"):
                continue
            name = _entry_name(member.name, label)
            _claim(seen, name, member.isdir(), member.name, label)
            target = _inside(dest, name, label)
            if member.isdir():
                target.mkdir(parents=True, exist_ok=True)
            elif member.isreg():
                extracted = tf.extractfile(member)
                if extracted is None:
                    raise MergeError(f"{label}: entry {member.name!r} cannot be read")
                with extracted:
                    _copy_capped(extracted, target, budget, label)
            else:
                kind = "a link" if member.issym() or member.islnk() else "not a regular file"
                raise MergeError(f"{label}: entry {member.name!r} is {kind}")


def _evidence_root(folder: Path, label: str) -> Path:
    if (folder / RUN).is_file():
        return folder
    entries = [p for p in folder.iterdir()]
    if len(entries) == 1 and entries[0].is_dir() and (entries[0] / RUN).is_file():
        return entries[0]
    raise MergeError(f"{label}: no {RUN} at the top (or in a single top-level folder)")


# --------------------------------------------------------------------------- reading inputs
@dataclass
class ShardInput:
    label: str
    directory: Path
    run: dict[str, Any]
    findings: list[Finding]
    files: dict[str, str]  # artefact path -> sha256
    subjects: list[dict[str, Any]]
    manifest: Mapping[str, Any]
    manifest_sha256: str

    @property
    def shard(self) -> Mapping[str, Any] | None:
        shard = self.run.get("shard")
        return shard if isinstance(shard, Mapping) else None


def load_input(path: Path, scratch: Path) -> ShardInput:
    label = str(path)
    if path.is_symlink():
        raise MergeError(f"{label}: is a symlink; give the real path")
    if path.is_dir():
        directory = path
    elif path.is_file() and path.name.endswith(ARCHIVE_SUFFIXES):
        dest = Path(tempfile.mkdtemp(prefix="in-", dir=scratch))
        extract_archive(path, dest)
        directory = _evidence_root(dest, label)
    elif path.exists():
        raise MergeError(f"{label}: neither an evidence directory nor a .tar.gz/.zip bundle")
    else:
        raise MergeError(f"{label}: not found")
    if not (directory / MANIFEST).is_file():
        raise MergeError(f"{label}: no {MANIFEST}; only complete evidence directories merge")
    problems = verify_manifest(directory)
    if problems:
        raise MergeError(f"{label}: does not match its manifest ({'; '.join(problems[:3])})")
    run = read_json(directory / RUN)
    manifest = read_json(directory / MANIFEST)
    if not isinstance(run, dict) or not isinstance(manifest, Mapping):
        raise MergeError(f"{label}: {RUN} or {MANIFEST} is not a JSON object")
    from aima_ci.safety.hashing import sha256_file

    files = {
        e["path"]: e["sha256"]
        for e in manifest.get("files", [])
        if str(e.get("path", "")).startswith(ARTEFACTS + "/")
    }
    return ShardInput(
        label=label,
        directory=directory,
        run=run,
        findings=read_findings(directory),
        files=files,
        subjects=[s for s in manifest.get("subjects", []) if isinstance(s, dict)],
        manifest=manifest,
        manifest_sha256=sha256_file(directory / MANIFEST),
    )


# --------------------------------------------------------------------------- the rules
def _agree(inputs: Sequence[ShardInput], key: str, what: str) -> Any:
    values = {json.dumps(i.run.get(key)) for i in inputs if i.run.get(key) is not None}
    if len(values) > 1:
        found = ", ".join(f"{i.label}: {i.run.get(key)}" for i in inputs)
        raise MergeError(f"the inputs were made with different {what} ({found})")
    return next((i.run.get(key) for i in inputs if i.run.get(key) is not None), None)


def check_shards(inputs: Sequence[ShardInput], allow_partial: bool) -> None:
    sharded = [i for i in inputs if i.shard]
    if not sharded:
        return
    counts = {int(i.shard["count"]) for i in sharded}  # type: ignore[index]
    if len(counts) > 1:
        raise MergeError(f"the inputs come from different shard counts: {sorted(counts)}")
    count = counts.pop()
    seen: dict[int, ShardInput] = {}
    for i in sharded:
        index = int(i.shard["index"])  # type: ignore[index]
        if index in seen and seen[index].run.get("run_id") != i.run.get("run_id"):
            raise MergeError(
                f"shard {index}/{count} is given twice from different runs"
                f" ({seen[index].label}, {i.label})"
            )
        seen[index] = i
    missing = sorted(set(range(1, count + 1)) - set(seen))
    if missing and not allow_partial:
        raise MergeError(
            f"shard(s) {', '.join(f'{m}/{count}' for m in missing)} missing; merging only some"
            " shards would leave their collectors out (use --allow-partial to accept that)"
        )


def _canonical(findings: Sequence[Finding]) -> list[str]:
    return sorted(json.dumps(f.to_dict(), sort_keys=True) for f in findings)


def _combine_parts(
    name: str, occurrences: Sequence[tuple[ShardInput, Mapping[str, Any]]]
) -> dict[str, Any]:
    parts = [entry["part"] for _, entry in occurrences]
    keys = {(p.get("key"), p.get("count")) for p in parts}
    indices = [p.get("index") for p in parts]
    if len(keys) != 1 or len(set(indices)) != len(indices):
        raise MergeError(
            f"collector '{name}' is split differently or twice for one shard in"
            f" {', '.join(i.label for i, _ in occurrences)}"
        )
    entries = [entry for _, entry in occurrences]
    versions = {e.get("version") for e in entries}
    if len(versions) > 1:
        raise MergeError(
            f"collector '{name}' ran in different versions: {sorted(versions, key=str)}"
        )
    worst = max(entries, key=lambda e: STATUS_RANK.get(str(e.get("status")), 5))
    status = str(worst.get("status"))
    if all(e.get("status") in ("ok", "reused") for e in entries):
        status = "ok" if any(e.get("status") == "ok" for e in entries) else "reused"
    started = [e["started_at"] for e in entries if e.get("started_at")]
    finished = [e["finished_at"] for e in entries if e.get("finished_at")]
    ordered = sorted(zip(parts, entries, strict=True), key=lambda pe: pe[0].get("index", 0))
    return {
        "name": name,
        "status": status,
        "message": "; ".join(
            f"part {p.get('index')}/{p.get('count')}: {e.get('message')}" for p, e in ordered
        ),
        "version": versions.pop(),
        "tool_version": worst.get("tool_version"),
        "started_at": min(started) if started else None,
        "finished_at": max(finished) if finished else None,
        "duration": round(sum(float(e.get("duration") or 0) for e in entries), 3),
        "findings": sum(int(e.get("findings") or 0) for e in entries),
        "parts": [dict(p) for p, _ in ordered],
        "checks": sorted({c for e in entries for c in e.get("checks", [])}),
    }


@dataclass
class MergePlan:
    findings: list[Finding]
    collectors: list[dict[str, Any]]
    files: dict[str, tuple[Path, str]]  # artefact path -> (source, sha256)
    subjects: list[dict[str, Any]]
    run: dict[str, Any]


def plan_merge(inputs: Sequence[ShardInput], *, allow_partial: bool = False) -> MergePlan:
    """Apply the merge rules to loaded inputs (no writing); raises MergeError on any conflict."""
    if not inputs:
        raise MergeError("nothing to merge")
    # The same evidence given twice (same manifest digest) counts once.
    unique: dict[str, ShardInput] = {}
    for item in inputs:
        unique.setdefault(item.manifest_sha256, item)
    inputs = list(unique.values())
    version = _agree(inputs, "aima_ci_version", "aima-ci versions")
    commit = _agree(inputs, "git_commit", "git commits")
    config_sha = _agree(inputs, "config_sha256", "configs")
    check_shards(inputs, allow_partial)
    ordered = sorted(
        inputs, key=lambda i: (int(i.shard["index"]) if i.shard else 0, inputs.index(i))
    )
    occurrences: dict[str, list[tuple[ShardInput, Mapping[str, Any]]]] = {}
    by_input: dict[int, dict[str, list[Finding]]] = {}
    for item in ordered:
        names = set()
        for entry in item.run.get("collectors", []):
            if not isinstance(entry, Mapping) or not isinstance(entry.get("name"), str):
                raise MergeError(f"{item.label}: {RUN} lists a malformed collector entry")
            if entry["name"] in names:
                raise MergeError(f"{item.label}: lists collector '{entry['name']}' twice")
            names.add(entry["name"])
            occurrences.setdefault(entry["name"], []).append((item, entry))
        grouped: dict[str, list[Finding]] = {}
        for f in item.findings:
            if f.collector not in names:
                raise MergeError(
                    f"{item.label}: a finding of '{f.collector}' has no entry in its {RUN}"
                )
            grouped.setdefault(f.collector, []).append(f)
        by_input[id(item)] = grouped
    findings: list[Finding] = []
    collectors: list[dict[str, Any]] = []
    for name in sorted(occurrences):
        seen = occurrences[name]
        if len(seen) == 1:
            item, entry = seen[0]
            collectors.append(dict(entry))
            findings.extend(by_input[id(item)].get(name, []))
        elif all(isinstance(entry.get("part"), Mapping) for _, entry in seen):
            collectors.append(_combine_parts(name, seen))
            for item, _ in seen:
                findings.extend(by_input[id(item)].get(name, []))
        else:
            first_item, first = seen[0]
            reference = (first.get("status"), _canonical(by_input[id(first_item)].get(name, [])))
            for item, entry in seen[1:]:
                other = (entry.get("status"), _canonical(by_input[id(item)].get(name, [])))
                if other != reference:
                    raise MergeError(
                        f"collector '{name}' appears in {first_item.label} and {item.label}"
                        " with different results; each collector must come from one shard"
                    )
            collectors.append(dict(first))
            findings.extend(by_input[id(first_item)].get(name, []))
    files: dict[str, tuple[Path, str]] = {}
    for item in ordered:
        for rel, digest in item.files.items():
            safe_relpath(rel)
            if rel in files and files[rel][1] != digest:
                raise MergeError(
                    f"{rel} differs between {item.label} and another input (SHA-256 differs)"
                )
            files.setdefault(rel, (item.directory / rel, digest))
    subjects = [s for item in ordered for s in item.subjects]
    first = ordered[0].run
    started = [i.run["started_at"] for i in ordered if i.run.get("started_at")]
    finished = [i.run["finished_at"] for i in ordered if i.run.get("finished_at")]
    run = {
        "aima_ci_version": version or __version__,
        "merged_by": __version__,
        "python": first.get("python"),
        "platform": first.get("platform"),
        "git_commit": commit,
        "ci": first.get("ci"),
        "run_id": uuid.uuid4().hex,
        "config_sha256": config_sha,
        "shard": None,
        "merged_from": [
            {
                "source": i.label,
                "run_id": i.run.get("run_id"),
                "shard": i.shard,
                "started_at": i.run.get("started_at"),
                "finished_at": i.run.get("finished_at"),
                "manifest_sha256": i.manifest_sha256,
            }
            for i in ordered
        ],
        "reuse_notes": [n for i in ordered for n in i.run.get("reuse_notes") or []],
        "started_at": min(started) if started else None,
        "finished_at": max(finished) if finished else None,
        "config": first.get("config"),
        "collectors": collectors,
        "redactions": first.get("redactions"),
    }
    return MergePlan(findings, collectors, files, subjects, run)


# --------------------------------------------------------------------------- writing
def _prepare_out(out: Path, inputs: Sequence[Path]) -> None:
    resolved = out.resolve()
    for path in inputs:
        if path.resolve() == resolved:
            raise MergeError(f"--out {out} is one of the inputs")
    if out.is_symlink():
        raise MergeError(f"--out {out} is a symlink")
    if out.exists() and (not out.is_dir() or any(p.name != ".lock" for p in out.iterdir())):
        raise MergeError(f"--out {out} exists and is not empty; merge into a new directory")


def write_plan(plan: MergePlan, out: Path) -> None:
    from aima_ci.safety.hashing import sha256_file

    for rel, (source, digest) in sorted(plan.files.items()):
        target = out / rel
        atomic_copy(source, target)
        if sha256_file(target) != digest:
            raise MergeError(f"{rel} changed while it was being copied")
    write_findings(out, plan.findings)
    write_json(out / RUN, plan.run)
    write_manifest(out, plan.subjects)


@contextlib.contextmanager
def _scratch() -> Iterator[Path]:
    folder = Path(tempfile.mkdtemp(prefix="aima-merge-"))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _load_named(path: Path, scratch: Path) -> ShardInput:
    """load_input, with an unreadable file inside the input named by the input (a bundle's
    files live in a scratch folder whose path would mean nothing to the user)."""
    try:
        return load_input(path, scratch)
    except MergeError:
        raise
    except EvidenceError as exc:
        inner = re.sub(re.escape(str(scratch)) + r"/in-[^/]+/", "", str(exc))
        raise MergeError(f"{path}: {inner}") from None


def merge(paths: Sequence[Path], out: Path, *, allow_partial: bool = False) -> MergePlan:
    """Merge shard evidence (directories or bundles) into the new directory ``out``."""
    from aima_ci.evidence.lock import locked

    _prepare_out(out, paths)
    with _scratch() as scratch:
        inputs = [_load_named(path, scratch) for path in paths]
        try:
            plan = plan_merge(inputs, allow_partial=allow_partial)
        except (KeyError, TypeError, ValueError, OverflowError, AttributeError) as exc:
            # Each input matched its manifest, so its run.json is as its producer wrote it:
            # a shard index that is not a number, a collector entry of the wrong shape.
            raise MergeError(
                f"an input's {RUN} is malformed ({type(exc).__name__}: {exc}); only evidence"
                " written by aima-ci collect merges"
            ) from None
        # Sealed only when every shard's seal held here (the same machine, or one
        # $AIMA_CI_SEAL_KEY across the pipeline's jobs): merging must not launder evidence.
        from aima_ci.evidence.seal import check_seal, reseal

        sealed = all(check_seal(item.directory, None) is None for item in inputs)
        with locked(out):
            write_plan(plan, out)
            reseal(out, None, sealed)
    return plan
