"""ART collector: adversarial robustness of a classifier under evasion attacks.

Importing this package is cheap: ART, numpy and scikit-learn are imported inside ``collect``.
"""

from .collector import ArtCollector

__all__ = ["ArtCollector"]
