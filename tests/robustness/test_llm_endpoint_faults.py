"""garak's run mode under faults: a tool that fails, writes junk, or is not installed, and an LLM
endpoint that errors or answers garbage mid-scan. Every case ends in ``error``/``not_run``,
never ``pass``, and the scan check says why.

tests/collectors/test_garak_run.py already runs real garak against an endpoint that refuses
connections (``test_unreachable_target_is_an_error``), one that never answers
(``test_hung_target_is_stopped_at_the_timeout``) and an unknown probe name; this file adds
500s and malformed JSON mid-scan with real garak, and a fake garak (swapped in through
sitecustomize, so the real runner and worker are used unchanged) for the tool's own failures.
The local endpoint listens on 127.0.0.1 only, serves a bounded number of requests and stops.
"""

from __future__ import annotations

import contextlib
import hashlib
import http.server
import importlib.util
import json
import os
import textwrap
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from rb_support import (
    FIXTURES,
    PLANTED_ENV_SECRET,
    PLANTED_OPENAI_KEY,
    grep_files,
    make_repo,
    run_cli,
)

HAVE_GARAK = importlib.util.find_spec("garak") is not None
KEY_VAR = "AIMA_TEST_LLM_TOKEN"
ENV = {"AIMA_CI_TODAY": "2026-12-01", KEY_VAR: PLANTED_ENV_SECRET}
MAX_REQUESTS = 200


# --------------------------------------------------------------------------- the endpoint
class Endpoint(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, behaviour: str) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.behaviour = behaviour
        self.requests = 0
        self.lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/generate"


class Handler(http.server.BaseHTTPRequestHandler):
    server: Endpoint

    def log_message(self, *args: Any) -> None:  # keep the test output quiet
        pass

    def do_POST(self) -> None:
        with self.server.lock:
            self.server.requests += 1
            n = self.server.requests
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        behaviour = self.server.behaviour
        if behaviour == "500-mid-scan" and n > 2:
            return self._send(500, b'{"error": "model overloaded"}')
        if behaviour == "garbage-mid-scan" and n > 2:
            return self._send(200, b'{"text": "I cannot hel')  # a body cut mid-JSON
        text = "I cannot help with that."
        if behaviour == "leaky":  # echoes its credential and a key it should not know
            text += f" (auth: {self.headers.get('Authorization')}, key {PLANTED_OPENAI_KEY})"
        return self._send(200, json.dumps({"text": text}).encode())

    def _send(self, code: int, body: bytes) -> None:
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@contextlib.contextmanager
def endpoint(behaviour: str) -> Iterator[Endpoint]:
    """Serve at most MAX_REQUESTS requests, each wait bounded by a 1 s timeout; stops on exit."""
    server = Endpoint(behaviour)
    server.timeout = 1.0
    stop = threading.Event()

    def serve() -> None:
        for _ in range(MAX_REQUESTS):
            if stop.is_set():
                return
            server.handle_request()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        stop.set()
        thread.join(timeout=10)
        server.server_close()


def garak_repo(base: Path, url: str, *, timeout: int = 60, **extra: Any) -> Path:
    root = make_repo(base)
    (root / "rest.json").write_text(
        json.dumps(
            {
                "rest": {
                    "RestGenerator": {
                        "uri": url,
                        "headers": {"Authorization": "Bearer $KEY"},
                        "req_template_json_object": {"prompt": "$INPUT"},
                        "response_json": True,
                        "response_json_field": "text",
                        "request_timeout": 5,
                    }
                }
            }
        )
    )
    garak = {
        "mode": "run",
        "target_type": "rest",
        "generator_config": "rest.json",
        "api_key_env": KEY_VAR,
        "probes": ["encoding.InjectBase64"],
        "prompt_cap": 4,
        "timeout": timeout,
        **extra,
    }
    config = {"target": 0, "collectors": {"garak": garak}, "required_collectors": ["garak"]}
    (root / "aima.yaml").write_text(yaml.safe_dump(config))
    return root


def findings(root: Path) -> dict[str, dict[str, Any]]:
    rows = [json.loads(x) for x in (root / ".aima" / "findings.jsonl").read_text().splitlines()]
    return {f["check"]: f for f in rows if f["collector"] == "garak"}


