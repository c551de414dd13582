"""The ``aima-ci`` command line: a thin layer over the library.

Exit codes: 0 gate passed (or command succeeded), 1 gate failed (or ``verify`` found a
difference), 2 usage, configuration or input error, 3 internal error (a bug: please report it).
Imports are kept inside commands so ``aima-ci gate`` loads little more than click and yaml.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import sys
from collections.abc import Callable, Iterator
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

import click

from . import __version__

EXIT_PASS, EXIT_FAIL, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 3
F = TypeVar("F", bound=Callable[..., Any])


class State:
    def __init__(self, quiet: bool, verbose: bool, no_color: bool) -> None:
        self.quiet = quiet
        self.verbose = verbose
        self.color = not no_color and "NO_COLOR" not in os.environ and sys.stdout.isatty()


def _fail(message: str, code: int = EXIT_USAGE) -> None:
    from .redact import Redactor

    # An error may quote a config value, and CI logs are widely readable.
    click.echo(f"aima-ci: error: {Redactor().text(message)}", err=True)
    sys.exit(code)


def handle_errors(fn: F) -> F:
    """Turn user errors into exit 2 with a one-line message; a bug into exit 3 asking for a report."""

    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from .errors import UserError

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
        except Exception as exc:
            if os.environ.get("AIMA_CI_DEBUG"):
                raise
            from .redact import Redactor

            click.echo(
                f"aima-ci: internal error: {type(exc).__name__}: {Redactor().text(str(exc))}\n"
                "This is a bug in aima-ci; please report it with the command you ran"
                " (set AIMA_CI_DEBUG=1 for the traceback).",
                err=True,
            )
            sys.exit(EXIT_INTERNAL)

    return wrapper  # type: ignore[return-value]


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
no_cache_option = click.option(
    "--no-cache", is_flag=True, help="Run every collector; neither read nor write the cache."
)
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
    from .config import load_config

    return load_config(config_path)


def _evidence_dir(config: Any, out_dir: Path | None) -> Path:
    return (out_dir.resolve() if out_dir else config.output_dir).resolve()


def _today() -> dt.date:
    override = os.environ.get("AIMA_CI_TODAY")  # for reproducible runs and tests
    return dt.date.fromisoformat(override) if override else dt.datetime.now(dt.UTC).date()


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="aima-ci")
@click.option("-q", "--quiet", is_flag=True, help="Only errors and the verdict.")
@click.option("-v", "--verbose", is_flag=True, help="More detail.")
@click.option("--no-color", is_flag=True, help="No colours (NO_COLOR is respected too).")
@click.pass_context
def cli(ctx: click.Context, quiet: bool, verbose: bool, no_color: bool) -> None:
    """aima-ci: OWASP AI Maturity Assessment (AIMA v1.0) as a CI build gate."""
    ctx.obj = State(quiet, verbose, no_color)


# --------------------------------------------------------------------------- collect / score
def _progress(state: State, names: list[str]) -> Any:
    from .progress import LiveProgress, PlainProgress

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
    from .cache import NO_CACHE_ENV, CacheStore
    from .collect import collect, select_collectors

    spec = None
    if shard is not None:
        from .shard import parse_shard

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


light_option = click.option(
    "--light",
    is_flag=True,
    help="Only the collectors marked light (they read repository files: config, provenance,"
    " policy, model card...). With run: exit 1 when a light check fails or errors, 0 otherwise"
    " (the maturity gate needs the full run); without --out the evidence goes to a temporary"
    " folder. For pre-commit.",
)


@cli.command("collect")
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
    from .history import history_settings

    return history_settings(config.raw.get("history"), base=config.dir, cli_location=history)


def _resolve_baseline(
    config: Any, baseline: Path | None, history: str | None, exclude_sha256: str | None = None
) -> tuple[Any, str | None]:
    """The no_regression baseline: a file, or 'history' (the default branch's latest record)."""
    from .evidence import read_json

    want_history = baseline is not None and str(baseline) == "history"
    if baseline is not None and not want_history:
        return read_json(baseline), str(baseline)
    settings = _history_settings(config, history)
    if not want_history and not (settings and settings.baseline):
        return None, None
    if settings is None:
        _fail("--baseline history: no history store (set history: in the config or --history)")
    from .history import open_history

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
    from .evidence import ASSESSMENT
    from .hashing import sha256_file
    from .history import detect_branch, open_history, record_from_assessment
    from .runinfo import git_commit

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
    from .assessment import assess
    from .collect import locked
    from .evidence import manifest_subjects, read_findings, write_manifest

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


@cli.command("score")
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
@cli.command("gate")
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
    from .evidence import ASSESSMENT, RUN, SUMMARY, check_listed, read_json
    from .gate import collector_runs, effective_target, evaluate

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
    )
    _echo_verdict(state, assessment, result.to_dict())
    sys.exit(EXIT_PASS if result.passed else EXIT_FAIL)


