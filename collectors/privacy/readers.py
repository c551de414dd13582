"""Read a sample of rows from CSV, JSON Lines or Parquet as {column: text} without pandas.

Rows are sampled by reservoir (seeded, so a run is reproducible) over the whole file, because the
first rows of a dataset are often the cleanest. CSV and JSONL use only the standard library;
Parquet needs pyarrow and reads only the sampled rows.
"""

from __future__ import annotations

import csv
import json
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

MAX_FIELD = 1 << 20
MAX_LINE = 16 << 20
MAX_NESTING = 3


class DataError(ValueError):
    """The data file cannot be read as its format; the message names the file and line."""


class MissingTool(RuntimeError):
    """Reading this format needs an optional package that is not installed."""


@dataclass
class Sample:
    columns: list[str]
    rows: list[dict[str, str]]
    total_rows: int
    ragged_rows: int = 0
    notes: list[str] = field(default_factory=list)


def read_sample(path: Path, display: str, n: int, seed: int = 0, mode: str = "random") -> Sample:
    ext = path.suffix.lower()
    if ext in (".csv", ".tsv"):
        return _csv(path, display, n, seed, mode, "\t" if ext == ".tsv" else ",")
    if ext in (".jsonl", ".ndjson"):
        return _jsonl(path, display, n, seed, mode)
    if ext == ".parquet":
        return _parquet(path, display, n, seed, mode)
    raise DataError(
        f"{display}: unsupported data format {ext!r} (csv, tsv, jsonl, ndjson, parquet)"
    )


class _Reservoir:
    def __init__(self, n: int, seed: int, mode: str) -> None:
        self.n = n
        self.mode = mode
        self.rng = random.Random(seed)
        self.items: list[Any] = []
        self.seen = 0

    def offer(self, item: Any) -> bool:
        """Add an item; False once a head sample is full (the caller may stop reading)."""
        self.seen += 1
        if len(self.items) < self.n:
            self.items.append(item)
        elif self.mode == "head":
            self.seen -= 1
            return False
        else:
            j = self.rng.randrange(self.seen)
            if j < self.n:
                self.items[j] = item
        return True


def _lines(fh: Any, display: str) -> Iterator[str]:
    """Text lines from a binary file; junk is refused with the exact line it was found on."""
    line_no = 0
    while raw := fh.readline(MAX_LINE + 1):
        line_no += 1
        if len(raw) > MAX_LINE:
            raise DataError(f"{display}:{line_no}: line longer than {MAX_LINE} bytes")
        if b"\x00" in raw:
            raise DataError(f"{display}:{line_no}: binary data (NUL byte) where text was expected")
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise DataError(f"{display}:{line_no}: not UTF-8 text ({exc.reason})") from None
        yield text.removeprefix("\ufeff") if line_no == 1 else text


def _csv(path: Path, display: str, n: int, seed: int, mode: str, delimiter: str) -> Sample:
    csv.field_size_limit(MAX_FIELD)
    reservoir = _Reservoir(n, seed, mode)
    ragged = 0
    with open(path, "rb") as fh:
        reader = csv.reader(_lines(fh, display), delimiter=delimiter)
        try:
            header = next(reader, None)
            if not header or not any(h.strip() for h in header):
                raise DataError(f"{display}:1: no header row")
            columns = [h.strip() for h in header]
            for row in reader:
                if len(row) != len(columns):
                    ragged += 1
                if not reservoir.offer(dict(zip(columns, row, strict=False))):
                    break
        except csv.Error as exc:
            raise DataError(f"{display}:{reader.line_num}: malformed CSV: {exc}") from None
    return Sample(columns, reservoir.items, reservoir.seen, ragged)


def _jsonl(path: Path, display: str, n: int, seed: int, mode: str) -> Sample:
    reservoir = _Reservoir(n, seed, mode)
    columns: dict[str, None] = {}
    with open(path, "rb") as fh:
        for line_no, line in enumerate(_lines(fh, display), start=1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                raise DataError(f"{display}:{line_no}: invalid JSON: {exc.msg}") from None
            except RecursionError:
                raise DataError(f"{display}:{line_no}: JSON nested too deeply") from None
            if not isinstance(obj, dict):
                raise DataError(f"{display}:{line_no}: each line must be a JSON object")
            row = dict(_flatten(obj, ""))
            for key in row:
                columns.setdefault(key, None)
            if not reservoir.offer(row):
                break
    return Sample(list(columns), reservoir.items, reservoir.seen)


def _flatten(obj: dict[str, Any], prefix: str, depth: int = 0) -> Iterator[tuple[str, str]]:
    for key, value in obj.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and depth < MAX_NESTING:
            yield from _flatten(value, name + ".", depth + 1)
        elif isinstance(value, str):
            yield name, value
        elif value is None:
            yield name, ""
        else:
            yield name, json.dumps(value, ensure_ascii=False)


def _parquet(path: Path, display: str, n: int, seed: int, mode: str) -> Sample:
    try:
        import pyarrow.parquet as pq
    except ImportError:
        raise MissingTool("reading Parquet needs pyarrow: pip install 'aima-ci[privacy]'") from None
    try:
        pf = pq.ParquetFile(path)
        total = pf.metadata.num_rows
        columns = list(pf.schema_arrow.names)
        k = min(n, total)
        if mode == "head":
            wanted = set(range(k))
        else:
            wanted = set(random.Random(seed).sample(range(total), k))
        rows: list[dict[str, str]] = []
        offset = 0
        for batch in pf.iter_batches(batch_size=65536):
            size = batch.num_rows
            picks = sorted(i - offset for i in wanted if offset <= i < offset + size)
            if picks:
                for rec in batch.take(picks).to_pylist():
                    rows.append({c: _text(v) for c, v in rec.items()})
            offset += size
            if len(rows) >= k:
                break
    except (OSError, ValueError) as exc:  # pyarrow's errors derive from these
        raise DataError(f"{display}: unreadable Parquet: {exc}") from None
    return Sample(columns, rows, total)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, (bytes, bytearray)):
        return value.decode("utf-8", "replace")
    return json.dumps(value, ensure_ascii=False, default=str)
