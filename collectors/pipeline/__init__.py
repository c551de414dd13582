"""Pipeline collector: CI runs aima-ci as a blocking gate, and which practices that gate covers."""

from .collector import PipelineCollector

__all__ = ["PipelineCollector"]