def _gate_baseline(config: Any, out: Path, baseline: Path | None, history: str | None) -> Any:
    """As _resolve_baseline, but never this assessment itself (scoring may have appended it)."""
    if baseline is None and history is None and config.raw.get("history") is None:
        return None  # the common case: no history module (nor sqlite3) on the gate path
    from .evidence import ASSESSMENT
    from .hashing import sha256_file

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
    if not state.quiet:
        for f in gate["failures"]:
            click.echo(f"  - {f['message']}")


# --------------------------------------------------------------------------- report
def _report_context(state: State, config: Any, out: Path) -> Any:
    from .reports import ReportContext

    return ReportContext(
        evidence_dir=out,
        config_path=config.path,
        config_lines=config.lines,
        color=state.color,
        verbose=state.verbose,
    )


def _read_assessment(out: Path) -> Any:
    """assessment.json for report and export: as aima-ci wrote it (manifest) and judgeable."""
    from .evidence import ASSESSMENT, check_listed, read_json
    from .gate import check_assessment

    check_listed(out, ASSESSMENT)
    assessment = read_json(out / ASSESSMENT)
    check_assessment(assessment, str(out / ASSESSMENT))
    return assessment


@contextlib.contextmanager
def _malformed(path: Path) -> Iterator[None]:
    """A renderer meeting a field it needs missing or of the wrong type in an assessment that
    was not written by this aima-ci (hand-made, another version): exit 2 naming the file."""
    from .errors import EvidenceError

    try:
        yield
    except (KeyError, TypeError, AttributeError, IndexError) as exc:
        raise EvidenceError(
            f"{path}: malformed assessment ({type(exc).__name__}: {exc}); run 'aima-ci score'"
            " to write it again"
        ) from None


def _render(fmt: str, assessment: dict[str, Any], ctx: Any) -> str:
    from .reports import renderer

    return renderer(fmt)(assessment, ctx)


def _format_choice() -> click.Choice:
    # Built lazily per command so the gate path does not import the report modules.
    from .reports import FORMATS

    return click.Choice(sorted(FORMATS))


@cli.command("report")
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
    from .evidence import ASSESSMENT, atomic_write

    config = _load(config_path)
    out = _evidence_dir(config, out_dir)
    assessment = _read_assessment(out)
    ctx = _report_context(state, config, out)
    if output is not None:
        ctx.color = False
    with _malformed(out / ASSESSMENT):
        if view is not None:
            from .reports.views import framework_view, render_view

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
@cli.command("export")
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
    from .evidence import ASSESSMENT, atomic_write, read_findings
    from .metrics import openmetrics, parse_labels, push, push_url

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
@cli.command("run")
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
    from .evidence import atomic_write, manifest_subjects, read_findings, write_manifest
    from .reports import EXTENSIONS

    config = _load(config_path)
    if light and out_dir is None:  # pre-commit: nothing left behind in the work tree
        import tempfile

        scratch = tempfile.TemporaryDirectory(prefix="aima-ci-light-")  # removed at exit
        out_dir = Path(scratch.name)
    out = _evidence_dir(config, out_dir)
    from .collect import hold

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
        from .reports._issues import light_verdict

        code, lines = light_verdict(assessment)
        click.echo("\n".join(lines))
        sys.exit(code)
    if state.quiet:
        _echo_verdict(state, assessment, assessment["gate"])
    else:
        click.echo(_render("text", assessment, ctx), nl=False)
        click.echo(f"\nevidence: {out}")
    sys.exit(EXIT_PASS if assessment["gate"]["passed"] else EXIT_FAIL)


