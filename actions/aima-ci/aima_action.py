"""The GitHub Action's step logic, kept out of action.yml so it can be run and tested anywhere.

    python aima_action.py install   # venv under RUNNER_TEMP, pip install aima-ci; output: python
    <venv python> aima_action.py run  # aima-ci run, job summary, outputs, annotations, exit code

Every input arrives through the environment (``AIMA_*``), never through text spliced into a shell
script, so a crafted input cannot inject commands. The install part uses only the standard
library (it runs on the runner's Python before aima-ci exists); the run part runs on the venv's
Python and imports aima-ci for the config and the ranked issues.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

MAX_ANNOTATIONS = 10  # GitHub shows at most 10 error annotations per step
MAX_SUMMARY_BYTES = 1 << 20  # per-step job summary limit
FORMATS = ("markdown", "junit", "codequality", "html")
EXIT_USAGE = 2


def env(name: str, default: str = "") -> str:
    return os.environ.get(name, default).strip()


def truthy(value: str) -> bool:
    if value.lower() in ("true", "1", "yes", "on"):
        return True
    if value.lower() in ("", "false", "0", "no", "off"):
        return False
    raise ValueError(f"expected true or false, got {value!r}")


# ----------------------------------------------------------------------------- workflow commands
def escape_data(value: str) -> str:
    """Workflow-command message escaping (actions/toolkit command.ts)."""
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(value: str) -> str:
    return escape_data(value).replace(":", "%3A").replace(",", "%2C")


def command(kind: str, message: str, **props: Any) -> str:
    fields = ",".join(
        f"{k}={escape_property(str(v))}" for k, v in props.items() if v not in (None, "")
    )
    return f"::{kind}{' ' + fields if fields else ''}::{escape_data(message)}"


def set_output(name: str, value: str) -> None:
    """Append to $GITHUB_OUTPUT with a random heredoc delimiter (safe for any value)."""
    path = os.environ.get("GITHUB_OUTPUT")
    if not path:
        print(f"{name}={value}")
        return
    delimiter = f"ghadelimiter_{uuid.uuid4()}"
    with open(path, "a", encoding="utf-8") as fh:
        fh.write(f"{name}<<{delimiter}\n{value}\n{delimiter}\n")


def add_summary(markdown: str) -> None:
    path = os.environ.get("GITHUB_STEP_SUMMARY")
    if not path:
        return
    data = markdown.encode("utf-8")
    if len(data) > MAX_SUMMARY_BYTES - 1024:
        data = data[: MAX_SUMMARY_BYTES - 1024].decode("utf-8", "ignore").encode("utf-8")
        data += b"\n\n_Summary truncated to GitHub's 1 MiB limit: see the report artefacts._\n"
    with open(path, "ab") as fh:
        fh.write(data + b"\n")


# ----------------------------------------------------------------------------- install
def install() -> int:
    """Create a venv in RUNNER_TEMP and install aima-ci (the action's own checkout by default)."""
    version = env("AIMA_VERSION", "local") or "local"
    extras_list = [e.strip() for e in env("AIMA_EXTRAS").split(",") if e.strip()]
    bad = [e for e in extras_list if not all(c.isalnum() or c in "._-" for c in e)]
    if bad:
        print(command("error", f"extras: not an extra name: {bad[0]!r}"))
        return EXIT_USAGE
    extras = ",".join(extras_list)
    if version == "installed":
        probe = subprocess.run([sys.executable, "-c", "import aima_ci"], check=False)
        if probe.returncode != 0:
            print(
                command(
                    "error", f"version 'installed': aima-ci is not importable by {sys.executable}"
                )
            )
            return EXIT_USAGE
        set_output("python", sys.executable)
        return 0
    temp = Path(env("RUNNER_TEMP") or "/tmp")
    venv = temp / "aima-ci-venv"
    if version == "local":
        source = Path(env("GITHUB_ACTION_PATH") or Path(__file__).parent).resolve().parents[1]
        if not (source / "pyproject.toml").is_file():
            print(command("error", f"version 'local': no aima-ci checkout at {source}"))
            return EXIT_USAGE
        spec = f"{source}[{extras}]" if extras else str(source)
    else:
        if not all(c.isalnum() or c in ".-+!=<>~*" for c in version):
            print(command("error", f"version: not a version specifier: {version!r}"))
            return EXIT_USAGE
        pin = version if version[0] in "=<>~!" else f"=={version}"
        spec = f"aima-ci[{extras}]{pin}" if extras else f"aima-ci{pin}"
    python = venv / "bin" / "python"
    marker = venv / ".aima-ci-spec"
    if python.exists() and marker.exists() and marker.read_text() == spec:
        print(f"aima-ci already installed in {venv} ({spec})")
    else:
        print(f"::group::Install {spec}")
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        pip = [str(python), "-m", "pip", "install", "--disable-pip-version-check", "-q"]
        subprocess.run([*pip, "--upgrade", "pip"], check=True)
        done = subprocess.run([*pip, spec], check=False)
        print("::endgroup::")
        if done.returncode != 0:
            print(command("error", f"pip install {spec} failed (exit {done.returncode})"))
            return done.returncode
        marker.write_text(spec)
    set_output("python", str(python))
    return 0


# ----------------------------------------------------------------------------- run
def workspace() -> Path:
    return Path(env("GITHUB_WORKSPACE") or os.getcwd()).resolve()


def build_command(cwd: Path) -> tuple[list[str], Path | None]:
    """The aima-ci command line and the evidence directory it will write (None if unknown)."""
    argv = [sys.executable, "-m", "aima_ci", "run"]
    config = env("AIMA_CONFIG")
    if config:
        argv += ["--config", config]
    out = env("AIMA_OUTPUT_DIR")
    if out:
        argv += ["--out", out]
    level = env("AIMA_TARGET_LEVEL")
    if level:
        if level not in ("0", "1", "2", "3"):
            raise ValueError(f"target-level: must be 0, 1, 2 or 3, got {level!r}")
        argv += ["--target-level", level]
    if truthy(env("AIMA_FAIL_ON_ERROR")):
        argv.append("--fail-on-error")
    formats = list(FORMATS)
    if truthy(env("AIMA_SARIF", "true")):
        formats.append("sarif")
    for fmt in formats:
        argv += ["--format", fmt]
    argv += shlex.split(env("AIMA_ARGS"))
    evidence = (cwd / out).resolve() if out else _configured_output(cwd, config)
    return argv, evidence


def _configured_output(cwd: Path, config: str) -> Path | None:
    from aima_ci.config import load_config

    try:
        return load_config(Path(config) if config else None, cwd=cwd).output_dir
    except Exception:  # aima-ci itself reports the config error (exit 2) with file and line
        return None


def annotations(assessment: dict[str, Any], evidence: Path, cwd: Path, config: str) -> list[str]:
    """At most 10 ::error lines for the worst issues, plus a notice counting the rest."""
    from aima_ci.config import load_config
    from aima_ci.reports import ReportContext
    from aima_ci.reports._issues import anchor_line, collect_issues, config_uri

    cfg = load_config(Path(config) if config else None, cwd=cwd)
    ctx = ReportContext(evidence_dir=evidence, config_path=cfg.path, config_lines=cfg.lines)
    issues, _ = collect_issues(assessment, ctx)
    errors = [i for i in issues if i.level == "error"]
    path = config_uri(assessment)
    lines = [
        command(
            "error",
            i.message,
            file=path,
            line=anchor_line(cfg.lines, i.anchor),
            title=f"AIMA {i.title}",
        )
        for i in errors[:MAX_ANNOTATIONS]
    ]
    rest = len(issues) - len(lines)
    if rest > 0:
        lines.append(
            command(
                "notice", f"{rest} more AIMA issues: see the job summary and the SARIF/HTML reports"
            )
        )
    return lines


def run() -> int:
    cwd = (workspace() / env("AIMA_WORKING_DIRECTORY", ".")).resolve()
    try:
        argv, evidence = build_command(cwd)
        soft_fail = truthy(env("AIMA_SOFT_FAIL"))
    except ValueError as exc:
        print(command("error", f"aima-ci action: {exc}"))
        set_output("passed", "false")
        set_output("exit-code", str(EXIT_USAGE))
        return EXIT_USAGE
    print(f"::group::aima-ci run ({cwd})")
    print(" ".join(shlex.quote(a) for a in argv[1:]), flush=True)
    rc = subprocess.run(argv, cwd=cwd, check=False).returncode
    print("::endgroup::", flush=True)
    set_output("exit-code", str(rc))
    assessment_file = evidence / "assessment.json" if evidence else None
    if rc not in (0, 1) or assessment_file is None or not assessment_file.is_file():
        what = "configuration, usage or input error" if rc == EXIT_USAGE else "internal error"
        print(command("error", f"aima-ci exited {rc} ({what}): see the log above", title="aima-ci"))
        add_summary(
            f"## ❌ aima-ci could not assess\n\n`aima-ci run` exited {rc} ({what}); see the job log.\n"
        )
        set_output("passed", "false")
        return rc if rc not in (0, 1) else EXIT_USAGE
    assessment = json.loads(assessment_file.read_text(encoding="utf-8"))
    overall = assessment.get("overall") or {}
    passed = bool((assessment.get("gate") or {}).get("passed"))
    set_output("passed", "true" if passed else "false")
    set_output("overall-level", str(overall.get("level", "")))
    set_output("overall-plus", "true" if overall.get("plus") else "false")
    set_output("overall-score", f"{float(overall.get('score') or 0):.2f}")
    set_output("evidence-dir", str(evidence))
    set_output("assessment-file", str(assessment_file))
    reports = {
        "markdown": "report.md",
        "junit": "report.junit.xml",
        "html": "report.html",
        "codequality": "report.codequality.json",
        "sarif": "report.sarif",
    }
    for fmt, name in reports.items():
        path = evidence / name
        set_output(f"{fmt}-file", str(path) if path.is_file() else "")
    md = evidence / "report.md"
    if md.is_file():
        add_summary(md.read_text(encoding="utf-8"))
    try:
        for line in annotations(assessment, evidence, cwd, env("AIMA_CONFIG")):
            print(line)
    except Exception as exc:  # annotations are a convenience: never let them change the verdict
        print(
            command("warning", f"could not annotate the AIMA issues: {type(exc).__name__}: {exc}")
        )
    if rc == 1 and soft_fail:
        print(command("warning", "AIMA gate failed; soft-fail is set, so this step passes"))
        return 0
    return rc


def main(argv: list[str]) -> int:
    if argv[1:] == ["install"]:
        return install()
    if argv[1:] == ["run"]:
        return run()
    print("usage: aima_action.py install|run", file=sys.stderr)
    return EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main(sys.argv))
