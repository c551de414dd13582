"""aima-ci's privacy collector (entry point ``privacy``): PII and purpose limitation of training data."""

from .collector import PrivacyCollector

__all__ = ["PrivacyCollector"]