def assert_no_pass(root: Path, result: Any, why: str) -> dict[str, dict[str, Any]]:
    found = findings(root)
    assert found, result.stderr[-2000:]
    assert all(f["status"] in ("error", "not_run") for f in found.values()), {
        c: (f["status"], f["message"][:200]) for c, f in found.items()
    }
    assert why in found["garak.scan"]["message"], found["garak.scan"]["message"]
    # run --fail-on-error: an error anywhere fails the gate (exit 1), with the reason
    assert result.returncode == 1, result.stdout[-2000:] + result.stderr[-2000:]
    assert "garak.scan: " in result.stdout or "not_installed" in result.stdout
    assert "Traceback" not in result.stderr
    return found


# --------------------------------------------------------------------------- real garak
needs_garak = pytest.mark.skipif(not HAVE_GARAK, reason="garak not installed")


@pytest.mark.slow
@needs_garak
def test_endpoint_answering_500_mid_scan_is_an_error(tmp_path):
    """garak retries 5xx with backoff for ever; the run is stopped at its budget (25 s collector
    timeout: 10 s for garak) and nothing it measured before counts as a pass."""
    with endpoint("500-mid-scan") as server:
        root = garak_repo(tmp_path, server.url, timeout=25)
        result = run_cli("run", "--fail-on-error", cwd=root, env=ENV)
        assert server.requests > 2
    found = assert_no_pass(root, result, "timeout")
    assert found["garak.scan"]["details"]["timed_out"] is True


@pytest.mark.slow
@needs_garak
def test_endpoint_answering_garbage_mid_scan_is_an_error(tmp_path):
    with endpoint("garbage-mid-scan") as server:
        root = garak_repo(tmp_path, server.url)
        result = run_cli("run", "--fail-on-error", cwd=root, env=ENV)
        assert server.requests > 2
    # garak logs the JSON error, abandons the probe and still exits 0: the report shows it
    found = assert_no_pass(root, result, "run did not finish")
    assert found["garak.encoding"]["status"] == "error"


@pytest.mark.slow
@needs_garak
def test_a_leaky_endpoint_leaks_nothing_into_the_evidence(tmp_path):
    """The endpoint echoes the Authorization header (the planted key from api_key_env) and a
    key-format string into every answer, so garak's report, hitlog and logs hold both; garak's
    own scrub removes the key, the runner's artefact pass the key-format string, and the
    finding subjects describe the report as stored."""
    with endpoint("leaky") as server:
        root = garak_repo(tmp_path, server.url)
        result = run_cli("run", "-f", "json", "-f", "html", cwd=root, env=ENV)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    evidence = root / ".aima"
    report = evidence / "artefacts" / "garak" / "garak.report.jsonl"
    assert report.is_file()
    assert grep_files(evidence, [PLANTED_ENV_SECRET, PLANTED_OPENAI_KEY]) == []
    assert PLANTED_ENV_SECRET not in result.stdout + result.stderr
    assert PLANTED_OPENAI_KEY not in result.stdout + result.stderr
    text = report.read_text()
    assert f"[REDACTED:env:{KEY_VAR}]" in text and "[REDACTED:openai-key]" in text
    run = json.loads((evidence / "run.json").read_text())
    assert run["redactions"].get("openai-key", 0) >= 1
    for f in findings(root).values():
        for s in f["subjects"]:
            if s["path"] and (root / s["path"]).is_file() and s["digest"]:
                stored = hashlib.sha256((root / s["path"]).read_bytes()).hexdigest()
                assert s["digest"] == f"sha256:{stored}", s["path"]
    assert run_cli("verify", str(evidence), cwd=root, env=ENV).returncode == 0


# --------------------------------------------------------------------------- a fake garak
SITECUSTOMIZE = textwrap.dedent(
    """
    import os, sys
    mode = os.environ.get("AIMA_TEST_FAKE_GARAK")
    if mode:
        import aima_ci_collectors.garak.run as run
        if mode == "missing":
            run.garak_command = lambda: None
        else:
            script = os.environ["AIMA_TEST_FAKE_GARAK_SCRIPT"]
            run.garak_command = lambda: [sys.executable, script]
    """
)
FAKE_GARAK = textwrap.dedent(
    """
    import os, sys
    mode = os.environ["AIMA_TEST_FAKE_GARAK"]
    prefix = sys.argv[sys.argv.index("--report_prefix") + 1]
    print("garak LLM vulnerability scanner v0.17.1 (fake)")
    if mode == "exit":
        print("generator failed to load: ConnectionError", file=sys.stderr)
        sys.exit(2)
    if mode == "junk":
        with open(prefix + ".report.jsonl", "wb") as fh:
            fh.write(os.urandom(4096) + b"\\n{not json}\\n" + b"\\xff" * 100)
        sys.exit(0)
    if mode in ("cut", "whole"):
        data = open(os.environ["AIMA_TEST_REPORT"], "rb").read()
        if mode == "cut":
            data = data[: data.index(b'{"entry_type": "eval", "probe": "promptinject') + 90]
        open(prefix + ".report.jsonl", "wb").write(data)
        sys.exit(0)
    """
)


