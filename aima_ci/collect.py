"""The collect step: run the configured collectors and write the evidence directory."""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from .config import Config
from .evidence import LOCK, RUN, subjects_of, write_findings, write_json, write_manifest
from .plugin import Collector, CollectorConfigError, discover, now_iso
from .redact import Redactor
from .runinfo import base_info
from .runner import CollectorRun, Listener, Runner, plan_jobs, validate_jobs


class EvidenceLocked(RuntimeError):
    """Another aima-ci run holds the evidence directory."""


@contextlib.contextmanager
def locked(directory: Path) -> Iterator[None]:
    """Refuse a second concurrent run on the same output directory instead of interleaving."""
    directory.mkdir(parents=True, exist_ok=True)
    fd = os.open(directory / LOCK, os.O_CREAT | os.O_RDWR, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise EvidenceLocked(
                f"{directory} is in use by another aima-ci run; wait for it or use --out"
            ) from None
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
        yield
    finally:
        os.close(fd)


def select_collectors(config: Config, only: Sequence[str] = ()) -> dict[str, dict[str, Any]]:
    configured = {k: dict(v) for k, v in config.collectors.items()}
    if only:
        unknown = [n for n in only if n not in configured]
        if unknown:
            raise CollectorConfigError(f"collectors.{unknown[0]}", "not configured in this config")
        configured = {k: v for k, v in configured.items() if k in only}
    return configured


def collect(
    config: Config,
    out_dir: Path,
    *,
    jobs: int | None = None,
    listener: Listener | None = None,
    only: Sequence[str] = (),
    available: dict[str, type[Collector]] | None = None,
) -> list[CollectorRun]:
    """Run collectors into ``out_dir`` and write findings.jsonl, run.json and manifest.json."""
    configured = select_collectors(config, only)
    available = discover() if available is None and configured else (available or {})
    planned, missing = plan_jobs(configured, available)
    validate_jobs(planned)  # bad collector keys: exit 2 before anything runs
    started = now_iso()
    with locked(out_dir):
        _clear_previous(out_dir)
        runner = Runner(
            root=config.root,
            config_dir=config.dir,
            evidence_dir=out_dir,
            jobs=jobs or config.jobs,
            listener=listener,
            redactor=Redactor(),
        )
        runs = missing + runner.run(planned)
        findings = [f for r in runs for f in r.findings]
        write_findings(out_dir, findings)
        info = base_info(config.root)
        info.update(
            started_at=started,
            finished_at=now_iso(),
            config=config.display,
            collectors=[
                {**r.to_dict(), "checks": sorted({f.check for f in r.findings})} for r in runs
            ],
            redactions=runner.redactor.note(),
        )
        write_json(out_dir / RUN, info)
        write_manifest(out_dir, subjects_of(findings))
    return runs


def _clear_previous(out_dir: Path) -> None:
    """A fresh collect replaces the previous evidence, so stale artefacts never look current."""
    import shutil

    for name in ("findings.jsonl", "run.json", "assessment.json", "manifest.json"):
        with contextlib.suppress(FileNotFoundError):
            (out_dir / name).unlink()
    shutil.rmtree(out_dir / "artefacts", ignore_errors=True)
