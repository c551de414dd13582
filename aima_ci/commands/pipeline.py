"""collect, score, gate, report, export and run: the evidence pipeline."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click

from .._cli import (
    EXIT_FAIL,
    EXIT_PASS,
    State,
    _evidence_dir,
    _fail,
    _load,
    _today,
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


# --------------------------------------------------------------------------- collect / score
def _progress(state: State, names: list[str]) -> Any:
    from ..progress import LiveProgress, PlainProgress

    if not state.quiet and sys.stderr.isatty() and names:
        return LiveProgress(names, color=state.color)
    return PlainProgress(quiet=state.quiet)


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
    from ..cache import NO_CACHE_ENV, CacheStore
    from ..collect import collect, select_collectors

    spec = None
    if shard is not None:
        from ..shard import parse_shard

        try:
            spec = parse_shard(shard)
        except ValueError as exc:
            _fail(f"--shard: {exc}")
    cache = None if no_cache or os.environ.get(NO_CACHE_ENV) else CacheStore.default(config.root)
    names = [n for n, c in select_collectors(config, only, light).items() if c.get("enabled", True)]
    progress = _progress(state, names)
    try:
        return collect(
            config,
            out_dir,
            jobs=jobs,
            listener=progress,
            only=only,
            shard=spec,
            reuse=reuse,
            cache=cache,
            light=light,
        )
    finally:
        progress.close()


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


def _history_settings(config: Any, history: str | None) -> Any:
    from ..history import history_settings

    return history_settings(config.raw.get("history"), base=config.dir, cli_location=history)


def _resolve_baseline(
    config: Any, baseline: Path | None, history: str | None, exclude_sha256: str | None = None
) -> tuple[Any, str | None]:
    """The no_regression baseline: a file, or 'history' (the default branch's latest record)."""
    from ..evidence import read_json

    want_history = baseline is not None and str(baseline) == "history"
    if baseline is not None and not want_history:
        return read_json(baseline), str(baseline)
    settings = _history_settings(config, history)
    if not want_history and not (settings and settings.baseline):
        return None, None
    if settings is None:
        _fail("--baseline history: no history store (set history: in the config or --history)")
    from ..history import open_history

    record = open_history(settings.location).latest(
        settings.default_branch, exclude_sha256=exclude_sha256
    )
    if record is None:  # the first assessment on this branch: nothing to regress from
        return None, None
    return record.as_baseline(), f"history:{settings.default_branch}@{record.commit or record.date}"


def _append_history(config: Any, out: Path, assessment: Any, history: str | None) -> None:
    settings = _history_settings(config, history)
    if settings is None:
        return
    from ..evidence import ASSESSMENT
    from ..hashing import sha256_file
    from ..history import detect_branch, open_history, record_from_assessment
    from ..runinfo import git_commit

    record = record_from_assessment(
        assessment,
        assessment_sha256=sha256_file(out / ASSESSMENT),
        branch=detect_branch(config.root),
        commit=git_commit(config.root),
    )
    open_history(settings.location).append(record)


def _score(
    config: Any,
    out: Path,
    level: int | None,
    fail_on_error: bool,
    baseline: Path | None,
    history: str | None = None,
) -> Any:
    from ..assessment import assess
    from ..collect import locked
    from ..evidence import manifest_subjects, read_findings, write_manifest

    base, source = _resolve_baseline(config, baseline, history)
    with locked(out):  # never score evidence another run is rewriting
        assessment = assess(
            config,
            out,
            today=_today(),
            level_override=level,
            fail_on_error=fail_on_error,
            baseline=base,
            baseline_source=source,
        )
        write_manifest(out, manifest_subjects(config, read_findings(out)))
    _append_history(config, out, assessment, history)
    return assessment


@click.command("score")
@config_option
@evidence_option
@gate_options
@click.pass_obj
@handle_errors
def score_cmd(
    state: State,
    config_path: Path | None,
    out_dir: Path | None,
    target_level: int | None,
    fail_on_error: bool,
    baseline: Path | None,
    history: str | None,
) -> None:
    """Score the evidence against the AIMA catalogue and write assessment.json."""
    config = _load(config_path)
    out = _evidence_dir(config, out_dir)
    assessment = _score(config, out, target_level, fail_on_error, baseline, history)
    if not state.quiet:
        o = assessment["overall"]
        click.echo(
            f"assessment written to {out / 'assessment.json'}: overall level"
            f" {o['level']}{'+' if o['plus'] else ''}, score {o['score']:.2f}"
        )


# --------------------------------------------------------------------------- gate
@click.command("gate")
@config_option
@evidence_option
@gate_options
@click.pass_obj
@handle_errors
def gate_cmd(
    state: State,
    config_path: Path | None,
    out_dir: Path | None,
    target_level: int | None,
    fail_on_error: bool,
    baseline: Path | None,
    history: str | None,
) -> None:
    """Decide pass (exit 0) or fail (exit 1) from the scored assessment and the targets."""
    from ..evidence import ASSESSMENT, RUN, SUMMARY, check_listed, read_json
    from ..gate import collector_runs, effective_target, evaluate

    config = _load(config_path)
    out = _evidence_dir(config, out_dir)
    if not (out / ASSESSMENT).exists():
        _score(config, out, target_level, fail_on_error, baseline, history)
    source = out / SUMMARY if (out / SUMMARY).exists() else out / ASSESSMENT
    check_listed(out, source.name, RUN)
    assessment = read_json(source)
    try:
        run = read_json(out / RUN)
    except Exception:
        run = {}
    result = evaluate(
        assessment,
        effective_target(config.target, _today(), target_level),
        required_collectors=config.required_collectors,
        collector_runs=collector_runs(run) if isinstance(run, dict) else {},
        baseline=_gate_baseline(config, out, baseline, history),
        fail_on_error=fail_on_error,
        source=str(source),
        outcomes=assessment.get("outcomes"),
    )
    _echo_verdict(state, assessment, result.to_dict())
    sys.exit(EXIT_PASS if result.passed else EXIT_FAIL)


def _gate_baseline(config: Any, out: Path, baseline: Path | None, history: str | None) -> Any:
    """As _resolve_baseline, but never this assessment itself (scoring may have appended it)."""
    if baseline is None and history is None and config.raw.get("history") is None:
        return None  # the common case: no history module (nor sqlite3) on the gate path
    from ..evidence import ASSESSMENT
    from ..hashing import sha256_file

    current = out / ASSESSMENT
    exclude = sha256_file(current) if current.is_file() else None
    return _resolve_baseline(config, baseline, history, exclude)[0]


def _echo_verdict(state: State, assessment: dict[str, Any], gate: dict[str, Any]) -> None:
    o = assessment["overall"]
    verdict = "PASSED" if gate["passed"] else "FAILED"
    if state.color:
        verdict = click.style(verdict, fg="green" if gate["passed"] else "red", bold=True)
    click.echo(
        f"AIMA gate {verdict}: overall level {o['level']}{'+' if o['plus'] else ''}"
        f" (score {o['score']:.2f}), target level {gate['target']['level']}"
    )
    from ..reports.text import verdict_line

    click.echo(verdict_line(gate))
    if not state.quiet:
        for f in gate["failures"]:
            click.echo(f"  - {f['message']}")


# --------------------------------------------------------------------------- report
def _report_context(state: State, config: Any, out: Path) -> Any:
    from ..reports import ReportContext

    return ReportContext(
        evidence_dir=out,
        config_path=config.path,
        config_lines=config.lines,
        color=state.color,
        verbose=state.verbose,
    )


def _read_assessment(out: Path) -> Any:
    """assessment.json for report and export: as aima-ci wrote it (manifest) and judgeable."""
    from ..evidence import ASSESSMENT, check_listed, read_json
    from ..gate import check_assessment

    check_listed(out, ASSESSMENT)
    assessment = read_json(out / ASSESSMENT)
    check_assessment(assessment, str(out / ASSESSMENT))
    return assessment


@contextlib.contextmanager
def _malformed(path: Path) -> Iterator[None]:
    """A renderer meeting a field it needs missing or of the wrong type in an assessment that
    was not written by this aima-ci (hand-made, another version): exit 2 naming the file."""
    from ..errors import EvidenceError

    try:
        yield
    except (KeyError, TypeError, AttributeError, IndexError) as exc:
        raise EvidenceError(
            f"{path}: malformed assessment ({type(exc).__name__}: {exc}); run 'aima-ci score'"
            " to write it again"
        ) from None


def _render(fmt: str, assessment: dict[str, Any], ctx: Any) -> str:
    from ..reports import renderer

    return renderer(fmt)(assessment, ctx)


def _format_choice() -> click.Choice:
    # Built lazily per command so the gate path does not import the report modules.
    from ..reports import FORMATS

    return click.Choice(sorted(FORMATS))


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
    from ..evidence import ASSESSMENT, atomic_write

    config = _load(config_path)
    out = _evidence_dir(config, out_dir)
    assessment = _read_assessment(out)
    ctx = _report_context(state, config, out)
    if output is not None:
        ctx.color = False
    with _malformed(out / ASSESSMENT):
        if view is not None:
            from ..reports.views import framework_view, render_view

            if fmt not in ("text", "markdown", "json"):
                _fail(f"--view renders as text, markdown or json, not {fmt}")
            text = render_view(framework_view(assessment, view), fmt, ctx)
        else:
            text = _render(fmt, assessment, ctx)
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
    from ..evidence import ASSESSMENT, atomic_write, read_findings
    from ..metrics import openmetrics, parse_labels, push, push_url

    config = _load(config_path)
    out = _evidence_dir(config, out_dir)
    constant = parse_labels(labels)
    url = (
        push_url(push_to, grouping={"instance": instance} if instance else None)
        if push_to
        else None
    )
    with _malformed(out / ASSESSMENT):
        text = openmetrics(_read_assessment(out), read_findings(out), labels=constant)
    if output is not None:
        atomic_write(output, text)
        if not state.quiet:
            click.echo(f"{fmt} metrics written to {output}", err=True)
    elif url is None:
        click.echo(text, nl=False)
    if url is not None:
        status = push(text, url)
        if not state.quiet:
            click.echo(f"pushed to {url} (HTTP {status})", err=True)


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
    from ..evidence import atomic_write, manifest_subjects, read_findings, write_manifest
    from ..reports import EXTENSIONS

    config = _load(config_path)
    if light and out_dir is None:  # pre-commit: nothing left behind in the work tree
        import tempfile

        scratch = tempfile.TemporaryDirectory(prefix="aima-ci-light-")  # removed at exit
        out_dir = Path(scratch.name)
    out = _evidence_dir(config, out_dir)
    from ..collect import hold

    # Collect, score and reports as one unit: between this run's collect and its score another
    # run could otherwise clear the directory, and its manifest would vouch for our assessment.
    with hold(out):
        _do_collect(state, config, out, jobs, only, shard, reuse, no_cache, light)
        assessment = _score(config, out, target_level, fail_on_error, baseline, history)
        ctx = _report_context(state, config, out)
        for fmt in formats:
            file_ctx = _report_context(state, config, out)
            file_ctx.color = False
            text = _render(fmt, assessment, file_ctx)
            atomic_write(out / f"report.{EXTENSIONS.get(fmt, fmt)}", text)
        if formats:
            write_manifest(out, manifest_subjects(config, read_findings(out)))
    if light:
        from ..reports._issues import light_verdict

        code, lines = light_verdict(assessment)
        click.echo("\n".join(lines))
        sys.exit(code)
    if state.quiet:
        _echo_verdict(state, assessment, assessment["gate"])
    else:
        click.echo(_render("text", assessment, ctx), nl=False)
        click.echo(f"\nevidence: {out}")
    sys.exit(EXIT_PASS if assessment["gate"]["passed"] else EXIT_FAIL)
