"""aima-ci's fairlearn collector (entry point ``fairlearn``); the tool is imported only in collect()."""

from .collector import FairlearnCollector

__all__ = ["FairlearnCollector"]
