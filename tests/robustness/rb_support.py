"""Shared pieces of the robustness suite: damage strategies, throwaway repositories, the CLI.

Every property in this folder has the same shape: take real, valid input, damage it the way a
disk, a network copy, a killed writer or a hostile author would, and assert that aima-ci either
returns a valid result or fails with its documented error, and never turns damage into a pass.

Example budgets are small on purpose (the whole folder must stay under three minutes on two
cores); set ``AIMA_ROBUSTNESS_EXAMPLES=2000`` for a deeper local run.
"""

from __future__ import annotations

import json
import math
import os
import re
import subprocess
import sys
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

REPO_ROOT = Path(__file__).resolve().parents[2]
FIXTURES = REPO_ROOT / "tests" / "fixtures"
# A value no real key has, in two formats: one only an env-name rule can catch (it matches no
# key pattern) and one a key-format rule catches wherever it appears.
PLANTED_ENV_SECRET = "PLANTED-e7d41c09b2a84f6d"
PLANTED_OPENAI_KEY = "sk-proj-PLANTEDfakeKey0123456789abcdef"

_OVERRIDE = int(os.environ.get("AIMA_ROBUSTNESS_EXAMPLES", "0") or 0)


def budget(examples: int) -> settings:
    """Hypothesis settings for one property: a small default, raised by the environment."""
    return settings(
        max_examples=_OVERRIDE or examples,
        deadline=None,
        print_blob=True,
        suppress_health_check=[
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
            HealthCheck.function_scoped_fixture,
            HealthCheck.filter_too_much,
        ],
    )


# --------------------------------------------------------------------------- byte damage
# Tokens that break parsers in interesting ways when spliced into JSON/YAML text.
HOSTILE_TOKENS = (
    b"\xff",
    b"\xc3",  # a cut UTF-8 sequence
    b"\x00",
    b"\r",
    b"\n",
    b'"',
    b"\\",
    b"{",
    b"}",
    b"[",
    b",",
    b"NaN",
    b"Infinity",
    b"-Infinity",
    b"1e999",
    b"-1",
    b"null",
    b"true",
    b"99999999999999999999999999",
    b"[" * 5000,
    b"&a",
    b"*a",
    b"!!python/object/apply:os.system ['true']",
    b"\xef\xbb\xbf",  # a BOM in the middle
)
_NUMBER = re.compile(rb"(?<![\w.])-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?")
HOSTILE_NUMBERS = (
    b"NaN",
    b"Infinity",
    b"-Infinity",
    b"-1",
    b"-0.5",
    b"1e309",
    b"4294967296",
    b"18446744073709551617",
    b"true",
    b"null",
    b'"3"',
    b"1.5",
    b"0",
    b"[]",
    b"{}",
)
DAMAGE_KINDS = (
    "flip",
    "bit",
    "truncate",
    "delete",
    "insert",
    "token",
    "number",
    "drop_line",
    "dup_line",
    "swap_lines",
    "long_line",
)


def _lines(buf: bytearray) -> list[bytes]:
    return bytes(buf).split(b"\n")


@st.composite
def damaged(draw: st.DrawFn, data: bytes, max_edits: int = 3) -> bytes:
    """``data`` with one to ``max_edits`` kinds of damage; shrinks towards a single small edit."""
    buf = bytearray(data)
    for _ in range(draw(st.integers(1, max_edits))):
        kind = draw(st.sampled_from(DAMAGE_KINDS))
        n = len(buf)
        at = draw(st.integers(0, max(0, n - 1)))
        if kind == "flip" and n:
            buf[at] ^= draw(st.integers(1, 255))
        elif kind == "bit" and n:
            buf[at] ^= 1 << draw(st.integers(0, 7))
        elif kind == "truncate":
            del buf[draw(st.integers(0, n)) :]
        elif kind == "delete" and n:
            del buf[at : at + draw(st.integers(1, 64))]
        elif kind == "insert":
            buf[at:at] = draw(st.binary(min_size=1, max_size=16))
        elif kind == "token":
            buf[at:at] = draw(st.sampled_from(HOSTILE_TOKENS))
        elif kind == "number":
            numbers = list(_NUMBER.finditer(buf))
            if numbers:
                m = numbers[draw(st.integers(0, len(numbers) - 1))]
                buf[m.start() : m.end()] = draw(st.sampled_from(HOSTILE_NUMBERS))
        elif kind in ("drop_line", "dup_line", "swap_lines", "long_line"):
            lines = _lines(buf)
            i = draw(st.integers(0, len(lines) - 1))
            if kind == "drop_line":
                del lines[i]
            elif kind == "dup_line":
                lines.insert(i, lines[i])
            elif kind == "swap_lines":
                j = draw(st.integers(0, len(lines) - 1))
                lines[i], lines[j] = lines[j], lines[i]
            else:
                lines[i] = lines[i][:40] + b"x" * draw(st.sampled_from([1 << 16, 1 << 21]))
            buf = bytearray(b"\n".join(lines))
    return bytes(buf)


