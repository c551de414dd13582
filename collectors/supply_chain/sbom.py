"""A CycloneDX SBOM of the Python environment the model is built and served with.

``cyclonedx-py environment`` runs as a subprocess with a timeout (it inspects an interpreter and
can be slow). Its own schema validation is off by default: it takes ~40 s on a 250-package
environment, so the structure the gate relies on (format, spec version, components with names and
versions) is checked here instead; ``validate: true`` turns the tool's full validation back on.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aima_ci.safety import childproc

MAX_SBOM_BYTES = 64 << 20


@dataclass
class SbomResult:
    status: str  # pass, error, not_run
    message: str
    components: int = 0
    spec_version: str | None = None


def available() -> bool:
    return importlib.util.find_spec("cyclonedx_py") is not None


def generate(out: Path, python: str, timeout: float, validate: bool) -> SbomResult:
    if not available():
        return SbomResult(
            "not_run",
            "cyclonedx-bom is not installed: pip install 'aima-ci[supplychain]'",
        )
    cmd = [
        sys.executable,
        "-P",  # the working directory (the artefact folder) stays off sys.path
        "-m",
        "cyclonedx_py",
        "environment",
        "--output-format",
        "JSON",
        "--output-file",
        str(out),
        "--validate" if validate else "--no-validate",
        python,
    ]
    try:
        # The environment pointed at, alone: PYTHONPATH/PYTHONHOME of aima-ci's own process would
        # add its import path's distributions to the SBOM of a project that does not declare them.
        env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
        proc = childproc.run(cmd, text=True, timeout=timeout, cwd=out.parent, env=env)
    except subprocess.TimeoutExpired:
        return SbomResult(
            "error", f"cyclonedx-py did not finish within {timeout:g}s (sbom.timeout)"
        )
    if proc.returncode != 0:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["no output"]
        return SbomResult("error", f"cyclonedx-py exited with {proc.returncode}: {tail[0][:300]}")
    return check(out)


def check(path: Path) -> SbomResult:
    """Is this a CycloneDX JSON document listing named, versioned components?"""
    if not path.is_file():
        return SbomResult("error", "cyclonedx-py reported success but wrote no SBOM")
    if path.stat().st_size > MAX_SBOM_BYTES:
        return SbomResult("error", "SBOM is over 64 MiB; not read")
    try:
        bom: Any = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        return SbomResult("error", f"SBOM is not valid JSON: {exc}")
    if not isinstance(bom, dict) or bom.get("bomFormat") != "CycloneDX":
        return SbomResult("error", "SBOM is not a CycloneDX document (bomFormat)")
    components = bom.get("components")
    if not isinstance(components, list) or not components:
        return SbomResult("error", "SBOM lists no components")
    bad = [
        c
        for c in components
        if not (isinstance(c, dict) and isinstance(c.get("name"), str) and c.get("version"))
    ]
    if bad:
        return SbomResult("error", f"{len(bad)} SBOM component(s) without a name and version")
    spec = str(bom.get("specVersion"))
    return SbomResult(
        "pass",
        f"CycloneDX {spec} SBOM with {len(components)} components",
        components=len(components),
        spec_version=spec,
    )
