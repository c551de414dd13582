"""Judging evidence: the AIMA catalogue, scoring of findings and attestations into maturity
levels, waivers, the gate, explanations of each verdict, coverage of the catalogue by the installed
collectors and the crosswalk to other frameworks. Scoring and gating are pure functions; reading
the evidence directory goes through ``aima_ci.evidence.directory``. May import the public faces,
``safety`` and ``evidence``; never ``trust``, ``reports``, ``api`` or ``cli``.
"""
