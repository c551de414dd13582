"""Load and validate aima-ci configuration (``aima.yaml`` or ``[tool.aima-ci]`` in pyproject.toml).

Validation is hand-written rather than schema-driven so that each error names the file, the key
(and its line where YAML gives one) and the reason, and so that the gate path stays light.
"""

from __future__ import annotations

import datetime as dt
import math
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from aima_ci.errors import UserError
from aima_ci.safety.modeldecl import expand_model_refs, parse_models
from aima_ci.safety.paths import PathError, find_repo_root, resolve_inside
from aima_ci.safety.safeio import FAST_SAFE_LOADER, FileProblem, check_tree, index_lines, read_text

CONFIG_NAMES = ("aima.yaml", "aima.yml", ".aima.yaml")
DEFAULT_OUTPUT_DIR = ".aima"
MAX_CONFIG_BYTES = 1 << 20
MAX_YAML_NODES = 50_000
# Longer than any CI job, and far below what threading.Timer accepts (about 9e9 s on Linux).
MAX_TIMEOUT_SECONDS = 7 * 24 * 3600
# A century: longer is "forever" in effect, and 1e308 days overflows every date computation.
MAX_TTL_DAYS = 36_500
DOMAIN_IDS = ("RAI", "GOV", "DAT", "PRV", "DES", "IMP", "VER", "OPS")
TOP_LEVEL_KEYS = {
    "version",
    "project",
    "target",
    "attestations",
    "waivers",
    "waiver_max_days",
    "fail_on",
    "collectors",
    "required_collectors",
    "output_dir",
    "jobs",
    "checks",
    "history",
    "subjects",
    "profile",
    "models",
}
# The quick-start profiles (aima_ci/data/profiles): `aima-ci attestations todo` orders by it.
PROFILES = ("tabular-classifier", "llm-app", "rag", "image-classifier")


class ConfigError(UserError):
    """User error in configuration: exit 2 with file, key and reason, never a traceback."""

    def __init__(self, file: str, key: str, reason: str, line: int | None = None) -> None:
        self.file = file
        self.key = key
        self.reason = reason
        self.line = line
        where = f"{file}:{line}" if line else file
        super().__init__(f"{where}: {key}: {reason}" if key else f"{where}: {reason}")


@dataclass(frozen=True)
class Target:
    """The maturity the project must reach (``target:`` in the config); the gate applies its
    dated ``schedule`` entries on the day it runs (gate.effective_target)."""

    level: int = 1
    score: float | None = None
    domains: Mapping[str, Mapping[str, float]] = field(default_factory=dict)
    practices: Mapping[str, Mapping[str, float]] = field(default_factory=dict)
    schedule: tuple[Mapping[str, Any], ...] = ()
    no_regression: bool = False


@dataclass(frozen=True)
class Config:
    """The validated project config: checked when loaded, so a bad key is exit 2 naming the
    file and key before any step runs."""

    path: Path | None  # None when built from defaults
    root: Path
    raw: Mapping[str, Any]
    target: Target
    attestation_files: tuple[Path, ...]
    waivers_raw: tuple[Mapping[str, Any], ...]
    waiver_max_days: int
    collectors: Mapping[str, Mapping[str, Any]]
    required_collectors: tuple[str, ...]
    output_dir: Path
    jobs: int
    checks: Mapping[str, Mapping[str, Any]]
    lines: Mapping[str, int] = field(default_factory=dict)
    # Failing outcome checks at or above this severity fail the gate (outcome.py).
    fail_on: str = "high"
    models: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)  # see modeldecl

    @property
    def dir(self) -> Path:
        return self.path.parent if self.path else self.root

    @property
    def display(self) -> str:
        if self.path is None:
            return "<defaults>"
        try:
            return self.path.relative_to(self.root).as_posix()
        except ValueError:
            return str(self.path)

    def enabled_collectors(self) -> list[str]:
        return [name for name, c in self.collectors.items() if c.get("enabled", True)]

    def line_of(self, key: str) -> int | None:
        """The 1-based line in the config file that sets ``key`` (dotted), or of its nearest parent."""
        while key:
            if key in self.lines:
                return self.lines[key]
            key = key.rpartition(".")[0]
        return None

    def error(self, key: str, reason: str) -> ConfigError:
        return ConfigError(self.display, key, reason, self.line_of(key))


