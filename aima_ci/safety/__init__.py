"""The defensive primitives every other layer and every collector shares: safe reading of
untrusted repository files (``safeio``: size limits, no YAML tags or alias bombs), paths that
cannot escape the repository root (``paths``), SHA-256 of files (``hashing``) and redaction of
secrets before anything reaches an output (``redact``), and which model formats may run code
when loaded, with the ``models:`` declarations that carry the one trust decision (``modeldecl``). Public for collectors. The bottom layer
with ``errors`` and ``models``: it imports nothing else from ``aima_ci``.
"""
