"""Threat model collector: pytm, YAML or Markdown; present, current, LLM risks, mitigations."""

from .collector import ThreatModelCollector

__all__ = ["ThreatModelCollector"]
