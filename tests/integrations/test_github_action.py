"""The GitHub Action: action.yml (at the repository root, where the Marketplace looks) and the
workflows checked by actionlint and by the GitHub schemas vendored in check-jsonschema; the
composite steps run locally the way a runner runs them, on a passing project, a failing one, a
config error and a hostile input, with the cache, the pull-request comment (against a local
stand-in for GitHub's REST API), the attestation and the SARIF upload."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import yaml
from action_runner import CompositeRunner, parse_env_file
from ci_env import REPO, clean_env

ACTION = REPO  # action.yml; its step logic is actions/aima-ci/aima_action.py
SCRIPT_DIR = REPO / "actions" / "aima-ci"
WORKFLOWS = sorted((REPO / ".github" / "workflows").glob("*.yml"))
sys.path.insert(0, str(SCRIPT_DIR))
import aima_action  # noqa: E402


# ----------------------------------------------------------------------------- static checks
def test_workflows_pass_actionlint(require_tool) -> None:
    actionlint = require_tool("actionlint")
    shellcheck = shutil.which("shellcheck") or ""
    res = subprocess.run(
        [
            actionlint,
            "-no-color",
            "-oneline",
            f"-shellcheck={shellcheck}",
            "-pyflakes=",
            *map(str, WORKFLOWS),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    assert res.returncode == 0, res.stdout + res.stderr
    assert {w.name for w in WORKFLOWS} >= {"ci.yml", "dogfood.yml", "release.yml", "examples.yml"}
    # actionlint checks a local action's metadata and its use through a workflow that uses it.
    assert any("uses: ./\n" in w.read_text() for w in WORKFLOWS)


def test_actionlint_reads_the_action_metadata(require_tool, tmp_path) -> None:
    """actionlint checks `with:` and outputs against our action.yml: a wrong name is caught."""
    actionlint = require_tool("actionlint")
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    (tmp_path / ".github" / "workflows").mkdir(parents=True)
    shutil.copy(ACTION / "action.yml", tmp_path / "action.yml")
    shutil.copytree(
        SCRIPT_DIR, tmp_path / "actions" / "aima-ci", ignore=shutil.ignore_patterns("__pycache__")
    )
    (tmp_path / ".github" / "workflows" / "w.yml").write_text(
        "on: push\njobs:\n  j:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - id: a\n        uses: ./\n        with:\n          no-such-input: x\n"
        '      - env:\n          P: ${{ steps.a.outputs.no-such-output }}\n        run: echo "$P"\n'
    )
    res = subprocess.run(
        [actionlint, "-no-color", "-oneline"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert res.returncode == 1
    assert 'input "no-such-input" is not defined' in res.stdout
    assert 'property "no-such-output" is not defined' in res.stdout


def test_github_schemas_accept_the_action_and_workflows(require_tool) -> None:
    check = require_tool("check-jsonschema")
    for schema, files in (
        ("vendor.github-actions", [ACTION / "action.yml"]),
        ("vendor.github-workflows", WORKFLOWS),
    ):
        res = subprocess.run(
            [check, "--builtin-schema", schema, *map(str, files)],
            capture_output=True,
            text=True,
            check=False,
        )
        assert res.returncode == 0, res.stdout + res.stderr


def test_github_schema_rejects_a_broken_action(require_tool, tmp_path) -> None:
    check = require_tool("check-jsonschema")
    meta = yaml.safe_load((ACTION / "action.yml").read_text())
    del meta["runs"]["steps"][1]["shell"]  # a composite run step without shell is invalid
    bad = tmp_path / "action.yml"
    bad.write_text(yaml.safe_dump(meta))
    res = subprocess.run(
        [check, "--builtin-schema", "vendor.github-actions", str(bad)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert res.returncode == 1


def test_no_expression_is_spliced_into_a_script() -> None:
    """Script injection: inputs reach the shell only through env:, never inside run: text."""
    docs = [yaml.safe_load((ACTION / "action.yml").read_text())["runs"]["steps"]]
    for wf in WORKFLOWS:
        for job in yaml.safe_load(wf.read_text())["jobs"].values():
            docs.append(job.get("steps", []))
    for steps in docs:
        for step in steps:
            assert "${{" not in step.get("run", ""), step
    meta = yaml.safe_load((ACTION / "action.yml").read_text())
    assert all(k == k.lower() and "_" not in k for k in meta["inputs"]), "kebab-case inputs"
    for step in meta["runs"]["steps"]:
        if "uses" in step:
            ref = step["uses"].split("@")[1]
            assert len(ref) == 40 and all(c in "0123456789abcdef" for c in ref), "pin by commit SHA"


# ----------------------------------------------------------------------------- escaping
def test_workflow_command_escaping() -> None:
    line = aima_action.command("error", "50% done\r\nnext", file="a:b,c.yaml", line=3, title="t,1")
    assert line == "::error file=a%3Ab%2Cc.yaml,line=3,title=t%2C1::50%25 done%0D%0Anext"
    assert aima_action.command("notice", "plain") == "::notice::plain"


def test_outputs_survive_newlines_and_delimiters(tmp_path, monkeypatch) -> None:
    out = tmp_path / "out"
    monkeypatch.setenv("GITHUB_OUTPUT", str(out))
    aima_action.set_output("a", "line1\nEOF\nline3")
    aima_action.set_output("b", "x=y")
    assert parse_env_file(out) == {"a": "line1\nEOF\nline3", "b": "x=y"}


# ----------------------------------------------------------------------------- running the steps
@pytest.fixture(scope="module")
def runner_temp(tmp_path_factory) -> Path:
    """Shared across the runs: the install step creates the venv once and then reuses it."""
    return tmp_path_factory.mktemp("runner_temp")


def run_action(
    ws: Path,
    runner_temp: Path,
    github: dict[str, Any] | None = None,
    extra_env: dict[str, str] | None = None,
    **inputs: str,
):
    base = clean_env(**{"HOME": str(runner_temp), **(extra_env or {})})
    runner = CompositeRunner(ACTION, ws, runner_temp, base, github=github)
    return runner.run({"working-directory": "project", **inputs})


def test_install_from_the_action_checkout_and_pass(workspace, runner_temp) -> None:
    ws = workspace("passing")
    result = run_action(ws, runner_temp)  # version: local (the default)
    assert result.exit_code == 0, result.log
    # setup-python skipped (no python-version), and so are the cache, comment, SARIF upload and
    # attestation, which are off by default.
    assert result.steps_run == ["plan", "install", "run", "verdict"]
    assert result.uses == {}
    venv_python = runner_temp / "aima-ci-venv" / "bin" / "python"
    assert venv_python.exists()
    probe = subprocess.run(
        [str(venv_python), "-I", "-c", "import aima_ci, sys; print(aima_ci.__file__)"],
        cwd=runner_temp,
        capture_output=True,
        text=True,
        check=True,
    )
    assert str(runner_temp) in probe.stdout, "aima-ci runs from the action's own venv"
    o = result.outputs
    assert o["passed"] == "true" and o["exit-code"] == "0" and o["overall-level"] == "1"
    assert o["overall-score"] == "1.00"
    evidence = ws / "project" / ".aima"
    assert Path(o["evidence-dir"]) == evidence
    for key, name in (
        ("sarif-file", "report.sarif"),
        ("junit-file", "report.junit.xml"),
        ("html-file", "report.html"),
        ("markdown-file", "report.md"),
        ("codequality-file", "report.codequality.json"),
    ):
        assert Path(o[key]) == evidence / name and (evidence / name).is_file()
    sarif = json.loads((evidence / "report.sarif").read_text())
    assert sarif["version"] == "2.1.0" and sarif["runs"][0]["results"] == []
    assert result.summary.startswith("## ✅ AIMA gate passed")
    assert result.annotations("error") == []


def test_failing_gate_fails_the_step_with_annotations(workspace, runner_temp) -> None:
    ws = workspace("passing")
    result = run_action(ws, runner_temp, **{"target-level": "2"})
    assert result.exit_code == 1
    assert result.outputs["passed"] == "false" and result.outputs["exit-code"] == "1"
    assert "AIMA gate failed" in result.summary and "Failing criteria" in result.summary
    errors = result.annotations("error")
    assert 1 <= len(errors) <= 10
    # Anchored to the config, addressed from the workspace (repository) root.
    assert all(e.startswith("::error file=project/aima.yaml,line=") for e in errors), errors[:2]
    notices = result.annotations("notice")
    assert notices and "more AIMA issue" in notices[0]
    # The annotations are `aima-ci report --format github`, which the run wrote beside the others.
    github = (ws / "project" / ".aima" / "report.github.txt").read_text()
    assert [line for line in github.splitlines() if line.startswith("::error")] == errors
    assert len(result.summary.encode()) < 1 << 20


def test_soft_fail_keeps_the_step_green(workspace, runner_temp) -> None:
    ws = workspace("passing")
    result = run_action(
        ws, runner_temp, **{"target-level": "2", "soft-fail": "true", "sarif": "false"}
    )
    assert result.exit_code == 0
    assert result.outputs["passed"] == "false" and result.outputs["exit-code"] == "1"
    assert result.outputs["sarif-file"] == ""
    assert any("soft-fail" in w for w in result.annotations("warning"))


def test_config_error_is_exit_2_even_with_soft_fail(workspace, runner_temp) -> None:
    ws = workspace("broken")
    result = run_action(ws, runner_temp, **{"soft-fail": "true"})
    assert result.exit_code == 2
    assert result.outputs["passed"] == "false" and result.outputs["exit-code"] == "2"
    assert "colectors: unknown key" in result.log
    assert "could not assess" in result.summary
    assert any("exited 2" in e for e in result.annotations("error"))


def test_hostile_inputs_are_never_run_by_a_shell(workspace, runner_temp) -> None:
    ws = workspace("passing")
    result = run_action(
        ws,
        runner_temp,
        config='$(touch pwned1)"; touch pwned2; echo "',
        args="--only `touch pwned3` ; touch pwned4",
    )
    assert result.exit_code == 2, result.log
    assert not list(ws.rglob("pwned*")), "an input was executed"
    bad_level = run_action(ws, runner_temp, **{"target-level": "2; touch pwned5"})
    assert bad_level.exit_code == 2 and "target-level" in bad_level.log
    assert not list(ws.rglob("pwned*"))


# ----------------------------------------------------------------------------- cache
CACHED_CONFIG = """\
version: 1
target:
  level: 1
