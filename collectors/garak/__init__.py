"""garak collector: LLM vulnerability scans as AIMA evidence (collector.py holds the class)."""

from .collector import GarakCollector

__all__ = ["GarakCollector"]
