"""The ``aima-ci`` command line: a thin layer over the library.

Exit codes: 0 gate passed (or command succeeded), 1 gate failed (or ``verify`` found a
difference), 2 usage, configuration or input error, 3 internal error (a bug: please report it).
This module holds the group, the shared options and the error handling; the commands live in
``aima_ci/cli/commands/`` and a module is imported only when one of its commands runs, so
``aima-ci gate`` loads little more than click and yaml.
"""

from __future__ import annotations

import datetime as dt
import errno
import os
import sys
from collections.abc import Callable
from functools import wraps
from importlib import import_module
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import click

from aima_ci import __version__

EXIT_PASS, EXIT_FAIL, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 3
F = TypeVar("F", bound=Callable[..., Any])
# OSErrors that come from the machine (a full or read-only disk, a file-size limit, missing
# permission, a path through a file), never from a bug: exit 2 naming the file, not exit 3.
ENVIRONMENT_ERRNOS = frozenset(
    getattr(errno, name)
    for name in (
        "EACCES",
        "EPERM",
        "EROFS",
        "ENOSPC",
        "EDQUOT",
        "EFBIG",
        "ENOTDIR",
        "EISDIR",
        "ENAMETOOLONG",
        "ELOOP",
        "EMFILE",
        "ENFILE",
        "EIO",
        "EXDEV",
        "ETXTBSY",
    )
    if hasattr(errno, name)
)


class State:
    def __init__(self, quiet: bool, verbose: bool, no_color: bool) -> None:
        self.quiet = quiet
        self.verbose = verbose
        self.color = not no_color and "NO_COLOR" not in os.environ and sys.stdout.isatty()


def _fail(message: str, code: int = EXIT_USAGE) -> NoReturn:
    from aima_ci.safety.redact import Redactor

    # An error may quote a config value, and CI logs are widely readable.
    click.echo(f"aima-ci: error: {Redactor().text(message)}", err=True)
    sys.exit(code)


def handle_errors(fn: F) -> F:
    """Turn user errors into exit 2 with a one-line message; a bug into exit 3 asking for a report."""

    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from aima_ci.errors import UserError

        try:
            return fn(*args, **kwargs)
        except UserError as exc:
            _fail(str(exc))
        except (click.exceptions.Exit, click.ClickException, SystemExit, KeyboardInterrupt):
            raise
        except BrokenPipeError:
            # The reader went away (`aima-ci controls -f json | head`): not a bug, stop quietly.
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            sys.exit(EXIT_FAIL)
        except OSError as exc:
            if exc.errno not in ENVIRONMENT_ERRNOS:
                _internal(exc)
            # The disk, the filesystem or the permissions, not aima-ci: exit 2 naming the file.
            where = exc.filename or "writing the output"
            _fail(f"{where}: {exc.strerror or exc} (a problem of the filesystem, not the input)")
        except Exception as exc:
            _internal(exc)

    return wrapper  # type: ignore[return-value]


def _internal(exc: Exception) -> None:
    if os.environ.get("AIMA_CI_DEBUG"):
        raise exc
    from aima_ci.safety.redact import Redactor

    click.echo(
        f"aima-ci: internal error: {type(exc).__name__}: {Redactor().text(str(exc))}\n"
        "This is a bug in aima-ci; please report it with the command you ran"
        " (set AIMA_CI_DEBUG=1 for the traceback).",
        err=True,
    )
    sys.exit(EXIT_INTERNAL)


config_option = click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="aima.yaml or pyproject.toml ([tool.aima-ci]); default: discovered in the current folder.",
)
out_option = click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Evidence directory (default: output_dir from config, else .aima/).",
)
evidence_option = click.option(
    "--evidence",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Evidence directory to read (default: output_dir from config, else .aima/).",
)


shard_option = click.option(
    "--shard",
    metavar="I/N",
    help="Run only shard I of N (1-based; e.g. ${CI_NODE_INDEX}/${CI_NODE_TOTAL}); merge the"
    " shards' evidence with 'aima-ci merge'.",
)
reuse_option = click.option(
    "--reuse",
    multiple=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Take still-fresh results for unchanged collectors from this earlier evidence directory"
    " (repeatable).",
)


def _set_cache_dir(ctx: click.Context, param: click.Parameter, value: Path | None) -> None:
    """--cache-dir overrides $AIMA_CI_CACHE_DIR for this command (cache.py reads it)."""
    if value is not None:
        os.environ["AIMA_CI_CACHE_DIR"] = str(value.absolute())


def no_cache_option(func: Any) -> Any:
    """--no-cache and --cache-dir, the two cache controls of collect and run."""
    func = click.option(
        "--cache-dir",
        type=click.Path(file_okay=False, path_type=Path),
        expose_value=False,
        callback=_set_cache_dir,
        help="Cache folder (default: $AIMA_CI_CACHE_DIR, else ~/.cache/aima-ci/cache); one"
        " inside the checkout is ignored.",
    )(func)
    return click.option(
        "--no-cache", is_flag=True, help="Run every collector; neither read nor write the cache."
    )(func)


