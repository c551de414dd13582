"""Two kinds of bad input that the config can fix, told apart from the rest.

A declared input shape the model cannot run on, and labels that are not among the model's
classes (after ``label_map``), are raised as these subclasses of InputError. The collectors'
``preflight`` turns them into CollectorConfigError (exit 2 before any collector runs, naming the
``models.<name>.input_shape`` or ``collectors.<name>.label_map`` key); inside a collector they are
ordinary InputErrors and still give ``error`` findings, so nothing changes for direct callers.
"""

from __future__ import annotations

from aima_ci.plugin import InputError


class ShapeMismatch(InputError):
    """The declared (or inferred) input shape does not fit the model or the data.

    ``field``: the model declaration key that fixes it (input_shape, nb_classes or classes).
    """

    def __init__(self, message: str, field: str = "input_shape") -> None:
        super().__init__(message)
        self.field = field


class LabelMismatch(InputError):
    """A label is not one of the model's classes, or not named by ``label_map``."""