attestations: aima-attestations.yaml
collectors:
  model_card:
    path: MODEL_CARD.md
output_dir: .aima
"""


def test_cache_keeps_collector_results_outside_the_checkout(workspace, runner_temp) -> None:
    ws = workspace("passing")
    shutil.copy(REPO / "tests/integrations/fixtures/precommit/MODEL_CARD.md", ws / "project")
    (ws / "project" / "aima.yaml").write_text(CACHED_CONFIG)
    first = run_action(ws, runner_temp, cache="true")
    assert first.exit_code == 0, first.log
    assert first.steps_run == ["plan", "install", "run", "verdict"]
    pip_uses, pip_with = first.uses["pip-cache"]
    col_uses, col_with = first.uses["collector-cache"]
    for uses in (pip_uses, col_uses):
        assert uses == "actions/cache@5a3ec84eff668545956fd18022155c47e93e2684"
    cache_dir = Path(col_with["path"])
    assert Path(pip_with["path"]) == runner_temp / "aima-ci-pip"
    assert cache_dir.parent == runner_temp / "aima-ci-cache"
    # Exact key: this config and install, saved per run; restore-keys fall back to older runs.
    prefix = col_with["key"].rsplit("-", 2)[0] + "-"
    assert col_with["restore-keys"].splitlines()[0] == prefix
    assert pip_with["key"].startswith(pip_with["restore-keys"])
    stored = [p for p in cache_dir.rglob("*") if p.is_file()]
    assert stored, "the collector cache went to the folder actions/cache saves"
    assert not (ws / "project" / ".aima-cache").exists()
    assert not list((ws / "project").rglob(".aima-cache"))

    assert (cache_dir / "aima-ci" / "seal.key").is_file(), "the entries' key travels with them"
    # The next run is on a fresh runner (another home): only what actions/cache restored remains.
    fresh_home = runner_temp / "fresh-home"
    fresh_home.mkdir()
    second = run_action(ws, runner_temp, extra_env={"HOME": str(fresh_home)}, cache="true")
    assert second.exit_code == 0, second.log
    run_json = json.loads((ws / "project" / ".aima" / "run.json").read_text())
    statuses = {c["name"]: c["status"] for c in run_json["collectors"]}
    assert statuses["model_card"] == "reused", statuses
    # A changed config is a new key (its results may differ), still under the same fallback.
    (ws / "project" / "aima.yaml").write_text(CACHED_CONFIG.replace("level: 1", "level: 0"))
    third = run_action(ws, runner_temp, cache="true")
    key3 = third.uses["collector-cache"][1]["key"]
    assert key3.rsplit("-", 2)[0] != col_with["key"].rsplit("-", 2)[0]
    assert key3.startswith(col_with["restore-keys"].splitlines()[1])


def test_bad_boolean_input_is_a_usage_error(workspace, runner_temp) -> None:
    ws = workspace("passing")
    for value in ("yes please", "TRUE"):
        result = run_action(ws, runner_temp, cache=value)
        assert result.exit_code == 2 and result.steps_run == ["plan"]
        assert "cache: expected true or false" in result.log


# ----------------------------------------------------------------------------- comment
class FakeGitHub:
    """GitHub's issue-comment endpoints, in memory, on 127.0.0.1: what the comment step calls."""

    def __init__(self, status: int = 200):
        self.comments: list[dict[str, Any]] = [
            {
                "id": 1,
                "body": "<!-- aima-ci comment: project -->\nby a person",
                "user": {"type": "User"},
            }
        ]
        self.requests: list[tuple[str, str, Any, str]] = []
        self.status = status
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _reply(self, code: int, body: Any) -> None:
                data = json.dumps(body).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _handle(self, method: str) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length)) if length else None
                fake.requests.append((method, self.path, body, self.headers["Authorization"]))
                if fake.status != 200:
                    return self._reply(fake.status, {"message": "Resource not accessible"})
                if method == "GET" and self.path.startswith("/repos/o/r/issues/7/comments"):
                    return self._reply(200, fake.comments)
                if method == "POST" and self.path == "/repos/o/r/issues/7/comments":
                    made = {"id": 100 + len(fake.comments), "body": body["body"]}
                    made |= {"user": {"type": "Bot"}, "html_url": f"https://gh/c/{made['id']}"}
                    fake.comments.append(made)
                    return self._reply(201, made)
                if method == "PATCH" and self.path.startswith("/repos/o/r/issues/comments/"):
                    cid = int(self.path.rsplit("/", 1)[1])
                    for c in fake.comments:
                        if c["id"] == cid:
                            c["body"] = body["body"]
                            return self._reply(200, {**c, "html_url": f"https://gh/c/{cid}"})
                return self._reply(404, {})

            def do_GET(self) -> None:
                self._handle("GET")

            def do_POST(self) -> None:
                self._handle("POST")

            def do_PATCH(self) -> None:
                self._handle("PATCH")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def pr_context(tmp_path: Path, api: str, head_repo: str = "o/r") -> tuple[dict, dict[str, str]]:
    payload = {
        "pull_request": {
            "number": 7,
            "head": {"sha": "abcdef1234567", "repo": {"full_name": head_repo}},
        }
    }
    event = tmp_path / "event.json"
    event.write_text(json.dumps(payload))
    env = {
        "GITHUB_EVENT_NAME": "pull_request",
        "GITHUB_EVENT_PATH": str(event),
        "GITHUB_REPOSITORY": "o/r",
        "GITHUB_API_URL": api,
        "GITHUB_SERVER_URL": "https://github.example",
        "GITHUB_RUN_ID": "42",
    }
    return {"token": "ghs_secret", "event_name": "pull_request", "event": payload}, env


