"""Data provenance collector: a signed-off SHA-256 manifest of dataset files, and DVC hashes."""

from .collector import ProvenanceCollector

__all__ = ["ProvenanceCollector"]
