"""Keep secrets out of every output: values of credential-like environment variables, common key
formats and passwords in URLs are replaced by a marker that says what kind of thing was removed.

Two properties beyond "find the value":
- Escape-aware: a value holding ``"``, ``\\``, ``<`` or ``&`` reaches an artefact JSON-, XML- or
  URL-escaped, so each value is looked for in those spellings too.
- Evidence-preserving: a short value that happens to occur inside a SHA-256 digest or a UUID is
  a coincidence, not a leak; rewriting it would corrupt the evidence (a subject digest that no
  longer verifies), so occurrences strictly inside such a token are left alone.

Speed: one combined pattern of every literal a secret can start with (key-format prefixes, the
configured values in all spellings, ``://``) is searched first; a string without a hit - almost
every string in a finding, and a whole HTML report without credentials - costs one C-level scan.
Only the kinds whose literal occurs are then applied, in the same order as always (values
longest first, then the key formats one after another), so results do not depend on the speed-up.
"""

from __future__ import annotations

import functools
import json
import os
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, BinaryIO

SECRET_NAME = re.compile(
    r"(KEY|TOKEN|SECRET|PASSW(OR)?D|CREDENTIAL|AUTH|COOKIE|SESSION|PRIVATE)", re.I
)
MIN_SECRET_LEN = 6
SNIFF = 8192
BLOCK = 8 << 20
# The key formats as other code looks for them (``KEY_PATTERNS``: name and compiled pattern).
# Compiled on first use (module ``__getattr__``), like every pattern below: compiling the
# module's twenty patterns cost every ``aima-ci score`` start about 10 ms, and a string with
# none of the literals in ``_ANCHORS`` never needs one of them.
_KEY_SOURCES: tuple[tuple[str, str], ...] = (
    ("openai-key", r"\bsk-(?:proj-|ant-)?[A-Za-z0-9_\-]{16,}"),
    ("github-token", r"\b(?:ghp|gho|ghu|ghs|ghr|github_pat)_[A-Za-z0-9_]{20,}"),
    ("aws-access-key", r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"),
    ("slack-token", r"\bxox[abprs]-[A-Za-z0-9-]{10,}"),
    ("huggingface-token", r"\bhf_[A-Za-z0-9]{20,}"),
    ("google-api-key", r"\bAIza[0-9A-Za-z_\-]{35}"),
    ("bearer-token", r"(?i)\bbearer\s+[A-Za-z0-9._~+/=\-]{16,}"),
    ("private-key", r"-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----"),
)
# A URL's userinfo with a password (``scheme://user:password@host``) or a token-sized user name:
# credentials by construction, whatever the variable they came from. JSON may escape the slashes.
URL_USERINFO = "url-userinfo"
_USERINFO = (
    r"(?P<pre>://|:\\/\\/)"
    r"(?P<ui>[^\s/?#@:\"'<>\\\[\]]+:[^\s/?#@\"'<>\\\[\]]*|[^\s/?#@:\"'<>\\\[\]]{16,})@"
)


def __getattr__(name: str) -> Any:
    """``KEY_PATTERNS``, compiled when first imported or read (PEP 562), then kept."""
    if name == "KEY_PATTERNS":
        patterns = tuple((kind, _compiled(source)) for kind, source in _KEY_SOURCES)
        globals()["KEY_PATTERNS"] = patterns
        return patterns
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


@functools.cache
def _compiled(source: str) -> re.Pattern[str]:
    return re.compile(source)


class _Kind:
    """One key format as applied here. The pattern is written to start with a literal, so the
    regex engine can jump to it, with today's leading ``\\b`` expressed as a look-behind placed
    after that literal (same matches, a fraction of the time); it is compiled when a text first
    needs it. ``anchors`` are the ASCII literals one of which every match contains, for the
    byte-level prefilter of large texts."""

    __slots__ = ("anchors", "fold", "literals", "name", "replacement", "source")

    def __init__(
        self,
        name: str,
        source: str,
        anchors: tuple[bytes, ...],
        replacement: str = "",
        fold: bool = False,  # anchors are lower-case and matched against the lower-cased text
    ) -> None:
        self.name, self.source, self.anchors = name, source, anchors
        self.replacement, self.fold = replacement, fold
        self.literals = tuple(anchor.decode("ascii") for anchor in anchors)

    @property
    def pattern(self) -> re.Pattern[str]:
        return _compiled(self.source)

    @property
    def prefilter(self) -> re.Pattern[bytes]:
        return _prefilter(self.anchors)

    def sub(self, text: str) -> tuple[str, int]:
        return self.pattern.subn(self.replacement or f"[REDACTED:{self.name}]", text)


@functools.cache
def _prefilter(anchors: tuple[bytes, ...]) -> re.Pattern[bytes]:
    return re.compile(b"|".join(re.escape(a) for a in anchors))


_KINDS: tuple[_Kind, ...] = (
    _Kind("openai-key", r"sk-(?<!\wsk-)(?:proj-|ant-)?[A-Za-z0-9_\-]{16,}", (b"sk-",)),
    _Kind(
        "github-token",
        r"g(?:h[pousr]_(?<!\wgh._)|ithub_pat_(?<!\wgithub_pat_))[A-Za-z0-9_]{20,}",
        (b"ghp_", b"gho_", b"ghu_", b"ghs_", b"ghr_", b"github_pat_"),
    ),
    _Kind("aws-access-key", r"A[KS]IA(?<!\wA[KS]IA)[0-9A-Z]{16}\b", (b"AKIA", b"ASIA")),
    _Kind("slack-token", r"xox[abprs]-(?<!\wxox[abprs]-)[A-Za-z0-9-]{10,}", (b"xox",)),
    _Kind("huggingface-token", r"hf_(?<!\whf_)[A-Za-z0-9]{20,}", (b"hf_",)),
    _Kind("google-api-key", r"AIza(?<!\wAIza)[0-9A-Za-z_\-]{35}", (b"AIza",)),
    _Kind(
        "bearer-token",
        r"(?i)bearer(?<!\wbearer)\s+[A-Za-z0-9._~+/=\-]{16,}",
        (b"bearer",),
        fold=True,
    ),
    _Kind("private-key", _KEY_SOURCES[-1][1], (b"-----BEGIN ",)),
    _Kind(
        URL_USERINFO,
        _USERINFO,
        (b"://", b":\\/\\/"),
        replacement=r"\g<pre>[REDACTED:url-userinfo]@",
    ),
)
# For short strings (nearly every string of a finding): one scan for any literal a match needs.
_SMALL = 4096
# Up to this size a text is searched for each format's literals before the format is applied.
_LITERAL_CHECK = 256 << 10
_ANCHORS = (
    "sk-",
    "ghp_",
    "gho_",
    "ghu_",
    "ghs_",
    "ghr_",
    "github_pat_",
    "AKIA",
    "ASIA",
    "xox",
    "hf_",
    "AIza",
    "[Bb][Ee][Aa][Rr][Ee][Rr]",
    "-----BEGIN ",
    "://",
    r":\\/\\/",
)
_HEX_RUN = r"[0-9a-fA-F]{32,}"  # a digest: SHA-1 and up, MD5
_UUID = (
    r"(?<![0-9a-fA-F-])[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
    r"(?![0-9a-fA-F-])"
)
_HEXDIGITS = frozenset("0123456789abcdefABCDEF")  # string.hexdigits, without its import


def secret_env_values(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """Values (long enough to be meaningful) of variables whose names look like credentials."""
    env = os.environ if environ is None else environ
    return {
        value: name
        for name, value in env.items()
        if SECRET_NAME.search(name) and isinstance(value, str) and len(value) >= MIN_SECRET_LEN
    }


def named_env_values(
    configs: Iterable[Mapping[str, Any]], environ: Mapping[str, str] | None = None
) -> dict[str, str]:
    """Values of variables a config names through ``*_env`` keys (e.g. ``api_key_env: MY_VAR``):
    they are secrets by declaration, whatever the variable is called."""
    env = os.environ if environ is None else environ
    out: dict[str, str] = {}
    for config in configs:
        for key, name in config.items():
            if str(key).endswith("_env") and isinstance(name, str):
                value = env.get(name)
                if value and len(value) >= MIN_SECRET_LEN:
                    out[value] = name
    return out


def _html_escape(value: str, quote: bool) -> str:
    """``html.escape``, without importing the html package (its entity table) on every start."""
    value = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    if quote:
        value = value.replace('"', "&quot;").replace("'", "&#x27;")
    return value


def spellings(value: str) -> list[str]:
    """The value as it can appear in an artefact: raw, JSON-escaped (once and twice, ASCII or
    not), XML/HTML-escaped and percent-encoded. Only the spellings that differ are returned
    after the raw one."""
    from urllib.parse import quote, quote_plus

    forms = [value]
    for once in (json.dumps(value)[1:-1], json.dumps(value, ensure_ascii=False)[1:-1]):
        forms += [once, json.dumps(once)[1:-1]]
    escaped = _html_escape(value, quote=True)
    forms += [
        escaped,
        escaped.replace("&#x27;", "&apos;"),
        escaped.replace("&#x27;", "&#39;").replace("&quot;", "&#34;"),
        _html_escape(value, quote=False),
        quote(value, safe=""),
        quote_plus(value, safe=""),
    ]
    return list(dict.fromkeys(forms))


def without_userinfo(url: str) -> str:
    """The URL with any ``user:password@`` removed, for messages that name where data went."""
    from urllib.parse import urlsplit, urlunsplit

    try:
        parts = urlsplit(url)
    except ValueError:
        return Redactor(environ={}).text(url)
    if "@" not in parts.netloc:
        return url
    return urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2]))


