"""``python -m aima_ci``: the same CLI as the ``aima-ci`` console script.

``python -m`` puts the current folder first on ``sys.path``. In CI that folder is the pull
request's checkout, so a ``click.py`` or ``yaml.py`` committed there would be imported in place
of the real library before a single check ran. The checkout is taken off the path before the CLI
imports anything; the package itself was already found (installed or on ``PYTHONPATH``), and
its subpackages resolve through the package, not the path.
"""

import os
import sys


def _without_checkout(path: list[str], cwd: str, package_parent: str) -> list[str]:
    """``path`` minus its first entry when that is the current folder, unless aima_ci itself
    was imported from there (a developer at the root of aima-ci's own repository)."""
    if not path:
        return path
    first = os.path.realpath(path[0] or os.curdir)
    here = os.path.realpath(cwd)
    if first == here and os.path.realpath(package_parent) != here:
        return path[1:]
    return path


sys.path[:] = _without_checkout(
    sys.path, os.getcwd(), os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
)

from aima_ci.cli.main import main  # noqa: E402  (after the path is cleaned, on purpose)

main()
