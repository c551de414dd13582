"""Keep secrets out of every output: values of credential-like environment variables and common
key formats are replaced by a marker that says what kind of thing was removed."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from typing import Any

SECRET_NAME = re.compile(
    r"(KEY|TOKEN|SECRET|PASSW(OR)?D|CREDENTIAL|AUTH|COOKIE|SESSION|PRIVATE)", re.I
)
MIN_SECRET_LEN = 6
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

    def note(self) -> dict[str, int]:
        """What kind of thing was removed and how often (never the value)."""
        return dict(sorted(self.removed.items()))