# --------------------------------------------------------------------------- catalogue
@cli.command("controls")
@click.option(
    "--format",
    "-f",
    "fmt",
    type=click.Choice(["text", "json", "markdown"]),
    default="text",
    show_default=True,
)
@click.option("--domain", help="Only this domain (e.g. VER) or practice (e.g. VER-ST).")
@click.option(
    "--coverage",
    is_flag=True,
    help="How each question can be answered: the installed collectors' checks, or attestation.",
)
@click.pass_obj
@handle_errors
def controls_cmd(state: State, fmt: str, domain: str | None, coverage: bool) -> None:
    """Browse the AIMA catalogue: domains, practices, streams and the 144 questions."""
    from .catalogue import load_catalogue

    cat = load_catalogue()
    questions = [
        q for q in cat.questions.values() if not domain or q.id.startswith(domain.upper() + "-")
    ]
    if domain and not questions:
        _fail(f"--domain: unknown domain or practice {domain!r}")
    if coverage:
        from .coverage import RENDERERS, installed_coverage, restrict

        cov = restrict(installed_coverage(cat), {q.id for q in questions})
        click.echo(RENDERERS[fmt](cov), nl=False)
        return
    if fmt == "markdown":
        click.echo("| Question | Level | Stream | Text |\n|---|---|---|---|")
        for q in questions:
            text = q.text.replace("|", "\\|")
            click.echo(f"| {q.id} | {q.level} | {q.stream} | {text} |")
        return
    if fmt == "json":
        rows = []
        for q in questions:
            p = cat.practices[q.practice]
            s = cat.streams[f"{q.practice}-{q.stream}"]
            rows.append(
                {
                    "id": q.id,
                    "text": q.text,
                    "domain": p.domain,
                    "practice": p.id,
                    "practice_name": p.name,
                    "stream": q.stream,
                    "stream_title": s.title,
                    "level": q.level,
                    "descriptor": q.descriptor,
                    "inverted_phrasing": q.inverted_phrasing,
                }
            )
        click.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    current = None
    for q in questions:
        if q.practice != current:
            current = q.practice
            p = cat.practices[q.practice]
            titles = " / ".join(f"{s.letter}: {s.title}" for s in p.streams)
            click.echo(f"\n{p.id} {p.name}  ({titles})")
        flag = " (*)" if q.inverted_phrasing else ""
        click.echo(f"  {q.id}  L{q.level} {q.stream}  {q.text}{flag}")
    if any(q.inverted_phrasing for q in questions):
        click.echo(
            "\n(*) 'yes' describes the initial stage: answer yes if you are at or beyond it."
        )


