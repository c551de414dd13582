"""collect, report, export and run: the evidence pipeline (score and gate: ``verdict``)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from aima_ci import api
from aima_ci.cli.main import (
    EXIT_FAIL,
    EXIT_PASS,
    State,
    _echo_verdict,
    _evidence_dir,
    _load,
    _note,
    config_option,
    evidence_option,
    gate_options,
    handle_errors,
    light_option,
    no_cache_option,
    out_option,
    reuse_option,
    shard_option,
)


# --------------------------------------------------------------------------- collect
def _progress(state: State, names: list[str]) -> Any:
    from aima_ci.evidence.progress import LiveProgress, PlainProgress

    if not state.quiet and sys.stderr.isatty() and names:
        return LiveProgress(names, color=state.color)
    return PlainProgress(quiet=state.quiet)


def _check_attestations(config: Any) -> None:
    """Parse the attestation files before any collector runs: invalid YAML or a missing
    top-level list raises ConfigError (exit 2) in seconds instead of after the whole run."""
    from aima_ci.assess.attestations import load_attestations
    from aima_ci.assess.catalogue import load_catalogue

    load_attestations(
        config.attestation_files, config.root, load_catalogue().questions, api.today()
    )


def _do_collect(
    state: State,
    config: Any,
    out_dir: Path,
    jobs: int | None,
    only: tuple[str, ...],
    shard: str | None = None,
    reuse: tuple[Path, ...] = (),
    no_cache: bool = False,
    light: bool = False,
) -> Any:
    return api.collect(
        config,
        out_dir,
        jobs=jobs,
        only=only,
        shard=shard,
        reuse=reuse,
        no_cache=no_cache,
        light=light,
        progress=lambda names: _progress(state, names),
        note=_note,
    )


@click.command("collect")
@config_option
@out_option
@click.option("--jobs", "-j", type=click.IntRange(1, 64), help="Collectors run at once.")
@click.option("--only", multiple=True, help="Run only this collector (repeatable).")
@light_option
@shard_option
@reuse_option
@no_cache_option
@click.pass_obj
@handle_errors
def collect_cmd(
    state: State,
    config_path: Path | None,
    out_dir: Path | None,
    jobs: int | None,
    only: tuple[str, ...],
    light: bool,
    shard: str | None,
    reuse: tuple[Path, ...],
    no_cache: bool,
) -> None:
    """Run the configured collectors and write the evidence directory."""
    config = _load(config_path)
    out = _evidence_dir(config, out_dir)
    runs = _do_collect(state, config, out, jobs, only, shard, reuse, no_cache, light)
    if not state.quiet:
        click.echo(f"evidence written to {out} ({sum(len(r.findings) for r in runs)} findings)")


# --------------------------------------------------------------------------- report
def _report_context(state: State, config: Any, out: Path) -> Any:
    return api.report_context(config, out, color=state.color, verbose=state.verbose)


class _Formats(click.Choice):
    """The report formats, looked up when click first needs them (parsing, help): score and
    gate live in this module too, and must not import the report package on every start."""

    def __init__(self) -> None:
        super().__init__(())

    @property
    def choices(self) -> tuple[str, ...]:
        from aima_ci.reports import names  # the registry's names only, never a renderer

        return tuple(names())

    @choices.setter
    def choices(self, _value: object) -> None:
        pass


def _format_choice() -> click.Choice:
    return _Formats()


@click.command("report")
@config_option
@evidence_option
@click.option("--format", "-f", "fmt", type=_format_choice(), default="text", show_default=True)
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write to this file instead of stdout.",
)
@click.option(
    "--view",
    type=click.Choice(["eu-ai-act", "nist-ai-rmf", "iso-42001", "owasp-llm-2025", "atlas"]),
    help="Show the assessment per item of this framework (aima-ci's own crosswalk, not AIMA's);"
    " text, markdown or json.",
)
@click.pass_obj
@handle_errors
def report_cmd(
    state: State,
    config_path: Path | None,
    out_dir: Path | None,
    fmt: str,
    output: Path | None,
    view: str | None,
) -> None:
    """Render the last assessment in a report format."""
    from aima_ci.evidence.directory import ASSESSMENT, atomic_write

    config = _load(config_path)
    out = _evidence_dir(config, out_dir)
    assessment = api.read_assessment(out)
    ctx = _report_context(state, config, out)
    if output is not None:
        ctx.color = False
    with api.malformed(out / ASSESSMENT):
        text = api.render(fmt, assessment, ctx, view=view)
    if output is None:
        click.echo(text, nl=False)
    else:
        atomic_write(output, text)
        if not state.quiet:
            click.echo(f"{fmt} report written to {output}", err=True)


# --------------------------------------------------------------------------- export
@click.command("export")
@config_option
@evidence_option
@click.option(
    "--format",
    "-f",
    "fmt",
    type=click.Choice(["openmetrics"]),
    default="openmetrics",
    show_default=True,
)
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write to this file (atomically: safe for a textfile collector) instead of stdout.",
)
@click.option("--push", "push_to", metavar="URL", help="PUT the metrics to this Pushgateway.")
@click.option(
    "--instance", help="Pushgateway grouping label: <URL>/metrics/job/aima-ci/instance/<value>."
)
@click.option(
    "--label",
    "labels",
    multiple=True,
    metavar="NAME=VALUE",
    help="A constant label on every sample, e.g. project=credit-model (repeatable).",
)
@click.pass_obj
@handle_errors
def export_cmd(
    state: State,
    config_path: Path | None,
    out_dir: Path | None,
    fmt: str,
    output: Path | None,
    push_to: str | None,
    instance: str | None,
    labels: tuple[str, ...],
) -> None:
    """Export the last assessment as metrics (maturity, targets, gate, findings, evidence age)."""
    from aima_ci.evidence.directory import ASSESSMENT, atomic_write
    from aima_ci.reports.openmetrics import display_url, parse_labels, push, push_url

    config = _load(config_path)
    out = _evidence_dir(config, out_dir)
    constant = parse_labels(labels)
    url = (
        push_url(push_to, grouping={"instance": instance} if instance else None)
        if push_to
        else None
    )
    ctx = api.report_context(config, out)
    ctx.options = {"labels": constant}
    with api.malformed(out / ASSESSMENT):
        text = api.render(fmt, api.read_assessment(out), ctx)
    if output is not None:
        atomic_write(output, text)
        if not state.quiet:
            click.echo(f"{fmt} metrics written to {output}", err=True)
    elif url is None:
        click.echo(text, nl=False)
    if url is not None:
        push(text, url)
        if not state.quiet:
            click.echo(f"pushed to {display_url(url)}", err=True)


# --------------------------------------------------------------------------- run
@click.command("run")
@config_option
@out_option
@click.option("--jobs", "-j", type=click.IntRange(1, 64), help="Collectors run at once.")
@click.option("--only", multiple=True, help="Run only this collector (repeatable).")
@gate_options
@click.option(
    "--format",
    "-f",
    "formats",
    multiple=True,
    type=_format_choice(),
    help="Also write <out>/report.<ext> in this format (repeatable).",
)
@light_option
@shard_option
@reuse_option
@no_cache_option
@click.pass_obj
@handle_errors
def run_cmd(
    state: State,
    config_path: Path | None,
    out_dir: Path | None,
    jobs: int | None,
    only: tuple[str, ...],
    target_level: int | None,
    fail_on_error: bool,
    baseline: Path | None,
    formats: tuple[str, ...],
    light: bool,
    shard: str | None,
    reuse: tuple[Path, ...],
    no_cache: bool,
    history: str | None,
) -> None:
    """Collect, score, gate and report in one step (exit 0 passed, 1 failed, 2 error)."""
    config = _load(config_path)
    if light and out_dir is None:  # pre-commit: nothing left behind in the work tree
        import tempfile

        scratch = tempfile.TemporaryDirectory(prefix="aima-ci-light-")  # removed at exit
        out_dir = Path(scratch.name)
    out = _evidence_dir(config, out_dir)
    _check_attestations(config)  # a broken file is exit 2 now, not after every collector
    assessment = api.run(
        config,
        out,
        jobs=jobs,
        only=only,
        level=target_level,
        fail_on_error=fail_on_error,
        baseline=baseline,
        history=history,
        formats=formats,
        light=light,
        shard=shard,
        reuse=reuse,
        no_cache=no_cache,
        verbose=state.verbose,
        progress=lambda names: _progress(state, names),
        note=_note,
    )
    ctx = _report_context(state, config, out)
    if light:
        from aima_ci.reports.light import light_verdict

        code, lines = light_verdict(assessment)
        click.echo("\n".join(lines))
        sys.exit(code)
    if state.quiet:
        _echo_verdict(state, assessment, assessment["gate"])
    else:
        click.echo(api.render("text", assessment, ctx), nl=False)
        click.echo(f"\nevidence: {out}")
    sys.exit(EXIT_PASS if assessment["gate"]["passed"] else EXIT_FAIL)
