"""A plugin whose module fails at import: it must not stop the other collectors."""

raise ImportError("this plugin is broken on purpose")
