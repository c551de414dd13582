"""The library entry point: what ``aima-ci collect``, ``score``, ``gate``, ``report`` and ``run``
do, callable without the command line (the GitHub action, tests, another tool embedding aima-ci).

The CLI parses options, calls these functions and prints; everything that decides a result lives
here or below, so the two can never drift apart. Every function raises ``UserError`` (or a
subclass) for what the user can fix; the CLI turns that into exit 2. Heavy modules are imported
inside the functions so that ``gate`` stays light (no numpy, pandas, torch; no history module
unless a history store is configured).

Top layer of the library (below only ``cli``): it may import every other subpackage.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aima_ci.errors import UserError

if TYPE_CHECKING:
    from aima_ci.assess.gate import GateResult
    from aima_ci.config import Config
    from aima_ci.evidence.runner import CollectorRun
    from aima_ci.reports import ReportContext
    from aima_ci.trust.history import HistorySettings


def load(config_path: Path | None) -> Config:
    """The project's config: this file, or the one discovered from the current folder."""
    from aima_ci.config import load_config

    return load_config(config_path)


def evidence_dir(config: Config, out_dir: Path | None) -> Path:
    """Where the evidence goes: the given folder, else ``output_dir`` from the config."""
    return (out_dir.resolve() if out_dir else config.output_dir).resolve()


def today() -> dt.date:
    """The date waivers, attestations and targets are judged on (AIMA_CI_TODAY pins it)."""
    from aima_ci.config import parse_date

    override = os.environ.get("AIMA_CI_TODAY")  # for reproducible runs and tests
    if not override:
        return dt.datetime.now(dt.UTC).date()
    day = parse_date(override)
    if day is None:
        raise UserError(f"AIMA_CI_TODAY={override[:40]!r}: must be a date (YYYY-MM-DD)")
    return day


# --------------------------------------------------------------------------- collect
def collect(
    config: Config,
    out_dir: Path,
    *,
    jobs: int | None = None,
    only: Sequence[str] = (),
    shard: str | None = None,
    reuse: Sequence[Path] = (),
    no_cache: bool = False,
    light: bool = False,
    progress: Callable[[list[str]], Any] | None = None,
    note: Callable[[str], None] | None = None,
) -> list[CollectorRun]:
    """Run the selected collectors and write the evidence directory.

    ``shard`` is the ``I/N`` text of ``--shard``; ``progress`` builds the listener that follows
    the run from the names of the collectors about to run (the CLI's live or plain display);
    ``note`` hears what the user should know but that changes no result (a cache ignored).
    """
    from aima_ci.assess.attestations import check_files
    from aima_ci.evidence.cache import NO_CACHE_ENV, CacheStore
    from aima_ci.evidence.collect import collect as run_collectors
    from aima_ci.evidence.collect import select_collectors

    # A broken attestation file (a directory, a FIFO, an alias bomb) is exit 2 now, not after
    # every collector has run and scoring reads it.
    check_files(config.attestation_files, config.root)

    spec = None
    if shard is not None:
        from aima_ci.evidence.shard import parse_shard

        try:
            spec = parse_shard(shard)
        except ValueError as exc:
            raise UserError(f"--shard: {exc}") from None
    cache = None
    if not (no_cache or os.environ.get(NO_CACHE_ENV)):
        cache, notes = CacheStore.for_checkout(config.root)
        for text in notes:
            if note is not None:
                note(text)
    names = [n for n, c in select_collectors(config, only, light).items() if c.get("enabled", True)]
    listener = progress(names) if progress is not None else None
    try:
        return run_collectors(
            config,
            out_dir,
            jobs=jobs,
            listener=listener,
            only=tuple(only),
            shard=spec,
            reuse=tuple(reuse),
            cache=cache,
            light=light,
        )
    finally:
        if listener is not None:
            listener.close()


# --------------------------------------------------------------------------- history / baseline
def history_settings(config: Config, history: str | None) -> HistorySettings | None:
    """The history store from the config, or the one ``--history`` names (None: none)."""
    if history is None and config.raw.get("history") is None:
        return None  # the common case, without importing the store (sqlite3) on every start
    from aima_ci.trust.history import history_settings as settings_of

    return settings_of(
        config.raw.get("history"), base=config.dir, cli_location=history, root=config.root
    )


def resolve_baseline(
    config: Config, baseline: Path | None, history: str | None, exclude_sha256: str | None = None
) -> tuple[Any, str | None]:
    """The no_regression baseline: a file, or 'history' (the default branch's latest record)."""
    from aima_ci.evidence.directory import read_json

    want_history = baseline is not None and str(baseline) == "history"
    if baseline is not None and not want_history:
        return read_json(baseline), str(baseline)
    settings = history_settings(config, history)
    if not want_history and not (settings and settings.baseline):
        return None, None
    if settings is None:
        raise UserError(
            "--baseline history: no history store (set history: in the config or --history)"
        )
    from aima_ci.trust.history import open_history

    record = open_history(settings.location).latest(
        settings.default_branch, exclude_sha256=exclude_sha256
    )
    if record is None:  # the first assessment on this branch: nothing to regress from
        return None, None
    return record.as_baseline(), f"history:{settings.default_branch}@{record.commit or record.date}"


