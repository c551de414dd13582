"""Policy-as-code collector: Rego deny rules over model metadata, evaluated with regopy."""

from .collector import PolicyCollector

__all__ = ["PolicyCollector"]
