"""The GitHub Action's step logic, kept out of action.yml so it can be run and tested anywhere.

    python3 aima_action.py plan         # check the inputs; cache folders and keys (outputs)
    python3 aima_action.py install      # venv under RUNNER_TEMP, pip install aima-ci; output: python
    <venv python> aima_action.py run     # aima-ci run, job summary, annotations, outputs
    <venv python> aima_action.py comment # the sticky pull-request comment
    python3 aima_action.py verdict      # the step's exit code (soft-fail applied)

Every input arrives through the environment (``AIMA_*``), never through text spliced into a shell
script, so a crafted input cannot inject commands. ``plan``, ``install`` and ``verdict`` use only
the standard library (they run on the runner's Python, before or without aima-ci); ``run`` and
``comment`` run on the venv's Python and import aima-ci.

``run`` records the exit code instead of returning it, so that the comment, the SARIF upload and
the attestation still happen when the gate fails (that is when they matter most); ``verdict``,
the last step, then fails the job. Runners: Linux and macOS (the venv's ``bin/python``; the
Windows layout, ``Scripts\\python.exe``, is handled but not tested).
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import re
import shlex
import subprocess
import sys
import urllib.error
import urllib.request
import uuid
from pathlib import Path
from typing import Any

MAX_SUMMARY_BYTES = 1 << 20  # per-step job summary limit
MAX_COMMENT_CHARS = 65_536  # GitHub's limit on an issue comment body
FORMATS = ("markdown", "junit", "codequality", "html", "github")
# The file each format's `<format>-file` output points at. A copy of the names in aima-ci's report
# table (aima_ci.reports), because this script runs before aima-ci is installed; a test keeps the
# two equal, so a renamed report cannot leave an output empty without failing CI.
REPORT_FILES = {
    "markdown": "report.md",
    "junit": "report.junit.xml",
    "html": "report.html",
    "codequality": "report.codequality.json",
    "sarif": "report.sarif",
}
EXIT_USAGE = 2
PREDICATE_TYPE = "https://aima-ci.dev/assessment/v1"
COMMENT_MARKER = "<!-- aima-ci comment: {key} -->"
CACHE_LAYOUT = "v1"


def env(name: str, default: str = "") -> str:
    return os.environ.get(name, default).strip()


def truthy(value: str, name: str = "value") -> bool:
    if value.lower() in ("true", "1", "yes", "on"):
        return True
    if value.lower() in ("", "false", "0", "no", "off"):
        return False
    raise ValueError(f"{name}: expected true or false, got {value!r}")


# ----------------------------------------------------------------------------- workflow commands
# A copy of aima_ci.reports.github's escaping: plan and install run before aima-ci is installed.
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


def digest(*parts: str | bytes) -> str:
    h = hashlib.sha256()
    for part in parts:
        h.update(part if isinstance(part, bytes) else part.encode("utf-8"))
        h.update(b"\x1f")
    return h.hexdigest()


# ----------------------------------------------------------------------------- plan
def action_root() -> Path:
    """The action's checkout (the repository root: action.yml lives there)."""
    return Path(env("GITHUB_ACTION_PATH") or Path(__file__).resolve().parents[2]).resolve()


def install_spec(version: str, extras: str) -> str:
    """The pip requirement for the inputs; ValueError naming the input when one is malformed."""
    extras_list = [e.strip() for e in extras.split(",") if e.strip()]
    bad = [e for e in extras_list if not all(c.isalnum() or c in "._-" for c in e)]
    if bad:
        raise ValueError(f"extras: not an extra name: {bad[0]!r}")
    joined = ",".join(extras_list)
    if version == "local":
        source = action_root()
        if not (source / "pyproject.toml").is_file():
            raise ValueError(f"version 'local': no aima-ci checkout at {source}")
        return f"{source}[{joined}]" if joined else str(source)
    if version == "installed":
        return "installed"
    if not version or not all(c.isalnum() or c in ".-+!=<>~*" for c in version):
        raise ValueError(f"version: not a version specifier: {version!r}")
    pin = version if version[0] in "=<>~!" else f"=={version}"
    return f"aima-ci[{joined}]{pin}" if joined else f"aima-ci{pin}"