def append_history(config: Config, out: Path, assessment: Any, history: str | None) -> None:
    """Record this assessment in the history store, when there is one."""
    settings = history_settings(config, history)
    if settings is None:
        return
    from aima_ci.evidence.directory import ASSESSMENT
    from aima_ci.evidence.runinfo import git_commit
    from aima_ci.safety.hashing import sha256_file
    from aima_ci.trust.history import detect_branch, open_history, record_from_assessment

    record = record_from_assessment(
        assessment,
        assessment_sha256=sha256_file(out / ASSESSMENT),
        branch=detect_branch(config.root),
        commit=git_commit(config.root),
    )
    open_history(settings.location).append(record)


# --------------------------------------------------------------------------- assess / gate
def assess(
    config: Config,
    out: Path,
    *,
    level: int | None = None,
    fail_on_error: bool = False,
    baseline: Path | None = None,
    history: str | None = None,
) -> dict[str, Any]:
    """Score the evidence in ``out`` and write assessment.json (and the manifest); returns it.

    The result is sealed (aima_ci.evidence.seal) only when the evidence was sealed and matched
    its manifest when scoring began: a forger who edits findings, deletes the manifest and
    scores gets an assessment, never one the gate accepts. A step left unfinished here
    (``.run-in-progress``) is refused.
    """
    from aima_ci.evidence.directory import (
        FINDINGS,
        Digests,
        check_complete,
        clear_incomplete,
        mark_incomplete,
        write_manifest,
    )
    from aima_ci.evidence.lock import locked

    base, source = resolve_baseline(config, baseline, history)
    with locked(out):  # never score evidence another run is rewriting
        check_complete(out)
        # Each evidence file is hashed once: checked against the manifest here, recorded in
        # the scoring inputs, listed in the new manifest (only what scoring writes is new).
        # The big one is hashed in a thread while the scoring code loads and scores.
        digests = Digests(out)
        digests.prefetch(FINDINGS)
        from aima_ci.assess.assessment import score_assessment, write_assessment
        from aima_ci.evidence.seal import reseal

        mark_incomplete(out, "score")
        # Scored in memory first (from the findings index while findings.jsonl is hashed),
        # then the input is judged as it was when scoring began: nothing is written before.
        assessment = score_assessment(
            config,
            out,
            today=today(),
            level_override=level,
            fail_on_error=fail_on_error,
            baseline=base,
            baseline_source=source,
            digest_of=digests,
        )
        sealed = _sealed_input(config, out, digests)
        write_assessment(out, assessment, digests)
        from aima_ci.evidence.index import refresh_index

        refresh_index(out, digests)
        write_manifest(out, evidence_subjects(config, out, digests), digests)
        reseal(out, config.root, sealed)
        clear_incomplete(out)
    append_history(config, out, assessment, history)
    return assessment


def evidence_subjects(config: Config, out: Path, digests: Any = None) -> list[dict[str, Any]]:
    """What the manifest lists as the evidence's subjects: the findings' (from the findings
    index when it may stand for findings.jsonl), the config and the attestation files."""
    from aima_ci.evidence.directory import (
        Digests,
        file_subjects,
        listed_digests,
        read_findings,
        subjects_of,
    )
    from aima_ci.evidence.index import indexed_subjects

    found = indexed_subjects(out, listed_digests(out), digests or Digests(out))
    if found is None:
        found = subjects_of(read_findings(out))
    policy = file_subjects("config", [config.path] if config.path else [], config.root)
    answers = file_subjects("attestations", config.attestation_files, config.root)
    return found + policy + answers


def _sealed_input(config: Config, out: Path, digests: Any = None) -> bool:
    """Whether scoring may seal what it writes: the seal held and every file still matched the
    manifest when scoring began."""
    from aima_ci.evidence.directory import MANIFEST, verify_manifest
    from aima_ci.evidence.seal import check_seal

    if not (out / MANIFEST).is_file() or check_seal(out, config.root) is not None:
        return False
    try:
        return not verify_manifest(out, digests)
    except Exception:
        return False


def _gate_baseline(config: Config, out: Path, baseline: Path | None, history: str | None) -> Any:
    """As resolve_baseline, but never this assessment itself (scoring may have appended it)."""
    if baseline is None and history is None and config.raw.get("history") is None:
        return None  # the common case: no history module (nor sqlite3) on the gate path
    from aima_ci.evidence.directory import ASSESSMENT
    from aima_ci.safety.hashing import sha256_file

    current = out / ASSESSMENT
    exclude = sha256_file(current) if current.is_file() else None
    return resolve_baseline(config, baseline, history, exclude)[0]


