"""The ``collectors.garak`` keys (public contract: docs/collectors/garak.md), declared once.

The runner parses the block with ``SPEC`` before any collector runs (aima_ci.options), so a typo
fails the command with exit 2 and the key's name instead of an ``error`` finding an hour into a
scan; the collector gets the typed ``Settings`` as ``ctx.settings``, and the same declaration
gives the JSON Schema of aima.yaml and the table in the docs. Literal secrets are refused here
too: an API key belongs in an environment variable, named by ``api_key_env``.

Two things garak needs beyond a plain spec (``GarakSpec``): its mode is ``run`` whenever
``target_type`` is set (a block naming both a target and a report is a run-mode block with a
stray ``report``), and ``thresholds`` takes any probe, family or tag name, not a fixed set.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from aima_ci.options import (
    FilePath,
    Float,
    Int,
    Invalid,
    MapOf,
    Option,
    Raw,
    Spec,
    Text,
    Values,
)
from aima_ci.safety.redact import KEY_PATTERNS, SECRET_NAME

NAME = "garak"
RUN = ("run",)
REPORT = ("report",)

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


def parse_selector(raw: str, at: str = "") -> Selector:
    """One ``probes`` entry; ``at`` (``[i]``) places an error below the key."""
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
    raise Invalid(
        f"{raw!r} is not a probe (encoding.InjectBase64), a family (encoding), a tag"
        " (owasp:llm01) or a tier (tier:1)",
        at,
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


def _names(value: Any) -> tuple[str, ...]:
    """A list of non-empty strings, or one comma-separated string (``probes: dan,encoding``)."""
    items = [v.strip() for v in value.split(",")] if isinstance(value, str) else value
    if not isinstance(items, list) or not all(isinstance(v, str) and v.strip() for v in items):
        raise Invalid("must be a list of non-empty strings")
    return tuple(v.strip() for v in items)


def _probes(value: Any) -> tuple[Selector, ...]:
    selectors = tuple(parse_selector(p, f"[{i}]") for i, p in enumerate(_names(value)))
    if not selectors:
        raise Invalid("required in run mode: probe names, families or tags")
    if all(p.exclude for p in selectors):
        raise Invalid("selects nothing: every entry is an exclusion")
    return selectors


def _expected(value: Any) -> tuple[str, ...]:
    names = _names(value)
    for i, name in enumerate(names):
        if not PROBE_NAME.match(name):
            raise Invalid(f"{name!r} is not a probe or family name", f"[{i}]")
    return tuple(n.removeprefix("probes.") for n in names)


def _reports(value: Any) -> tuple[str, ...]:
    reports = _names(value)
    if not reports:
        raise Invalid("required in report mode: a report.jsonl path or glob")
    return reports


def _generator_options(value: Any) -> dict[str, Any]:
    if not isinstance(value, Mapping):
        raise Invalid("must be a mapping of garak generator options")
    leaked = find_literal_secret(value)
    if leaked:
        raise Invalid(
            "looks like a literal credential: put it in an environment variable, name that"
            " variable with api_key_env and write $KEY where garak should use it",
            f".{leaked}",
        )
    return dict(value)


def _parallel(value: Any) -> int | None:
    """``false`` (garak's default: one at a time) or 1-64 parallel attempts."""
    if value is False:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 64:
        raise Invalid("must be a whole number from 1 to 64")
    return value


_STRINGS = {"anyOf": [{"type": "string", "minLength": 1}, {"type": "array", "items": {"type": "string", "minLength": 1}}]}  # fmt: skip
_TEXT = Text(what="a non-empty string", strip=True)
THRESHOLDS = MapOf(
    Float(minimum=0, maximum=1, what="a pass rate from 0 to 1"),
    what="a mapping of 'default', a probe, a family or a tag to a pass rate",
)


@dataclass(frozen=True)
class GarakSpec(Spec):
    """A Spec with garak's mode rule and free-form threshold names (see the module docstring)."""

    def mode_of(self, name: str, config: Mapping[str, Any]) -> str | None:
        if "mode" in config:
            return super().mode_of(name, config)
        return "report" if "report" in config and "target_type" not in config else "run"

    def all_options(self, name: str = "") -> tuple[Option, ...]:
        thresholds = Option(
            "thresholds",
            THRESHOLDS,
            doc="Pass-rate thresholds in [0, 1] (built-in default 0.95): keys `default`, a"
            " family, a probe or a garak tag; most specific wins (probe > family > tag, the"
            " strictest of several > default).",
        )
        return (*super().all_options(name), thresholds)


def _build(values: Values) -> Settings:
    common: dict[str, Any] = {
        "mode": values["mode"],
        "thresholds": dict(values["thresholds"] or {}),
        "expected_probes": values["expected_probes"],
        "max_examples": values["max_examples"],
    }
    if values["mode"] == "report":
        return Settings(**common, reports=values["report"], hitlog=values["hitlog"])
    return Settings(
        **common,
        target_type=values["target_type"],
        target_name=values["target_name"],
        generator_config=values["generator_config"],
        generator_options=values["generator_options"],
        probes=values["probes"],
        generations=values["generations"],
        parallel_attempts=values["parallel_attempts"],
        seed=values["seed"],
        prompt_cap=values["prompt_cap"],
        api_key_env=values["api_key_env"],
    )


SPEC = GarakSpec(
    options=(
        # run mode
        Option(
            "target_type",
            Text(TARGET_TYPE.pattern[1:-1], what="a garak generator name", strip=True),
            required=True,
            modes=RUN,
            missing="required in run mode (a garak generator, e.g. rest or openai)",
            doc="garak `--target_type`: rest, openai.OpenAICompatible, ...",
        ),
        Option("target_name", _TEXT, modes=RUN, doc="garak `--target_name` (model name, or URI)."),
        Option(
            "generator_config",
            FilePath("file"),
            modes=RUN,
            doc="garak's generator option file (`-G`), JSON or YAML, inside the repository;"
            " literal credentials in it are refused.",
        ),
        Option(
            "generator_options",
            Raw({"type": "object"}, _generator_options, "a mapping", "mapping"),
            modes=RUN,
            doc="The same options inline; merged over `generator_config`. Literal credentials"
            " are refused with their path.",
        ),
        Option(
            "api_key_env",
            Text(
                ENV_NAME.pattern[1:-1],
                what="an environment variable name (the name, not the key)",
                strip=True,
            ),
            modes=RUN,
            doc="The NAME of the variable holding the API key (garak's `key_env_var`).",
        ),
        Option(
            "probes",
            Raw(_STRINGS, _probes, "a list of non-empty strings", "list or comma string"),
            required=True,
            modes=RUN,
            missing="required in run mode: probe names, families or tags",
            doc="`family.Class`, `family`, `owasp:llm01` / `tag:...`, `tier:1`; `-` excludes."
            " Names are checked against the installed garak before any collector runs.",
        ),
        Option("generations", Int(1, 1000), default=1, modes=RUN, doc="Outputs per prompt."),
        Option(
            "parallel_attempts",
            Raw(
                {"anyOf": [{"const": False}, {"type": "integer", "minimum": 1, "maximum": 64}]},
                _parallel,
                "false or a whole number from 1 to 64",
                "`false` or 1-64",
            ),
            modes=RUN,
            doc="garak `system.parallel_attempts` (default `false`).",
        ),
        Option(
            "seed",
            Int(0, 2**31 - 1),
            default=42,
            modes=RUN,
            doc="garak `run.seed` (which prompts a capped probe samples).",
        ),
        Option(
            "prompt_cap",
            Int(1, 1_000_000),
            default=256,
            modes=RUN,
            doc="`run.soft_probe_prompt_cap`: prompts per probe.",
        ),
        # report mode
        Option(
            "report",
            Raw(_STRINGS, _reports, "a list of non-empty strings", "path/glob or list"),
            required=True,
            modes=REPORT,
            missing="required in report mode: a report.jsonl path or glob",
            doc="`*.report.jsonl` (or a `*.hitlog.jsonl`) paths or globs; every hit must stay"
            " inside the repository (symlinks too).",
        ),
        Option(
            "hitlog",
            FilePath("file"),
            modes=REPORT,
            doc="A hitlog to cross-check with the report(s).",
        ),
        # both modes
        Option(
            "expected_probes",
            Raw(_STRINGS, _expected, "a list of non-empty strings", "list"),
            default=(),
            doc="Probes (`family.Class`) or families that must have results.",
        ),
        Option(
            "max_examples",
            Int(0, 50),
            default=5,
            doc="Worst failing attempts kept per probe for the artefact (0: none).",
        ),
    ),
    modes=("run", "report"),
    build=_build,
)


def parse_settings(config: Mapping[str, Any]) -> Settings:
    """The typed settings of a ``collectors.garak`` block; CollectorConfigError names the key."""
    settings: Settings = SPEC.parse(NAME, config)
    return settings