@pytest.fixture(scope="module")
def fake_tool(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    folder = tmp_path_factory.mktemp("fake-garak")
    (folder / "sitecustomize.py").write_text(SITECUSTOMIZE)
    (folder / "garak_fake.py").write_text(FAKE_GARAK)
    pythonpath = os.pathsep.join(filter(None, [str(folder), os.environ.get("PYTHONPATH")]))
    return {
        **ENV,
        "PYTHONPATH": pythonpath,
        "AIMA_TEST_FAKE_GARAK_SCRIPT": str(folder / "garak_fake.py"),
        "AIMA_TEST_REPORT": str(FIXTURES / "garak" / "garak-0.17.1-repeat.report.jsonl"),
    }


def fake_run(tmp_path: Path, env: dict[str, str], mode: str) -> tuple[Path, Any]:
    root = garak_repo(
        tmp_path,
        "http://127.0.0.1:9/generate",
        probes=["encoding.InjectBase64", "promptinject.HijackHateHumans"],
        thresholds={"default": 0.5},
    )
    fake = {**env, "AIMA_TEST_FAKE_GARAK": mode}
    return root, run_cli("run", "--fail-on-error", cwd=root, env=fake)


def test_fake_garak_with_a_whole_report_is_judged_normally(tmp_path, fake_tool):
    """The control: the same fake path with a complete report gives real verdicts, so the
    errors below come from the faults, not from the harness."""
    root, result = fake_run(tmp_path, fake_tool, "whole")
    found = findings(root)
    assert found["garak.encoding"]["status"] == "pass", found["garak.encoding"]["message"]
    assert found["garak.promptinject"]["status"] == "fail"
    assert found["garak.scan"]["status"] == "pass", found["garak.scan"]["message"]
    # a real verdict: the failing attack family is a high-severity outcome finding, which fails
    # the gate on findings (outcome policy, fail_on: high) while no check is in error
    assert result.returncode == 1, result.stderr[-1500:]
    assert "findings: failed" in result.stdout, result.stdout[-1500:]
    assert "error" not in {f["status"] for f in found.values()}


def test_tool_exiting_non_zero_is_an_error(tmp_path, fake_tool):
    root, result = fake_run(tmp_path, fake_tool, "exit")
    found = assert_no_pass(root, result, "garak exited with code 2")
    assert found["garak.scan"]["details"]["exit_code"] == 2


def test_tool_writing_junk_is_an_error(tmp_path, fake_tool):
    root, result = fake_run(tmp_path, fake_tool, "junk")
    found = assert_no_pass(root, result, "report problem(s)")
    assert found["garak.encoding"]["status"] == "error"


def test_tool_killed_mid_report_is_an_error_even_for_finished_probes(tmp_path, fake_tool):
    """encoding's rows are complete in the cut report and would pass; without a completion
    entry nothing may."""
    root, result = fake_run(tmp_path, fake_tool, "cut")
    found = assert_no_pass(root, result, "no completion entry")
    assert "measured before that" in found["garak.encoding"]["message"]


def test_tool_not_installed_is_not_run_with_the_install_hint(tmp_path, fake_tool):
    root, result = fake_run(tmp_path, fake_tool, "missing")
    found = findings(root)
    assert {f["status"] for f in found.values()} == {"not_run"}, found
    assert all("pip install 'aima-ci[garak]'" in f["message"] for f in found.values())
    run = json.loads((root / ".aima" / "run.json").read_text())
    assert run["collectors"][0]["status"] == "not_installed"
    assert result.returncode == 1 and "required collector 'garak' not_installed" in result.stdout
