"""The level-3 "integrated into CI/CD" questions, and the practices whose collectors evidence them.

A practice counts as integrated when a collector the CI gate runs declares checks for it, so
third-party collectors count too; ``hint`` names the first-party collectors that would.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Integration:
    """A level-3 'integrated into CI/CD' question and the practices whose collectors evidence it."""

    short: str
    practices: tuple[str, ...]
    hint: str


INTEGRATIONS = (
    Integration(
        "build_checks",
        ("IMP-SB",),
        "supply_chain",
    ),
    Integration(
        "deployment_checks",
        ("IMP-SD",),
        "ops_readiness",
    ),
    Integration(
        "privacy_checks",
        ("PRV-PD", "PRV-DM"),
        "privacy",
    ),
    Integration(
        "purpose_limitation",
        ("PRV-DM",),
        "privacy (with a declared purpose)",
    ),
    Integration(
        "dataset_compliance",
        ("DAT-DT",),
        "supply_chain (dataset inventory) or privacy",
    ),
    Integration(
        "security_testing",
        ("VER-ST",),
        "garak or art",
    ),
    Integration(
        "requirement_testing",
        ("VER-RT",),
        "a collector with VER-RT checks",
    ),
    Integration(
        "architecture_review",
        ("VER-AA",),
        "a collector with VER-AA checks",
    ),
    Integration(
        "threat_assessment",
        ("DES-TA",),
        "threat_model",
    ),
    Integration(
        "bias_checks",
        ("RAI-FB",),
        "fairlearn",
    ),
    Integration(
        "explainability_checks",
        ("RAI-TE",),
        "shap or model_card",
    ),
    Integration(
        "impact_assessment",
        ("RAI-ES",),
        "a collector with RAI-ES checks",
    ),
    Integration(
        "data_quality_checks",
        ("DAT-QI",),
        "evidently",
    ),
)
