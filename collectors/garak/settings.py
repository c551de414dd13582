"""The collector's config keys (public contract: docs/collectors/garak.md), checked up front.

Everything is validated before any collector runs, so a typo fails the command with exit 2 and
the key's name instead of an ``error`` finding an hour into a scan. Literal secrets are refused
here too: an API key belongs in an environment variable, named by ``api_key_env``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from aima_ci.plugin import COMMON_KEYS as CORE_KEYS  # read by the runner and scoring
from aima_ci.plugin import CollectorConfigError
from aima_ci.safety.redact import KEY_PATTERNS, SECRET_NAME

PREFIX = "collectors.garak"
BOTH_MODES_KEYS = frozenset({"thresholds", "expected_probes", "max_examples"})
RUN_KEYS = frozenset(
    {
        "target_type",
        "target_name",
        "generator_config",
        "generator_options",
        "probes",
        "generations",
        "parallel_attempts",
        "seed",
        "prompt_cap",
        "api_key_env",
    }
)
REPORT_KEYS = frozenset({"report", "hitlog"})

_NAME = r"[A-Za-z0-9_]+"
PROBE_NAME = re.compile(rf"^(?:probes\.)?({_NAME})(?:\.({_NAME}))?$")
TAG = re.compile(r"^(?:tag:)?([a-z][a-z0-9_\-]*(?::[A-Za-z0-9_.\-]+)+)$")
TIER = re.compile(r"^tier:[0-9]$")
ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
TARGET_TYPE = re.compile(rf"^{_NAME}(?:\.{_NAME})?$")
PLACEHOLDER = re.compile(r"\$[A-Z_]+")
# Credential-looking option names that hold a variable name or a file path, never a secret.
NOT_SECRETS = frozenset(
    {"key_env_var", "client_key_passphrase_env_var", "client_key", "client_cert"}
)


@dataclass(frozen=True)
class Selector:
    """One entry of ``probes``: a probe, a family (module), a tag or a tier, maybe excluded."""

    raw: str
    kind: str  # probe | family | tag | tier
    value: str  # encoding.InjectBase64 | encoding | owasp:llm01 | tier:1
    exclude: bool = False

    @property
    def spec(self) -> str:
        """How garak's --spec spells it."""
        if self.kind in ("probe", "family"):
            text = f"probes.{self.value}"
        elif self.kind == "tag":
            text = f"tag:{self.value}"
        else:
            text = self.value
        return f"-{text}" if self.exclude else text


@dataclass(frozen=True)
class Settings:
    mode: str
    thresholds: Mapping[str, float] = field(default_factory=dict)
    expected_probes: tuple[str, ...] = ()
    max_examples: int = 5
    # run mode
    target_type: str | None = None
    target_name: str | None = None
    generator_config: str | None = None
    generator_options: Mapping[str, Any] | None = None
    probes: tuple[Selector, ...] = ()
    generations: int = 1
    parallel_attempts: int | None = None
    seed: int | None = 42
    prompt_cap: int = 256
    api_key_env: str | None = None
    # report mode
    reports: tuple[str, ...] = ()
    hitlog: str | None = None

    @property
    def spec(self) -> str:
        return ",".join(s.spec for s in self.probes)

    def expected(self) -> tuple[set[str], set[str]]:
        """(probe classes, families) the run must produce results for, known before it runs."""
        probes: set[str] = set()
        families: set[str] = set()
        excluded = {s.value for s in self.probes if s.exclude}
        for sel in self.probes:
            if sel.exclude or sel.value in excluded:
                continue
            if sel.kind == "probe":
                probes.add(sel.value)
            elif sel.kind == "family":
                families.add(sel.value)
        for name in self.expected_probes:
            (probes if "." in name else families).add(name)
        return probes, families


def _err(key: str, reason: str) -> CollectorConfigError:
    return CollectorConfigError(f"{PREFIX}.{key}", reason)


def _int(config: Mapping[str, Any], key: str, default: int | None, lo: int, hi: int) -> int | None:
    if key not in config or config[key] is None:
        return default
    value = config[key]
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise _err(key, f"must be a whole number from {lo} to {hi}")
    return value


def _str(config: Mapping[str, Any], key: str) -> str | None:
    if key not in config or config[key] is None:
        return None
    value = config[key]
    if not isinstance(value, str) or not value.strip():
        raise _err(key, "must be a non-empty string")
    return value.strip()


def _str_list(config: Mapping[str, Any], key: str) -> tuple[str, ...]:
    value = config.get(key)
    if value is None:
        return ()
    items = [v.strip() for v in value.split(",")] if isinstance(value, str) else value
    if not isinstance(items, list) or not all(isinstance(v, str) and v.strip() for v in items):
        raise _err(key, "must be a list of non-empty strings")
    return tuple(v.strip() for v in items)


def parse_selector(raw: str, key: str) -> Selector:
    text = raw.strip()
    exclude = text.startswith("-")
    body = text[1:] if exclude else text
    m = PROBE_NAME.match(body)
    if m:
        if m.group(2):
            return Selector(raw, "probe", f"{m.group(1)}.{m.group(2)}", exclude)
        return Selector(raw, "family", m.group(1), exclude)
    if TIER.match(body):
        return Selector(raw, "tier", body, exclude)
    m = TAG.match(body)
    if m:
        return Selector(raw, "tag", m.group(1), exclude)
    raise _err(
        key,
        f"{raw!r} is not a probe (encoding.InjectBase64), a family (encoding), a tag"
        " (owasp:llm01) or a tier (tier:1)",
    )