def find_config(start: Path) -> Path | None:
    for name in CONFIG_NAMES:
        candidate = start / name
        if os.path.lexists(candidate):  # a directory or FIFO by that name is an error, not "none"
            return candidate
    pyproject = start / "pyproject.toml"
    if pyproject.is_file() and "[tool.aima-ci" in pyproject.read_text(
        encoding="utf-8", errors="replace"
    ):
        return pyproject
    return None


def load_config(path: Path | None = None, *, cwd: Path | None = None) -> Config:
    """Load the config at ``path``, or discover it from ``cwd``; defaults when none exists."""
    cwd = (cwd or Path.cwd()).resolve()
    if path is None:
        path = find_config(cwd)
        if path is None:
            return build_config({}, None, find_repo_root(cwd), {})
    path = Path(path)
    if not path.is_absolute():
        path = cwd / path
    display = str(path)
    if not os.path.lexists(path):
        raise ConfigError(display, "", "config file not found")
    try:
        text = read_text(path, display, MAX_CONFIG_BYTES)
    except FileProblem as exc:  # a directory, a FIFO (would block), oversize, not UTF-8
        raise ConfigError(display, "", exc.reason, exc.line) from None
    root = find_repo_root(path.parent)
    if path.name == "pyproject.toml":
        data, lines = _load_pyproject(text, display)
    else:
        data, lines = _load_yaml(text, display)
    return build_config(data, path.resolve(), root, lines)


def _load_pyproject(text: str, display: str) -> tuple[dict[str, Any], dict[str, int]]:
    import tomllib

    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(display, "", f"invalid TOML: {exc}") from None
    except (ValueError, RecursionError) as exc:  # an integer too long to read, nesting too deep
        raise ConfigError(display, "", f"invalid TOML: {exc}") from None
    section = doc.get("tool", {}).get("aima-ci")
    if section is None:
        raise ConfigError(display, "tool.aima-ci", "section missing")
    if not isinstance(section, dict):
        raise ConfigError(display, "tool.aima-ci", "must be a table")
    return section, {}


def _load_yaml(text: str, display: str) -> tuple[dict[str, Any], dict[str, int]]:
    """Compose once: the node tree gives the alias-bomb count and the key lines, then the data."""
    loader = FAST_SAFE_LOADER(text)
    try:
        try:
            node = loader.get_single_node()
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            line = mark.line + 1 if mark is not None else None
            problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
            raise ConfigError(display, "", f"invalid YAML: {problem}", line) from None
        if node is None:
            return {}, {}
        try:  # aliases (alias bombs) and duplicate keys (a second target: that wins)
            check_tree(node, display)
        except FileProblem as exc:
            raise ConfigError(display, "", exc.reason, exc.line) from None
        lines = index_lines(node)
        try:
            data = loader.construct_document(node)
        except (yaml.YAMLError, RecursionError, ValueError) as exc:
            # ValueError: an integer beyond Python's 4300-digit conversion limit.
            raise ConfigError(display, "", f"invalid YAML: {exc}") from None
    finally:
        loader.dispose()
    if not isinstance(data, dict):
        raise ConfigError(display, "", "the top level must be a mapping of keys")
    return data, lines


