"""Second opinion from ProtectAI's ``modelscan`` when it is installed (it never loads models).

modelscan keeps a denylist of dangerous operators; aima-ci's own scanner keeps an allowlist.
Running both means a file passes only when neither objects. modelscan's own problems (an
unsupported format, a crash) are recorded, never turned into a pass or a fail by themselves.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from aima_ci.safety import childproc

SEVERITIES = ("LOW", "MEDIUM", "HIGH", "CRITICAL")


def available() -> bool:
    return importlib.util.find_spec("modelscan") is not None


def scan(path: Path, timeout: float) -> dict[str, Any]:
    """modelscan's JSON report for one file, or ``{"error": ...}``."""
    with tempfile.TemporaryDirectory(prefix="aima-modelscan-") as tmp:
        out = Path(tmp) / "report.json"
        cmd = [
            sys.executable,
            "-P",  # the working directory stays off sys.path: nothing there shadows modelscan
            "-c",
            "from modelscan.cli import main; main()",
            "scan",
            "-p",
            str(path),
            "-r",
            "json",
            "-o",
            str(out),
            "-l",
            "ERROR",
        ]
        try:
            proc = childproc.run(cmd, text=True, timeout=timeout, cwd=tmp)
        except subprocess.TimeoutExpired:
            return {"error": f"modelscan did not finish within {timeout:g}s"}
        if not out.is_file():
            tail = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["no report"]
            return {"error": f"modelscan exited with {proc.returncode}: {tail[0][:300]}"}
        try:
            report = json.loads(out.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            return {"error": f"modelscan report is not JSON: {exc}"}
    return report if isinstance(report, dict) else {"error": "modelscan report is not an object"}


def issues_at_or_above(report: dict[str, Any], minimum: str) -> list[str]:
    """Descriptions of the issues whose severity is at least ``minimum``."""
    floor = SEVERITIES.index(minimum)
    out = []
    for issue in report.get("issues") or []:
        if not isinstance(issue, dict):
            continue
        sev = str(issue.get("severity", "")).upper()
        if sev in SEVERITIES and SEVERITIES.index(sev) >= floor:
            out.append(f"{sev}: {issue.get('description', 'issue')}")
    return out
