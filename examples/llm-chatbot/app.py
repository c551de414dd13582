"""ShopBot: a small customer-support chat service for the fictional ACME shop.

Speaks two shapes on 127.0.0.1:
- ``POST /generate`` ``{"prompt": "..."}`` -> ``{"text": "..."}`` (what garak's REST generator calls);
- ``POST /v1/chat/completions`` in the OpenAI chat-completions shape (the last user message is
  the prompt), for clients and garak's ``openai.OpenAICompatible`` generator;
- ``GET /health`` -> ``{"status": "ok", "mode": ...}``.

``--mode unguarded`` serves the naive model as is; ``--mode guarded`` wraps it in the input/output
guard (guard.py). ``--api-key-env NAME`` makes every request need ``Authorization: Bearer <key>``
where the key is read from that environment variable (never from the command line).

    python app.py --port 0 --mode guarded      # prints the URL it listens on, then serves
"""

from __future__ import annotations

import argparse
import hmac
import json
import os
import signal
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import guard
import model

MAX_BODY = 1 << 20
MODES = ("guarded", "unguarded")


def answer(prompt: str, mode: str) -> str:
    if mode == "guarded":
        return guard.guarded_reply(prompt, model.reply)
    return model.reply(prompt)


class ShopBotHandler(BaseHTTPRequestHandler):
    server_version = "ShopBot/1.0"
    mode = "guarded"
    api_key: str | None = None

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: request lines would carry prompts, and headers would carry the key."""

    def _send(self, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _authorised(self) -> bool:
        if not self.api_key:
            return True
        given = self.headers.get("Authorization", "")
        return hmac.compare_digest(given.encode(), f"Bearer {self.api_key}".encode())

    def _body(self) -> Any:
        length = int(self.headers.get("Content-Length") or 0)
        if length <= 0 or length > MAX_BODY:
            raise ValueError("missing or oversized body")
        return json.loads(self.rfile.read(length).decode("utf-8"))

    def do_GET(self) -> None:
        if self.path.rstrip("/") in ("/health", ""):
            self._send(200, {"status": "ok", "mode": self.mode})
        elif self.path.rstrip("/") in ("/v1", "/v1/models"):
            self._send(200, {"object": "list", "data": [{"id": "shopbot", "object": "model"}]})
        else:
            self._send(404, {"error": "not found"})

    def do_POST(self) -> None:
        if not self._authorised():
            self._send(401, {"error": "missing or wrong API key"})
            return
        try:
            body = self._body()
        except (ValueError, UnicodeDecodeError):
            self._send(400, {"error": "body must be JSON"})
            return
        if self.path == "/generate":
            prompt = body.get("prompt") if isinstance(body, dict) else None
            if not isinstance(prompt, str):
                self._send(400, {"error": "'prompt' must be a string"})
                return
            self._send(200, {"text": answer(prompt, self.mode)})
        elif self.path.rstrip("/") == "/v1/chat/completions":
            messages = body.get("messages") if isinstance(body, dict) else None
            users = [
                m.get("content")
                for m in messages or []
                if isinstance(m, dict) and m.get("role") == "user"
            ]
            if not users or not isinstance(users[-1], str):
                self._send(400, {"error": "'messages' needs a user message with text content"})
                return
            text = answer(users[-1], self.mode)
            self._send(
                200,
                {
                    "id": "chatcmpl-shopbot",
                    "object": "chat.completion",
                    "created": int(time.time()),
                    "model": body.get("model") or "shopbot",
                    "choices": [
                        {
                            "index": 0,
                            "message": {"role": "assistant", "content": text},
                            "finish_reason": "stop",
                        }
                    ],
                    "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0},
                },
            )
        else:
            self._send(404, {"error": "not found"})


def serve(
    mode: str = "guarded", host: str = "127.0.0.1", port: int = 0, api_key: str | None = None
) -> tuple[ThreadingHTTPServer, threading.Thread]:
    """Start ShopBot in a background thread; returns the server (``server.server_address``)."""
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}")
    handler = type("Handler", (ShopBotHandler,), {"mode": mode, "api_key": api_key})
    server = ThreadingHTTPServer((host, port), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return server, thread


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="ShopBot, the ACME example chat service")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765, help="0 picks a free port")
    parser.add_argument("--mode", choices=MODES, default="guarded")
    parser.add_argument(
        "--api-key-env",
        help="require 'Authorization: Bearer <key>' with the key from this variable",
    )
    args = parser.parse_args(argv)
    api_key = None
    if args.api_key_env:
        api_key = os.environ.get(args.api_key_env)
        if not api_key:
            parser.error(f"environment variable {args.api_key_env} is not set")
    server, _thread = serve(args.mode, args.host, args.port, api_key)
    host, port = server.server_address[:2]
    print(f"ShopBot ({args.mode}) listening on http://{host}:{port}", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait()
    server.shutdown()
    server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
