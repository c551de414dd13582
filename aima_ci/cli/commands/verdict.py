"""score and gate: the verdict on the evidence. A module of their own, so the two commands a
pipeline runs on every build import only their own options (collect, run and report define
some fifty more: about a millisecond and a half of every start)."""

from __future__ import annotations

import sys
from pathlib import Path

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
)


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
    assessment = api.assess(
        config,
        out,
        level=target_level,
        fail_on_error=fail_on_error,
        baseline=baseline,
        history=history,
    )
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
    """Decide pass (exit 0) or fail (exit 1) from the scored assessment and the targets.

    The stored verdict is used only while it still holds now (aima_ci.assess.recheck); else the
    findings are re-scored with today's config, attestations, waivers, date and files.
    """
    config = _load(config_path)
    out = _evidence_dir(config, out_dir)
    assessment, result = api.gate(
        config,
        out,
        level=target_level,
        fail_on_error=fail_on_error,
        baseline=baseline,
        history=history,
        note=_note,
    )
    _echo_verdict(state, assessment, result.to_dict())
    sys.exit(EXIT_PASS if result.passed else EXIT_FAIL)
