"""attestations and toolkit: answering AIMA's questions without editing YAML by hand, and the
OWASP toolkit workbook in both directions."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import click

from aima_ci.cli.main import (
    State,
    _evidence_dir,
    _fail,
    _load,
    _today,
    config_option,
    handle_errors,
)

ANSWER_HELP = "yes or no, or 0-3 on the OWASP toolkit scale (0 none ... 3 mature)."


@click.group("attestations")
def attestations_group() -> None:
    """What is left to attest, and answering it."""


def _attestation_file(config: Any, file: Path | None) -> Path:
    if file is not None:
        return file.resolve()
    if config.attestation_files:
        return Path(config.attestation_files[0])
    from aima_ci.onboard.answers import DEFAULT_FILE

    return config.dir / DEFAULT_FILE


def _covered(config: Any, catalogue: Any) -> set[str]:
    """Questions an enabled collector has a check for (they are answered by running it)."""
    from aima_ci.assess.coverage import discovered
    from aima_ci.cli.init import questions_left

    checks, _ = discovered()
    enabled = [n for n in config.enabled_collectors() if n in checks]
    left = set(questions_left(catalogue, checks, enabled))
    return set(catalogue.questions) - left


@attestations_group.command("todo")
@config_option
@click.option("--profile", help="Order by this profile (default: profile in the config).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@click.option("--limit", type=click.IntRange(min=1), help="Show only the first N.")
@click.pass_obj
@handle_errors
def todo_cmd(
    state: State, config_path: Path | None, profile: str | None, fmt: str, limit: int | None
) -> None:
    """Unanswered questions by domain and level, the profile's most valuable first."""
    from aima_ci.assess.catalogue import load_catalogue
    from aima_ci.onboard.answers import (
        open_questions,
        practice_targets,
        render_todo,
        todo_json,
        valid_attested,
    )
    from aima_ci.onboard.profiles import load_profile

    config = _load(config_path)
    catalogue = load_catalogue()
    name = profile or config.raw.get("profile")
    priorities = load_profile(name).attestations if name else ()
    attested = valid_attested(config.attestation_files, config.root, catalogue, _today())
    targets = practice_targets(config, catalogue)
    items = open_questions(catalogue, _covered(config, catalogue), attested, priorities, targets)
    total = len(items)
    if limit:
        items = items[:limit]
    if fmt == "json":
        click.echo(json.dumps(todo_json(items), indent=2))
    else:
        click.echo(render_todo(items, catalogue, name, total), nl=False)


@attestations_group.command("answer")
@click.argument("question")
@click.option("--answer", "answer", required=True, help=ANSWER_HELP)
@click.option("--owner", required=True, help="Who answers for it (an email or a team).")
@click.option(
    "--evidence", help="A URL or a repository path (hashed into the evidence at scoring)."
)
@click.option(
    "--expires",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="When the answer must be reviewed (default: one year from today).",
)
@click.option("--note", help="Free text kept with the answer.")
@click.option(
    "--file",
    "file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Attestation file (default: the first one in the config, else aima-attestations.yaml).",
)
@config_option
@click.pass_obj
@handle_errors
def answer_cmd(
    state: State,
    question: str,
    answer: str,
    owner: str,
    evidence: str | None,
    expires: dt.datetime | None,
    note: str | None,
    file: Path | None,
    config_path: Path | None,
) -> None:
    """Append one valid answer to the attestation file (checked as scoring will check it)."""
    from aima_ci.assess.catalogue import load_catalogue
    from aima_ci.onboard.answers import append_answer, build_entry, check_entry

    config = _load(config_path)
    catalogue = load_catalogue()
    today = _today()
    if question not in catalogue.questions:
        from difflib import get_close_matches

        near = get_close_matches(question.upper(), list(catalogue.questions), n=1)
        hint = f" (did you mean {near[0]}?)" if near else ""
        _fail(f"unknown question id {question!r}{hint}")
    until = expires.date() if expires else today + dt.timedelta(days=365)
    target = _attestation_file(config, file)
    entry = build_entry(question, answer, owner, evidence, today, until, note)
    check_entry(entry, target, config.root, catalogue, today)
    append_answer(target, entry)
    if not state.quiet:
        click.echo(f"{question}: answered {entry['answer']} in {target}")
        if not config.attestation_files and config.path is not None:
            click.echo(f"note: add 'attestations: {target.name}' to {config.display}")


@click.group("toolkit")
def toolkit_group() -> None:
    """The OWASP AIMA toolkit workbook (V1.0.1): import its answers, export an assessment."""


@toolkit_group.command("import")
@click.argument("workbook", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@click.option("--owner", required=True, help="Who answers for the workbook's answers.")
@click.option(
    "--out",
    "out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Attestation file to write (default: toolkit-attestations.yaml).",
)
@click.option(
    "--expires",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="Expiry of the imported answers (default: one year from today).",
)
@click.option("--force", is_flag=True, help="Overwrite --out if it exists.")
@click.pass_obj
@handle_errors
def toolkit_import_cmd(
    state: State,
    workbook: Path,
    owner: str,
    out: Path | None,
    expires: dt.datetime | None,
    force: bool,
) -> None:
    """Turn the workbook's answers (0-3) into attestations; "To evaluate" stays unanswered."""
    from aima_ci.assess.catalogue import load_catalogue
    from aima_ci.evidence.directory import atomic_write
    from aima_ci.onboard.workbook import attestations_yaml, read_answers

    catalogue = load_catalogue()
    today = _today()
    target = (out or Path("toolkit-attestations.yaml")).resolve()
    if target.exists() and not force:
        _fail(f"{target} already exists; use --force to overwrite")
    answers = read_answers(workbook, catalogue)
    until = expires.date() if expires else today + dt.timedelta(days=365)
    atomic_write(target, attestations_yaml(answers, owner, today, until, workbook.name, catalogue))
    if not state.quiet:
        click.echo(
            f"imported {len(answers)} answer(s) from {workbook.name} into {target}"
            f" ({len(catalogue.questions) - len(answers)} left 'To evaluate')"
        )
        click.echo(f"add it to the config: attestations: [{target.name}]")


@toolkit_group.command("export")
@config_option
@click.option(
    "--evidence",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Evidence directory holding assessment.json (default: output_dir from config).",
)
@click.option(
    "-o",
    "--output",
    "output",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Workbook to write (.xlsx).",
)
@click.pass_obj
@handle_errors
def toolkit_export_cmd(
    state: State, config_path: Path | None, out_dir: Path | None, output: Path
) -> None:
    """Write the workbook with every question's current answer, so its formulas show the scores."""
    from aima_ci.assess.catalogue import load_catalogue
    from aima_ci.evidence.directory import ASSESSMENT, read_json
    from aima_ci.onboard.workbook import export_workbook

    config = _load(config_path)
    evidence = _evidence_dir(config, out_dir)
    path = evidence / ASSESSMENT
    if not path.is_file():
        _fail(f"{path}: no assessment.json (run `aima-ci run` or `aima-ci score` first)")
    export_workbook(read_json(path), load_catalogue(), output)
    if not state.quiet:
        click.echo(f"wrote {output}")