def workspace() -> Path:
    return Path(env("GITHUB_WORKSPACE") or os.getcwd()).resolve()


def config_bytes(cwd: Path, config: str) -> bytes:
    """The config the run will read (as aima-ci discovers it), for the cache key; b"" if none."""
    names = [config] if config else ["aima.yaml", ".aima.yaml", "pyproject.toml"]
    for name in names:
        path = cwd / name
        if path.is_file():
            return path.read_bytes()
    return b""


def plan() -> int:
    """Check the inputs once, up front, and name the cache folders and keys.

    Two caches, both under RUNNER_TEMP (outside the checkout, so a pull request cannot plant a
    cache by committing one): pip's wheels, keyed by the install spec, the Python and aima-ci's
    pyproject.toml for a local install; and aima-ci's collector cache, keyed by the config and
    the install. The collector cache keys each entry on everything the collector's result
    depends on (files it names, tool and collector versions) and checks every stored artefact's
    SHA-256 before reusing it, so restoring an older entry (restore-keys) can only cost a miss,
    never a wrong pass. A new entry is saved under the run's id, as the cache changes every run.
    """
    try:
        # These four switch steps on through `if: inputs.x == 'true'` (which ignores case) and
        # shell tests (which do not): only the exact words keep the two in step.
        for name in ("cache", "comment", "attest", "upload-sarif"):
            value = env("AIMA_" + name.upper().replace("-", "_"))
            if value not in ("true", "false"):
                raise ValueError(f"{name}: expected true or false, got {value!r}")
        for name in ("sarif", "soft-fail"):
            truthy(env("AIMA_" + name.upper().replace("-", "_")), name)
        truthy(env("AIMA_FAIL_ON_ERROR"), "fail-on-error")
        version = env("AIMA_VERSION", "local") or "local"
        spec = install_spec(version, env("AIMA_EXTRAS"))
    except ValueError as exc:
        print(command("error", f"aima-ci action: {exc}"))
        return EXIT_USAGE
    temp = Path(env("RUNNER_TEMP") or "/tmp")
    system = f"{env('RUNNER_OS') or platform.system()}-{env('RUNNER_ARCH') or platform.machine()}"
    python = f"py{sys.version_info[0]}.{sys.version_info[1]}"
    local = (action_root() / "pyproject.toml").read_bytes() if version == "local" else b""
    pip_prefix = f"aima-ci-pip-{CACHE_LAYOUT}-{system}-{python}-"
    set_output("pip-dir", str(temp / "aima-ci-pip"))
    set_output("pip-key", pip_prefix + digest(spec, local)[:32])
    set_output("pip-restore-keys", pip_prefix)
    cwd = (workspace() / env("AIMA_WORKING_DIRECTORY", ".")).resolve()
    where = digest(env("AIMA_WORKING_DIRECTORY", "."))[:12]
    config = digest(config_bytes(cwd, env("AIMA_CONFIG")), spec, local)[:32]
    run = f"{env('GITHUB_RUN_ID') or 'local'}-{env('GITHUB_RUN_ATTEMPT') or '1'}"
    prefix = f"aima-ci-collectors-{CACHE_LAYOUT}-{system}-{where}-"
    set_output("cache-dir", str(temp / "aima-ci-cache" / where))
    set_output("cache-key", f"{prefix}{config}-{run}")
    set_output("cache-restore-keys", f"{prefix}{config}-\n{prefix}")
    return 0