def gate(
    config: Config,
    out: Path,
    *,
    level: int | None = None,
    fail_on_error: bool = False,
    baseline: Path | None = None,
    history: str | None = None,
    note: Callable[[str], None] | None = None,
) -> tuple[dict[str, Any], GateResult]:
    """Decide pass or fail from the scored assessment (scoring first if there is none).

    The stored summary is used only while it still holds now: sealed on this machine, scored
    from today's config, attestation files, date and subject files, within every time-to-live
    (aima_ci.assess.recheck). Otherwise the findings are re-scored now and ``note`` hears why;
    evidence collected from other files than the checkout holds is refused. Returns the levels
    the verdict was taken from, and the verdict.
    """
    from aima_ci.assess.gate import collector_runs, effective_target, evaluate
    from aima_ci.assess.recheck import gate_view
    from aima_ci.evidence.directory import ASSESSMENT, SUMMARY
    from aima_ci.evidence.outdir import inspect

    inspect(out)  # no verdict read through a committed symlink or from a directory
    if not (out / ASSESSMENT).exists():
        assess(
            config,
            out,
            level=level,
            fail_on_error=fail_on_error,
            baseline=baseline,
            history=history,
        )
    day = today()
    assessment, run, notes = gate_view(
        config, out, today=day, level_override=level, fail_on_error=fail_on_error
    )
    for text in notes:
        if note is not None:
            note(text)
    result = evaluate(
        assessment,
        effective_target(config.target, day, level),
        required_collectors=config.required_collectors,
        collector_runs=collector_runs(run),
        baseline=_gate_baseline(config, out, baseline, history),
        fail_on_error=fail_on_error,
        source=str(out / SUMMARY),
        outcomes=assessment.get("outcomes"),
    )
    return assessment, result


# --------------------------------------------------------------------------- reports
def read_assessment(out: Path) -> Any:
    """assessment.json for report and export: as aima-ci wrote it (manifest) and judgeable."""
    from aima_ci.assess.gate import check_assessment
    from aima_ci.evidence.directory import ASSESSMENT, check_listed, read_json
    from aima_ci.evidence.outdir import inspect

    inspect(out)
    check_listed(out, ASSESSMENT)
    assessment = read_json(out / ASSESSMENT)
    check_assessment(assessment, str(out / ASSESSMENT))
    return assessment


@contextlib.contextmanager
def malformed(path: Path) -> Iterator[None]:
    """A renderer meeting a field it needs missing or of the wrong type in an assessment that
    was not written by this aima-ci (hand-made, another version): exit 2 naming the file."""
    from aima_ci.errors import EvidenceError

    try:
        yield
    except (KeyError, TypeError, AttributeError, IndexError) as exc:
        raise EvidenceError(
            f"{path}: malformed assessment ({type(exc).__name__}: {exc}); run 'aima-ci score'"
            " to write it again"
        ) from None


def report_context(
    config: Config, out: Path, *, color: bool = False, verbose: bool = False
) -> ReportContext:
    """What a report renderer needs besides the assessment."""
    from aima_ci.reports import ReportContext

    return ReportContext(
        evidence_dir=out,
        config_path=config.path,
        config_lines=config.lines,
        color=color,
        verbose=verbose,
    )


def render(
    fmt: str, assessment: dict[str, Any], ctx: ReportContext, *, view: str | None = None
) -> str:
    """The assessment in one report format (any name in ``aima_ci.reports.FORMATS``), or with
    ``view`` that framework's view of it (UserError when the format cannot show one)."""
    from aima_ci import reports

    return reports.render(fmt, assessment, ctx, view=view)


# --------------------------------------------------------------------------- run
def run(
    config: Config,
    out: Path,
    *,
    jobs: int | None = None,
    only: Sequence[str] = (),
    level: int | None = None,
    fail_on_error: bool = False,
    baseline: Path | None = None,
    history: str | None = None,
    formats: Sequence[str] = (),
    light: bool = False,
    shard: str | None = None,
    reuse: Sequence[Path] = (),
    no_cache: bool = False,
    verbose: bool = False,
    progress: Callable[[list[str]], Any] | None = None,
    note: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Collect, score and write each format's file (``<out>/report.<ext>``), as one unit;
    returns the assessment (its ``gate`` entry holds the verdict)."""
    from aima_ci import reports
    from aima_ci.evidence.directory import (
        atomic_write,
        write_manifest,
    )
    from aima_ci.evidence.lock import hold

    chosen = [reports.get(name) for name in formats]  # an unknown name: exit 2 before collecting
    today()  # a bad AIMA_CI_TODAY or history setting: exit 2 before any collector runs
    history_settings(config, history)
    # Collect, score and reports as one unit: between this run's collect and its score another
    # run could otherwise clear the directory, and its manifest would vouch for our assessment.
    with hold(out):
        collect(
            config,
            out,
            jobs=jobs,
            only=only,
            shard=shard,
            reuse=reuse,
            no_cache=no_cache,
            light=light,
            progress=progress,
            note=note,
        )
        assessment = assess(
            config,
            out,
            level=level,
            fail_on_error=fail_on_error,
            baseline=baseline,
            history=history,
        )
        for fmt in chosen:
            file_ctx = report_context(config, out, color=False, verbose=verbose)
            atomic_write(out / fmt.filename, fmt.render(assessment, file_ctx))
        if formats:
            from aima_ci.evidence.seal import check_seal, reseal

            sealed = check_seal(out, config.root) is None
            write_manifest(out, evidence_subjects(config, out))
            reseal(out, config.root, sealed)
    return assessment
