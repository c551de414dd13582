"""The aima-ci subcommands, one module per area (``verdict``: score, gate; ``steps``: collect,
report, export, run; ``trust``: attest, verify, merge, provenance, history; ``browse``: controls,
explain, collectors, init). ``aima_ci.cli.main`` loads a module only when one of its commands is
invoked, so ``aima-ci gate`` never imports the code of ``attest`` or ``explain``. A command module
imports ``aima_ci.cli.main`` (shared options, error handling), ``aima_ci.api`` and the library,
never another command module."""
