"""The ``aima-ci`` command line: the click group (``main``), the commands (``commands/``, one
module per area, loaded only when one of its commands runs) and ``init`` (the scaffold of a new
project's aima.yaml). The CLI parses options, calls ``aima_ci.api`` and the other subpackages, and
prints; it holds no scoring or evidence logic of its own. Top layer: it may import everything in
``aima_ci``, and nothing imports it (a command never imports another command's private helpers).
"""
