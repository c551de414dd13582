"""aima-ci's evidently collector (entry point ``evidently``); evidently is imported only in run mode."""

from .collector import EvidentlyCollector

__all__ = ["EvidentlyCollector"]
