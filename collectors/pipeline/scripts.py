"""Find ``aima-ci run``/``aima-ci gate`` in a CI shell script and decide whether its exit code counts.

A gate only gates if a failing verdict fails the job. ``aima-ci run || true``, ``set +e`` before
it, or ``; exit 0`` after it all swallow exit 1, and so does a command that only collects or
reports. Shell is not parsed in full; anything that might swallow the exit code is treated as
doing so, because a gate that cannot be shown to block is not a gate.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field

_INVOKE = re.compile(
    r"(?:^|[\s;&|(`])(?:[\w./-]*/)?(?:aima-ci|python[\d.]*\s+-m\s+aima_ci|uvx\s+aima-ci|pipx\s+run\s+aima-ci)"
    r"(?:\s+(?:-q|-v|--quiet|--verbose|--no-color))*\s+(run|gate|collect|score|report)\b"
)


@dataclass
class Invocation:
    command: str  # run, gate, collect, score, report
    line: int  # 1-based line inside the script
    blocking: bool
    reason: str = ""
    config: str | None = None
    only: list[str] = field(default_factory=list)

    @property
    def gates(self) -> bool:
        return self.command in ("run", "gate")


def _logical_lines(script: str) -> list[tuple[int, str]]:
    """Lines with backslash continuations joined, each with its first physical line number."""
    out: list[tuple[int, str]] = []
    buf, start = "", 0
    for i, line in enumerate(script.splitlines(), start=1):
        if not buf:
            start = i
        if line.rstrip().endswith("\\"):
            buf += line.rstrip()[:-1] + " "
            continue
        out.append((start, buf + line))
        buf = ""
    if buf:
        out.append((start, buf))
    return out


def invocations(script: str) -> list[Invocation]:
    found: list[Invocation] = []
    lines = _logical_lines(script)
    errexit_off = False
    for idx, (lineno, line) in enumerate(lines):
        code = line.split(" #", 1)[0] if not line.lstrip().startswith("#") else ""
        if re.search(r"\bset\s+[+]e\b|\bset\s+\+o\s+errexit\b", code):
            errexit_off = True
        if re.search(r"\bset\s+-e\b|\bset\s+-o\s+errexit\b", code):
            errexit_off = False
        for m in _INVOKE.finditer(code):
            cmd = m.group(1)
            rest = code[m.end() :]
            segment = re.split(r"\|\||&&|;|\||&", rest, maxsplit=1)[0]
            inv = Invocation(command=cmd, line=lineno, blocking=cmd in ("run", "gate"))
            _options(segment, inv)
            if not inv.gates:
                inv.reason = f"'aima-ci {cmd}' does not gate (use run or gate)"
            else:
                reason = _swallowed(rest[len(segment) :], lines[idx + 1 :], errexit_off)
                if reason:
                    inv.blocking, inv.reason = False, reason
            found.append(inv)
    return found


def _options(segment: str, inv: Invocation) -> None:
    try:
        words = shlex.split(segment, comments=True)
    except ValueError:
        words = segment.split()
    i = 0
    while i < len(words):
        word = words[i]
        if word in ("--config", "--only") and i + 1 < len(words):
            if word == "--config":
                inv.config = words[i + 1]
            else:
                inv.only.append(words[i + 1])
            i += 2
            continue
        if word.startswith("--config="):
            inv.config = word.split("=", 1)[1]
        elif word.startswith("--only="):
            inv.only.append(word.split("=", 1)[1])
        i += 1


def _swallowed(after: str, following: list[tuple[int, str]], errexit_off: bool) -> str:
    """Why the command's failure would not fail the step, or '' when it would."""
    tail = after.strip()
    if tail.startswith("||"):
        fallback = tail[2:].strip()
        if re.match(r"^exit\s+[1-9]\d*\b", fallback) or re.match(
            r"^\{?\s*[^;]*;\s*exit\s+[1-9]", fallback
        ):
            return ""
        return f"'|| {fallback.split()[0] if fallback else ''}' swallows the gate's exit code"
    if tail.startswith("|") and not tail.startswith("||"):
        return (
            "piped into another command, whose exit code the step reports (unless pipefail is set)"
        )
    if tail.startswith("&") and not tail.startswith("&&"):
        return "run in the background"
    if errexit_off:
        later = [line for _, line in following if line.strip() and not line.strip().startswith("#")]
        if later:
            return "'set +e' is in effect and later commands decide the step's exit code"
    for _, line in following:
        if re.match(r"^\s*exit\s+0\b", line):
            return "'exit 0' after the gate hides its result"
    return ""
