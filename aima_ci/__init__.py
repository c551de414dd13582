"""aima-ci: the OWASP AI Maturity Assessment (AIMA v1.0) as a CI build gate.

Public faces: ``aima_ci.api`` (the library: collect, assess, gate, run), ``aima_ci.plugin`` (the
collector API), ``aima_ci.models`` (the evidence data model), ``aima_ci.errors`` and
``aima_ci.config``. The subpackages are layers; docs/architecture.md says what goes where.
"""

__version__ = "0.1.0"
