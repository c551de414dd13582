"""No secret in any output: a Pushgateway URL carrying credentials (``https://user:token@host``,
the usual way to give a Pushgateway behind basic auth to a CI job) is never printed, neither on
success ("pushed to ...") nor on failure (refused, nothing listening, HTTP error), and the
credentials still reach the gateway, as a basic-auth header rather than in the path."""

from __future__ import annotations

import base64
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import pytest
from rb_support import PLANTED_ENV_SECRET, make_repo, run_cli

USER = "pushuser"


class _Gateway(BaseHTTPRequestHandler):
    received: list[dict[str, Any]]
    reply = 200

    def do_PUT(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.received.append({"path": self.path, "auth": self.headers.get("Authorization")})
        self.send_response(self.reply)
        self.end_headers()
        self.wfile.write(f"rejected {self.path}".encode() if self.reply >= 400 else b"")

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def gateway() -> Iterator[tuple[int, type[_Gateway]]]:
    handler = type("Handler", (_Gateway,), {"received": [], "reply": 200})
    server = HTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield server.server_address[1], handler
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def scored(tmp_path_factory: pytest.TempPathFactory):
    repo = make_repo(tmp_path_factory.mktemp("push"))
    (repo / "aima.yaml").write_text("version: 1\ntarget: 1\n", encoding="utf-8")
    res = run_cli("run", cwd=repo, env={"AIMA_CI_TODAY": "2026-12-01"})
    assert res.returncode in (0, 1), res.stdout + res.stderr
    return repo


def outputs(res: Any) -> str:
    return res.stdout + res.stderr


def test_success_prints_the_url_without_userinfo(scored, gateway) -> None:
    port, handler = gateway
    url = f"http://{USER}:{PLANTED_ENV_SECRET}@127.0.0.1:{port}"
    res = run_cli("export", "--push", url, "--instance", "ci", cwd=scored)
    assert res.returncode == 0, outputs(res)
    assert PLANTED_ENV_SECRET not in outputs(res)
    assert f"pushed to http://127.0.0.1:{port}/metrics/job/aima-ci/instance/ci" in res.stderr
    (req,) = handler.received
    assert req["path"] == "/metrics/job/aima-ci/instance/ci"
    expected = base64.b64encode(f"{USER}:{PLANTED_ENV_SECRET}".encode()).decode()
    assert req["auth"] == f"Basic {expected}", "the credentials go in a header, not the URL"


def test_failures_print_the_url_without_userinfo(scored, gateway) -> None:
    port, handler = gateway
    handler.reply = 401
    refused = run_cli(
        "export", "--push", f"http://{USER}:{PLANTED_ENV_SECRET}@127.0.0.1:{port}", cwd=scored
    )
    assert refused.returncode == 2 and "401" in refused.stderr, outputs(refused)
    nothing = run_cli(
        "export", "--push", f"http://{USER}:{PLANTED_ENV_SECRET}@127.0.0.1:9", cwd=scored
    )
    assert nothing.returncode == 2, outputs(nothing)
    bad = run_cli(
        "export", "--push", f"http://{USER}:{PLANTED_ENV_SECRET}@127.0.0.1:{port}?x=1", cwd=scored
    )
    assert bad.returncode == 2, outputs(bad)
    token_only = run_cli(
        "export", "--push", f"https://{PLANTED_ENV_SECRET}@127.0.0.1:9", cwd=scored
    )
    assert token_only.returncode == 2, outputs(token_only)
    for res in (refused, nothing, bad, token_only):
        assert PLANTED_ENV_SECRET not in outputs(res), outputs(res)
        assert "Traceback" not in res.stderr
