"""Stream a garak ``report.jsonl`` (or ``hitlog.jsonl``) into the few facts a verdict needs.

A report is mostly ``attempt`` lines (every prompt twice, 2-4 KB each, gigabytes for a long
scan) around a handful of small lines that carry the verdict: ``eval`` rows with the counts,
``start_run setup`` / ``init`` for what was asked, ``completion`` to show the run finished,
``digest`` to cross-check. So the reader never decodes an attempt: it reads big blocks, finds
attempt lines by their first bytes, and counts them per probe and status with ``bytes.count``
on their header bytes; one regex finds the scored attempts with a hit. Python only loops over
the other lines, which are decoded in full and validated. Memory stays constant whatever the
file size: a block, a bounded partial line, a few counters per probe, and a small heap per probe
of the worst failing attempts, kept as file offsets and decoded only at the end
(``worst_attempts``). Attempt lines are therefore validated (UTF-8, JSON) only when decoded:
full UTF-8 validation of every attempt would cost CPython ~2 s/GB, four times the rest of the
reader, for records that carry no verdict data.

Damage is never skipped silently: each truncated, corrupt, non-UTF-8 or overlong line becomes a
``Problem`` with its line number and the scope of what it can hide (the report's integrity only,
one probe, or every probe), so the caller can turn it into ``error`` rather than ``pass``.

Version drift handled here (see docs/collectors/garak.md):
- eval rows from garak 0.9-0.13 have ``passed`` and ``total`` only; 0.9 named detectors
  ``detector.<name>``; from 0.14 they have ``passed``/``fails``/``nones``/``total_evaluated``/
  ``total_processed`` and, when enabled, ``confidence_*`` bounds on the attack success rate;
- ``probe_summary`` (0.17) and ``digest`` (0.15+) may be absent;
- ``plugins.model_type`` was ``plugins.target_type`` before 0.13.1, ``plugins.probe_spec``
  became ``run.spec`` in 0.15.1.
"""

from __future__ import annotations

import hashlib
import heapq
import itertools
import json
import mmap
import os
import re
import stat
from collections.abc import Callable, Iterator, Mapping
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from aima_ci.safety.hashing import Identity, identity, remember_sha256

CHUNK = 8 << 20
MAX_LINE = 64 << 20  # longer lines are refused (and counted), so memory stays bounded
HEADER_WINDOW = 512
WORST_PER_PROBE = 5
MAX_WORST_LINE = 8 << 20
MAX_EXAMPLE_TEXT = 4000  # characters kept per prompt/output of a worst example

ATTEMPT_PREFIX = b'{"entry_type": "attempt"'
_ENTRY = re.compile(rb'\{\s*"entry_type"\s*:\s*"([A-Za-z_ ]{1,40})"')
_HEADER = re.compile(rb'"status": (\d+), "probe_classname": "((?:[^"\\]|\\.){1,200})"')
_STATUS = re.compile(rb'"status": ?(\d+)')
_PROBE_CLASS = re.compile(rb'"probe_classname": ?"((?:[^"\\]|\\.){1,200})"')
_PROBE = re.compile(rb'"probe": ?"([A-Za-z0-9_.\-]{1,200})"')
_DETECTOR_RESULTS = b'"detector_results": {'
_ATTEMPT_START = b"\n" + ATTEMPT_PREFIX
# A scored attempt with a hit at garak's default eval_threshold (0.5): some score in [0.5, 1].
_HIT_AT_HALF = re.compile(rb'"detector_results": \{[^}]*?[\[ ](?:1(?:\.0*)?|0\.[5-9][0-9]*)[,\]]')
_ANY_NONZERO_SCORE = re.compile(rb'"detector_results": \{[^}]*?[\[ ](?:[1-9]|0\.[0-9]*[1-9])')

SETUP_KEYS = (
    "_config.version",
    "transient.run_id",
    "transient.active_probes",
    "run.seed",
    "run.generations",
    "run.soft_probe_prompt_cap",
    "run.eval_threshold",
    "run.spec",
    "plugins.probe_spec",
    "plugins.target_type",
    "plugins.target_name",
    "plugins.model_type",
    "plugins.model_name",
    "reporting.confidence_interval_method",
)


@dataclass(frozen=True)
class Problem:
    """Something wrong with the file. ``scope`` says what it can hide.

    integrity: lines that carry no verdict data (attempts, payload/plugin records) are damaged;
    the report as a record is unreliable but no count is lost.
    probe: a line that belonged to ``probe`` (an eval row, its summary) is lost or inconsistent.
    all: a line that may have carried any probe's counts, or the file as a whole is unusable.
    """

    kind: str
    message: str
    line: int | None = None
    scope: str = "integrity"
    probe: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "message": self.message,
            "line": self.line,
            "scope": self.scope,
            "probe": self.probe,
        }


@dataclass(frozen=True)
class EvalRow:
    probe: str
    detector: str
    passed: int
    fails: int
    total_evaluated: int
    nones: int | None
    total_processed: int | None
    shape: str  # "0.14+" or "pre-0.14"
    line: int
    garak_ci: Mapping[str, Any] | None = None


@dataclass
class Report:
    path: Path
    kind: str = "report"  # report | hitlog | unknown
    size: int = 0
    lines: int = 0
    garak_version: str | None = None
    version_source: str = ""
    run_ids: set[str] = field(default_factory=set)
    start_time: str | None = None
    end_time: str | None = None
    setup: dict[str, Any] = field(default_factory=dict)
    has_setup: bool = False
    legacy_header: bool = False  # "start_run args config": garak before the completion entry
    has_init: bool = False
    has_completion: bool = False
    has_digest: bool = False
    evals: list[EvalRow] = field(default_factory=list)
    probe_summaries: dict[str, dict[str, Any]] = field(default_factory=dict)
    probe_tags: dict[str, list[str]] = field(default_factory=dict)
    attempts: dict[str, int] = field(default_factory=dict)  # probe -> attempt records
    digest_counts: dict[tuple[str, str], tuple[int, int]] = field(default_factory=dict)
    hits: dict[tuple[str, str], int] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    unknown_entries: dict[str, int] = field(default_factory=dict)
    eval_threshold: float = 0.5
    # probe -> min-heap of (score, -offset, detector): the worst failing attempts, bounded.
    worst: dict[str, list[tuple[float, int, str]]] = field(default_factory=dict)
    examples: list[Example] = field(default_factory=list)  # those attempts, decoded
    # SHA-256 (hex) of the bytes read, computed in the same pass; None when the file changed
    # while it was read (then a scope "all" problem says so) or could not be read.
    sha256: str | None = None

    @property
    def active_probes(self) -> list[str]:
        """The probes garak resolved from the spec, as recorded in ``start_run setup``."""
        value = self.setup.get("transient.active_probes")
        if isinstance(value, list):
            return [strip_prefix(str(p), "probes.") for p in value if isinstance(p, str)]
        return []

    @property
    def completion_expected(self) -> bool:
        """Early garak (0.9.0.x: a "start_run args config" header) wrote no completion entry."""
        return not (self.legacy_header and not self.has_setup)

    @property
    def evaluated_probes(self) -> set[str]:
        return {row.probe for row in self.evals}

    def problem(self, *args: Any, **kwargs: Any) -> None:
        self.problems.append(Problem(*args, **kwargs))


