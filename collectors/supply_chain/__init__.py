"""aima-ci's supply_chain collector (entry point ``supply_chain``): unsafe serialisation, inventory, SBOM."""

from .collector import SupplyChainCollector

__all__ = ["SupplyChainCollector"]
