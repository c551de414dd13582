"""Decide what a model file is (by its bytes, not only its name) and inspect it without loading it.

Formats and what "unsafe" means for each:
- pickle family (.pkl .pickle .joblib .dat, legacy .pt/.bin, compressed joblib): any import that
  is not on the allowlist (pickle_scan).
- zip archives (.pt .pth .bin .ckpt from torch.save): every ``*.pkl`` member is a pickle.
- .skops: the schema's types, via ``skops.io.get_untrusted_types`` when skops is installed,
  otherwise the same walk over ``schema.json`` done here.
- .keras (zip) / .h5: Lambda layers carry marshalled Python bytecode.
- .safetensors, .onnx, .gguf: no code-executing serialisation; the header is sanity-checked.
"""

from __future__ import annotations

import bz2
import io
import json
import lzma
import re
import struct
import zipfile
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from aima_ci.safety.modeldecl import PICKLE_SUFFIXES

from .pickle_scan import PickleFormatError, ScanResult, classify, scan_pickle

# The one definition of pickle-based suffixes, shared with the model loaders (aima_ci.safety.modeldecl).
PICKLE_EXTS = frozenset(PICKLE_SUFFIXES)
TORCH_EXTS = frozenset({".pt", ".pth", ".bin", ".ckpt"})
MODEL_PATTERNS = (
    "**/*.pkl",
    "**/*.pickle",
    "**/*.joblib",
    "**/*.pt",
    "**/*.pth",
    "**/*.bin",
    "**/*.ckpt",
    "**/*.skops",
    "**/*.safetensors",
    "**/*.onnx",
    "**/*.keras",
    "**/*.h5",
    "**/*.gguf",
)
TORCH_LEGACY_MAGIC = 0x1950A86A20F9469CFC6C
MAX_ZIP_MEMBERS = 10_000
MAX_CHAINED_PICKLES = 64
_LAMBDA = re.compile(rb'"class_name"\s*:\s*"Lambda"')
_SKOPS_TRUSTED_TOPS = frozenset({"builtins", "numpy", "scipy", "sklearn", "collections"})


@dataclass
class FileReport:
    """What one model file holds and whether loading it could run code."""

    path: str
    format: str
    status: str  # pass, fail, error, not_applicable
    message: str
    scan: ScanResult | None = None
    untrusted: list[str] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def is_model(self) -> bool:
        """A .bin that turned out not to be pickle-based is not treated as a model file."""
        return self.status != "not_applicable"

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "path": self.path,
            "format": self.format,
            "status": self.status,
            "message": self.message,
            **self.details,
        }
        if self.scan is not None:
            out["pickle"] = self.scan.summary()
        if self.untrusted:
            out["untrusted_types"] = self.untrusted
        return out


def inspect_file(
    path: Path, display: str, allow: tuple[str, ...], max_bytes: int, skops_engine: str = "auto"
) -> FileReport:
    """Inspect one file; every failure to understand it is an ``error`` report, never a pass."""
    size = path.stat().st_size
    if size > max_bytes:
        return FileReport(
            display,
            "unknown",
            "error",
            f"{display}: {size} bytes is over the {max_bytes}-byte scan limit (max_file_mb)",
        )
    ext = path.suffix.lower()
    try:
        with open(path, "rb") as fh:
            head = fh.read(8)
            fh.seek(0)
            if ext == ".safetensors":
                return _safetensors(fh, display, size)
            if ext == ".gguf":
                return _gguf(head, display)
            if ext == ".onnx":
                return FileReport(
                    display, "onnx", "pass", "ONNX protobuf: no code-executing serialisation"
                )
            if ext == ".h5":
                return _h5(fh, display)
            if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
                return _zip(path, display, ext, allow, max_bytes, skops_engine)
            stream, compression = _decompressed(fh, head, max_bytes, display)
            if ext == ".bin" and not compression and not _looks_like_pickle(head):
                return FileReport(
                    display, "binary", "not_applicable", "not pickle-based (no pickle header)"
                )
            result = _scan_stream(stream, allow)
            fmt = "joblib" if result.joblib_arrays or ext == ".joblib" else "pickle"
            if result.value == TORCH_LEGACY_MAGIC:
                fmt = "torch-legacy"
            report = _verdict(display, fmt, result)
            if compression:
                report.details["compression"] = compression
            return report
    except PickleFormatError as exc:
        return FileReport(display, "pickle", "error", f"{display}: malformed pickle: {exc}")
    except (zipfile.BadZipFile, zipfile.LargeZipFile) as exc:
        return FileReport(display, "zip", "error", f"{display}: malformed zip archive: {exc}")
    except _Refused as exc:
        return FileReport(display, exc.fmt, "error", f"{display}: {exc}")
    except (OSError, EOFError, lzma.LZMAError, zlib.error) as exc:
        return FileReport(display, "unknown", "error", f"{display}: cannot be read: {exc}")


class _Refused(ValueError):
    def __init__(self, fmt: str, message: str) -> None:
        super().__init__(message)
        self.fmt = fmt


def _looks_like_pickle(head: bytes) -> bool:
    return len(head) >= 2 and head[0] == 0x80 and 2 <= head[1] <= 5


