"""Read a threat model of any supported kind into one shape: its text, threats and mitigations.

- YAML: ``threats: [{id, title|description, mitigation|response, llm_risks}]``.
- Markdown: prose; it must contain written sections and speak of threats.
- pytm: a Python file using pytm; it is parsed here (syntax errors name the line) and, when pytm
  is installed, run in a subprocess with ``--json`` (see ``run_pytm``): the model is the
  repository's own code, run with the same trust as its tests.
"""

from __future__ import annotations

import ast
import json
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aima_ci_collectors._substance import placeholder_reason

from aima_ci.safety import childproc
from aima_ci.safety.safeio import FileProblem, line_of, read_text, strict_yaml

MAX_PYTM_JSON = 64 << 20
KINDS = ("auto", "pytm", "yaml", "markdown")


@dataclass
class Threat:
    id: str
    title: str
    severity: str = ""
    mitigated: bool = False
    target: str = ""
    line: int | None = None
    # Evidence minimums: why the threat or its mitigation is not real content ("" when it is).
    placeholder: str = ""
    mitigation_placeholder: str = ""


@dataclass
class ThreatModel:
    kind: str
    display: str
    text: str
    threats: list[Threat] = field(default_factory=list)
    pytm_findings: list[dict[str, Any]] | None = None  # None: pytm was not run


def detect_kind(path: Path, configured: str) -> str:
    if configured != "auto":
        return configured
    suffix = path.suffix.lower()
    if suffix == ".py":
        return "pytm"
    if suffix in (".yaml", ".yml"):
        return "yaml"
    if suffix in (".md", ".markdown"):
        return "markdown"
    raise FileProblem(path.name, "cannot tell the kind from the suffix: set kind")


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, list):
        return " ".join(_text(v) for v in value).strip()
    return ""


def load_yaml_model(path: Path, display: str) -> ThreatModel:
    text = read_text(path, display)
    data = strict_yaml(text, display)
    if not isinstance(data, dict):
        raise FileProblem(display, "must be a mapping with a 'threats' list", 1)
    items = data.get("threats")
    if not isinstance(items, list) or not items:
        raise FileProblem(display, "'threats' must be a non-empty list", line_of(data))
    threats = []
    for item in items:
        line = line_of(item) or line_of(items)
        if not isinstance(item, dict):
            raise FileProblem(display, "each threat must be a mapping", line)
        tid = item.get("id")
        title = _text(item.get("title")) or _text(item.get("description"))
        if not isinstance(tid, (str, int)) or not str(tid).strip() or not title:
            raise FileProblem(display, "each threat needs an 'id' and a 'title'", line)
        mitigation = _text(item.get("mitigation")) or _text(item.get("mitigations"))
        response = _text(item.get("response"))
        written = mitigation or response
        weak = placeholder_reason(written) if written else ""
        threats.append(
            Threat(
                id=str(tid),
                title=title,
                severity=str(item.get("severity") or ""),
                # a mitigation of "x" or "tbd" documents nothing: the threat stays open
                mitigated=bool(written) and not weak,
                line=line,
                placeholder=placeholder_reason(title) or "",
                mitigation_placeholder=weak or "",
            )
        )
    return ThreatModel("yaml", display, text, threats)


def load_markdown_model(path: Path, display: str) -> ThreatModel:
    from aima_ci_collectors.model_card.document import load_document

    doc = load_document(path, display)
    written = [s for s in doc.sections if s.content.strip()]
    if not written:
        raise FileProblem(display, "no Markdown section with content: not a threat model yet", 1)
    text = read_text(path, display)
    if "threat" not in text.lower():
        raise FileProblem(display, "never mentions a threat: does not read as a threat model")
    return ThreatModel("markdown", display, text)


def load_pytm_source(path: Path, display: str) -> ThreatModel:
    text = read_text(path, display)
    try:
        tree = ast.parse(text, filename=display)
    except SyntaxError as exc:
        raise FileProblem(display, f"Python syntax error: {exc.msg}", exc.lineno) from None
    uses_pytm = any(
        (isinstance(n, ast.ImportFrom) and (n.module or "").split(".")[0] == "pytm")
        or (isinstance(n, ast.Import) and any(a.name.split(".")[0] == "pytm" for a in n.names))
        for n in ast.walk(tree)
    )
    if not uses_pytm:
        raise FileProblem(display, "does not import pytm: not a pytm threat model")
    return ThreatModel("pytm", display, text)


def run_pytm(path: Path, out: Path, timeout: float) -> list[dict[str, Any]]:
    """Run the model as pytm's CLI does (``python tm.py --json out``) and return its findings.

    The model is repository code: it runs in its own process group with the parent-death
    signal (aima_ci.safety.childproc), so neither its timeout nor a SIGKILL of aima-ci leaves it
    running, and it writes into a private scratch folder, never the evidence directory: only
    the JSON read here is copied to ``out``, so nothing it leaves behind can change evidence
    after the collector ended.
    """
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    with tempfile.TemporaryDirectory(prefix="aima-ci-pytm-") as scratch:
        private = Path(scratch) / "pytm.json"
        try:
            proc = childproc.run(
                [sys.executable, str(path), "--json", str(private)],
                cwd=str(path.parent),
                env=env,
                timeout=timeout,
            )
        except subprocess.TimeoutExpired:
            raise FileProblem(path.name, f"pytm model did not finish within {timeout:g}s") from None
        err = proc.stderr
        if private.is_file() and not private.is_symlink():
            if private.stat().st_size > MAX_PYTM_JSON:
                raise FileProblem(path.name, "pytm JSON output is too large")
            shutil.copyfile(private, out)
    tail = err.decode("utf-8", "replace").strip().splitlines()[-1:] if err else []
    if proc.returncode != 0:
        raise FileProblem(
            path.name,
            f"pytm model exited with code {proc.returncode}" + (f": {tail[0]}" if tail else ""),
        )
    if not out.is_file():
        raise FileProblem(
            path.name,
            "pytm wrote no JSON: the model must call tm.process() under if __name__ == '__main__'",
        )
    if out.stat().st_size > MAX_PYTM_JSON:
        raise FileProblem(path.name, "pytm JSON output is too large")
    try:
        data = json.loads(out.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise FileProblem(path.name, f"pytm JSON output is unreadable: {exc}") from None
    findings = data.get("findings") if isinstance(data, dict) else None
    if not isinstance(findings, list):
        raise FileProblem(path.name, "pytm JSON output has no 'findings' list")
    return [f for f in findings if isinstance(f, dict)]


def pytm_threats(findings: list[dict[str, Any]]) -> list[Threat]:
    return [
        Threat(
            id=str(f.get("threat_id") or ""),
            title=str(f.get("description") or ""),
            severity=str(f.get("severity") or ""),
            mitigated=bool(str(f.get("response") or "").strip()),
            target=str(f.get("target") or ""),
        )
        for f in findings
    ]
