"""OWASP ZAP collector: DAST scan reports as AIMA evidence (collector.py holds the class)."""

from .collector import ZapCollector

__all__ = ["ZapCollector"]