def build_config(
    data: Mapping[str, Any], path: Path | None, root: Path, lines: Mapping[str, int]
) -> Config:
    display = "<defaults>"
    if path is not None:
        try:
            display = path.relative_to(root).as_posix()
        except ValueError:
            display = str(path)
    base = path.parent if path else root

    def err(key: str, reason: str) -> ConfigError:
        k = key
        line = None
        while k and line is None:
            line = lines.get(k)
            k = k.rpartition(".")[0]
        return ConfigError(display, key, reason, line)

    unknown = sorted(str(k) for k in data if k not in TOP_LEVEL_KEYS)
    if unknown:
        raise err(unknown[0], f"unknown key (known keys: {', '.join(sorted(TOP_LEVEL_KEYS))})")
    version = data.get("version", 1)
    if version != 1:
        raise err("version", "only version 1 is supported")
    if "profile" in data and data["profile"] not in PROFILES:
        raise err("profile", f"unknown profile (one of: {', '.join(PROFILES)})")

    target = _parse_target(data.get("target"), err)

    attestation_files: list[Path] = []
    att = data.get("attestations")
    att_list = [att] if isinstance(att, str) else att
    if att_list is not None:
        if not isinstance(att_list, list) or not all(isinstance(a, str) for a in att_list):
            raise err("attestations", "must be a path or a list of paths")
        for i, item in enumerate(att_list):
            key = "attestations" if isinstance(att, str) else f"attestations[{i}]"
            attestation_files.append(_path(item, base, root, key, err))

    waivers = data.get("waivers", []) or []
    if not isinstance(waivers, list) or not all(isinstance(w, dict) for w in waivers):
        raise err("waivers", "must be a list of mappings (id, reason, owner, expires)")
    max_days = data.get("waiver_max_days", 90)
    if isinstance(max_days, bool) or not isinstance(max_days, int) or max_days < 1:
        raise err("waiver_max_days", "must be a positive whole number of days")

    fail_on = data.get("fail_on", "high")
    if fail_on not in ("low", "medium", "high", "critical", "never"):
        raise err(
            "fail_on",
            "must be low, medium, high, critical or never (the lowest finding severity that"
            " fails the gate)",
        )

    collectors_raw = data.get("collectors", {}) or {}
    if not isinstance(collectors_raw, dict):
        raise err("collectors", "must be a mapping of collector name to its settings")
    collectors: dict[str, dict[str, Any]] = {}
    for name, settings in collectors_raw.items():
        key = f"collectors.{name}"
        if settings is None:
            settings = {}
        if isinstance(settings, bool):
            settings = {"enabled": settings}
        if not isinstance(settings, dict):
            raise err(key, "must be a mapping of settings (or true/false)")
        if "enabled" in settings and not isinstance(settings["enabled"], bool):
            raise err(f"{key}.enabled", "must be true or false")
        if "timeout" in settings:
            t = settings["timeout"]
            if not _positive_finite(t) or t > MAX_TIMEOUT_SECONDS:
                raise err(
                    f"{key}.timeout",
                    f"must be a positive number of seconds, at most {MAX_TIMEOUT_SECONDS}",
                )
        if "ttl_days" in settings and not _ttl_ok(settings["ttl_days"]):
            raise err(
                f"{key}.ttl_days", f"must be a positive number of days, at most {MAX_TTL_DAYS}"
            )
        if "mode" in settings and settings["mode"] not in ("run", "report"):
            raise err(f"{key}.mode", "must be 'run' or 'report'")
        collectors[str(name)] = dict(settings)

    # Models are declared once; a collector's ``model: <name>`` becomes that declaration.
    models = parse_models(data.get("models"), base, root, err)
    expand_model_refs(collectors, models, err)

    required = data.get("required_collectors", []) or []
    if not isinstance(required, list) or not all(isinstance(r, str) for r in required):
        raise err("required_collectors", "must be a list of collector names")
    for i, name in enumerate(required):
        if name not in collectors:
            raise err(f"required_collectors[{i}]", f"'{name}' is not configured under collectors")

    out = data.get("output_dir", DEFAULT_OUTPUT_DIR)
    if not isinstance(out, str) or not out:
        raise err("output_dir", "must be a path")
    try:
        output_dir = resolve_inside(base, out, root, must_exist=False)
    except PathError as exc:
        raise err("output_dir", str(exc)) from None

    jobs = data.get("jobs", 2)
    if isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1:
        raise err("jobs", "must be a positive whole number")

    checks = data.get("checks", {}) or {}
    if not isinstance(checks, dict) or not all(isinstance(v, dict) for v in checks.values()):
        raise err("checks", "must map check ids to settings (ttl_days)")
    for cid, settings in checks.items():
        ttl = settings.get("ttl_days")
        if ttl is not None and not _ttl_ok(ttl):
            raise err(
                f"checks.{cid}.ttl_days",
                f"must be a positive number of days, at most {MAX_TTL_DAYS}",
            )

    return Config(
        path=path,
        root=root,
        raw=data,
        target=target,
        attestation_files=tuple(attestation_files),
        waivers_raw=tuple(waivers),
        waiver_max_days=max_days,
        collectors=collectors,
        required_collectors=tuple(required),
        output_dir=output_dir,
        jobs=jobs,
        checks=checks,
        fail_on=fail_on,
        lines=dict(lines),
        models=models,
    )