# ----------------------------------------------------------------------------- install
def venv_python(venv: Path) -> Path:
    return venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def install() -> int:
    """Create a venv in RUNNER_TEMP and install aima-ci (the action's own checkout by default)."""
    version = env("AIMA_VERSION", "local") or "local"
    try:
        spec = install_spec(version, env("AIMA_EXTRAS"))
    except ValueError as exc:
        print(command("error", f"aima-ci action: {exc}"))
        return EXIT_USAGE
    if spec == "installed":
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
    venv = Path(env("RUNNER_TEMP") or "/tmp") / "aima-ci-venv"
    python = venv_python(venv)
    marker = venv / ".aima-ci-spec"
    pip_env = dict(os.environ)
    if env("AIMA_PIP_CACHE_DIR"):
        pip_env["PIP_CACHE_DIR"] = env("AIMA_PIP_CACHE_DIR")
    if python.exists() and marker.exists() and marker.read_text() == spec:
        print(f"aima-ci already installed in {venv} ({spec})")
    else:
        print(f"::group::Install {spec}")
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        pip = [str(python), "-m", "pip", "install", "--disable-pip-version-check", "-q"]
        subprocess.run([*pip, "--upgrade", "pip"], check=True, env=pip_env)
        done = subprocess.run([*pip, spec], check=False, env=pip_env)
        print("::endgroup::")
        if done.returncode != 0:
            print(command("error", f"pip install {spec} failed (exit {done.returncode})"))
            return done.returncode
        marker.write_text(spec)
    set_output("python", str(python))
    return 0


# ----------------------------------------------------------------------------- run
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
    if truthy(env("AIMA_FAIL_ON_ERROR"), "fail-on-error"):
        argv.append("--fail-on-error")
    formats = list(FORMATS)
    if truthy(env("AIMA_SARIF", "true"), "sarif") or truthy(env("AIMA_UPLOAD_SARIF")):
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


def write_predicate(evidence: Path) -> Path | None:
    """The aima-ci assessment predicate, for actions/attest (keyless, Sigstore-backed)."""
    from aima_ci.trust.sign import build_statement

    statement = build_statement(evidence)
    if statement.get("predicateType") != PREDICATE_TYPE:
        raise ValueError(f"unexpected predicate type {statement.get('predicateType')!r}")
    temp = Path(env("RUNNER_TEMP") or evidence)
    path = temp / f"aima-ci-predicate-{digest(str(evidence))[:12]}.json"
    path.write_text(json.dumps(statement["predicate"], indent=2) + "\n", encoding="utf-8")
    return path


def sarif_category() -> str:
    where = env("AIMA_WORKING_DIRECTORY", ".").strip("/") or "."
    return "aima-ci" if where == "." else f"aima-ci/{where}"


def run() -> int:
    """aima-ci run and everything that reads its result; the exit code goes to an output."""
    cwd = (workspace() / env("AIMA_WORKING_DIRECTORY", ".")).resolve()
    set_output("sarif-category", sarif_category())
    try:
        argv, evidence = build_command(cwd)
    except ValueError as exc:
        print(command("error", f"aima-ci action: {exc}"))
        set_output("passed", "false")
        set_output("exit-code", str(EXIT_USAGE))
        return 0
    child_env = dict(os.environ)
    if env("AIMA_CACHE_DIR"):
        # aima-ci's user folder (its cache and the seal key that signs each entry) moves to the
        # folder actions/cache keeps: without the key a fresh runner would refuse every entry.
        folder = Path(env("AIMA_CACHE_DIR"))
        child_env["XDG_CACHE_HOME"] = str(folder)
        child_env["AIMA_CI_CACHE_DIR"] = str(folder / "aima-ci" / "cache")
    print(f"::group::aima-ci run ({cwd})")
    print(" ".join(shlex.quote(a) for a in argv[1:]), flush=True)
    rc = subprocess.run(argv, cwd=cwd, env=child_env, check=False).returncode
    print("::endgroup::", flush=True)
    assessment_file = evidence / "assessment.json" if evidence else None
    if (
        rc not in (0, 1)
        or evidence is None
        or assessment_file is None
        or not assessment_file.is_file()
    ):
        what = "configuration, usage or input error" if rc == EXIT_USAGE else "internal error"
        print(command("error", f"aima-ci exited {rc} ({what}): see the log above", title="aima-ci"))
        add_summary(
            f"## ❌ aima-ci could not assess\n\n`aima-ci run` exited {rc} ({what}); see the job log.\n"
        )
        set_output("passed", "false")
        set_output("exit-code", str(rc if rc not in (0, 1) else EXIT_USAGE))
        return 0
    set_output("exit-code", str(rc))
    assessment = json.loads(assessment_file.read_text(encoding="utf-8"))
    overall = assessment.get("overall") or {}
    passed = bool((assessment.get("gate") or {}).get("passed"))
    set_output("passed", "true" if passed else "false")
    set_output("overall-level", str(overall.get("level", "")))
    set_output("overall-plus", "true" if overall.get("plus") else "false")
    set_output("overall-score", f"{float(overall.get('score') or 0):.2f}")
    set_output("evidence-dir", str(evidence))
    set_output("assessment-file", str(assessment_file))
    for fmt, name in REPORT_FILES.items():
        path = evidence / name
        set_output(f"{fmt}-file", str(path) if path.is_file() else "")
    md = evidence / "report.md"
    if md.is_file():
        add_summary(md.read_text(encoding="utf-8"))
    annotations = evidence / "report.github.txt"
    if annotations.is_file():  # aima-ci report --format github, written by the run
        print(annotations.read_text(encoding="utf-8"), end="", flush=True)
    if truthy(env("AIMA_ATTEST"), "attest"):
        try:
            set_output("predicate-file", str(write_predicate(evidence)))
        except Exception as exc:
            print(command("error", f"attest: could not build the predicate: {exc}"))
            set_output("exit-code", str(EXIT_USAGE))
    return 0


