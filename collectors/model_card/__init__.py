"""Model card collector: required sections and an EU AI Act risk class with its justification."""

from .collector import ModelCardCollector

__all__ = ["ModelCardCollector"]
