"""SHAP collector: global feature importance bound to the model digest.

Importing this package is cheap: shap, numpy and matplotlib are imported inside ``collect``.
"""

from .collector import ShapCollector

__all__ = ["ShapCollector"]
