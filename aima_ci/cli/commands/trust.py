"""provenance, attest, verify, merge and history: evidence an auditor can trust, at scale."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from aima_ci import api
from aima_ci.cli.main import (
    EXIT_FAIL,
    EXIT_PASS,
    State,
    _evidence_dir,
    _fail,
    _load,
    config_option,
    evidence_option,
    handle_errors,
    history_option,
)


@click.group("provenance")
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
    from aima_ci.safety.paths import PathError, resolve_inside
    from aima_ci.trust.provenance import (
        DEFAULT_MANIFEST,
        DocumentError,
        build_manifest,
        parse_manifest,
    )

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
    from aima_ci.evidence.directory import atomic_write

    atomic_write(out, result.text)
    for note in result.notes:
        click.echo(f"note: {note}", err=True)
    if not state.quiet:
        todo = "" if result.kept_signoff else "; fill signed_off_by, date, source and licence"
        click.echo(f"wrote {out_path} ({result.files} files){todo}")


# --------------------------------------------------------------------------- trust and scale
@click.command("attest")
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
    from aima_ci.trust.sign import attest, generate_keypair, key_from

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


@click.command("verify")
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
    from aima_ci.trust.verify import render, verify_evidence

    if not directory.is_dir():
        _fail(f"{directory}: not an evidence directory")
    if envelope is not None and not envelope.is_file():
        _fail(f"--envelope {envelope}: not found")
    key = None
    if public_key is not None:
        from aima_ci.trust.sign import load_public_key

        if not public_key.is_file():
            _fail(f"--public-key {public_key}: not found")
        key = load_public_key(public_key.read_bytes(), str(public_key))
    report = verify_evidence(directory.resolve(), public_key=key, envelope=envelope)
    if fmt == "json":
        click.echo(json.dumps(report.to_dict(), indent=2))
    elif not state.quiet or not report.ok:
        click.echo(render(report, directory), nl=False)
    sys.exit(EXIT_PASS if report.ok else EXIT_FAIL)


@click.command("merge")
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
    from aima_ci.trust.merge import merge

    plan = merge(list(inputs), out_dir, allow_partial=allow_partial)
    if not state.quiet:
        click.echo(
            f"merged {len(inputs)} input(s) into {out_dir}: {len(plan.collectors)} collector(s),"
            f" {len(plan.findings)} finding(s), {len(plan.files)} artefact(s); score it next"
        )


@click.command("history")
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
    from aima_ci.trust.history import open_history, render_trend, trend_rows

    config = _load(config_path)
    settings = api.history_settings(config, history)
    if settings is None:
        _fail("no history store: set history: in the config or give --history PATH")
    chosen = None if all_branches else (branch or settings.default_branch)
    records = open_history(settings.location).trend(chosen, limit)
    if fmt == "json":
        click.echo(json.dumps({"branch": chosen, "entries": trend_rows(records)}, indent=2))
    else:
        click.echo(render_trend(records, chosen), nl=False)
