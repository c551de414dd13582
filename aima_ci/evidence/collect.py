"""The collect step: run the configured collectors and write the evidence directory."""

from __future__ import annotations

import contextlib
import datetime as dt
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aima_ci.config import Config
from aima_ci.errors import EvidenceLocked as EvidenceLocked  # re-exported (tests, callers)
from aima_ci.evidence.directory import (
    ASSESSMENT,
    FINDINGS,
    FINDINGS_INDEX,
    MANIFEST,
    RUN,
    SEAL,
    SUMMARY,
    clear_incomplete,
    manifest_subjects,
    mark_incomplete,
    write_findings,
    write_json,
    write_manifest,
)
from aima_ci.evidence.lock import hold as hold  # re-exported: collect, run
from aima_ci.evidence.lock import locked as locked
from aima_ci.evidence.runinfo import base_info
from aima_ci.evidence.runner import (
    CollectorRun,
    Listener,
    Runner,
    last_durations,
    plan_jobs,
    validate_jobs,
)
from aima_ci.evidence.seal import NoKey, load_key, seal
from aima_ci.models import EvidenceError
from aima_ci.plugin import (
    Collector,
    CollectorConfigError,
    discover_names,
    load_some,
    now_iso,
    sha256_file,
)
from aima_ci.safety.redact import Redactor, named_env_values

if TYPE_CHECKING:  # keep shard/cache imports out of the module's import time
    from aima_ci.evidence.cache import CacheStore
    from aima_ci.evidence.shard import ShardSpec


def select_collectors(
    config: Config, only: Sequence[str] = (), light: bool = False
) -> dict[str, dict[str, Any]]:
    configured = {k: dict(v) for k, v in config.collectors.items()}
    if only:
        unknown = [n for n in only if n not in configured]
        if unknown:
            raise CollectorConfigError(f"collectors.{unknown[0]}", "not configured in this config")
        configured = {k: v for k, v in configured.items() if k in only}
    if light:
        configured = {k: v for k, v in configured.items() if _is_light(k)}
    return configured


def preflight_config(
    config: Config, configured: Mapping[str, Any], known: set[str] | None = None
) -> None:
    """What must hold before any collector runs (exit 2 now, not after minutes of collectors):
    every configured collector name is one an installed plugin provides (a typo such as
    ``fairlern:`` would otherwise be skipped and its questions answered by attestation).
    (api.collect also reads the attestation files first; this layer may not import them.)"""
    import difflib

    from aima_ci.plugin import discover_names

    names = set(discover_names()) if known is None else known
    for name in configured:
        if name in names:
            continue
        close = difflib.get_close_matches(name, sorted(names), n=1, cutoff=0.6)
        hint = f"did you mean '{close[0]}'?" if close else "see 'aima-ci collectors'"
        raise config.error(
            f"collectors.{name}",
            f"no collector named '{name}' is installed ({hint}); install the plugin that"
            " provides it or remove the entry",
        )


def _is_light(name: str) -> bool:
    """A collector marked ``light`` (reads repository files only: fast enough for pre-commit)."""
    from aima_ci.plugin import load_collector

    try:
        return bool(load_collector(name).light)
    except Exception:  # not installed or broken: not light (the full run reports it)
        return False