@pytest.fixture
def fake_github():
    servers: list[FakeGitHub] = []

    def make(status: int = 200) -> FakeGitHub:
        servers.append(FakeGitHub(status))
        return servers[-1]

    yield make
    for s in servers:
        s.close()


def test_sticky_comment_is_created_then_updated_in_place(
    workspace, runner_temp, tmp_path, fake_github
) -> None:
    gh = fake_github()
    ws = workspace("passing")
    github, extra = pr_context(tmp_path, gh.url)
    first = run_action(ws, runner_temp, github, extra, comment="true", **{"target-level": "2"})
    assert first.exit_code == 1, first.log  # the gate fails, and the comment still says so
    assert "comment" in first.steps_run
    posts = [r for r in gh.requests if r[0] == "POST"]
    assert len(posts) == 1 and posts[0][3] == "Bearer ghs_secret"
    body = posts[0][2]["body"]
    assert body.startswith("<!-- aima-ci comment: project -->\n")
    assert (
        "AIMA gate failed" in body
        and "workflow run](https://github.example/o/r/actions/runs/42)" in body
    )
    assert "abcdef1" in body
    assert first.outputs["comment-url"] == "https://gh/c/101"
    second = run_action(ws, runner_temp, github, extra, comment="true")
    assert second.exit_code == 0, second.log
    patches = [r for r in gh.requests if r[0] == "PATCH"]
    assert len(patches) == 1 and patches[0][1] == "/repos/o/r/issues/comments/101"
    assert "AIMA gate passed" in patches[0][2]["body"]
    assert len([r for r in gh.requests if r[0] == "POST"]) == 1, "updated, not posted again"
    # The person's comment carrying the marker was never touched.
    assert gh.comments[0]["body"].endswith("by a person")
    assert "ghs_secret" not in first.log + second.log