def _verdict(display: str, fmt: str, result: ScanResult) -> FileReport:
    if not result.issues:
        n = len(result.globals)
        return FileReport(
            display,
            fmt,
            "pass",
            f"{display}: {fmt} imports only allowlisted globals ({n})",
            scan=result,
        )
    refs = sorted({i.ref for i in result.issues if i.ref})
    kinds = sorted({i.kind for i in result.issues if not i.ref})
    what = ", ".join(refs + kinds)
    lead = "loading it would run code from" if result.dangerous else "it imports"
    return FileReport(display, fmt, "fail", f"{display}: unsafe {fmt}: {lead} {what}", scan=result)


def _scan_stream(stream: IO[bytes], allow: tuple[str, ...]) -> ScanResult:
    """Scan consecutive pickles (torch's legacy format writes five) until the data stops."""
    total = scan_pickle(stream, allow)
    if total.value == TORCH_LEGACY_MAGIC:
        for _ in range(4):  # protocol version, sys info, the object, storage keys; then raw data
            total.merge(scan_pickle(stream, allow))
        return total
    for _ in range(MAX_CHAINED_PICKLES):
        nxt = stream.read(2)
        if not nxt:
            return total
        stream.seek(-len(nxt), io.SEEK_CUR)
        if not _looks_like_pickle(nxt):
            raise PickleFormatError("data after the pickle's STOP is not another pickle")
        total.merge(scan_pickle(stream, allow))
    raise PickleFormatError(f"more than {MAX_CHAINED_PICKLES} pickles in one file")


def _decompressed(
    fh: IO[bytes], head: bytes, max_bytes: int, display: str
) -> tuple[IO[bytes], str | None]:
    """joblib's compressed dumps: decompress in memory, bounded, so a bomb cannot fill the disk."""
    obj: Any  # zlib, bz2 and lzma decompressors share decompress()/eof but no declared type
    if head.startswith(b"\x1f\x8b"):
        kind, obj = "gzip", zlib.decompressobj(16 + zlib.MAX_WBITS)
    elif len(head) >= 2 and head[0] == 0x78 and head[1] in (0x01, 0x5E, 0x9C, 0xDA):
        kind, obj = "zlib", zlib.decompressobj()
    elif head.startswith(b"BZh"):
        kind, obj = "bz2", bz2.BZ2Decompressor()
    elif head.startswith(b"\xfd7zXZ\x00"):
        kind, obj = "xz", lzma.LZMADecompressor()
    elif head.startswith(b"\x04\x22\x4d\x18"):
        raise _Refused("lz4", "lz4-compressed file: not supported by the scanner")
    elif head.startswith(b"ZF0x"):
        raise _Refused("joblib", "joblib < 0.10 compressed format: not supported by the scanner")
    else:
        return fh, None
    out = io.BytesIO()
    while block := fh.read(1 << 20):
        out.write(obj.decompress(block, max(1, max_bytes - out.tell() + 1)))
        if out.tell() > max_bytes:
            raise _Refused(kind, f"decompresses to more than {max_bytes} bytes (max_file_mb)")
    out.seek(0)
    return out, kind


def _zip(
    path: Path, display: str, ext: str, allow: tuple[str, ...], max_bytes: int, skops_engine: str
) -> FileReport:
    with zipfile.ZipFile(path) as zf:
        infos = zf.infolist()
        if len(infos) > MAX_ZIP_MEMBERS:
            raise _Refused("zip", f"{len(infos)} archive members is over {MAX_ZIP_MEMBERS}")
        total = sum(i.file_size for i in infos)
        if total > max_bytes * 4:
            raise _Refused("zip", f"archive expands to {total} bytes (max_file_mb)")
        if ext == ".skops":
            return _skops(path, zf, display, allow, max_bytes, skops_engine)
        if ext == ".keras":
            return _keras(zf, display, max_bytes)
        members = [i for i in infos if i.filename.endswith(".pkl") and not i.is_dir()]
        if not members:
            return FileReport(
                display, "zip", "pass", f"{display}: zip archive with no pickle inside"
            )
        result = ScanResult()
        for info in members:
            data = _read_member(zf, info, max_bytes)
            try:
                result.merge(_scan_stream(io.BytesIO(data), allow))
            except PickleFormatError as exc:
                raise PickleFormatError(f"{info.filename}: {exc}") from None
        fmt = "torch-zip" if any(m.filename.endswith("data.pkl") for m in members) else "zip"
        report = _verdict(display, fmt, result)
        report.details["members"] = [m.filename for m in members][:50]
        return report


def _read_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo, max_bytes: int) -> bytes:
    if info.file_size > max_bytes:
        raise _Refused("zip", f"member {info.filename} is over the scan limit")
    with zf.open(info) as fh:
        data = fh.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise _Refused("zip", f"member {info.filename} is over the scan limit")
    return data