class Redactor:
    def __init__(
        self, environ: Mapping[str, str] | None = None, extra: Mapping[str, str] | None = None
    ):
        values = secret_env_values(environ)
        values.update(extra or {})
        # Every spelling of every value, longest first, so a secret containing another is
        # removed whole (the raw value wins a tie with another variable's escaped spelling).
        forms: dict[str, str] = {}
        for value, name in sorted(values.items(), key=lambda kv: -len(kv[0])):
            for form in spellings(value):
                forms.setdefault(form, name)
        self._values = sorted(forms.items(), key=lambda kv: -len(kv[0]))
        literals = [re.escape(v) for v, _ in self._values] + list(_ANCHORS)
        self._any = re.compile("|".join(literals))
        self.removed: dict[str, int] = {}

    def text(self, text: str) -> str:
        if not text:
            return text
        if len(text) <= _SMALL:
            if self._any.search(text) is None:
                return text
            return self._apply(text, self._values, _KINDS)
        return self._apply_if(text)

    def _apply_if(self, text: str, raw: bytes | None = None) -> str:
        """Apply the values that occur and every key format, except that a case-insensitive
        format runs only if its literal occurs in the lower-cased bytes (``raw`` is ``text``
        encoded, when the caller has it): a regex with a literal prefix scans 4 MB in a few
        milliseconds, a case-insensitive one in a hundred."""
        values = [pair for pair in self._values if pair[0] in text]
        lowered: bytes | None = None
        kinds = []
        for kind in _KINDS:  # in their order: a later format must not pre-empt an earlier one
            if kind.fold:
                if lowered is None:
                    encoded = raw if raw is not None else text.encode("utf-8", "surrogateescape")
                    lowered = encoded.lower()
                if not kind.prefilter.search(lowered):
                    continue
            elif len(text) <= _LITERAL_CHECK and not any(lit in text for lit in kind.literals):
                # None of the literals every match contains: skip the format, never compile it
                # (a 50 KB assessment). On megabytes the regex's own literal scan is cheaper.
                continue
            kinds.append(kind)
        return self._apply(text, values, kinds)

    def _apply(self, text: str, values: Iterable[tuple[str, str]], kinds: Iterable[_Kind]) -> str:
        for value, name in values:
            if value in text:
                text, n = _replace_value(text, value, f"[REDACTED:env:{name}]")
                if n:
                    self._count(f"env:{name}", n)
        for kind in kinds:
            text, n = kind.sub(text)
            if n:
                self._count(kind.name, n)
        return text

    def _count(self, kind: str, n: int) -> None:
        self.removed[kind] = self.removed.get(kind, 0) + n

    def data(self, value: Any) -> Any:
        """Redact every string inside JSON-like data."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, Mapping):
            return {
                self.data(k) if isinstance(k, str) else k: self.data(v) for k, v in value.items()
            }
        if isinstance(value, (list, tuple)):
            return [self.data(v) for v in value]
        return value

    def json_data(self, value: Any) -> Any:
        """Like ``data`` for JSON-shaped data, in one pass over its serialised text instead of a
        call per string (a 10,000-finding assessment holds some 150,000 strings): values are
        also looked for in their JSON-escaped spellings, so nothing escapes that ``data`` would
        catch. Unchanged data is returned as is; if a match ever spanned two strings and broke
        the JSON, the per-string walk decides instead."""
        serialised = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
        before = dict(self.removed)
        clean = self.text(serialised)
        if clean == serialised:
            return value
        try:
            return json.loads(clean)
        except ValueError:
            self.removed = before
            return self.data(value)

    def file(self, path: Path) -> bool:
        """Redact a text file in place (temp file + rename); True if it was rewritten.

        For artefacts a tool wrote itself (a copied report, a log): they reach the evidence
        without passing through a finding. Binary files (a NUL in the first 8 KiB: images,
        archives, models) are left alone, as rewriting them would corrupt them. The file is
        read in large blocks cut at line ends; a file with nothing to redact is only read, and
        a temporary copy is started at the first block that changes.
        """
        from aima_ci.safety.atomic import write_staged

        with open(path, "rb") as src:
            if b"\x00" in src.read(SNIFF):
                return False
            src.seek(0)
            done = 0  # bytes before the first block that redaction changes
            for block in _blocks(src):
                line = block.decode("utf-8", "surrogateescape")
                first = self._apply_if(line, block)
                if first is not line and first != line:
                    break
                done += len(block)
            else:
                return False
        skip = done + len(block)  # that block is redacted already: write it, go on after it

        def rewrite(out: BinaryIO) -> bool:
            with open(path, "rb") as src:
                _copy_prefix(src, out, done)
                out.write(first.encode("utf-8", "surrogateescape"))
                src.seek(skip)
                for block in _blocks(src):
                    line = block.decode("utf-8", "surrogateescape")
                    out.write(self._apply_if(line, block).encode("utf-8", "surrogateescape"))
            return True

        return write_staged(path, rewrite)

    def note(self) -> dict[str, int]:
        """What kind of thing was removed and how often (never the value)."""
        return dict(sorted(self.removed.items()))


def _replace_value(text: str, value: str, marker: str) -> tuple[str, int]:
    """``text.replace(value, marker)``, except inside a digest or UUID when the value is made of
    hex digits: there an occurrence is a coincidence, and rewriting it corrupts the evidence."""
    if not set(value) <= _HEXDIGITS | {"-"}:
        return text.replace(value, marker), text.count(value)
    if "-" in value:  # rare: fall back to checking each occurrence
        return _replace_checked(text, value, marker)
    spans = _digest_spans(text)
    if not spans:
        return text.replace(value, marker), text.count(value)
    out: list[str] = []
    last = n = 0
    for start, end in spans:
        gap = text[last:start]
        count = gap.count(value)
        out.append(gap.replace(value, marker) if count else gap)
        token = text[start:end]
        if token == value:  # the whole token is the secret, not a coincidence inside one
            out.append(marker)
            count += 1
        else:
            out.append(token)
        n += count
        last = end
    tail = text[last:]
    n += tail.count(value)
    out.append(tail.replace(value, marker))
    return "".join(out), n


def _digest_spans(text: str) -> list[tuple[int, int]]:
    """Maximal runs of 32+ hex digits (SHA digests, MD5s) and UUIDs, in order, not overlapping."""
    spans = sorted(
        [m.span() for m in _compiled(_HEX_RUN).finditer(text)]
        + [m.span() for m in _compiled(_UUID).finditer(text)]
    )
    merged: list[tuple[int, int]] = []
    for start, end in spans:
        if merged and start < merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def _replace_checked(text: str, value: str, marker: str) -> tuple[str, int]:
    spans = _digest_spans(text)
    out: list[str] = []
    last = n = 0
    start = text.find(value)
    while start >= 0:
        end = start + len(value)
        if any(s <= start and end <= e and e - s > len(value) for s, e in spans):
            start = text.find(value, start + 1)
            continue
        out += (text[last:start], marker)
        last = end
        n += 1
        start = text.find(value, end)
    out.append(text[last:])
    return "".join(out), n


def _blocks(src: Any) -> Iterable[bytes]:
    """Blocks of about BLOCK bytes, each ending at a line end (or the end of the file)."""
    rest = b""
    while True:
        chunk = src.read(BLOCK)
        if not chunk:
            if rest:
                yield rest
            return
        chunk = rest + chunk
        cut = chunk.rfind(b"\n") + 1
        if cut == 0:
            rest = chunk
            continue
        rest = chunk[cut:]
        yield chunk[:cut]


def _copy_prefix(src: Any, dst: Any, size: int) -> None:
    while size > 0:
        chunk = src.read(min(size, 1 << 20))
        if not chunk:
            return
        dst.write(chunk)
        size -= len(chunk)