def collect(
    config: Config,
    out_dir: Path,
    *,
    jobs: int | None = None,
    listener: Listener | None = None,
    only: Sequence[str] = (),
    available: dict[str, type[Collector]] | None = None,
    shard: ShardSpec | None = None,
    reuse: Sequence[Path] = (),
    cache: CacheStore | None = None,
    now: dt.datetime | None = None,
    light: bool = False,
) -> list[CollectorRun]:
    """Run collectors into ``out_dir`` and write findings.jsonl, run.json and manifest.json.

    ``shard`` runs only this shard's share (shard.py); ``reuse`` and ``cache`` serve collectors
    whose inputs are unchanged from earlier results (cache.py) instead of running them.
    """
    from aima_ci.evidence.cache import PreviousEvidence, Reuser
    from aima_ci.evidence.freshness import RepoDigests, now_utc, ttl_lookup, ttl_overrides

    configured = select_collectors(config, only, light)
    broken: dict[str, str] = {}
    if available is None:
        eps = discover_names()  # scanned once for both uses
        preflight_config(config, configured, set(eps))
        available, broken = load_some(configured, eps)
    else:
        preflight_config(config, configured, set(available))
    parts: dict[str, dict[str, Any]] = {}
    if shard is not None:
        from aima_ci.evidence.shard import plan_shard

        keys = {n: getattr(cls, "shard_key", None) for n, cls in available.items()}
        configured, parts = plan_shard(configured, keys, shard)
    planned, missing = plan_jobs(configured, available, broken)
    planned = [replace(job, part=parts.get(job.collector.name)) for job in planned]
    # bad keys or inputs: exit 2 before any run; each job keeps its parsed settings
    planned = validate_jobs(planned, config.root, config.dir, remember=cache is not None)
    for previous in reuse:
        if previous.resolve() == out_dir.resolve():
            raise EvidenceError(f"--reuse {previous}: must differ from the output directory")
    sources = [PreviousEvidence(previous.resolve()) for previous in reuse]
    started = now_iso()
    run_id = uuid.uuid4().hex
    with locked(out_dir):
        from aima_ci.evidence.outdir import claim

        claim(out_dir)  # never clear a directory that is not aima-ci's own
        mark_incomplete(out_dir, "collect")
        durations = last_durations(out_dir / RUN)  # read before the previous run is cleared
        _clear_previous(out_dir)
        runner = Runner(
            durations=durations,
            root=config.root,
            config_dir=config.dir,
            evidence_dir=out_dir,
            jobs=jobs or config.jobs,
            listener=listener,
            redactor=Redactor(extra=named_env_values(configured.values())),
            record_exclude=[cache.directory] if cache is not None else [],
        )
        reuser = Reuser(
            sources=[*sources, *([cache] if cache is not None else [])],
            cache=cache,
            now=now or now_utc(),
            ttl_for=ttl_lookup(ttl_overrides(config.checks, config.collectors)),
            current_digest=RepoDigests(config.root),
            root=config.root,
            config_dir=config.dir,
            evidence_dir=out_dir,
            notify=listener or (lambda event: None),
        )
        served = [reuser.attempt(job) for job in planned]
        fresh = iter(
            runner.run([job for job, run in zip(planned, served, strict=True) if run is None])
        )
        ordered: list[CollectorRun] = []
        for job, run in zip(planned, served, strict=True):
            if run is None:
                run = next(fresh)
                reuser.remember(job, run, {"run_id": run_id, "started_at": started})
            ordered.append(run)
        runs = missing + ordered
        findings = [f for r in runs for f in r.findings]
        write_findings(out_dir, findings)
        try:
            load_key(config.root)
        except NoKey as exc:
            reuser.notes.append(f"evidence not sealed: {exc}")
        info = base_info(config.root)
        info.update(
            run_id=run_id,
            config_sha256=sha256_file(config.path) if config.path else None,
            shard=shard.to_dict() if shard is not None else None,
            reuse_notes=reuser.notes + (cache.notes if cache is not None else []),
            started_at=started,
            finished_at=now_iso(),
            config=config.display,
            collectors=[
                {**r.to_dict(), "checks": sorted({f.check for f in r.findings})} for r in runs
            ],
            redactions=runner.redactor.note(),
        )
        write_json(out_dir / RUN, info)
        write_manifest(out_dir, manifest_subjects(config, findings))
        seal(out_dir, config.root)  # without a key (noted in run.json) the gate will refuse it
        clear_incomplete(out_dir)
    return runs


def _clear_previous(out_dir: Path) -> None:
    """A fresh collect replaces the previous evidence, so stale artefacts never look current."""
    import shutil

    # The manifest and its seal go first: from then on nothing left here verifies as current.
    for name in (MANIFEST, SEAL, SUMMARY, ASSESSMENT, FINDINGS, FINDINGS_INDEX, RUN):
        with contextlib.suppress(FileNotFoundError):
            (out_dir / name).unlink()
    shutil.rmtree(out_dir / "artefacts", ignore_errors=True)