def _skops(
    path: Path,
    zf: zipfile.ZipFile,
    display: str,
    allow: tuple[str, ...],
    max_bytes: int,
    engine: str,
) -> FileReport:
    """Types a skops file would instantiate; skops' own trust list decides when it is used.

    Importing skops pulls in scikit-learn (seconds), so ``skops_engine: builtin`` uses the schema
    walk alone: builtins, numpy, scipy and scikit-learn types are trusted, anything else is not.
    """
    try:
        schema = json.loads(_read_member(zf, zf.getinfo("schema.json"), max_bytes))
    except KeyError:
        raise _Refused("skops", "no schema.json: not a skops file") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise _Refused("skops", f"schema.json is not valid JSON: {exc}") from None
    except RecursionError:
        raise _Refused("skops", "schema.json nested too deeply") from None
    types = sorted(set(_schema_types(schema)))
    untrusted = [
        t
        for t in types
        if not (t.split(".", 1)[0] in _SKOPS_TRUSTED_TOPS and classify(t) != "dangerous")
    ]
    used = "aima-ci schema walk"
    if engine != "builtin" and (engine == "skops" or _have_skops()):
        try:
            from skops.io import get_untrusted_types
        except ImportError:
            raise _Refused("skops", "skops_engine: skops, but skops is not installed") from None
        used = "skops.io.get_untrusted_types"
        try:
            untrusted = list(get_untrusted_types(file=str(path)))
        except Exception as exc:  # skops rejects a malformed archive: that is an error, not a pass
            raise _Refused("skops", f"skops could not read the schema: {exc}") from None
        untrusted += [t for t in types if classify(t) == "dangerous" and t not in untrusted]
    remaining = sorted(
        t for t in set(untrusted) if classify(t) == "dangerous" or classify(t, allow) != "safe"
    )
    details = {"types": len(types), "engine": used}
    if remaining:
        dangerous = [t for t in remaining if classify(t) == "dangerous"]
        lead = "loading it would call" if dangerous else "untrusted types"
        return FileReport(
            display,
            "skops",
            "fail",
            f"{display}: unsafe skops: {lead} {', '.join(remaining)}",
            untrusted=remaining,
            details=details,
        )
    return FileReport(
        display,
        "skops",
        "pass",
        f"{display}: skops file with only trusted types ({len(types)})",
        details=details,
    )


def _have_skops() -> bool:
    import importlib.util

    return importlib.util.find_spec("skops") is not None


def _schema_types(node: Any, depth: int = 0) -> Iterable[str]:
    if depth > 200:
        raise _Refused("skops", "schema.json nested too deeply")
    if isinstance(node, dict):
        module, cls = node.get("__module__"), node.get("__class__")
        if isinstance(module, str) and isinstance(cls, str):
            yield f"{module}.{cls}"
        for value in node.values():
            yield from _schema_types(value, depth + 1)
    elif isinstance(node, list):
        for value in node:
            yield from _schema_types(value, depth + 1)


def _keras(zf: zipfile.ZipFile, display: str, max_bytes: int) -> FileReport:
    try:
        data = _read_member(zf, zf.getinfo("config.json"), max_bytes)
    except KeyError:
        raise _Refused("keras", "no config.json: not a Keras v3 file") from None
    if _LAMBDA.search(data):
        return FileReport(
            display, "keras", "fail", f"{display}: Keras Lambda layer (marshalled Python code)"
        )
    return FileReport(display, "keras", "pass", f"{display}: Keras file without Lambda layers")


def _h5(fh: IO[bytes], display: str) -> FileReport:
    if not fh.read(8).startswith(b"\x89HDF\r\n\x1a\n"):
        raise _Refused("h5", "not an HDF5 file")
    if _search(fh, _LAMBDA):
        return FileReport(
            display, "h5", "fail", f"{display}: Keras Lambda layer (marshalled Python code)"
        )
    return FileReport(display, "h5", "pass", f"{display}: HDF5 model config holds no Lambda layer")


def _search(fh: IO[bytes], pattern: re.Pattern[bytes]) -> bool:
    """Search a large file in blocks, overlapping so a match across a block edge is found."""
    tail = b""
    while block := fh.read(1 << 20):
        window = tail + block
        if pattern.search(window):
            return True
        tail = window[-256:]
    return False


def _safetensors(fh: IO[bytes], display: str, size: int) -> FileReport:
    raw = fh.read(8)
    if len(raw) != 8:
        raise _Refused("safetensors", "truncated header")
    (length,) = struct.unpack("<Q", raw)
    if length > min(size - 8, 100 << 20):
        raise _Refused("safetensors", f"header length {length} is larger than the file")
    try:
        header = json.loads(fh.read(length))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise _Refused("safetensors", f"header is not valid JSON: {type(exc).__name__}") from None
    if not isinstance(header, dict):
        raise _Refused("safetensors", "header is not a JSON object")
    tensors = [k for k in header if k != "__metadata__"]
    return FileReport(
        display,
        "safetensors",
        "pass",
        f"{display}: safetensors ({len(tensors)} tensors): no code-executing serialisation",
    )


def _gguf(head: bytes, display: str) -> FileReport:
    if not head.startswith(b"GGUF"):
        raise _Refused("gguf", "missing GGUF magic")
    return FileReport(display, "gguf", "pass", f"{display}: GGUF: no code-executing serialisation")
