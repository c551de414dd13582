"""Evaluate Rego policies with regopy (the rego-cpp interpreter, a wheel on PyPI: no OPA server).

rego-cpp reports errors as an s-expression naming the module and a byte offset
(``(error 8:bad.rego|40|2 (errormsg 27:Invalid assignment operator) ...)``); this module turns
that into ``bad.rego:4:7: Invalid assignment operator`` so a policy author can find the mistake.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

ERROR_AT = re.compile(r"\(error \d+:(?P<name>[^|\s]+)\|(?P<offset>\d+)\|\d+")
ERROR_MSG = re.compile(r"\(errormsg \d+:(?P<msg>[^\n]*?)\)\s*$", re.MULTILINE)
QUERY_RE = re.compile(r"^data(\.[A-Za-z_][A-Za-z0-9_]*)+$")


class PolicyError(ValueError):
    """A policy that does not compile or evaluate: the message names the file and line."""


@dataclass(frozen=True)
class Violation:
    message: str
    raw: Any  # the deny value as the policy produced it (string or object)


def describe_error(text: str, sources: Mapping[str, str]) -> str:
    """``file:line:col: message`` for each error in a rego-cpp error dump."""
    messages = [m.group("msg").strip() for m in ERROR_MSG.finditer(text)]
    places = []
    for m in ERROR_AT.finditer(text):
        name, offset = m.group("name"), int(m.group("offset"))
        src = sources.get(name)
        if src is None:
            places.append(name)
            continue
        before = src.encode("utf-8")[:offset].decode("utf-8", "replace")
        line = before.count("\n") + 1
        col = len(before) - (before.rfind("\n") + 1) + 1
        places.append(f"{name}:{line}:{col}")
    if not messages:
        return text.strip().splitlines()[0] if text.strip() else "unknown rego error"
    parts = []
    for i, msg in enumerate(messages):
        where = places[i] if i < len(places) else ""
        parts.append(f"{where}: {msg}" if where else msg)
    return "; ".join(dict.fromkeys(parts))


def evaluate(
    policies: Sequence[tuple[str, str]], input_data: Any, query: str
) -> tuple[list[Violation], str]:
    """Load every policy (name, source text), evaluate ``query`` on ``input_data``; the violations and engine version.

    Raises PolicyError for a compile error (naming the policy file and line), an evaluation
    error, an undefined query (no policy defines it) or a result that is not a set of messages.
    """
    from regopy import Interpreter, RegoError  # lazy: keep discovery cheap

    if not QUERY_RE.match(query):
        raise PolicyError(f"query {query!r} must look like data.<package>.<rule>")
    rego = Interpreter()
    sources: dict[str, str] = {}
    for name, text in policies:
        sources[name] = text
        try:
            rego.add_module(name, text)
        except RegoError as exc:
            raise PolicyError(f"syntax error: {describe_error(str(exc), sources)}") from None
    try:
        rego.set_input(input_data)
        output = rego.query(query)
    except RegoError as exc:
        raise PolicyError(describe_error(str(exc), sources)) from None
    except ValueError as exc:  # regopy parses the engine's JSON; a string it mis-escaped breaks it
        raise PolicyError(
            f"the Rego engine returned output it could not parse ({exc}); a known cause is"
            " sprintf('%v') of a string in a deny message: build the message with concat()"
        ) from None
    if not output.ok():
        node = output.node()
        dump = "\n".join(node.at(i).json() for i in range(len(node)))
        raise PolicyError(f"evaluation error: {describe_error(dump, sources)}")
    if str(output) == "undefined":
        raise PolicyError(
            f"{query} is undefined: no policy defines it (check the package name and rule)"
        )
    expressions = output.results[0].expressions if output.results else []
    if len(expressions) != 1:
        raise PolicyError(f"{query} gave an unexpected result: {output}")
    return _violations(expressions[0], query), _engine_version()


def _violations(value: Any, query: str) -> list[Violation]:
    if isinstance(value, Mapping):
        raise PolicyError(
            f"{query} is an object, not a set of messages: write rules in Rego v1 syntax,"
            " 'deny contains msg if { ... }' (a v0 'deny[msg] { ... }' is read as an object)"
        )
    if not isinstance(value, list):
        raise PolicyError(f"{query} must be a set of messages, got {type(value).__name__}")
    out = []
    for item in value:
        if isinstance(item, str):
            out.append(Violation(item, item))
        elif isinstance(item, Mapping) and isinstance(item.get("msg"), str):
            out.append(Violation(item["msg"], dict(item)))
        else:
            raise PolicyError(
                f"{query} contains {item!r}: each deny must be a string or an object with 'msg'"
            )
    return sorted(out, key=lambda v: v.message)


def _engine_version() -> str:
    from importlib.metadata import version

    return f"regopy {version('regopy')}"
