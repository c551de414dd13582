"""Keep secrets out of every output: values of credential-like environment variables and common
key formats are replaced by a marker that says what kind of thing was removed."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, BinaryIO

SECRET_NAME = re.compile(
    r"(KEY|TOKEN|SECRET|PASSW(OR)?D|CREDENTIAL|AUTH|COOKIE|SESSION|PRIVATE)", re.I
)
MIN_SECRET_LEN = 6
# Literal bytes every KEY_PATTERNS match contains (lower-cased): a file with none of them, and
# with no secret value, is left alone without a regex pass.
ANCHORS = (b"sk-", b"gh", b"akia", b"asia", b"xox", b"hf_", b"aiza", b"bearer", b"private key")
BLOCK = 8 << 20
SNIFF = 8192
KEY_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("openai-key", re.compile(r"\bsk-(?:proj-|ant-)?[A-Za-z0-9_\-]{16,}")),
    ("github-token", re.compile(r"\b(?:ghp|gho|ghu|ghs|ghr|github_pat)_[A-Za-z0-9_]{20,}")),
    ("aws-access-key", re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b")),
    ("slack-token", re.compile(r"\bxox[abprs]-[A-Za-z0-9-]{10,}")),
    ("huggingface-token", re.compile(r"\bhf_[A-Za-z0-9]{20,}")),
    ("google-api-key", re.compile(r"\bAIza[0-9A-Za-z_\-]{35}")),
    ("bearer-token", re.compile(r"(?i)\bbearer\s+[A-Za-z0-9._~+/=\-]{16,}")),
    (
        "private-key",
        re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----"),
    ),
)


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


class Redactor:
    def __init__(
        self, environ: Mapping[str, str] | None = None, extra: Mapping[str, str] | None = None
    ):
        values = secret_env_values(environ)
        values.update(extra or {})
        # Longest first, so a secret containing another is removed whole.
        self._values = sorted(values.items(), key=lambda kv: -len(kv[0]))
        self.removed: dict[str, int] = {}

    def text(self, text: str) -> str:
        for value, name in self._values:
            if value in text:
                self.removed[f"env:{name}"] = self.removed.get(f"env:{name}", 0) + text.count(value)
                text = text.replace(value, f"[REDACTED:env:{name}]")
        for kind, pattern in KEY_PATTERNS:
            text, n = pattern.subn(f"[REDACTED:{kind}]", text)
            if n:
                self.removed[kind] = self.removed.get(kind, 0) + n
        return text

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

    def file(self, path: Path) -> bool:
        """Redact a text file in place (temp file + rename); True if it was rewritten.

        For artefacts a tool wrote itself (a copied report, a log): they reach the evidence
        without passing through a finding. Binary files (a NUL in the first 8 KiB: images,
        archives, models) are left alone, as rewriting them would corrupt them. A file with no
        secret value and no key-format anchor is only read, in large blocks, and not rewritten.
        """
        with open(path, "rb") as fh:
            head = fh.read(SNIFF)
            if b"\x00" in head or not self._may_hold_secret(fh, head):
                return False
        from aima_ci.safety.atomic import write_staged

        def rewrite(out: BinaryIO) -> bool:
            changed = False
            with open(path, "rb") as src:
                for raw in src:
                    line = raw.decode("utf-8", "surrogateescape")
                    clean = self.text(line)
                    changed = changed or clean != line
                    out.write(clean.encode("utf-8", "surrogateescape"))
            return changed  # unchanged: the original stays, the temp file goes

        return write_staged(path, rewrite)

    def _may_hold_secret(self, fh: Any, head: bytes) -> bool:
        values = [v.encode("utf-8", "surrogateescape") for v, _ in self._values]
        overlap = max([len(v) for v in values] + [16])
        block = head
        while block:
            lowered = block.lower()
            if any(v in block for v in values) or any(a in lowered for a in ANCHORS):
                return True
            more = fh.read(BLOCK)
            block = block[-overlap:] + more if more else b""
        return False

    def note(self) -> dict[str, int]:
        """What kind of thing was removed and how often (never the value)."""
        return dict(sorted(self.removed.items()))