@cli.command("explain")
@click.argument("ident")
@config_option
@evidence_option
@click.pass_obj
@handle_errors
def explain_cmd(state: State, ident: str, config_path: Path | None, out_dir: Path | None) -> None:
    """What a question, practice or check means, what satisfies it, and what the next level needs."""
    from .catalogue import load_catalogue
    from .evidence import ASSESSMENT, read_json
    from .explain import practice_gaps, question_next_step, question_reason
    from .plugin import discover

    cat = load_catalogue()
    ident = ident.strip()
    all_checks = {c.id: (name, c) for name, cls in discover().items() for c in cls.checks}
    by_question: dict[str, list[str]] = {}
    for cid, (_, c) in all_checks.items():
        for q in c.questions:
            by_question.setdefault(q, []).append(cid)
    assessment = None
    try:
        config = _load(config_path)
        path = _evidence_dir(config, out_dir) / ASSESSMENT
        if path.exists():
            assessment = read_json(path)
    except Exception:
        assessment = None
    kind = cat.kind_of(ident.upper())
    if kind == "question":
        q = cat.questions[ident.upper()]
        p = cat.practices[q.practice]
        click.echo(
            f"{q.id}  {p.id} {p.name}, stream {q.stream} ({cat.streams[p.id + '-' + q.stream].title}), level {q.level}"
        )
        click.echo(f"  {q.text}")
        if q.descriptor:
            click.echo(f"  AIMA describes this stage as: {q.descriptor}")
        if q.inverted_phrasing:
            click.echo(f"  Note: {q.note or 'yes describes the initial stage'}")
        checks = by_question.get(q.id, [])
        click.echo(
            "  Satisfied by: "
            + (f"automated checks {', '.join(checks)}, or " if checks else "")
            + "an attestation (yes, or 3 on the toolkit scale)"
        )
        if assessment:
            qa = _find_question(assessment, q.id)
            if qa:
                click.echo(
                    f"  Last assessment: value {qa['value']:.2f} ({'satisfied' if qa['satisfied'] else 'not satisfied'})"
                )
                click.echo(f"    evidence: {question_reason(qa)}")
                step = question_next_step(qa, by_question)
                if step:
                    click.echo(f"    next: {step}")
        return
    if kind == "practice":
        p = cat.practices[ident.upper()]
        click.echo(f"{p.id} {p.name} ({cat.domain_map[p.domain].name})")
        if p.objective:
            click.echo(f"  {p.objective}")
        for s in p.streams:
            click.echo(f"  Stream {s.letter}: {s.title}")
            for q in s.questions:
                click.echo(f"    {q.id} L{q.level}: {q.text}")
        if assessment:
            pa = next(x for d in assessment["domains"] for x in d["practices"] if x["id"] == p.id)
            click.echo(
                f"  Last assessment: level {pa['level']}{'+' if pa['plus'] else ''}, score {pa['score']:.2f}"
            )
            if pa["level"] < 3:
                click.echo(f"  To reach level {pa['level'] + 1}:")
                for g in practice_gaps(pa, cat, None, by_question):
                    click.echo(
                        f"    {g.question}: {g.text}\n      evidence: {g.reason}\n      next: {g.next_step}"
                    )
        return
    if kind == "domain":
        d = cat.domain_map[ident.upper()]
        click.echo(f"{d.id} {d.name}")
        for p in d.practices:
            click.echo(f"  {p.id} {p.name}")
        return
    if ident in all_checks:
        name, c = all_checks[ident]
        click.echo(f"{c.id}  ({name} collector, severity {c.severity})")
        click.echo(f"  {c.title}")
        if c.description:
            click.echo(f"  {c.description}")
        if c.threshold is not None:
            click.echo(f"  Default threshold: {c.comparison or ''} {c.threshold}")
        click.echo(f"  Evidence for: {', '.join(c.questions)}")
        if c.next_step:
            click.echo(f"  When it fails: {c.next_step}")
        return
    _fail(f"unknown id {ident!r}: not a domain, practice, stream, question or known check")


def _find_question(assessment: dict[str, Any], qid: str) -> dict[str, Any] | None:
    from .gate import iter_questions

    return next((q for q in iter_questions(assessment) if q["id"] == qid), None)