# --------------------------------------------------------------------------- structural damage
def hostile_values() -> st.SearchStrategy[Any]:
    """Values of the wrong type or range for any field: the classic ways a document lies."""
    deep: Any = "bottom"
    for _ in range(200):
        deep = [deep]
    return st.one_of(
        st.sampled_from(
            [
                None,
                True,
                False,
                0,
                -1,
                2**64,
                10**300,
                1e308,
                math.nan,
                math.inf,
                -math.inf,
                -0.0,
                "",
                "pass",
                "PASS",
                "x" * 5000,
                [],
                {},
                deep,
                {"status": "pass"},
            ]
        ),
        st.text(max_size=20),
        st.integers(),
        st.floats(allow_nan=True, allow_infinity=True),
    )


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield prefix
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _paths(v, (*prefix, k))
    elif isinstance(value, list):
        for i, v in enumerate(value[:50]):
            yield from _paths(v, (*prefix, i))


def _get(value: Any, path: tuple[Any, ...]) -> Any:
    for part in path:
        value = value[part]
    return value


@st.composite
def mutated_json(draw: st.DrawFn, doc: Any, max_edits: int = 3) -> Any:
    """``doc`` with fields replaced by hostile values, removed, or joined by unknown keys."""
    doc = json.loads(json.dumps(doc, default=str))  # YAML dates become ISO strings
    for _ in range(draw(st.integers(1, max_edits))):
        paths = [p for p in _paths(doc) if p]
        if not paths:
            return draw(hostile_values())
        path = draw(st.sampled_from(paths))
        parent = _get(doc, path[:-1])
        key = path[-1]
        action = draw(st.sampled_from(["replace", "replace", "remove", "extra"]))
        if action == "replace":
            parent[key] = draw(hostile_values())
        elif action == "remove":
            del parent[key]
        elif isinstance(parent, dict):
            parent[draw(st.text(min_size=1, max_size=12))] = draw(hostile_values())
        else:
            parent.append(draw(hostile_values()))
    return doc


def dumps_loose(value: Any) -> str:
    """JSON as Python writes it, NaN and Infinity included (what a careless tool produces)."""
    return json.dumps(value, allow_nan=True)


# --------------------------------------------------------------------------- repositories and CLI
def make_repo(base: Path, name: str = "repo") -> Path:
    """A fresh work tree whose root (holding ``.git``) is where aima-ci confines every path."""
    root = base / name
    (root / ".git").mkdir(parents=True, exist_ok=True)
    return root


def run_cli(
    *args: str, cwd: Path, env: Mapping[str, str] | None = None, timeout: float = 180
) -> subprocess.CompletedProcess[str]:
    """The real console entry point in a child process (exit code, stdout, stderr)."""
    full_env = {**os.environ, "NO_COLOR": "1", "AIMA_CI_NO_CACHE": "1", **(env or {})}
    full_env.pop("AIMA_CI_DEBUG", None)
    return subprocess.run(
        [sys.executable, "-m", "aima_ci", *args],
        cwd=cwd,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def assert_clean_failure(result: Any, *, allowed: tuple[int, ...] = (0, 1, 2)) -> None:
    """Bad input ends in a verdict or a one-line user error: never exit 3, never a traceback."""
    output = (getattr(result, "stdout", "") or "") + (getattr(result, "stderr", "") or "")
    code = result.exit_code if hasattr(result, "exit_code") else result.returncode
    assert code in allowed, f"exit {code}: {output[-2000:]}"
    assert "Traceback (most recent call last)" not in output, output[-2000:]
    assert "internal error" not in output, output[-2000:]
    if code == 2:
        assert "aima-ci: error: " in output or "Error: " in output, output[-2000:]


def files_under(directory: Path) -> list[Path]:
    return sorted(p for p in directory.rglob("*") if p.is_file() and not p.is_symlink())


def grep_files(directory: Path, needles: list[str]) -> list[str]:
    """Every file under ``directory`` that holds one of ``needles`` (raw bytes, any encoding)."""
    hits = []
    for path in files_under(directory):
        data = path.read_bytes()
        for needle in needles:
            if needle.encode() in data:
                hits.append(f"{path}: {needle}")
    return hits


def status_map(findings: Any, key: Callable[[Any], str] = lambda f: f.check) -> dict[str, str]:
    """check -> worst status over its findings (the scoring's aggregation rule, simplified)."""
    order = ["error", "fail", "not_run", "warn", "inconclusive", "waived", "pass", "not_applicable"]
    out: dict[str, str] = {}
    for f in findings:
        status = str(f.status)
        name = key(f)
        if name not in out or order.index(status) < order.index(out[name]):
            out[name] = status
    return out