def strip_prefix(name: str, prefix: str) -> str:
    return name[len(prefix) :] if name.startswith(prefix) else name


def _int(value: Any) -> int | None:
    """A non-negative count; garak writes ints (bool is refused: True is not a count)."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        return None
    return value


# --------------------------------------------------------------------------- the reader
def read_report(
    path: Path,
    *,
    worst_per_probe: int = WORST_PER_PROBE,
    workers: int | None = None,
    meanwhile: Callable[[], object] | None = None,
) -> Report:
    """Read one report.jsonl or hitlog.jsonl in constant memory, hashing it in the same pass.

    A file over ``HASH_CHILD_MIN_BYTES`` is hashed by a forked child while this process
    parses it: SHA-256 costs more CPU per byte than the parse and cannot be split, and a
    hashing thread here would fight the parser for the GIL after every block. ``workers``
    splits the parse itself at line boundaries, later parts read by forked children and merged
    in file order (default: 2 parts when a third CPU is free for the hash, else 1); the result
    is the same as one sequential read. A small file is hashed inline, block by block.

    On two cores the child's hash is the longer of the two (SHA-256 ~0.83 s/GiB here, the parse
    ~0.7 s/GiB), so everything that needs no digest is done before waiting for it: the
    verdict checks (``finish``), the worst-attempts pass and their decoding, then
    ``meanwhile`` (the caller's own wrap-up, warmed up while this core would idle). The file
    must hold still from before the first read to after the last of these and the hash, or it
    gets no digest.
    """
    report = Report(path=path)
    reader = _Reader(report, worst_per_probe)
    st_before = _stat(path)
    before = _identity(st_before)
    size = before[0] if before is not None else 0
    parts = workers if workers is not None else _default_workers(size)
    forking = hasattr(os, "fork") and before is not None
    hasher = hashlib.sha256()
    if forking and (parts > 1 or size >= HASH_CHILD_MIN_BYTES):
        child = _start_hashing(path)
        try:
            if parts > 1:
                _read_in_parts(reader, size, parts)
            else:
                reader.run()
            _after_parse(reader, worst_per_probe, meanwhile)
        finally:
            hashed, hexdigest = _finish_hashing(child, path)
    else:
        reader.hasher = hasher
        reader.run()
        hashed, hexdigest = reader.hashed, None
        _after_parse(reader, worst_per_probe, meanwhile)
    after = _identity(_stat(path))
    _check_unchanged(report, before, after, hashed, hexdigest or hasher.hexdigest())
    if report.sha256 is not None and st_before is not None:
        remember_sha256(path, identity(st_before), report.sha256)
    return report


def _after_parse(
    reader: _Reader, worst_per_probe: int, meanwhile: Callable[[], object] | None
) -> None:
    """The reader's work after its block pass, none of which needs the digest."""
    report = reader.r
    reader.finish()
    if worst_per_probe and report.kind == "report":
        reader.find_worst()
    report.examples = list(_decode_worst(report))
    if meanwhile is not None:
        meanwhile()


def _stat(path: Path) -> os.stat_result | None:
    try:
        return os.stat(path)
    except OSError:
        return None


def _identity(st: os.stat_result | None) -> Identity | None:
    """What must not change while the file is read: size first (the reader's part bounds use
    it), then device, inode, modification and status-change times (safety.hashing)."""
    if st is None or not stat.S_ISREG(st.st_mode):
        return None
    return (st.st_size, st.st_dev, st.st_ino, st.st_mtime_ns, st.st_ctime_ns)


HASH_BLOCK = 1 << 20
HASH_WINDOW = 8 << 20  # bytes mapped at once by the hashing child (a multiple of the page size)
# Above this a forked child hashes the file beside the parse (a fork costs a few ms; hashing
# 16 MiB inline about 12 ms of the parse's own core).
HASH_CHILD_MIN_BYTES = 16 << 20


def _start_hashing(path: Path) -> tuple[int, int] | None:
    """Fork a child that hashes the whole file in order and writes ``<bytes> <hex>`` to a pipe.

    A separate process has its own GIL and its own core; it only reads the file and sends back
    plain text, never objects. Returns (pid, read end of the pipe), or None when no process
    can be started (the file is then hashed here after the parse).
    """
    try:
        rfd, wfd = os.pipe()
    except OSError:
        return None
    try:
        pid = os.fork()
    except OSError:
        os.close(rfd)
        os.close(wfd)
        return None
    if pid == 0:  # pragma: no cover - the child's own coverage is not collected
        code = 1
        try:
            os.close(rfd)
            total, hexdigest = _hash_mapped(path)
            os.write(wfd, f"{total} {hexdigest}".encode())
            code = 0
        finally:
            os._exit(code)
    os.close(wfd)
    return pid, rfd


def _hash_mapped(path: Path) -> tuple[int, str]:
    """(bytes hashed, SHA-256 hex) of ``path``, mapped ``HASH_WINDOW`` bytes at a time.

    Only for the hashing child. Mapping the page cache instead of ``read()`` into a buffer
    saves the copy (measured on a 1 GiB report: 0.15 s of the child's 1.1 s of CPU, and the
    child is the longest part of the read). A window at a time keeps the child's resident set
    (mapped pages count) at one window. A file cut short while mapped raises SIGBUS: that kills
    this child only, and the parent then hashes the file itself (``_finish_hashing``) and finds
    it changed. A file that cannot be mapped is read instead.
    """
    digest = hashlib.sha256()
    total = 0
    with open(path, "rb") as fh:
        size = os.fstat(fh.fileno()).st_size
        try:
            while total < size:
                n = min(HASH_WINDOW, size - total)
                with mmap.mmap(fh.fileno(), n, access=mmap.ACCESS_READ, offset=total) as window:
                    digest.update(window)
                total += n
        except (OSError, ValueError):  # no mmap for this file (a FUSE or /proc file, say)
            fh.seek(total)
            buf = bytearray(HASH_BLOCK)
            view = memoryview(buf)
            while n := fh.readinto(view):
                digest.update(view[:n])
                total += n
            return total, digest.hexdigest()
        # bytes appended after the size was taken: hash them too, so the count shows them
        fh.seek(total)
        while block := fh.read(HASH_BLOCK):
            digest.update(block)
            total += len(block)
    return total, digest.hexdigest()


def _finish_hashing(child: tuple[int, int] | None, path: Path) -> tuple[int, str]:
    """The child's (byte count, hex digest); hashed here instead if the child failed or never
    started, so the result never depends on the fork."""
    try:
        if child is None:
            raise ValueError("no hashing child")
        pid, rfd = child
        with os.fdopen(rfd, "rb") as inp:
            data = inp.read(200)
        _, status = os.waitpid(pid, 0)
        if os.waitstatus_to_exitcode(status) != 0:
            raise ValueError("hashing child failed")
        count, hexdigest = data.decode("ascii").split(" ")
        if len(hexdigest) != 64:
            raise ValueError("bad digest")
        return int(count), hexdigest
    except ValueError:
        digest = hashlib.sha256()
        total = 0
        try:
            with open(path, "rb") as fh:
                while block := fh.read(HASH_BLOCK):
                    digest.update(block)
                    total += len(block)
        except OSError:
            return -1, ""
        return total, digest.hexdigest()


def _check_unchanged(
    report: Report,
    before: Identity | None,
    after: Identity | None,
    hashed: int,
    hexdigest: str,
) -> None:
    """Fail closed: the digest names the bytes that were parsed only if the file held still.

    A file replaced, appended to or rewritten during the read may have been parsed from one
    version and hashed (or partly parsed) from another, so it gets no digest and a problem
    that hides every probe.
    """
    if before is None or after is None:
        return
    if before != after or hashed != before[0] or report.size != before[0]:
        report.problem(
            "changed",
            "the file changed while it was read (size, modification time or inode differ"
            " before and after): its counts and its digest cannot be trusted",
            None,
            "all",
        )
        return
    report.sha256 = hexdigest


class _Reader:
    def __init__(self, report: Report, worst_per_probe: int) -> None:
        self.r = report
        self.worst_k = worst_per_probe
        self.line_no = 0
        self.cur_line = 0  # the line being decoded, for messages
        self.first_seen = False
        self.order: list[str] = []  # probes seen, most recent first
        self.keys: dict[str, bytes] = {}  # probe -> its '"probe_classname": "..."' bytes
        self.spans: dict[str, list[int]] = {}  # probe -> [first, last) byte of its attempts
        self.digest_setup: dict[str, Any] = {}
        self.hasher: Any = None  # a hashlib object fed every block read, when set
        self.hashed = 0

    # -- block loop ----------------------------------------------------------------------
    def run(self, start: int = 0, end: int | None = None) -> None:
        """Read ``[start, end)`` (a whole file by default; ``start`` is a line start) in blocks
        into one reused buffer; complete lines are processed in place, and only a line cut by
        the block boundary is copied (joined with its rest from the next block). Reusing the
        buffer matters: a fresh 8 MiB object per block costs page faults."""
        r = self.r
        buf = bytearray(CHUNK)
        view = memoryview(buf)
        with open(r.path, "rb") as fh:
            fh.seek(start)
            pending = b""  # the start of a line cut by the previous block
            offset = start  # file offset of buf[0]
            skipping_long = False
            while n := fh.readinto(
                view if end is None else view[: max(0, min(CHUNK, end - offset))]
            ):
                r.size += n
                if self.hasher is not None:
                    self.hasher.update(view[:n])
                    self.hashed += n
                first_nl = buf.find(b"\n", 0, n)
                if skipping_long:
                    if first_nl < 0:
                        offset += n
                        continue
                    skipping_long = False
                elif first_nl < 0:
                    pending += buf[:n]
                    if len(pending) > MAX_LINE:
                        self._too_long(self.line_no + 1, count=True)
                        skipping_long, pending = True, b""
                    offset += n
                    continue
                else:
                    head = pending + buf[: first_nl + 1]
                    if len(head) - 1 > MAX_LINE:
                        self._too_long(self.line_no + 1, count=True)
                    else:
                        self._block(bytes(head), 0, len(head), offset - len(pending))
                last_nl = buf.rfind(b"\n", 0, n)
                if last_nl > first_nl:
                    self._block(buf, first_nl + 1, last_nl + 1, offset)
                pending = bytes(buf[last_nl + 1 : n])
                offset += n
            if pending and not skipping_long:
                self._last_line(pending, offset - len(pending))

    def _too_long(self, line: int, *, count: bool = False) -> None:
        if count:
            self.line_no += 1
            self.r.lines = self.line_no
        self.r.problem(
            "line_too_long",
            f"line {line} is longer than {MAX_LINE >> 20} MiB; skipped",
            line,
            "all",
        )

    def _block(self, data: bytes | bytearray, begin: int, stop: int, base: int) -> None:
        """All complete lines in ``data[begin:stop]``; ``base`` is the file offset of data[0].

        Attempt lines (nearly all of the bytes) are never decoded. One loop hops from newline
        to newline with ``find`` (memchr: a 2-4 KB attempt line costs about 0.1 us) and notes
        the lines that are not attempts; those few (a handful per probe) are decoded and
        validated. Attempts are counted per probe with ``bytes.count`` on their
        ``"probe_classname": "..."`` bytes, and one regex finds the scored ones with a hit.
        """
        first = self.line_no + 1  # number of the line that starts at data[begin]
        find, startswith = data.find, data.startswith
        others: list[tuple[int, int]] = []  # (offset, line number) of non-attempt lines
        pos, lines = begin, 0
        while pos < stop:
            if not startswith(ATTEMPT_PREFIX, pos, stop):
                others.append((pos, first + lines))
            pos = find(b"\n", pos, stop) + 1
            lines += 1
        for start, line in others:
            nl = find(b"\n", start, stop)
            self.cur_line = line
            if nl - start > MAX_LINE:
                self._too_long(line)
            elif nl > start and not (nl == start + 1 and data[start] == 13):
                self._other(bytes(data[start:nl]), base + start)
        self.line_no += lines
        self.r.lines = self.line_no
        attempts = lines - len(others)
        if not attempts:
            return
        found = self._count_attempts(data, begin, stop, attempts, first)
        for probe, records in found.items():
            self.r.attempts[probe] = self.r.attempts.get(probe, 0) + records
        self.order = list(found) + [p for p in self.order if p not in found]
        for probe in found:  # where this probe's attempts are, for the worst-prompts pass
            span = self.spans.get(probe)
            if span is None:
                self.spans[probe] = [base + begin, base + stop]
            else:
                span[1] = base + stop

    def _count_attempts(
        self, data: bytes | bytearray, begin: int, stop: int, expected: int, first: int
    ) -> dict[str, int]:
        """Attempt records per probe in the block.

        Count each known probe's header bytes (most recent probe first, since garak writes one
        probe's attempts after another) until every attempt line is accounted for. A block with
        a probe not seen before is resolved by reading its first and last attempt headers; if
        that is not enough (an unusual header), the block is counted line by line.
        """
        found: dict[str, int] = {}
        total = 0
        for probe in self.order:
            records = data.count(self.keys[probe], begin, stop)
            if records:
                found[probe] = records
                total += records
            if total >= expected:
                break
        if total != expected and self._discover(data, begin, stop):
            return self._count_attempts(data, begin, stop, expected, first)
        if total != expected:
            found = self._count_slowly(data, begin, stop, first)
            for probe in found:
                if probe not in self.keys:
                    self._learn(probe)
        return found

    def _discover(self, data: bytes | bytearray, begin: int, stop: int) -> bool:
        """Learn the probes of the block's first and last attempt lines; True if one was new.

        garak writes a probe's attempts together, so a block that does not add up usually has
        a new probe starting in it: reading two headers finds it.
        """
        new = False
        positions = []
        if data.startswith(ATTEMPT_PREFIX, begin, stop):
            positions.append(begin)
        elif (i := data.find(_ATTEMPT_START, begin, stop)) >= 0:
            positions.append(i + 1)
        if (j := data.rfind(_ATTEMPT_START, begin, stop - 1)) >= 0:
            positions.append(j + 1)
        for pos in positions:
            m = _HEADER.search(data, pos, min(stop, pos + HEADER_WINDOW))
            if m is None:
                continue
            probe = bytes(m.group(2)).decode("utf-8", "replace")
            if probe not in self.keys:
                self._learn(probe)
                new = True
        return new

    def _learn(self, probe: str) -> None:
        self.keys[probe] = b'"probe_classname": ' + json.dumps(probe, ensure_ascii=False).encode()
        self.order.insert(0, probe)

    def _count_slowly(
        self, data: bytes | bytearray, begin: int, stop: int, first: int
    ) -> dict[str, int]:
        found: dict[str, int] = {}
        if data.startswith(ATTEMPT_PREFIX, begin, stop):
            pos = begin
        else:
            pos = data.find(_ATTEMPT_START, begin, stop)
            pos = pos + 1 if pos >= 0 else stop
        line, counted_to = first, begin
        while pos < stop:
            line += data.count(b"\n", counted_to, pos)
            counted_to = pos
            nl = data.find(b"\n", pos, stop)
            header = self._attempt_header(data, pos, nl, line)
            if header is not None:
                found[header[1]] = found.get(header[1], 0) + 1
            nxt = data.find(_ATTEMPT_START, nl, stop)
            pos = nxt + 1 if nxt >= 0 else stop
        return found

    def _attempt_header(
        self, data: bytes | bytearray, pos: int, nl: int, line: int
    ) -> tuple[int, str] | None:
        m = _HEADER.search(data, pos, min(nl, pos + HEADER_WINDOW))
        if m is not None:
            return int(m.group(1)), m.group(2).decode("utf-8", "replace")
        ms = _STATUS.search(data, pos, nl)  # a different key order: anywhere on the line
        mp = _PROBE_CLASS.search(data, pos, nl)
        if ms is None or mp is None:
            self.r.problem("corrupt", f"line {line}: attempt without status/probe_classname", line)
            return None
        return int(ms.group(1)), mp.group(1).decode("utf-8", "replace")

    def _saturated(self, probe: str) -> bool:
        """Holding K hits at the maximum score: no later attempt can displace them."""
        heap = self.r.worst.get(probe)
        if not heap:
            return False
        return len(heap) >= self.worst_k and heap[0][0] >= 1.0

    def absorb(self, other: _Reader) -> None:
        """Append the results of the next byte range (read by a child process) to these."""
        a, b = self.r, other.r
        shift = self.line_no
        for p in b.problems:
            if p.line is None:
                a.problems.append(p)
                continue
            message = _LINE_IN_MESSAGE.sub(f"line {p.line + shift}", p.message, count=1)
            a.problems.append(Problem(p.kind, message, p.line + shift, p.scope, p.probe))
        a.evals.extend(replace(e, line=e.line + shift) for e in b.evals)
        for probe, info in b.probe_summaries.items():
            a.probe_summaries[probe] = {**info, "line": info["line"] + shift}
        a.probe_tags.update(b.probe_tags)
        a.digest_counts.update(b.digest_counts)
        for name in ("attempts", "hits", "unknown_entries"):
            mine = getattr(a, name)
            for key, n in getattr(b, name).items():
                mine[key] = mine.get(key, 0) + n
        a.run_ids |= b.run_ids
        a.size += b.size
        for flag in ("has_setup", "has_init", "has_completion", "has_digest", "legacy_header"):
            setattr(a, flag, getattr(a, flag) or getattr(b, flag))
        takes = a.garak_version is None or (
            b.version_source == "init" and a.version_source != "init"
        )
        if b.garak_version and takes:
            a.garak_version, a.version_source = b.garak_version, b.version_source
        a.start_time = a.start_time or b.start_time
        a.end_time = b.end_time or a.end_time
        if not a.setup and b.setup:
            a.setup, a.eval_threshold = b.setup, b.eval_threshold
        if a.kind != b.kind and b.kind == "hitlog" and a.lines:
            a.problem("mixed_format", "the file mixes report and hitlog lines", None, "all")
        elif not a.lines:
            a.kind = b.kind
        for probe, heap in b.worst.items():
            mine_heap = a.worst.setdefault(probe, [])
            for item in heap:
                if len(mine_heap) < self.worst_k:
                    heapq.heappush(mine_heap, item)
                elif item > mine_heap[0]:
                    heapq.heapreplace(mine_heap, item)
        for probe, (first, last) in other.spans.items():
            span = self.spans.setdefault(probe, [first, last])
            span[0], span[1] = min(span[0], first), max(span[1], last)
        self.first_seen = self.first_seen or other.first_seen
        self.digest_setup = self.digest_setup or other.digest_setup
        self.line_no += other.line_no
        a.lines = self.line_no

    def find_worst(self) -> None:
        """Second, targeted pass: the worst hits of each probe whose eval rows counted fails.

        Only the byte span of that probe's attempts is read again (from the page cache), and
        the scan of a probe stops once it holds K hits at the maximum score. Probes that
        passed cost nothing here, which is what keeps a clean 1 GB report fast.
        """
        fails: dict[str, int] = {}
        for row in self.r.evals:
            fails[row.probe] = fails.get(row.probe, 0) + row.fails
        wanted = [p for p, n in fails.items() if n and p in self.spans]
        if not wanted:
            return
        buf = bytearray(CHUNK)
        with open(self.r.path, "rb") as fh:
            for probe in wanted:
                start, end = self.spans[probe]
                while start < end and not self._saturated(probe):
                    fh.seek(start)
                    n = fh.readinto(memoryview(buf)[: min(CHUNK, end - start)])
                    stop = buf.rfind(b"\n", 0, n) + 1
                    if n <= 0:
                        break
                    if stop > 0:
                        self._hits(buf, 0, stop, start, probe)
                        start += stop
                        continue
                    fh.seek(start)  # one line longer than the buffer
                    line = fh.readline(MAX_WORST_LINE)
                    if not line.endswith(b"\n"):
                        break
                    self._hits(line, 0, len(line), start, probe)
                    start += len(line)

    def _hits(self, data: bytes | bytearray, begin: int, stop: int, base: int, only: str) -> None:
        """Scored attempts of ``only`` with a hit, found by one regex; keep the worst few."""
        pattern = _HIT_AT_HALF if self.r.eval_threshold == 0.5 else _ANY_NONZERO_SCORE
        for m in pattern.finditer(data, begin, stop):
            at = m.start()
            start = max(begin, data.rfind(b"\n", begin, at) + 1)
            if not data.startswith(ATTEMPT_PREFIX, start):
                continue
            header = _HEADER.search(data, start, min(at, start + HEADER_WINDOW))
            if header is None:
                mp = _PROBE_CLASS.search(data, start, at)
                if mp is None:
                    continue
                probe = mp.group(1).decode("utf-8", "replace")
            else:
                probe = header.group(2).decode("utf-8", "replace")
            if probe == only and not self._saturated(probe):
                self._candidate(data, at, data.find(b"\n", at, stop), base, start, probe)

    def _last_line(self, data: bytes, base: int) -> None:
        """A last line without a newline: garak always ends lines, so this is a cut-off write."""
        self.line_no += 1
        self.cur_line = self.line_no
        self.r.lines = self.line_no
        if not data.strip():
            return
        try:
            record = json.loads(data)
        except (UnicodeDecodeError, ValueError, RecursionError):
            entry = _ENTRY.match(data)
            kind = entry.group(1).decode() if entry else "unknown"
            probe = _probe_of(data, kind)
            scope = "integrity" if kind in ("attempt", "payload_init", "plugin_cache") else "all"
            if kind in ("eval", "probe_summary") and probe:
                scope = "probe"
            self.r.problem(
                "truncated",
                f"line {self.line_no} ({kind}) is cut off: the report was not completely written",
                self.line_no,
                scope,
                probe,
            )
            return
        self._record(record, self.line_no, base)

    def _candidate(
        self, data: bytes | bytearray, pos: int, nl: int, base: int, line_start: int, probe: str
    ) -> None:
        """Keep this attempt's offset if it is among the probe's worst hits so far."""
        start = data.find(_DETECTOR_RESULTS, pos, nl)
        if start < 0:
            return
        start += len(_DETECTOR_RESULTS) - 1
        end = data.find(b"}", start, nl)
        if end < 0:
            return
        try:
            results = json.loads(data[start : end + 1])
        except (UnicodeDecodeError, ValueError, RecursionError):
            return
        best, best_det = -1.0, ""
        for det, scores in results.items():
            if isinstance(scores, list):
                for s in scores:
                    if isinstance(s, (int, float)) and s > best:
                        best, best_det = float(s), det
        if best < self.r.eval_threshold:
            return
        heap = self.r.worst.setdefault(probe, [])
        item = (best, -(base + line_start), strip_prefix(best_det, "detector."))
        if len(heap) < self.worst_k:
            heapq.heappush(heap, item)
        elif item > heap[0]:
            heapq.heapreplace(heap, item)

    # -- everything else: decoded and validated -------------------------------------------
    def _other(self, raw: bytes, offset: int) -> None:
        try:
            record = json.loads(raw)
        except UnicodeDecodeError as exc:
            self._damaged(raw, "invalid_utf8", f"not valid UTF-8 (byte {exc.start})")
            return
        except json.JSONDecodeError as exc:
            self._damaged(raw, "corrupt", f"not valid JSON ({exc.msg} at column {exc.colno})")
            return
        except (ValueError, RecursionError) as exc:  # an overlong integer, nesting too deep
            self._damaged(raw, "corrupt", f"not valid JSON ({type(exc).__name__}: {exc})")
            return
        self._record(record, self.cur_line, offset)

    def _damaged(self, raw: bytes, kind: str, why: str) -> None:
        entry = _ENTRY.match(raw.lstrip())
        etype = entry.group(1).decode() if entry else None
        probe = _probe_of(raw, etype or "")
        if etype in ("attempt", "payload_init", "plugin_cache", "init"):
            scope = "integrity"
        elif etype in ("eval", "probe_summary") and probe:
            scope = "probe"
        else:
            scope = "all"
        what = etype or "unrecognised line"
        self.r.problem(kind, f"line {self.cur_line} ({what}): {why}", self.cur_line, scope, probe)

    def _record(self, record: Any, line: int, offset: int) -> None:
        r = self.r
        if not isinstance(record, dict):
            r.problem("corrupt", f"line {line}: not a JSON object", line, "all")
            return
        etype = record.get("entry_type")
        if etype is None and not self.first_seen and _looks_like_hit(record):
            r.kind = "hitlog"
        self.first_seen = True
        if r.kind == "hitlog":
            self._hit(record, line, offset)
            return
        if not isinstance(etype, str):
            r.unknown_entries["<no entry_type>"] = r.unknown_entries.get("<no entry_type>", 0) + 1
            return
        handler = _HANDLERS.get(etype)
        if handler is None:
            r.unknown_entries[etype] = r.unknown_entries.get(etype, 0) + 1
            return
        handler(self, record, line, offset)

    def _setup(self, rec: dict[str, Any], line: int, offset: int) -> None:
        r = self.r
        r.has_setup = True
        r.setup = {k: rec[k] for k in SETUP_KEYS if k in rec}
        threshold = rec.get("run.eval_threshold")
        if isinstance(threshold, (int, float)) and not isinstance(threshold, bool):
            r.eval_threshold = float(threshold)
        if isinstance(rec.get("_config.version"), str) and r.garak_version is None:
            r.garak_version, r.version_source = rec["_config.version"], "start_run setup"
        if isinstance(rec.get("transient.run_id"), str):
            r.run_ids.add(rec["transient.run_id"])

    def _legacy_setup(self, rec: dict[str, Any], line: int, offset: int) -> None:
        """garak 0.9.0.x dumped its CLI arguments; keep the few that name the target."""
        r = self.r
        r.legacy_header = True
        for src, dst in (
            ("model_type", "plugins.model_type"),
            ("model_name", "plugins.model_name"),
        ):
            if src in rec and dst not in r.setup:
                r.setup[dst] = rec[src]
        for src, dst in (("generations", "run.generations"), ("seed", "run.seed")):
            if src in rec and dst not in r.setup:
                r.setup[dst] = rec[src]

    def _init(self, rec: dict[str, Any], line: int, offset: int) -> None:
        r = self.r
        r.has_init = True
        if isinstance(rec.get("garak_version"), str):
            r.garak_version, r.version_source = rec["garak_version"], "init"
        if isinstance(rec.get("start_time"), str):
            r.start_time = rec["start_time"]
        if isinstance(rec.get("run"), str):
            r.run_ids.add(rec["run"])

    def _completion(self, rec: dict[str, Any], line: int, offset: int) -> None:
        self.r.has_completion = True
        if isinstance(rec.get("end_time"), str):
            self.r.end_time = rec["end_time"]
        # The completion proves *this* run finished only if it names this run: a cut-short
        # report with another run's completion appended must not read as complete.
        if isinstance(rec.get("run"), str):
            self.r.run_ids.add(rec["run"])
        else:
            self.r.problem(
                "unbound_completion",
                f"line {line}: the completion entry names no run, so it cannot prove this run"
                " finished",
                line,
                "all",
            )

    def _plugin_cache(self, rec: dict[str, Any], line: int, offset: int) -> None:
        cache = rec.get("plugin_cache")
        probes = cache.get("probes") if isinstance(cache, dict) else None
        if not isinstance(probes, dict):
            return
        for name, info in probes.items():
            if isinstance(info, dict) and isinstance(info.get("tags"), list):
                tags = [t for t in info["tags"] if isinstance(t, str)]
                self.r.probe_tags[strip_prefix(name, "probes.")] = tags

    def _probe_summary(self, rec: dict[str, Any], line: int, offset: int) -> None:
        probe = rec.get("probe")
        if isinstance(probe, str):
            counts = rec.get("detection_counts")
            self.r.probe_summaries[strip_prefix(probe, "probes.")] = {
                "line": line,
                "detectors": [
                    strip_prefix(d, "detector.")
                    for d in (counts or {}).get("detectors", [])
                    if isinstance(d, str)
                ]
                if isinstance(counts, dict)
                else [],
            }

    def _digest(self, rec: dict[str, Any], line: int, offset: int) -> None:
        r = self.r
        r.has_digest = True
        meta = rec.get("meta")
        version = meta.get("garak_version") if isinstance(meta, dict) else None
        if isinstance(version, str) and r.garak_version is None:
            r.garak_version, r.version_source = version, "digest"
        setup = meta.get("setup") if isinstance(meta, dict) else None
        if isinstance(setup, dict):  # a copy of the start_run setup record
            self.digest_setup = {k: setup[k] for k in SETUP_KEYS if k in setup}
            if isinstance(setup.get("transient.run_id"), str):
                r.run_ids.add(setup["transient.run_id"])
        run_uuid = meta.get("run_uuid") if isinstance(meta, dict) else None
        if isinstance(run_uuid, str):  # the digest, like the completion, belongs to one run
            r.run_ids.add(run_uuid)
        groups = rec.get("eval")
        if not isinstance(groups, dict):
            return
        for group in groups.values():
            if not isinstance(group, dict):
                continue
            for probe, detectors in group.items():
                if probe.startswith("_") or not isinstance(detectors, dict):
                    continue
                for det, info in detectors.items():
                    if det.startswith("_") or not isinstance(info, dict):
                        continue
                    total, passed = _int(info.get("total_evaluated")), _int(info.get("passed"))
                    if total is not None and passed is not None:
                        r.digest_counts[(probe, det)] = (passed, total)

    def _eval(self, rec: dict[str, Any], line: int, offset: int) -> None:
        r = self.r
        probe, detector = rec.get("probe"), rec.get("detector")
        if not isinstance(probe, str) or not probe or not isinstance(detector, str) or not detector:
            p = probe if isinstance(probe, str) and probe else None
            r.problem(
                "bad_eval",
                f"line {line}: eval row without probe/detector names",
                line,
                "probe" if p else "all",
                p,
            )
            return
        probe = strip_prefix(probe, "probes.")
        detector = strip_prefix(strip_prefix(detector, "detectors."), "detector.")
        passed = _int(rec.get("passed"))
        if "total_evaluated" in rec:
            shape = "0.14+"
            total = _int(rec.get("total_evaluated"))
            fails = _int(rec.get("fails"))
            nones = _int(rec.get("nones")) if "nones" in rec else None
            processed = _int(rec.get("total_processed")) if "total_processed" in rec else None
            bad = passed is None or total is None or fails is None
            bad = bad or ("nones" in rec and nones is None)
            bad = bad or ("total_processed" in rec and processed is None)
            if not bad and passed + fails != total:  # type: ignore[operator]
                r.problem(
                    "inconsistent",
                    f"line {line}: {probe} / {detector}: passed {passed} + fails {fails}"
                    f" != total_evaluated {total}",
                    line,
                    "probe",
                    probe,
                )
                return
        elif "total" in rec:
            shape = "pre-0.14"
            total = _int(rec.get("total"))
            bad = passed is None or total is None
            fails = None if bad else total - passed  # type: ignore[operator]
            nones = processed = None
        else:
            r.problem(
                "bad_eval",
                f"line {line}: {probe} / {detector}: eval row has no total_evaluated or total",
                line,
                "probe",
                probe,
            )
            return
        if bad or passed > total or fails is None or fails < 0:  # type: ignore[operator]
            r.problem(
                "bad_eval",
                f"line {line}: {probe} / {detector}: counts are not non-negative whole numbers"
                " with passed <= total",
                line,
                "probe",
                probe,
            )
            return
        ci = None
        if "confidence_lower" in rec or "confidence_upper" in rec:
            ci = {
                "method": rec.get("confidence_method"),
                "confidence": rec.get("confidence"),
                "attack_success_lower": rec.get("confidence_lower"),
                "attack_success_upper": rec.get("confidence_upper"),
            }
        r.evals.append(
            EvalRow(probe, detector, passed, fails, total, nones, processed, shape, line, ci)  # type: ignore[arg-type]
        )
        if r.garak_version is None and shape == "pre-0.14":
            r.version_source = "inferred from the eval shape (passed/total: garak < 0.14)"

    def _hit(self, rec: dict[str, Any], line: int, offset: int) -> None:
        r = self.r
        probe, detector = rec.get("probe"), rec.get("detector")
        if not isinstance(probe, str) or not isinstance(detector, str):
            r.problem("bad_hit", f"line {line}: hitlog entry without probe/detector", line, "all")
            return
        probe = strip_prefix(probe, "probes.")
        detector = strip_prefix(strip_prefix(detector, "detectors."), "detector.")
        r.hits[(probe, detector)] = r.hits.get((probe, detector), 0) + 1
        if isinstance(rec.get("run_id"), str):
            r.run_ids.add(rec["run_id"])
        score = rec.get("score")
        if self.worst_k and isinstance(score, (int, float)) and not isinstance(score, bool):
            heap = r.worst.setdefault(probe, [])
            item = (float(score), -offset, detector)
            if len(heap) < self.worst_k:
                heapq.heappush(heap, item)
            elif item > heap[0]:
                heapq.heapreplace(heap, item)

    # -- after the last line --------------------------------------------------------------
    def finish(self) -> None:
        r = self.r
        if r.lines == 0 or (not self.first_seen and not r.attempts):
            r.kind = "unknown" if r.size else r.kind
            r.problem("empty", "the file holds no garak records" if r.size else "the file is empty")
            r.problem("no_eval", "no eval rows: nothing was evaluated", None, "all")
            return
        if r.kind == "hitlog":
            return
        if r.garak_version is None and any(e.shape == "pre-0.14" for e in r.evals):
            r.garak_version = "<0.14"
        if not (r.has_init or r.has_setup or r.legacy_header):
            r.problem("no_header", "no init or start_run setup entry: not a complete garak report")
        elif r.has_init and not (r.has_setup or r.legacy_header):
            # garak writes its setup record first; the digest keeps a copy of it
            r.problem("no_setup", "the start_run setup entry is missing: the report is damaged")
            if not r.setup and self.digest_setup:
                r.setup = dict(self.digest_setup)
        if len(r.run_ids) > 1:
            r.problem(
                "mixed_runs",
                f"the file mixes {len(r.run_ids)} garak runs (its header, completion or digest"
                " name different runs: a cut-short report with another run's end appended, or"
                " two reports joined); import each complete report on its own",
                None,
                "all",
            )
        if r.has_completion and not r.has_digest and _at_least(r.garak_version, (0, 17)):
            # garak 0.17 writes the digest right after the completion entry; a report that
            # has one without the other was cut or edited after the run.
            r.problem(
                "no_digest",
                f"garak {r.garak_version} writes a digest after the completion entry and this"
                " report has none: it is damaged or was edited",
                None,
                "all",
            )
        if not r.evals:
            r.problem("no_eval", "no eval rows: garak evaluated nothing", None, "all")
        if r.has_digest:
            self._cross_check_digest()

    def _cross_check_digest(self) -> None:
        """garak builds the digest from every eval row, so each row must be in it, with its counts.

        A row the digest does not list (a probe or detector name changed by damage) is as
        suspect as one whose counts differ: its counts cannot be vouched for.
        """
        r = self.r
        have = {(row.probe, row.detector) for row in r.evals}
        for probe, detector in sorted(set(r.digest_counts) - have):
            r.problem(
                "inconsistent",
                f"{probe} / {detector}: the digest lists it but the report has no eval row for"
                " it (a lost row may have been a failing one)",
                None,
                "probe",
                probe,
            )
        for row in r.evals:
            expected = r.digest_counts.get((row.probe, row.detector))
            if expected is None:
                r.problem(
                    "inconsistent",
                    f"{row.probe} / {row.detector}: eval row (line {row.line}) is not in the"
                    " digest, which garak builds from every eval row",
                    row.line,
                    "probe",
                    row.probe,
                )
            elif expected != (row.passed, row.total_evaluated):
                r.problem(
                    "inconsistent",
                    f"{row.probe} / {row.detector}: eval row says {row.passed}/"
                    f"{row.total_evaluated} but the digest says {expected[0]}/{expected[1]}",
                    row.line,
                    "probe",
                    row.probe,
                )


_HANDLERS = {
    "start_run setup": _Reader._setup,
    "start_run args config": _Reader._legacy_setup,
    "init": _Reader._init,
    "completion": _Reader._completion,
    "plugin_cache": _Reader._plugin_cache,
    "probe_summary": _Reader._probe_summary,
    "digest": _Reader._digest,
    "eval": _Reader._eval,
    "payload_init": lambda self, rec, line, offset: None,
    "tree_data": lambda self, rec, line, offset: None,
    "config": lambda self, rec, line, offset: None,  # garak < 0.10 wrote the config this way
}


PARALLEL_MIN_BYTES = 128 << 20
_LINE_IN_MESSAGE = re.compile(r"line \d+")


def _at_least(version: str | None, floor: tuple[int, ...]) -> bool:
    """True when a garak version string (``0.17.1``, ``0.17.1.pre1``) is at least ``floor``."""
    if not version:
        return False
    parts = []
    for piece in version.split(".")[: len(floor)]:
        digits = re.match(r"\d+", piece)
        if digits is None:
            return False
        parts.append(int(digits.group()))
    return tuple(parts) >= floor


def _default_workers(size: int) -> int:
    """Parse parts for a file of ``size`` bytes: a second part only when a third CPU is free.

    The hashing child takes one CPU for the whole read and costs more per byte than the parse,
    so on two CPUs splitting the parse only adds a process competing for the same two cores.
    """
    if size < PARALLEL_MIN_BYTES:
        return 1
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        cpus = os.cpu_count() or 1
    return 2 if cpus >= 3 else 1


def _part_to_json(part: _Reader) -> bytes:
    """A part reader's state as JSON: the hand-off from a forked child is plain data, never code."""
    r = part.r
    report = {f.name: getattr(r, f.name) for f in fields(r)}
    report.update(
        path=str(r.path),
        run_ids=sorted(r.run_ids),
        evals=[asdict(e) for e in r.evals],
        digest_counts=[[*k, *v] for k, v in r.digest_counts.items()],
        hits=[[*k, n] for k, n in r.hits.items()],
        problems=[asdict(x) for x in r.problems],
        examples=[],  # decoded only after the parts are merged
    )
    state = {
        "report": report,
        "line_no": part.line_no,
        "spans": part.spans,
        "first_seen": part.first_seen,
        "digest_setup": part.digest_setup,
    }
    return json.dumps(state).encode("utf-8")


def _part_from_json(part: _Reader, data: bytes) -> None:
    state = json.loads(data)
    raw = state["report"]
    raw.update(
        path=Path(raw["path"]),
        run_ids=set(raw["run_ids"]),
        evals=[EvalRow(**e) for e in raw["evals"]],
        digest_counts={(a, b): (c, d) for a, b, c, d in raw["digest_counts"]},
        hits={(a, b): n for a, b, n in raw["hits"]},
        problems=[Problem(**x) for x in raw["problems"]],
        worst={probe: [tuple(item) for item in heap] for probe, heap in raw["worst"].items()},
        examples=[],
    )
    part.r = Report(**raw)
    part.line_no = state["line_no"]
    part.spans = state["spans"]
    part.first_seen = state["first_seen"]
    part.digest_setup = state["digest_setup"]


def _read_in_parts(reader: _Reader, size: int, parts: int) -> None:
    """Read the first part here and the others in forked children, then merge in order.

    The children only compute and send back their result as JSON through a pipe; one that fails
    for any reason has its range read again here, so the result never depends on the fork.
    """
    path = reader.r.path
    bounds = [0]
    with open(path, "rb") as fh:
        for k in range(1, parts):
            fh.seek(max(bounds[-1], size * k // parts))
            fh.readline()  # to the next line start
            if bounds[-1] < fh.tell() < size:
                bounds.append(fh.tell())
    bounds.append(size)
    children = []
    for start, end in itertools.pairwise(bounds[1:]):
        rfd, wfd = os.pipe()
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the child's own coverage is not collected
            os.close(rfd)
            code = 1
            try:
                part = _Reader(Report(path=path), reader.worst_k)
                part.run(start, end)
                with os.fdopen(wfd, "wb") as out:
                    out.write(_part_to_json(part))
                code = 0
            finally:
                os._exit(code)
        os.close(wfd)
        children.append((pid, rfd, start, end))
    reader.run(0, bounds[1])
    for pid, rfd, start, end in children:
        with os.fdopen(rfd, "rb") as inp:
            data = inp.read()
        _, status = os.waitpid(pid, 0)
        part = _Reader(Report(path=path), reader.worst_k)
        try:
            if os.waitstatus_to_exitcode(status) != 0:
                raise ValueError("child failed")
            _part_from_json(part, data)
        except Exception:
            part = _Reader(Report(path=path), reader.worst_k)
            part.run(start, end)
        reader.absorb(part)


def _looks_like_hit(record: Mapping[str, Any]) -> bool:
    return (
        "detector" in record and "probe" in record and ("attempt_id" in record or "score" in record)
    )


def _probe_of(raw: bytes, kind: str) -> str | None:
    pattern = _PROBE_CLASS if kind == "attempt" else _PROBE
    m = pattern.search(raw)
    if m is None:
        return None
    return strip_prefix(m.group(1).decode("utf-8", "replace"), "probes.")


def cross_check_hitlog(report: Report, hitlog: Report) -> None:
    """A hitlog is garak's list of successful attacks; it must agree with the eval counts.

    More hits than ``fails`` for a pair means the eval rows understate the damage, so that probe
    becomes an error; a hitlog from another run is a report-integrity problem.
    """
    if hitlog.run_ids and report.run_ids and not (hitlog.run_ids & report.run_ids):
        report.problem(
            "hitlog_mismatch",
            f"{hitlog.path.name} is from run {sorted(hitlog.run_ids)[0]}, not from this report's run",
        )
        return
    fails: dict[tuple[str, str], int] = {}
    for row in report.evals:
        fails[(row.probe, row.detector)] = max(fails.get((row.probe, row.detector), 0), row.fails)
    for (probe, detector), hits in sorted(hitlog.hits.items()):
        have = fails.get((probe, detector))
        if have is not None and hits > have:
            report.problem(
                "inconsistent",
                f"{probe} / {detector}: {hitlog.path.name} lists {hits} hit(s) but the eval row"
                f" counts {have} fail(s)",
                None,
                "probe",
                probe,
            )


# --------------------------------------------------------------------------- worst attempts
@dataclass(frozen=True)
class Example:
    probe: str
    detector: str
    score: float
    prompt: str
    outputs: tuple[str, ...]
    triggers: tuple[str, ...]
    goal: str


def worst_attempts(report: Report) -> list[Example]:
    """The worst failing attempts per probe (worst first), decoded when the report was read."""
    return report.examples


def _decode_worst(report: Report) -> Iterator[Example]:
    """Decode the few attempts the reader kept (bounded reads, seeking to their offsets).

    These are the only attempt lines ever decoded, so this is also where a damaged attempt
    line (bad UTF-8, broken JSON) is noticed; it is counted as a report-integrity problem.
    """
    wanted: list[tuple[str, float, int, str]] = []
    for probe, heap in report.worst.items():
        for score, neg_offset, det in sorted(heap, reverse=True):
            wanted.append((probe, score, -neg_offset, det))
    if not wanted:
        return
    with open(report.path, "rb") as fh:
        for probe, score, offset, det in wanted:
            fh.seek(offset)
            raw = fh.readline(MAX_WORST_LINE)
            try:
                rec = json.loads(raw)
            except UnicodeDecodeError as exc:
                report.problem(
                    "invalid_utf8",
                    f"attempt at byte {offset} ({probe}) is not valid UTF-8 (byte {exc.start})",
                )
                continue
            except (ValueError, RecursionError) as exc:
                report.problem(
                    "corrupt", f"attempt at byte {offset} ({probe}) is not valid JSON ({exc})"
                )
                continue
            if isinstance(rec, dict):
                yield _example(rec, probe, det, score, report.kind, report.eval_threshold)


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        if isinstance(value.get("text"), str):
            return value["text"]
        content = value.get("content")
        if isinstance(content, dict) and isinstance(content.get("text"), str):
            return content["text"]
        if isinstance(content, str):
            return content
        turns = value.get("turns")
        if isinstance(turns, list) and turns:
            users = [t for t in turns if isinstance(t, dict) and t.get("role") == "user"]
            return _text((users or turns)[-1])
    return "" if value is None else str(value)


def _example(
    rec: dict[str, Any], probe: str, det: str, score: float, kind: str, threshold: float
) -> Example:
    outputs: tuple[str, ...]
    if kind == "hitlog":
        outputs = (_text(rec.get("output")),)
    else:
        given = rec.get("outputs")
        outs: list[Any] = given if isinstance(given, list) else []
        results = rec.get("detector_results") or {}
        scores = results.get(det) or results.get(f"detector.{det}") or []
        flagged = [
            _text(o)
            for o, s in zip(outs, scores, strict=False)
            if isinstance(s, (int, float)) and s >= threshold
        ]
        outputs = tuple(flagged or [_text(o) for o in outs[:1]])
    given_notes = rec.get("notes")
    notes: dict[str, Any] = given_notes if isinstance(given_notes, dict) else {}
    triggers = rec.get("triggers") if kind == "hitlog" else notes.get("triggers")
    return Example(
        probe=probe,
        detector=det,
        score=score,
        prompt=_text(rec.get("prompt"))[:MAX_EXAMPLE_TEXT],
        outputs=tuple(o[:MAX_EXAMPLE_TEXT] for o in outputs[:5]),
        triggers=tuple(str(t)[:MAX_EXAMPLE_TEXT] for t in triggers[:5])
        if isinstance(triggers, list)
        else (),
        goal=str(rec.get("goal") or "")[:MAX_EXAMPLE_TEXT],
    )
