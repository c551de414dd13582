"""aima-ci's modelscan collector (entry point ``modelscan``); modelscan runs in a child process."""

from .collector import ModelscanCollector

__all__ = ["ModelscanCollector"]