def test_comment_skipped_on_a_fork_and_without_permission(
    workspace, runner_temp, tmp_path, fake_github
) -> None:
    gh = fake_github()
    ws = workspace("passing")
    github, extra = pr_context(tmp_path, gh.url, head_repo="someone/fork")
    result = run_action(ws, runner_temp, github, extra, comment="true")
    assert result.exit_code == 0, result.log
    assert gh.requests == [] and result.outputs["comment-url"] == ""
    assert any("fork" in n for n in result.annotations("notice"))
    denied = fake_github(status=403)
    github, extra = pr_context(tmp_path, denied.url)
    result = run_action(ws, runner_temp, github, extra, comment="true")
    assert result.exit_code == 0, result.log  # the verdict is the gate's, not the comment's
    assert any("pull-requests: write" in w for w in result.annotations("warning"))


def test_comment_body_renders_the_markdown_report(workspace, runner_temp) -> None:
    ws = workspace("passing")
    result = run_action(ws, runner_temp, **{"target-level": "2", "soft-fail": "true"})
    markdown = Path(result.outputs["markdown-file"]).read_text()
    body = aima_action.comment_body(markdown, "project", "aima-ci · project")
    assert body.splitlines()[0] == "<!-- aima-ci comment: project -->"
    assert markdown.strip() in body and body.rstrip().endswith("<sub>aima-ci · project</sub>")
    huge = aima_action.comment_body(markdown * 200, "k")
    assert len(huge) <= aima_action.MAX_COMMENT_CHARS and "truncated" in huge
    assert aima_action.comment_key("examples/credit model/-->") == "examples/credit_model/--_"
    pinged = aima_action.comment_body("waiver by @octocat for @org/team, owner a@b.example", "k")
    assert "@octocat" not in pinged and "@org/team" not in pinged
    assert "@\u200boctocat" in pinged and "a@b.example" in pinged


