"""promptfoo collector: eval and red-team results as AIMA evidence (collector.py holds the class)."""

from .collector import PromptfooCollector

__all__ = ["PromptfooCollector"]
