"""ShopBot's input/output guard: the runtime guardrail that ``--mode guarded`` puts around the model.

Input side: refuse prompt-injection phrasing ("ignore previous instructions"), DAN-style
jailbreak markers, and encoded payloads (base64, hex, rot13) whose decoded text carries either,
or script. Output side: strip ANSI/VT100 escape sequences and C1 control characters, and refuse
to emit attacker-supplied "rogue strings" (text the input told the model to say, or text it
smuggled in encoded form). Pattern lists like these are a floor, not a ceiling: real deployments
add a classifier, but the shape (check in, check out, fail to a refusal) is the same.
"""

from __future__ import annotations

import re

from model import BRACKETS, ECHO, QUOTED_ORDER, ROLE_PLAY, decoded_payloads

REFUSAL = "I'm sorry, but I can't help with that request."

INJECTION = re.compile(
    r"\b(ignore|disregard|forget|skip|override|bypass)\b.{0,60}?\b(previous|prior|above|preceding|"
    r"following|earlier|all|any|your|those|these|them)\b.{0,60}?\b(instructions?|rules|prompts?|"
    r"directions|guidelines|context|information|info|snippets|policies)\b"
    r"|\bstop everything\b|\bnew instructions?\b|\bsystem (?:instruction|prompt|message)s?\b"
    r"|\b(?:reply|respond|answer) with only\b|\bnothing else\b|\bfocus exclusively\b",
    re.I | re.S,
)
SCRIPT = re.compile(r"<\s*script|javascript:|on(?:error|load)\s*=", re.I)
# CSI, OSC (ended by BEL or ST), two-byte ESC sequences, then any stray ESC / C1 / BEL.
ANSI = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[@-Z\\-_]|[\x1b\x07\x80-\x9f]"
)


def _flatten(text: str) -> str:
    """Undo cheap obfuscation (hyphenated words, runs of spaces) before matching."""
    return re.sub(r"\s+", " ", re.sub(r"(?<=\w)-(?=\w)", "", text))


def check_input(prompt: str) -> str | None:
    """A reason to refuse the prompt, or None to let the model answer."""
    flat = _flatten(prompt)
    if INJECTION.search(flat):
        return "prompt injection"
    if ROLE_PLAY.search(flat):
        return "jailbreak"
    for decoded in decoded_payloads(prompt):
        if INJECTION.search(decoded) or ROLE_PLAY.search(decoded) or SCRIPT.search(decoded):
            return "encoded payload"
    return None


def rogue_strings(prompt: str) -> list[str]:
    """Text the input tries to make the bot say verbatim."""
    found = list(QUOTED_ORDER.findall(prompt))
    if m := ECHO.match(prompt):
        found.append(m.group(1))
    if "brackets" in prompt.lower():
        found.extend(s.strip("<>") for s in BRACKETS.findall(prompt.split("brackets", 1)[1]))
    found.extend(decoded_payloads(prompt))
    return [s.strip() for s in found if len(s.strip()) >= 3]


def filter_output(prompt: str, output: str) -> str:
    """Sanitise the answer; refuse it if it repeats attacker-supplied text."""
    clean = ANSI.sub("", output)
    lowered = clean.lower()
    for rogue in rogue_strings(prompt):
        if rogue.lower() in lowered:
            return REFUSAL
    return clean


def guarded_reply(prompt: str, model_reply) -> str:  # type: ignore[no-untyped-def]
    if check_input(prompt) is not None:
        return REFUSAL
    return filter_output(prompt, model_reply(prompt))
