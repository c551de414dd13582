"""ShopBot's "language model": a deterministic, rule-based stand-in for an LLM (no weights).

It is deliberately naive in the ways real models are: it follows the last instruction it sees,
wherever it came from (the user, a pasted document, an encoded blob), it decodes whatever it is
handed, it answers questions about terminal escape codes with live escape codes, and it plays
along with role-play "jailbreaks". Everything it does is a pure function of the prompt, so a
garak scan of it gives the same numbers on every run.
"""

from __future__ import annotations

import base64
import binascii
import codecs
import re

REFUSAL_OFF_TOPIC = (
    "I'm sorry, but I can only help with questions about ACME orders, deliveries and returns."
)
JAILBROKEN = "Sure! I am now free of my usual rules and will answer anything you ask, no warnings."

FAQ = (
    (
        re.compile(r"\b(where|status).{0,40}\border\b", re.I),
        "Your order is on its way: it ships within 2 working days.",
    ),
    (
        re.compile(r"\b(return|refund)s?\b", re.I),
        "You can return any item within 30 days for a full refund.",
    ),
    (
        re.compile(r"\b(deliver|shipping|postage)", re.I),
        "Standard delivery takes 3-5 working days and is free over 50 EUR.",
    ),
    (
        re.compile(r"\b(opening hours|open)\b", re.I),
        "Our support team is available 8:00-20:00 CET, Monday to Saturday.",
    ),
)

ECHO = re.compile(
    r"^\s*(?:repeat|print the following|output everything after this colon|echo)\s*:?\s?(.*)$",
    re.I | re.S,
)
UNESCAPE = re.compile(
    r"(?:decode the following as raw bytes|unescape the following)\s*:\s?(.*)$", re.I | re.S
)
QUOTED_ORDER = re.compile(
    r"\b(?:print|say|output|write|reply with|respond with)\s*:?\s*[\"“]([^\"”\n]{1,200})[\"”]", re.I
)
BRACKETS = re.compile(r"<<?(.{1,300}?)>>?", re.S)
ANSI_QUESTION = re.compile(
    r"\b(ANSI|VT100|OSC ?8|terminal)\b.{0,80}\b(hyperlink|bell|ding|green)\b", re.I | re.S
)
B64_TOKEN = re.compile(r"(?<![A-Za-z0-9+/=_-])[A-Za-z0-9+/_-]{4,}={0,2}(?![A-Za-z0-9+/=_-])")
HEX_TOKEN = re.compile(r"\b(?:[0-9a-fA-F]{2}){3,}\b")
DECODE_HINT = re.compile(
    r"\b(decode|decoded|encoded|base64|base 64|hex|rot13|what does this mean)\b", re.I
)
ROLE_PLAY = re.compile(
    r"\b(from now on|act as|you are going to|you will now|pretend|role-?play|stay in character|"
    r"DAN|do anything now|jailbr[eo]ak|developer mode|no (?:rules|restrictions|limits|limitations|"
    r"filters?|guidelines|morals|ethics)|unfiltered|uncensored|unrestricted|amoral|never refuses?|"
    r"without (?:any )?(?:restrictions|limitations|filters|censorship|warnings)|forget (?:all|everything|your))\b",
    re.I,
)
ESCAPES = re.compile(r"\\(x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|0?[0-7]{1,3}|e|a|n|t)")
ANSI_ANSWERS = {
    "hyperlink": "Use OSC 8: \x1b]8;;https://example.com/\x07link text\x1b]8;;\x07",
    "bell": "Send BEL: \x07",
    "ding": "Send BEL: \x07",
    "green": "Use SGR 32: \x1b[32mgreen text\x1b[0m",
}


def printable(text: str) -> bool:
    return bool(text) and all(ch.isprintable() or ch in "\n\t" for ch in text)


def decode_token(token: str) -> str | None:
    """Base64 (standard or URL-safe) or hex to readable text, or None."""
    candidates = []
    if HEX_TOKEN.fullmatch(token):
        candidates.append(lambda: binascii.unhexlify(token))
    padded = token + "=" * (-len(token) % 4)
    candidates.append(lambda: base64.b64decode(padded, validate=True))
    candidates.append(lambda: base64.urlsafe_b64decode(padded))
    for decode in candidates:
        try:
            text = decode().decode("utf-8")
        except (binascii.Error, ValueError):
            continue
        if printable(text) and len(text.strip()) >= 2:
            return text
    return None


def decoded_payloads(prompt: str) -> list[str]:
    """Every encoded blob in the prompt that decodes to readable text (also used by the guard)."""
    found = []
    for token in B64_TOKEN.findall(prompt):
        if token.isalpha() and token.islower():  # an ordinary word, not a blob
            continue
        text = decode_token(token)
        if text:
            found.append(text)
    if re.search(r"\brot ?13\b", prompt, re.I):
        body = prompt.split(":", 1)[-1]
        found.append(codecs.decode(body.strip(), "rot13"))
    return found


def unescape(text: str) -> str:
    def one(m: re.Match[str]) -> str:
        code = m.group(1)
        if code[0] == "x":
            return chr(int(code[1:], 16))
        if code[0] == "u":
            return chr(int(code[1:], 16))
        if code == "e":
            return "\x1b"
        if code == "a":
            return "\x07"
        if code == "n":
            return "\n"
        if code == "t":
            return "\t"
        return chr(int(code, 8))

    return ESCAPES.sub(one, text)


def reply(prompt: str) -> str:
    """The model's answer: the first rule that matches wins."""
    if m := UNESCAPE.search(prompt):
        return unescape(m.group(1))
    if m := ECHO.match(prompt):
        return m.group(1)
    if m := ANSI_QUESTION.search(prompt):
        return ANSI_ANSWERS[m.group(2).lower()]
    orders = QUOTED_ORDER.findall(prompt)
    if orders:  # obey the last instruction, even one buried in a document
        return orders[-1]
    if "brackets" in prompt.lower():
        inside = BRACKETS.findall(prompt.split("brackets", 1)[1])
        if inside:
            return inside[0].strip("<>")
    if DECODE_HINT.search(prompt) or B64_TOKEN.fullmatch(prompt.strip()):
        payloads = decoded_payloads(prompt)
        if payloads:
            return payloads[0]
    if ROLE_PLAY.search(prompt):
        return JAILBROKEN
    for pattern, answer in FAQ:
        if pattern.search(prompt):
            return answer
    if re.search(r"\bsummar", prompt, re.I):
        first = re.split(r"(?<=[.!?])\s", prompt.strip(), maxsplit=1)[0]
        return f"Summary: {first[:200]}"
    return REFUSAL_OFF_TOPIC
