"""The aima-ci subcommands, one module per area; ``_cli`` loads a module only when one of
its commands is invoked, so ``aima-ci gate`` never imports the code of ``attest`` or ``explain``."""