# ----------------------------------------------------------------------------- comment
def comment_key(working_directory: str) -> str:
    """One sticky comment per working directory: two gates in one pull request keep theirs."""
    where = working_directory.strip().strip("/") or "."
    safe = "".join(c if c.isalnum() or c in "._/-" else "_" for c in where)
    return safe[:100]


MENTION = re.compile(r"(?<![\w`])@(?=[A-Za-z0-9])")


def comment_body(markdown: str, key: str, footer: str = "") -> str:
    """The Markdown report under a hidden marker, within GitHub's comment size limit.

    The report quotes tool messages and waiver reasons, which the pull request controls: an
    ``@user`` or ``@org/team`` in them would make the bot's comment notify people, so a
    zero-width space follows each ``@`` that starts a mention (e-mail addresses stay as they are).
    """
    marker = COMMENT_MARKER.format(key=key)
    tail = f"\n\n<sub>{footer}</sub>\n" if footer else "\n"
    room = MAX_COMMENT_CHARS - len(marker) - len(tail) - 200
    text = MENTION.sub("@\u200b", markdown.rstrip())
    if len(text) > room:
        text = (
            text[:room].rsplit("\n", 1)[0]
            + "\n\n_Report truncated to GitHub's comment size limit: see the job summary._"
        )
    return f"{marker}\n{text}{tail}"