history_option = click.option(
    "--history",
    "history",
    metavar="PATH",
    help="History store (SQLite file) to append to and to read '--baseline history' from"
    " (default: history in the config).",
)


def gate_options(fn: F) -> F:
    """The options that decide the gate, shared by score, gate and run."""
    for option in reversed(
        (
            click.option(
                "--target-level", type=click.IntRange(0, 3), help="Override target.level."
            ),
            click.option(
                "--fail-on-error", is_flag=True, help="Any check in error fails the gate."
            ),
            click.option(
                "--baseline",
                type=click.Path(dir_okay=False, path_type=Path),
                help="A previous assessment.json for no_regression, or 'history' for the default"
                " branch's latest assessment in the history store.",
            ),
            history_option,
        )
    ):
        fn = option(fn)
    return fn


def _load(config_path: Path | None) -> Any:
    from aima_ci import api

    return api.load(config_path)


def _evidence_dir(config: Any, out_dir: Path | None) -> Path:
    from aima_ci import api

    return api.evidence_dir(config, out_dir)


def _today() -> dt.date:
    from aima_ci import api

    return api.today()


def _note(text: str) -> None:
    """A note for the user on stderr (a cache ignored, a verdict re-scored), never the verdict."""
    click.echo(f"note: {text}", err=True)


def _echo_verdict(state: State, assessment: dict[str, Any], gate: dict[str, Any]) -> None:
    """The verdict as gate and run print it."""
    o = assessment["overall"]
    verdict = "PASSED" if gate["passed"] else "FAILED"
    if state.color:
        verdict = click.style(verdict, fg="green" if gate["passed"] else "red", bold=True)
    click.echo(
        f"AIMA gate {verdict}: overall level {o['level']}{'+' if o['plus'] else ''}"
        f" (score {o['score']:.2f}), target level {gate['target']['level']}"
    )
    from aima_ci.assess.gate import verdict_line

    click.echo(verdict_line(gate))
    if not state.quiet:
        for f in gate["failures"]:
            click.echo(f"  - {f['message']}")


light_option = click.option(
    "--light",
    is_flag=True,
    help="Only the collectors marked light (they read repository files: config, provenance,"
    " policy, model card...). With run: exit 1 when a light check fails or errors, 0 otherwise"
    " (the maturity gate needs the full run); without --out the evidence goes to a temporary"
    " folder. For pre-commit.",
)


# Each command lives in aima_ci/cli/commands/<module>.py and is imported only when invoked.
COMMANDS: dict[str, str] = {
    "attest": "trust:attest_cmd",
    "attestations": "onboard:attestations_group",
    "collect": "steps:collect_cmd",
    "collectors": "browse:collectors_cmd",
    "controls": "browse:controls_cmd",
    "explain": "browse:explain_cmd",
    "export": "steps:export_cmd",
    "gate": "verdict:gate_cmd",
    "history": "trust:history_cmd",
    "init": "browse:init_cmd",
    "merge": "trust:merge_cmd",
    "provenance": "trust:provenance_group",
    "report": "steps:report_cmd",
    "run": "steps:run_cmd",
    "score": "verdict:score_cmd",
    "toolkit": "onboard:toolkit_group",
    "verify": "trust:verify_cmd",
}


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = COMMANDS.get(cmd_name)
        if target is None:
            return None
        module, _, attr = target.partition(":")
        command: click.Command = getattr(import_module(f"aima_ci.cli.commands.{module}"), attr)
        return command


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="aima-ci")
@click.option("-q", "--quiet", is_flag=True, help="Only errors and the verdict.")
@click.option("-v", "--verbose", is_flag=True, help="More detail.")
@click.option("--no-color", is_flag=True, help="No colours (NO_COLOR is respected too).")
@click.pass_context
def cli(ctx: click.Context, quiet: bool, verbose: bool, no_color: bool) -> None:
    """aima-ci: OWASP AI Maturity Assessment (AIMA v1.0) as a CI build gate."""
    ctx.obj = State(quiet, verbose, no_color)


def main() -> None:
    from aima_ci.cli.codecache import enable

    # Every command builds the data model's dataclasses; their methods are compiled once and
    # kept beside the package's bytecode, not compiled again at every start (codecache.py).
    enable()
    try:
        cli(prog_name="aima-ci")
    except SystemExit as stop:
        code = _exit_status(stop.code)
    else:
        code = EXIT_PASS
    from aima_ci.safety.fastexit import exit_without_teardown

    # The verdict is out and every file written (atomically, closed); freeing the interpreter's
    # modules would only add to the time a pipeline waits for the exit code (fastexit.py).
    exit_without_teardown(code)


def _exit_status(code: object) -> int:
    """The status ``sys.exit(code)`` gives the process: None is 0, an int itself, anything
    else is printed to stderr and gives 1."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    print(code, file=sys.stderr)
    return 1