# ----------------------------------------------------------------------------- attest, SARIF
def test_attest_and_upload_sarif_hand_over_the_right_files(workspace, runner_temp) -> None:
    ws = workspace("passing")
    result = run_action(ws, runner_temp, attest="true", sarif="false", **{"upload-sarif": "true"})
    assert result.exit_code == 0, result.log
    uses, with_ = result.uses["attest"]
    assert uses == "actions/attest@1e69f48acb82d1966a394da916b4c1698aa569d6"
    assert Path(with_["subject-path"]) == ws / "project" / ".aima" / "assessment.json"
    assert with_["predicate-type"] == "https://aima-ci.dev/assessment/v1"
    predicate = json.loads(Path(with_["predicate-path"]).read_text())
    assert predicate["gate"]["passed"] is True and predicate["verifier"]["id"]
    digest = predicate["evidence"]["assessment"]["digest"]["sha256"]
    import hashlib

    assert digest == hashlib.sha256(Path(with_["subject-path"]).read_bytes()).hexdigest()
    uses, with_ = result.uses["upload-sarif"]
    assert uses.startswith("github/codeql-action/upload-sarif@5d4e8d1aca955e8d8589aabd")
    assert with_ == {
        "sarif_file": str(ws / "project" / ".aima" / "report.sarif"),
        "category": "aima-ci/project",
    }  # upload-sarif implies the SARIF report even with sarif: false