class GitHubAPI:
    """Just the REST calls the comment needs, through urllib (the venv need not have requests)."""

    def __init__(self, api: str, repo: str, token: str):
        self.api, self.repo, self.token = api.rstrip("/"), repo, token

    def call(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        data = json.dumps(body).encode("utf-8") if body is not None else None
        req = urllib.request.Request(f"{self.api}{path}", data=data, method=method)
        req.add_header("Accept", "application/vnd.github+json")
        req.add_header("Authorization", f"Bearer {self.token}")
        req.add_header("X-GitHub-Api-Version", "2022-11-28")
        if data is not None:
            req.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(req, timeout=30) as resp:
                return resp.status, json.loads(resp.read() or b"null")
        except urllib.error.HTTPError as exc:
            return exc.code, None

    def find_comment(self, number: int, marker: str) -> dict[str, Any] | None:
        for page in range(1, 31):
            status, comments = self.call(
                "GET", f"/repos/{self.repo}/issues/{number}/comments?per_page=100&page={page}"
            )
            if status != 200:
                raise PermissionError(f"listing comments: HTTP {status}")
            for c in comments or []:
                # Only a bot's comment: anyone can paste the marker into one of their own.
                if (c.get("user") or {}).get("type") == "Bot" and str(
                    c.get("body") or ""
                ).startswith(marker):
                    return dict(c)
            if len(comments or []) < 100:
                return None
        return None


def pull_request() -> tuple[int | None, str]:
    """The pull request's number, or None and why there is no comment to write."""
    event = env("GITHUB_EVENT_NAME")
    if event not in ("pull_request", "pull_request_target"):
        return None, f"not a pull request event ({event or 'none'})"
    try:
        payload = json.loads(Path(env("GITHUB_EVENT_PATH")).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        return None, f"cannot read the event payload: {exc}"
    pr = payload.get("pull_request") or {}
    head = ((pr.get("head") or {}).get("repo") or {}).get("full_name")
    if event == "pull_request" and head != env("GITHUB_REPOSITORY"):
        return None, "a pull request from a fork gets a read-only token"
    number = pr.get("number")
    return (number, "") if isinstance(number, int) else (None, "no pull request number")


def comment() -> int:
    """Create or update the sticky comment; never fails the step (the verdict does that)."""
    number, why = pull_request()
    if number is None:
        print(command("notice", f"aima-ci comment skipped: {why}"))
        return 0
    md = Path(env("AIMA_MARKDOWN_FILE"))
    if not env("AIMA_MARKDOWN_FILE") or not md.is_file():
        print(command("warning", "aima-ci comment skipped: no Markdown report"))
        return 0
    key = comment_key(env("AIMA_WORKING_DIRECTORY", "."))
    run_url = (
        f"{env('GITHUB_SERVER_URL', 'https://github.com')}/{env('GITHUB_REPOSITORY')}"
        f"/actions/runs/{env('GITHUB_RUN_ID')}"
    )
    sha = env("AIMA_HEAD_SHA")[:7]
    footer = f"aima-ci · {key} · [workflow run]({run_url})" + (f" · {sha}" if sha else "")
    body = comment_body(md.read_text(encoding="utf-8"), key, footer)
    api = GitHubAPI(
        env("GITHUB_API_URL", "https://api.github.com"),
        env("GITHUB_REPOSITORY"),
        env("AIMA_GITHUB_TOKEN"),
    )
    try:
        existing = api.find_comment(number, COMMENT_MARKER.format(key=key))
        if existing:
            status, made = api.call(
                "PATCH", f"/repos/{api.repo}/issues/comments/{existing['id']}", {"body": body}
            )
        else:
            status, made = api.call(
                "POST", f"/repos/{api.repo}/issues/{number}/comments", {"body": body}
            )
        if status not in (200, 201):
            raise PermissionError(f"HTTP {status}")
    except (PermissionError, OSError, ValueError) as exc:
        print(
            command(
                "warning",
                f"aima-ci comment skipped: {exc} (the job needs permissions: pull-requests: write)",
            )
        )
        return 0
    url = str((made or {}).get("html_url") or "")
    set_output("comment-url", url)
    print(f"aima-ci comment {'updated' if existing else 'created'}: {url}")
    return 0


# ----------------------------------------------------------------------------- verdict
def verdict() -> int:
    """The job's result: the run's exit code, except a failed gate under soft-fail."""
    code = env("AIMA_EXIT_CODE")
    if not code.isdigit():
        print(command("error", "aima-ci did not record an exit code: see the log above"))
        return 3
    rc = int(code)
    try:
        soft_fail = truthy(env("AIMA_SOFT_FAIL"), "soft-fail")
    except ValueError as exc:
        print(command("error", f"aima-ci action: {exc}"))
        return EXIT_USAGE
    if rc == 1 and soft_fail:
        print(command("warning", "AIMA gate failed; soft-fail is set, so this step passes"))
        return 0
    return rc


STEPS = {"plan": plan, "install": install, "run": run, "comment": comment, "verdict": verdict}


def main(argv: list[str]) -> int:
    if len(argv) == 2 and argv[1] in STEPS:
        return STEPS[argv[1]]()
    print(f"usage: aima_action.py {'|'.join(STEPS)}", file=sys.stderr)
    return EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main(sys.argv))
