"""First-party aima-ci collectors, installed as ``aima_ci_collectors``.

Each collector registers through the public ``aima_ci.collectors`` entry-point group, exactly as a
third-party plugin would; the core never imports this package directly.
"""