def test_every_declared_output_is_set_or_documented_empty() -> None:
    meta = yaml.safe_load((ACTION / "action.yml").read_text())
    outputs = meta["outputs"]
    assert {"overall-plus", "comment-url", "attestation-url", "sarif-id"} <= set(outputs)
    steps = {s.get("id") for s in meta["runs"]["steps"]}
    for name, spec in outputs.items():
        step = spec["value"].split("steps.")[1].split(".")[0]
        assert step in steps, name
    for name in ("cache", "comment", "attest", "upload-sarif"):
        assert meta["inputs"][name]["default"] == "false", name


# ----------------------------------------------------------------------------- release, pins
def all_uses() -> list[tuple[str, str]]:
    found = [
        ("action.yml", s["uses"])
        for s in yaml.safe_load((ACTION / "action.yml").read_text())["runs"]["steps"]
        if "uses" in s
    ]
    for wf in WORKFLOWS:
        for job in yaml.safe_load(wf.read_text())["jobs"].values():
            found += [(wf.name, s["uses"]) for s in job.get("steps", []) if "uses" in s]
    return found


def test_every_third_party_action_is_pinned_by_commit_sha() -> None:
    uses = all_uses()
    assert len(uses) > 10
    for where, ref in uses:
        if ref.startswith("./"):
            continue
        sha = ref.rsplit("@", 1)[1]
        assert len(sha) == 40 and all(c in "0123456789abcdef" for c in sha), (where, ref)
    # One version of each action across the repository: Dependabot moves them together.
    pins: dict[str, set[str]] = {}
    for _, ref in uses:
        name, _, sha = ref.partition("@")
        pins.setdefault(name, set()).add(sha)
    assert all(len(v) == 1 for v in pins.values()), pins


