"""retrieval collector: a RAG system's retrieval side (collector.py holds the class)."""

from .collector import RetrievalCollector

__all__ = ["RetrievalCollector"]