def find_literal_secret(value: Any, path: str = "") -> str | None:
    """The config path of a value that looks like a literal credential, if any.

    A value under a credential-like key (api_key, token, Authorization ...) may only hold
    garak's placeholders ($KEY, $INPUT) and fixed words such as "Bearer"; anything matching a
    known key format is refused wherever it sits.
    """
    if isinstance(value, Mapping):
        for k, v in value.items():
            sub = f"{path}.{k}" if path else str(k)
            if isinstance(v, str) and SECRET_NAME.search(str(k)) and str(k) not in NOT_SECRETS:
                rest = PLACEHOLDER.sub("", v).strip()
                if rest and rest.lower() not in ("bearer", "token", "basic", "apikey"):
                    return sub
            found = find_literal_secret(v, sub)
            if found:
                return found
    elif isinstance(value, list):
        for i, v in enumerate(value):
            found = find_literal_secret(v, f"{path}[{i}]")
            if found:
                return found
    elif isinstance(value, str) and any(p.search(value) for _, p in KEY_PATTERNS):
        return path or "<value>"
    return None


def parse_settings(config: Mapping[str, Any]) -> Settings:
    """Validate the collector's keys; raises CollectorConfigError naming the first bad one."""
    mode = config.get("mode")
    if mode is None:
        mode = "report" if "report" in config and "target_type" not in config else "run"
    if mode not in ("run", "report"):
        raise _err("mode", "must be 'run' or 'report'")
    allowed = CORE_KEYS | BOTH_MODES_KEYS | (RUN_KEYS if mode == "run" else REPORT_KEYS)
    for key in config:
        if key not in allowed:
            other = REPORT_KEYS if mode == "run" else RUN_KEYS
            hint = f" (a {'report' if mode == 'run' else 'run'}-mode key)" if key in other else ""
            raise _err(
                str(key),
                f"unknown key in {mode} mode{hint}; known: {', '.join(sorted(allowed))}",
            )

    thresholds: dict[str, float] = {}
    raw_thresholds = config.get("thresholds") or {}
    if not isinstance(raw_thresholds, Mapping):
        raise _err("thresholds", "must map 'default', a probe, a family or a tag to a pass rate")
    for name, value in raw_thresholds.items():
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
            raise _err(f"thresholds.{name}", "must be a pass rate from 0 to 1")
        thresholds[str(name)] = float(value)

    expected = _str_list(config, "expected_probes")
    for i, name in enumerate(expected):
        if not PROBE_NAME.match(name):
            raise _err(f"expected_probes[{i}]", f"{name!r} is not a probe or family name")
    expected = tuple(n.removeprefix("probes.") for n in expected)
    common: dict[str, Any] = {
        "mode": mode,
        "thresholds": thresholds,
        "expected_probes": expected,
        "max_examples": _int(config, "max_examples", 5, 0, 50),
    }
    if mode == "report":
        reports = _str_list(config, "report")
        if not reports:
            raise _err("report", "required in report mode: a report.jsonl path or glob")
        return Settings(**common, reports=reports, hitlog=_str(config, "hitlog"))

    target_type = _str(config, "target_type")
    if target_type is None:
        raise _err("target_type", "required in run mode (a garak generator, e.g. rest or openai)")
    if not TARGET_TYPE.match(target_type):
        raise _err("target_type", f"{target_type!r} is not a garak generator name")
    probes_raw = _str_list(config, "probes")
    if not probes_raw:
        raise _err("probes", "required in run mode: probe names, families or tags")
    probes = tuple(parse_selector(p, f"probes[{i}]") for i, p in enumerate(probes_raw))
    if all(p.exclude for p in probes):
        raise _err("probes", "selects nothing: every entry is an exclusion")

    options = config.get("generator_options")
    if options is not None and not isinstance(options, Mapping):
        raise _err("generator_options", "must be a mapping of garak generator options")
    if options is not None:
        leaked = find_literal_secret(options)
        if leaked:
            raise _err(
                f"generator_options.{leaked}",
                "looks like a literal credential: put it in an environment variable, name that"
                " variable with api_key_env and write $KEY where garak should use it",
            )
    api_key_env = _str(config, "api_key_env")
    if api_key_env is not None and not ENV_NAME.match(api_key_env):
        raise _err("api_key_env", "must be an environment variable name (the name, not the key)")
    parallel = config.get("parallel_attempts")
    if parallel is None or parallel is False:
        parallel_value = None
    else:
        parallel_value = _int(config, "parallel_attempts", None, 1, 64)
    return Settings(
        **common,
        target_type=target_type,
        target_name=_str(config, "target_name"),
        generator_config=_str(config, "generator_config"),
        generator_options=dict(options) if options is not None else None,
        probes=probes,
        generations=_int(config, "generations", 1, 1, 1000) or 1,
        parallel_attempts=parallel_value,
        seed=_int(config, "seed", 42, 0, 2**31 - 1),
        prompt_cap=_int(config, "prompt_cap", 256, 1, 1_000_000) or 256,
        api_key_env=api_key_env,
    )