def test_release_workflow_grants_each_job_only_what_it_needs() -> None:
    wf = yaml.safe_load((REPO / ".github" / "workflows" / "release.yml").read_text())
    assert wf[True]["push"]["tags"] == ["v[0-9]+.[0-9]+.[0-9]+"]  # PyYAML reads `on` as True
    assert wf["permissions"] == {"contents": "read"}
    jobs = wf["jobs"]
    assert jobs["build"].get("permissions") is None
    assert jobs["attest"]["permissions"]["id-token"] == "write"
    assert jobs["attest"]["permissions"]["attestations"] == "write"
    assert jobs["pypi"]["permissions"] == {"id-token": "write"}
    assert jobs["pypi"]["environment"]["name"] == "pypi"
    assert jobs["major-tag"]["permissions"] == {"contents": "write"}
    assert jobs["pypi"]["needs"] == "attest" and jobs["major-tag"]["needs"] == "pypi"
    steps = {s.get("uses", "").split("@")[0] for j in jobs.values() for s in j["steps"]}
    assert {"actions/attest", "pypa/gh-action-pypi-publish"} <= steps
    attest = next(
        s for s in jobs["attest"]["steps"] if s.get("uses", "").startswith("actions/attest")
    )
    assert attest["with"] == {"subject-path": "dist/*"}  # no predicate: SLSA build provenance
    build = "\n".join(s.get("run", "") for s in jobs["build"]["steps"])
    assert "python3 -m build" in build
    assert 'git push --force origin "refs/tags/$major"' in jobs["major-tag"]["steps"][1]["run"]


def test_dependabot_keeps_action_pins_and_python_deps_current(require_tool) -> None:
    check = require_tool("check-jsonschema")
    path = REPO / ".github" / "dependabot.yml"
    res = subprocess.run(
        [check, "--builtin-schema", "vendor.dependabot", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert res.returncode == 0, res.stdout + res.stderr
    ecosystems = {u["package-ecosystem"] for u in yaml.safe_load(path.read_text())["updates"]}
    assert ecosystems == {"github-actions", "pip"}


def test_ci_covers_every_supported_python() -> None:
    ci = yaml.safe_load((REPO / ".github" / "workflows" / "ci.yml").read_text())
    assert ci["jobs"]["test"]["strategy"]["matrix"]["python"] == ["3.11", "3.12", "3.13"]
    examples = yaml.safe_load((REPO / ".github" / "workflows" / "examples.yml").read_text())
    job = examples["jobs"]["credit-model"]
    assert set(job["strategy"]["matrix"]["os"]) == {"ubuntu-24.04", "macos-14"}
    step = next(s for s in job["steps"] if s.get("uses") == "./")
    assert step["with"]["cache"] == "true" and "comment" in step["with"]


def test_release_refuses_a_tag_that_is_not_the_package_and_component_version(tmp_path) -> None:
    """The release job's version check, run as the runner would run it, on this checkout."""
    import tomllib

    wf = yaml.safe_load((REPO / ".github" / "workflows" / "release.yml").read_text())
    step = next(s for s in wf["jobs"]["build"]["steps"] if s.get("name", "").startswith("The tag"))
    script = tmp_path / "check.sh"
    script.write_text(step["run"])
    version = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["version"]

    def check(tag: str, root: Path = REPO) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
            cwd=root,
            env=clean_env(TAG=tag),
            capture_output=True,
            text=True,
            check=False,
        )

    assert check(f"v{version}").returncode == 0
    wrong = check("v99.0.0")
    assert wrong.returncode == 1 and "version mismatch" in wrong.stdout
    stale = tmp_path / "stale"
    (stale / "templates").mkdir(parents=True)
    shutil.copy(REPO / "pyproject.toml", stale / "pyproject.toml")
    (stale / "templates" / "aima-ci.yml").write_text(
        (REPO / "templates" / "aima-ci.yml")
        .read_text()
        .replace(f'default: "{version}"', 'default: "0.0.1"')
    )
    res = check(f"v{version}", stale)
    assert res.returncode == 1 and "templates/aima-ci.yml installs 0.0.1" in res.stdout


def test_action_report_file_names_match_the_report_table() -> None:
    """The action names the report files itself (it runs before aima-ci is installed); each
    must be the file ``aima-ci run`` writes for that format, or its output would stay empty."""
    from aima_ci.reports import get, names

    for fmt, name in aima_action.REPORT_FILES.items():
        assert fmt in names()
        assert get(fmt).filename == name, fmt
    assert get("github").filename == "report.github.txt"
    assert set(aima_action.FORMATS) <= set(names())
