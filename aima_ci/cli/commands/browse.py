"""controls, explain, collectors and init: the catalogue and the installed collectors."""

from __future__ import annotations

import json
from collections.abc import Mapping
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
    evidence_option,
    handle_errors,
)


# --------------------------------------------------------------------------- catalogue
@click.command("controls")
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
    from aima_ci.assess.catalogue import load_catalogue

    cat = load_catalogue()
    questions = [
        q for q in cat.questions.values() if not domain or q.id.startswith(domain.upper() + "-")
    ]
    if domain and not questions:
        _fail(f"--domain: unknown domain or practice {domain!r}")
    if coverage:
        from aima_ci.assess.coverage import RENDERERS, installed_coverage, restrict

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
                    "org_scope": q.org_scope,
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


@click.command("explain")
@click.argument("ident")
@config_option
@evidence_option
@click.pass_obj
@handle_errors
def explain_cmd(state: State, ident: str, config_path: Path | None, out_dir: Path | None) -> None:
    """What a question, practice or check means, what satisfies it, and what the next level needs."""
    from aima_ci.assess.catalogue import load_catalogue
    from aima_ci.assess.explain import practice_gaps, question_next_step, question_reason
    from aima_ci.evidence.directory import ASSESSMENT, read_json
    from aima_ci.plugin import discover

    cat = load_catalogue()
    ident = ident.strip()
    all_checks = {c.id: (name, c) for name, cls in discover().items() for c in cls.checks}
    by_question: dict[str, list[str]] = {}
    for cid, (_, c) in all_checks.items():
        for qid in c.questions:
            by_question.setdefault(qid, []).append(cid)
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
        links = {
            cid: link
            for cid in checks
            for link in all_checks[cid][1].links
            if link.question == q.id
        }
        if q.org_scope:
            from aima_ci.assess.explain import ORG_SCOPE_NOTE

            click.echo(f"  Note: {ORG_SCOPE_NOTE}.")
            click.echo("  Satisfied by: an attestation (yes, or 3 on the toolkit scale)")
            if checks:
                click.echo(f"  Context only (never credited here): {', '.join(checks)}")
        else:
            click.echo(
                "  Satisfied by: "
                + (f"automated checks {', '.join(checks)}, or " if checks else "")
                + "an attestation (yes, or 3 on the toolkit scale)"
            )
            for cid, link in links.items():
                click.echo(f"    {cid} [{link.shows}, {link.strength}]: {link.rationale}")
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


def _find_question(assessment: dict[str, Any], qid: str) -> Mapping[str, Any] | None:
    from aima_ci.assess.gate import iter_questions

    return next((q for q in iter_questions(assessment) if q["id"] == qid), None)


@click.command("collectors")
@click.option(
    "--format", "-f", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@click.pass_obj
@handle_errors
def collectors_cmd(state: State, fmt: str) -> None:
    """List the discovered collectors and whether their tools are installed."""
    from aima_ci.plugin import discover_names, load_entry_point

    rows = []
    for name, ep in sorted(discover_names().items()):
        try:
            cls = load_entry_point(ep)
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


@click.command("init")
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
@click.option(
    "--profile",
    type=click.Choice(["tabular-classifier", "llm-app", "rag", "image-classifier", "auto"]),
    help="Quick-start profile: its collectors, first target and the questions to answer first"
    " (auto: chosen from what inspection finds).",
)
@click.pass_obj
@handle_errors
def init_cmd(
    state: State, directory: Path, force: bool, no_inspect: bool, profile: str | None
) -> None:
    """Inspect the repository, then write a starter aima.yaml and an attestation file to fill in."""
    from aima_ci.assess.catalogue import load_catalogue
    from aima_ci.cli.init import init_repository

    directory.mkdir(parents=True, exist_ok=True)
    try:
        result = init_repository(
            directory,
            load_catalogue(),
            _today(),
            force,
            inspect=not no_inspect,
            profile=profile,
        )
    except FileExistsError as exc:
        _fail(f"{exc} already exist(s); use --force to overwrite")
    if not state.quiet:
        for line in result.inspection.summary():
            click.echo(f"found {line}")
        if result.profile:
            click.echo(f"profile: {result.profile}")
        if result.enabled:
            click.echo(f"enabled collectors: {', '.join(result.enabled)}")
    for p in [*result.paths, *result.extra_files]:
        click.echo(f"wrote {p}")
    if not state.quiet:
        click.echo(f"{result.questions_left} question(s) left to attest in {result.paths[1].name}")
        if result.next_steps:
            click.echo("\nnext steps:")
            for step in result.next_steps:
                click.echo(f"  {step}")
