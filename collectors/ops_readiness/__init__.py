"""Operations readiness collector: alert rules on model metrics, an incident playbook, a rollback path."""

from .collector import OpsReadinessCollector

__all__ = ["OpsReadinessCollector"]