def _positive_finite(value: Any) -> bool:
    """A real positive number: NaN passes ``<= 0`` checks and infinity overflows timers."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    return (isinstance(value, int) or math.isfinite(value)) and value > 0


def _ttl_ok(value: Any) -> bool:
    return _positive_finite(value) and value <= MAX_TTL_DAYS


def _path(value: str, base: Path, root: Path, key: str, err: Any) -> Path:
    try:
        return resolve_inside(base, value, root, must_exist=True)
    except PathError as exc:
        raise err(key, str(exc)) from None


_PRACTICE = r"^[A-Z]{3}-[A-Z]{2}$"  # compiled by re.match when a target names practices


def _level(value: Any, key: str, err: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 3:
        raise err(key, "must be a whole number from 0 to 3")
    return value


def _score(value: Any, key: str, err: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 3:
        raise err(key, "must be a number from 0 to 3")
    return float(value)


def _parse_goal(value: Any, key: str, err: Any) -> dict[str, float]:
    """A domain/practice goal: a bare level, or ``{level: N, score: X}``."""
    if isinstance(value, dict):
        unknown = set(value) - {"level", "score"}
        if unknown:
            raise err(f"{key}.{sorted(unknown)[0]}", "unknown key (use level or score)")
        goal: dict[str, float] = {}
        if "level" in value:
            goal["level"] = _level(value["level"], f"{key}.level", err)
        if "score" in value:
            goal["score"] = _score(value["score"], f"{key}.score", err)
        return goal
    return {"level": _level(value, key, err)}


def _parse_target(value: Any, err: Any) -> Target:
    if value is None:
        return Target()
    if isinstance(value, int) and not isinstance(value, bool):
        return Target(level=_level(value, "target", err))
    if not isinstance(value, dict):
        raise err("target", "must be a level (0-3) or a mapping")
    unknown = set(value) - {"level", "score", "domains", "practices", "schedule", "no_regression"}
    if unknown:
        raise err(f"target.{sorted(unknown)[0]}", "unknown key")
    level = _level(value.get("level", 1), "target.level", err)
    score = _score(value["score"], "target.score", err) if "score" in value else None
    domains: dict[str, dict[str, float]] = {}
    raw_domains = value.get("domains") or {}
    if not isinstance(raw_domains, dict):
        raise err("target.domains", "must map domain IDs to levels")
    for did, goal in raw_domains.items():
        if did not in DOMAIN_IDS:
            raise err(f"target.domains.{did}", f"unknown domain (one of {', '.join(DOMAIN_IDS)})")
        domains[did] = _parse_goal(goal, f"target.domains.{did}", err)
    practices: dict[str, dict[str, float]] = {}
    raw_practices = value.get("practices") or {}
    if not isinstance(raw_practices, dict):
        raise err("target.practices", "must map practice IDs to levels")
    for pid, goal in raw_practices.items():
        if not isinstance(pid, str) or not re.match(_PRACTICE, pid):
            raise err(f"target.practices.{pid}", "not a practice ID such as VER-ST")
        practices[pid] = _parse_goal(goal, f"target.practices.{pid}", err)
    schedule_raw = value.get("schedule") or []
    if not isinstance(schedule_raw, list):
        raise err("target.schedule", "must be a list of {date, level}")
    schedule = []
    for i, item in enumerate(schedule_raw):
        key = f"target.schedule[{i}]"
        if not isinstance(item, dict) or "date" not in item:
            raise err(key, "each entry needs a date and a level")
        when = parse_date(item["date"])
        if when is None:
            raise err(f"{key}.date", "must be an ISO date (YYYY-MM-DD)")
        entry: dict[str, Any] = {"date": when.isoformat()}
        if "level" in item:
            entry["level"] = _level(item["level"], f"{key}.level", err)
        for extra in ("domains", "practices"):
            if extra in item:
                nested = _parse_target({extra: item[extra]}, err)
                entry[extra] = getattr(nested, extra)
        schedule.append(entry)
    no_reg = value.get("no_regression", False)
    if not isinstance(no_reg, bool):
        raise err("target.no_regression", "must be true or false")
    return Target(
        level=level,
        score=score,
        domains=domains,
        practices=practices,
        schedule=tuple(sorted(schedule, key=lambda e: e["date"])),
        no_regression=no_reg,
    )


_ISO_DATE = r"\d{4}-\d{2}-\d{2}"  # compiled by re.fullmatch on first use


def parse_date(value: Any) -> dt.date | None:
    """A strict ISO date (YYYY-MM-DD), as a YAML date or a string; anything else is None.

    Strict because a lenient reader means something the author did not write: "2025-01-01
    (extended)" or a timestamp would otherwise pass as a plain date.
    """
    if isinstance(value, dt.datetime):
        return None
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str) and re.fullmatch(_ISO_DATE, value.strip()):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            return None
    return None


# -- the JSON Schema of the file ------------------------------------------------------------------
# Where editors fetch the schema (``# yaml-language-server: $schema=...``, written by init): the
# file as committed under the moving ``v1`` release tag of the project repository, so a config
# written for aima-ci 1.x is checked against the keys 1.x knows. Generated by
# scripts/gen_schema.py; a test keeps the committed file current.
SCHEMA_URL = "https://raw.githubusercontent.com/your-org/aima-ci/v1/docs/aima.schema.json"
_DATE = r"\d{4}-\d{2}-\d{2}"


def schema_options() -> tuple[Any, ...]:
    """The top-level keys ``build_config`` accepts, described with the option kinds.

    A description for the JSON Schema and the docs, not the validator: ``build_config`` stays
    the one that decides (with its own messages and line numbers). A test checks that the two
    name the same keys. Imported lazily: loading a config never needs it.
    """
    from aima_ci.options import (
        Bool,
        Choice,
        FilePath,
        Float,
        Int,
        ListOf,
        MapOf,
        Obj,
        OneOf,
        Option,
        Raw,
        Text,
    )
    from aima_ci.safety import modeldecl

    level = Int(minimum=0, maximum=3)
    score = Float(minimum=0, maximum=3)
    goal = OneOf(
        level,
        Obj(Option("level", level, doc="Level 0-3."), Option("score", score, doc="Score 0-3.")),
    )
    domains = Obj(*(Option(d, goal) for d in DOMAIN_IDS))
    practices = MapOf(goal, keys=Text(_PRACTICE.strip("^$"), what="a practice id"))
    date = Text(_DATE, what="an ISO date (YYYY-MM-DD)")
    target = Obj(
        Option("level", level, default=1, doc="The level every domain must reach."),
        Option("score", score, doc="Minimum overall score."),
        Option("domains", domains, doc="Per-domain goals: a level, or {level, score}."),
        Option("practices", practices, doc="Per-practice goals (VER-ST: 2)."),
        Option(
            "schedule",
            ListOf(
                Obj(
                    Option("date", date, required=True, doc="From this date (UTC) on."),
                    Option("level", level),
                    Option("domains", domains),
                    Option("practices", practices),
                )
            ),
            doc="Goals that apply from a date.",
        ),
        Option("no_regression", Bool(), default=False, doc="With a baseline: no practice drops."),
    )
    model = Obj(
        Option("path", FilePath("any"), doc="The model file or MLmodel folder."),
        Option(
            "uri", Text(), doc="An MLflow model: models:/<name>/<version> or runs:/<id>/<path>."
        ),
        Option("format", Choice(*modeldecl.FORMATS), doc="Told from the file name when absent."),
        Option("trust", Bool(), default=False, doc="May loading it run code from the file?"),
        Option("input_shape", ListOf(Int(minimum=1, maximum=modeldecl.MAX_DIM), min_items=1)),
        Option("clip_values", ListOf(Float(), min_items=2, max_items=2), doc="[min, max]."),
        Option("nb_classes", Int(minimum=2, maximum=modeldecl.MAX_DIM)),
        Option("classes", ListOf(OneOf(Text(), Int()), min_items=2)),
        Option("factory", Text(modeldecl._FACTORY.strip("^$"))),
        Option("tracking_uri", Text()),
    )
    waiver = Obj(
        Option("id", Text(), doc="A check id or a question id."),
        Option("check", Text(), doc="Same as id."),
        Option("question", Text(), doc="Same as id."),
        Option("reason", Text(), required=True),
        Option("owner", Text(), required=True),
        Option("expires", date, required=True),
        Option("created", date),
    )
    return (
        Option("version", Choice(1), default=1, doc="The config format; only 1."),
        Option("project", Raw(schema={"type": "string"}), doc="Free text naming the project."),
        Option("profile", Choice(*PROFILES), doc="The quick-start profile init wrote."),
        Option("target", OneOf(level, target), doc="The maturity the build must reach."),
        Option(
            "attestations",
            ListOf(FilePath("file"), single=True),
            doc="Files of people's answers to AIMA questions.",
        ),
        Option("waivers", ListOf(waiver), doc="Time-boxed, owned exceptions."),
        Option("waiver_max_days", Int(minimum=1), default=90, doc="The longest a waiver lasts."),
        Option(
            "fail_on",
            Choice("low", "medium", "high", "critical", "never"),
            default="high",
            doc="The lowest severity of a failing outcome check that fails the gate.",
        ),
        Option(
            "models",
            MapOf(OneOf(FilePath("any"), model), keys=Text(modeldecl._NAME.strip("^$"))),
            doc="Models declared once, named by collectors (model: <name>).",
        ),
        Option("collectors", Raw(schema={"type": "object"}), doc="Collector name -> settings."),
        Option(
            "required_collectors",
            ListOf(Text()),
            doc="Collectors that must run successfully, or the gate fails.",
        ),
        Option(
            "checks",
            MapOf(
                Obj(
                    Option(
                        "ttl_days", Float(minimum=0, maximum=MAX_TTL_DAYS, exclusive_minimum=True)
                    )
                )
            ),
            doc="Per-check settings (ttl_days).",
        ),
        Option(
            "output_dir", FilePath("dir"), default=DEFAULT_OUTPUT_DIR, doc="The evidence directory."
        ),
        Option("jobs", Int(minimum=1), default=2, doc="Collectors run at once."),
        Option(
            "history",
            OneOf(
                Text(),
                Obj(
                    Option("path", Text()),
                    Option("default_branch", Text()),
                    Option("baseline", Bool(), default=False),
                ),
            ),
            doc="Where assessments are recorded: a SQLite path, or {path, default_branch, baseline}.",
        ),
        Option("subjects", Raw(), doc="Accepted for forward compatibility; not used."),
    )


def json_schema(collector_specs: Mapping[str, Any]) -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of aima.yaml, with one entry per collector that has an
    option spec (``collector_specs``: name -> aima_ci.options.Spec); other collectors, such as
    third-party plugins without a spec, are accepted as any mapping (or true/false)."""
    from aima_ci.options import COMMON_OPTIONS, Obj

    top = Obj(*schema_options()).schema()
    switch: list[dict[str, Any]] = [{"type": "boolean"}, {"type": "null"}]
    runner_keys = {o.key: o.json_schema() for o in COMMON_OPTIONS}
    top["properties"]["collectors"] = {
        "description": "Collector name -> its settings, or true/false.",
        "type": "object",
        "properties": {
            name: {"anyOf": [*switch, spec.json_schema(name)]}
            for name, spec in sorted(collector_specs.items())
        },
        "additionalProperties": {"anyOf": [*switch, {"type": "object", "properties": runner_keys}]},
    }
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_URL,
        "title": "aima-ci configuration (aima.yaml)",
        "description": "Generated by scripts/gen_schema.py from aima_ci/config.py and the"
        " collectors' option specs. See docs/configuration.md.",
        **top,
    }
