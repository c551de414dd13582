"""User-facing error types. Every UserError becomes exit 2 with its one-line message, never a
traceback. Kept in a module with no imports so that the CLI can catch them cheaply."""

from __future__ import annotations


class UserError(Exception):
    """Bad configuration, input or usage: the user can fix it."""


class EvidenceError(UserError, ValueError):
    """Stored evidence (a finding line, a manifest, assessment.json) is missing or malformed."""


class EvidenceLocked(UserError, RuntimeError):
    """Another aima-ci run holds the evidence directory."""


class CollectorConfigError(UserError, ValueError):
    """A collector's own config keys are wrong; reported as exit 2 naming the key."""

    def __init__(self, key: str, reason: str) -> None:
        super().__init__(f"config: {key}: {reason}")
        self.key = key
        self.reason = reason


class InputError(UserError, ValueError):
    """Bad input data for a collector (missing column, empty file...).

    Raising it from ``collect`` turns every check the collector did not report into an ``error``
    finding carrying this message, with no traceback.
    """
