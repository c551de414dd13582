"""aima-ci's aif360 collector (entry point ``aif360``); the tool is imported only in run mode."""

from .collector import Aif360Collector

__all__ = ["Aif360Collector"]