@cli.command("collectors")
@click.option(
    "--format", "-f", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@click.pass_obj
@handle_errors
def collectors_cmd(state: State, fmt: str) -> None:
    """List the discovered collectors and whether their tools are installed."""
    from .plugin import _load, discover_names

    rows = []
    for name, ep in sorted(discover_names().items()):
        try:
            cls = _load(ep)
        except Exception as exc:
            rows.append(
                {
                    "name": name,
                    "installed": False,
                    "error": f"{type(exc).__name__}: {exc}",
                    "entry_point": ep.value,
                }
            )
            continue
        inst = cls()
        missing = inst.missing_requirements()
        rows.append(
            {
                "name": name,
                "version": cls.version,
                "description": cls.description,
                "installed": not missing,
                "missing": missing,
                "install": inst.install_hint() if missing else None,
                "tool": cls.tool or None,
                "tool_version": inst.tool_version() if not missing else None,
                "light": cls.light,
                "checks": [c.id for c in cls.checks],
                "entry_point": ep.value,
            }
        )
    if fmt == "json":
        click.echo(json.dumps(rows, indent=2))
        return
    if not rows:
        click.echo("no collectors installed")
    for r in rows:
        if "error" in r:
            click.echo(f"{r['name']:<16} BROKEN   {r['error']}")
            continue
        status = (
            "ready" if r["installed"] else f"missing {', '.join(r['missing'])} ({r['install']})"
        )
        tv = f" {r['tool']} {r['tool_version']}" if r.get("tool_version") else ""
        click.echo(f"{r['name']:<16} {status}{tv}")
        if state.verbose:
            click.echo(f"  {r['description']}\n  checks: {', '.join(r['checks'])}")


@cli.command("init")
@click.option(
    "--dir",
    "directory",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("."),
    show_default=True,
)
@click.option("--force", is_flag=True, help="Overwrite existing files.")
@click.option(
    "--no-inspect", is_flag=True, help="Write the generic template without reading the repository."
)
@click.pass_obj
@handle_errors
def init_cmd(state: State, directory: Path, force: bool, no_inspect: bool) -> None:
    """Inspect the repository, then write a starter aima.yaml and an attestation file to fill in."""
    from .catalogue import load_catalogue
    from .init import init_repository

    directory.mkdir(parents=True, exist_ok=True)
    try:
        result = init_repository(
            directory, load_catalogue(), _today(), force, inspect=not no_inspect
        )
    except FileExistsError as exc:
        _fail(f"{exc} already exist(s); use --force to overwrite")
    if not state.quiet:
        for line in result.inspection.summary():
            click.echo(f"found {line}")
        if result.enabled:
            click.echo(f"enabled collectors: {', '.join(result.enabled)}")
    for p in result.paths:
        click.echo(f"wrote {p}")
    if not state.quiet:
        click.echo(f"{result.questions_left} question(s) left to attest in {result.paths[1].name}")


@cli.group("provenance")
def provenance_group() -> None:
    """Data provenance manifests (verified by the provenance collector)."""


@provenance_group.command("write")
@config_option
@click.option(
    "--out",
    "out_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Manifest to write (default: collectors.provenance.manifest, else data-manifest.yaml).",
)
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.pass_obj
@handle_errors
def provenance_write_cmd(
    state: State, config_path: Path | None, out_path: Path | None, paths: tuple[Path, ...]
) -> None:
    """Hash dataset files/folders into a manifest with sign-off fields to fill."""
    from .paths import PathError, resolve_inside
    from .provenance import DEFAULT_MANIFEST, DocumentError, build_manifest, parse_manifest

    config = _load(config_path)
    if out_path is None:
        configured = (config.collectors.get("provenance") or {}).get("manifest")
        out_path = config.dir / (configured if isinstance(configured, str) else DEFAULT_MANIFEST)
    try:
        out = resolve_inside(Path.cwd(), str(out_path), config.root, must_exist=False)
        previous = parse_manifest(out, str(out_path)) if out.exists() else None
        result = build_manifest(out, [Path(p).absolute() for p in paths], previous)
    except (PathError, DocumentError) as exc:
        _fail(f"provenance write: {exc}")
    from .evidence import atomic_write

    atomic_write(out, result.text)
    for note in result.notes:
        click.echo(f"note: {note}", err=True)
    if not state.quiet:
        todo = "" if result.kept_signoff else "; fill signed_off_by, date, source and licence"
        click.echo(f"wrote {out_path} ({result.files} files){todo}")


# --------------------------------------------------------------------------- trust and scale
@cli.command("attest")
@config_option
@evidence_option
@click.option(
    "--key",
    "key_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Ed25519 private key (PEM, PKCS8).",
)
@click.option("--key-env", metavar="VAR", help="Environment variable holding the private key PEM.")
@click.option(
    "--out",
    "envelope_out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Where to write the DSSE envelope (default: <evidence>/attestation.intoto.jsonl).",
)
@click.option(
    "--generate-key",
    "generate",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Create an Ed25519 key pair at PATH and PATH.pub, then exit.",
)
@click.pass_obj
@handle_errors
def attest_cmd(
    state: State,
    config_path: Path | None,
    out_dir: Path | None,
    key_path: Path | None,
    key_env: str | None,
    envelope_out: Path | None,
    generate: Path | None,
) -> None:
    """Sign the assessment: an in-toto statement in a DSSE envelope (Ed25519)."""
    from .attest import attest, generate_keypair, key_from

    if generate is not None:
        private, public = generate_keypair(generate)
        click.echo(f"wrote {private} (private: keep it secret) and {public}")
        return
    key = key_from(key_path, key_env)
    config = _load(config_path)
    out = _evidence_dir(config, out_dir)
    target, statement = attest(out, key, envelope_out)
    if not state.quiet:
        names = ", ".join(s["name"] for s in statement["subject"])
        click.echo(f"signed statement written to {target} (subjects: {names})")


@cli.command("verify")
@click.argument("directory", type=click.Path(path_type=Path))
@click.option(
    "--public-key",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Ed25519 public key (PEM) the envelope must be signed with.",
)
@click.option(
    "--envelope",
    type=click.Path(dir_okay=False, path_type=Path),
    help="DSSE envelope to check (default: <dir>/attestation.intoto.jsonl when present).",
)
@click.option(
    "--format", "-f", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@click.pass_obj
@handle_errors
def verify_cmd(
    state: State, directory: Path, public_key: Path | None, envelope: Path | None, fmt: str
) -> None:
    """Check evidence: hashes, manifest, signature, and that the assessment follows (exit 0/1)."""
    from .verify import render, verify_evidence

    if not directory.is_dir():
        _fail(f"{directory}: not an evidence directory")
    if envelope is not None and not envelope.is_file():
        _fail(f"--envelope {envelope}: not found")
    key = None
    if public_key is not None:
        from .attest import load_public_key

        if not public_key.is_file():
            _fail(f"--public-key {public_key}: not found")
        key = load_public_key(public_key.read_bytes(), str(public_key))
    report = verify_evidence(directory.resolve(), public_key=key, envelope=envelope)
    if fmt == "json":
        click.echo(json.dumps(report.to_dict(), indent=2))
    elif not state.quiet or not report.ok:
        click.echo(render(report, directory), nl=False)
    sys.exit(EXIT_PASS if report.ok else EXIT_FAIL)


@cli.command("merge")
@click.argument("inputs", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--out",
    "out_dir",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="New evidence directory to write.",
)
@click.option("--allow-partial", is_flag=True, help="Merge even when some shards are missing.")
@click.pass_obj
@handle_errors
def merge_cmd(state: State, inputs: tuple[Path, ...], out_dir: Path, allow_partial: bool) -> None:
    """Combine shard evidence directories or .tar.gz/.zip bundles into one directory."""
    from .merge import merge

    plan = merge(list(inputs), out_dir, allow_partial=allow_partial)
    if not state.quiet:
        click.echo(
            f"merged {len(inputs)} input(s) into {out_dir}: {len(plan.collectors)} collector(s),"
            f" {len(plan.findings)} finding(s), {len(plan.files)} artefact(s); score it next"
        )


@cli.command("history")
@config_option
@history_option
@click.option("--branch", help="Only this branch (default: the default branch).")
@click.option("--all-branches", is_flag=True, help="Every branch, interleaved.")
@click.option("--limit", type=click.IntRange(1, 100_000), default=30, show_default=True)
@click.option(
    "--format", "-f", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@click.pass_obj
@handle_errors
def history_cmd(
    state: State,
    config_path: Path | None,
    history: str | None,
    branch: str | None,
    all_branches: bool,
    limit: int,
    fmt: str,
) -> None:
    """Show the maturity trend per domain from the history store."""
    from .history import open_history, render_trend, trend_rows

    config = _load(config_path)
    settings = _history_settings(config, history)
    if settings is None:
        _fail("no history store: set history: in the config or give --history PATH")
    chosen = None if all_branches else (branch or settings.default_branch)
    records = open_history(settings.location).trend(chosen, limit)
    if fmt == "json":
        click.echo(json.dumps({"branch": chosen, "entries": trend_rows(records)}, indent=2))
    else:
        click.echo(render_trend(records, chosen), nl=False)


def main() -> None:
    cli(prog_name="aima-ci")
