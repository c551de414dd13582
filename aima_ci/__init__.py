"""aima-ci: the OWASP AI Maturity Assessment (AIMA v1.0) as a CI build gate."""

__version__ = "0.1.0"
