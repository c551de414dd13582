"""``aima-ci init``: write a starter aima.yaml and an attestation file to fill in.

In an empty repository the commented template and every question are written. Otherwise the
repository is inspected first (model files, datasets, notebooks, LLM client libraries, CI files,
model cards, threat models, alert rules, playbooks) so that the starter enables the collectors
that fit, with their keys pre-filled from the detected paths, and the attestation file lists only
the questions left for people: those no enabled collector has a check for.

Inspection reads file names and, for a few small files, their first bytes; it never follows a
symlink out of the repository and never imports a collector (the check lists come from
``aima_ci.assess.coverage``, which loads the installed plugins' declarations).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import yaml

from aima_ci.assess.catalogue import Catalogue, Question
from aima_ci.models import Check, RepoFacts
from aima_ci.onboard.facts import guess_profile, inspect
from aima_ci.onboard.profiles import Profile, load_profile
from aima_ci.plugin import Collector, Starter


def starter_config() -> str:
    """The commented template, its first line telling editors where the JSON Schema is (the
    YAML language server then completes and checks every key, collectors' included)."""
    from aima_ci.config import SCHEMA_URL

    template = (
        resources.files("aima_ci").joinpath("templates/aima.yaml").read_text(encoding="utf-8")
    )
    return f"# yaml-language-server: $schema={SCHEMA_URL}\n" + template


def starter_attestations(
    catalogue: Catalogue,
    today: dt.date,
    questions: list[str] | None = None,
    priorities: Sequence[str] = (),
    profile: str | None = None,
) -> str:
    """Every question (or the given ones) as a commented-out entry with owner/expiry placeholders;
    the profile's priorities first, in their order."""
    expires = (today + dt.timedelta(days=365)).isoformat()
    lines = [
        "# aima-ci attestations: answers to AIMA questions that no tool can answer.",
        "# Uncomment an entry, set answer (yes/no, or 0-3 on the OWASP toolkit scale), owner,",
        "# date and expires (ISO dates), and evidence (a URL or a repository path, hashed into the",
        "# evidence). Expired or malformed entries earn nothing and are reported.",
        "# Uncomment by deleting the leading '# ' of every line of an entry; the file stays valid",
        "# YAML whichever entries you uncomment. Or let aima-ci write them:",
        "#   aima-ci attestations todo      # what is left, most valuable first",
        "#   aima-ci attestations answer QUESTION --answer yes --owner EMAIL --evidence PATH",
        "attestations:",
    ]
    wanted = set(questions) if questions is not None else set(catalogue.questions)
    first = [qid for qid in priorities if qid in wanted]
    groups: list[tuple[str, list[Question]]] = []
    if first:
        groups.append(
            (f"First, for the {profile} profile", [catalogue.questions[q] for q in first])
        )
    for practice in catalogue.practices.values():
        qs = [q for q in practice.questions if q.id in wanted and q.id not in first]
        groups.append(
            (f"{practice.id} {practice.name}", sorted(qs, key=lambda q: (q.level, q.stream)))
        )
    for title, qs in groups:
        if not qs:
            continue
        lines.append(f"# --- {title}")
        for q in qs:
            text = yaml.safe_dump(q.text, width=1000).strip().removesuffix("...").strip()
            lines += [
                f"# - question: {q.id}   # L{q.level} stream {q.stream}: {text}",
                "#   answer: no",
                "#   owner: team@example.com",
                f"#   date: {today.isoformat()}",
                f"#   expires: {expires}",
                "#   evidence: docs/link-or-url",
            ]
    return "\n".join(lines) + "\n"


# -- inspection: aima_ci.onboard.facts (re-exported for callers of the old names) -------------
Inspection = RepoFacts


def inspect_repository(directory: Path) -> RepoFacts:
    return inspect(directory)


# -- the generated config (pure) ----------------------------------------------------------------
DEFAULT_ORDER = (
    "supply_chain", "privacy", "provenance", "aif360", "fairlearn", "evidently", "shap", "art",
    "modelscan", "garak", "promptfoo", "zap", "model_card", "threat_model", "ops_readiness",
    "policy", "pipeline",
)  # fmt: skip


@dataclass
class Plan:
    """The collectors a starter config enables, the commented suggestions, and what to do next."""

    enabled: list[str]
    blocks: list[str]  # YAML text, one block per collector (enabled or commented out)
    next_steps: list[str] = field(default_factory=list)
    files: dict[str, str] = field(default_factory=dict)


def _yaml_lines(key: str, value: object) -> list[str]:
    """Block style for mappings, one flow-style line for lists and scalars (``[a, b]``)."""
    head = yaml.safe_dump(key).strip().removesuffix("...").strip()
    if isinstance(value, Mapping) and value:
        return [f"{head}:"] + [
            f"  {line}" for k, v in value.items() for line in _yaml_lines(str(k), v)
        ]
    flow = yaml.safe_dump(value, default_flow_style=True, width=1000)
    return [f"{head}: {flow.strip().removesuffix('...').strip()}"]


def render_block(name: str, starter: Starter, installed: bool) -> str:
    """One ``collectors.<name>`` block: the starter's keys, its notes as comments."""
    lines = [f"  {name}:" + ("" if starter.config else " {}")]
    for key, value in starter.config.items():
        note = starter.notes.get(str(key))
        for i, line in enumerate(_yaml_lines(str(key), value)):
            lines.append(f"    {line}" + (f"   # {note}" if note and i == 0 else ""))
    why = f"  # {starter.why}"
    if not installed:
        why += f" (not installed here: pip install 'aima-ci[{name}]' or see `aima-ci collectors`)"
    if starter.enabled and installed:
        return "\n".join([why, *lines])
    return "\n".join([why, *(f"#{ln}" for ln in lines)])


def plan_collectors(
    facts: RepoFacts,
    collectors: Mapping[str, type[Collector]],
    profile: Profile | None = None,
    installed: Iterable[str] | None = None,
) -> Plan:
    """Ask every collector for its starter: the profile's collectors in its order, then the rest
    (third-party collectors join through the same hook). A broken hook is skipped and said."""
    have = set(installed) if installed is not None else set(collectors)
    order = list(profile.collectors) if profile else list(DEFAULT_ORDER)
    names = order + sorted(n for n in collectors if n not in order)
    plan = Plan([], [])
    for name in names:
        cls = collectors.get(name)
        if cls is None:
            if profile is not None and name in profile.collectors:
                plan.blocks.append(
                    f"  # {name}: part of the {profile.name} profile, not installed here"
                    " (see `aima-ci collectors`)"
                )
            continue
        try:
            starter = cls().starter(facts)
        except Exception as exc:  # someone else's plugin must not stop init
            plan.blocks.append(f"  # {name}: its starter failed ({type(exc).__name__}: {exc})")
            continue
        if starter is None:
            continue
        on = starter.enabled and name in have
        if on:
            plan.enabled.append(name)
        plan.blocks.append(render_block(name, starter, name in have))
        plan.next_steps += [s for s in starter.next_steps if s not in plan.next_steps]
        for path, text in starter.files.items():
            plan.files.setdefault(path, text)
    return plan


def render_config(plan: Plan, facts: RepoFacts, profile: Profile | None = None) -> str:
    """The template with the profile's target and the planned collector blocks."""
    template = starter_config()
    start = template.index("# Collectors to run")
    end = template.index("# Collectors that must run successfully")
    detected = "\n".join(f"#   {line}" for line in facts.summary())
    section = [
        "# Collectors to run: `aima-ci collectors` lists the installed ones and their keys.",
        "# `aima-ci init` found in this repository:",
        detected,
        "# Enabled collectors have their keys pre-filled; commented ones need you to fill in a key.",
        "collectors:" if plan.enabled else "collectors: {}",
        *plan.blocks,
        "",
    ]
    text = template[:start] + "\n".join(section) + "\n" + template[end:]
    if profile is not None:
        text = _with_profile(text, profile)
    return text


def _with_profile(text: str, profile: Profile) -> str:
    """``profile:`` after ``version:``, and the profile's first target instead of the default."""
    text = text.replace(
        "version: 1\n",
        f"version: 1\n# Quick-start profile: {profile.description}\nprofile: {profile.name}\n",
        1,
    )
    practices = ", ".join(f"{k}: {v}" for k, v in profile.target_practices.items())
    target = [
        "target:",
        f"  level: {profile.target_level}",
        f"  practices: {{{practices}}}   # the {profile.name} profile's first target",
    ]
    replacement = "\n".join(target) + "\n  # domains: {VER: 2}\n"
    return re.sub(r"(?m)^target:\n(?:  .*\n)*", lambda _: replacement, text, count=1)


def questions_left(
    catalogue: Catalogue, checks_by_collector: Mapping[str, Sequence[Check]], enabled: Sequence[str]
) -> list[str]:
    """Questions no enabled collector can answer: these go to the attestation file.

    The pipeline collector's level-3 "integrated" checks only apply when another enabled
    collector evidences that practice, so on their own they do not take a question off the list.
    """
    from aima_ci.assess.coverage import compute

    effective: dict[str, list[Check]] = {}
    practices = {
        q[:6]
        for name in enabled
        if name != "pipeline"
        for c in checks_by_collector.get(name, ())
        for q in c.questions
    }
    for name in enabled:
        checks = list(checks_by_collector.get(name, ()))
        if name == "pipeline":
            checks = [
                c
                for c in checks
                if c.id == "pipeline.gate" or any(q[:6] in practices for q in c.questions)
            ]
        effective[name] = checks
    cov = compute(catalogue, effective)
    return [q.id for q in cov.questions if not q.checks]


# -- writing ------------------------------------------------------------------------------------
@dataclass
class InitResult:
    paths: list[Path]
    inspection: RepoFacts
    enabled: list[str]
    questions_left: int
    profile: str | None = None
    next_steps: list[str] = field(default_factory=list)
    extra_files: list[Path] = field(default_factory=list)


def init_repository(
    directory: Path,
    catalogue: Catalogue,
    today: dt.date,
    force: bool,
    *,
    inspect: bool = True,
    profile: str | None = None,
) -> InitResult:
    """Inspect ``directory`` and write the starter files (template ones if nothing is found).

    ``profile``: a profile name, ``auto`` (chosen from what inspection found) or None (no
    profile: every collector that fits, the default target).
    """
    from aima_ci.plugin import discover

    found = inspect_repository(directory) if inspect else RepoFacts(root=directory)
    name = guess_profile(found) if profile == "auto" else profile
    chosen = load_profile(name) if name else None
    found.profile = chosen
    extra: dict[str, str] = {}
    steps: list[str] = []
    if found.empty and chosen is None:
        config = starter_config()
        attest = starter_attestations(catalogue, today)
        enabled: list[str] = []
        left = len(catalogue.questions)
    else:
        collectors = discover()
        checks = {n: tuple(c.checks) for n, c in collectors.items()}
        plan = plan_collectors(found, collectors, chosen)
        enabled, steps, extra = plan.enabled, plan.next_steps, plan.files
        config = render_config(plan, found, chosen)
        remaining = questions_left(catalogue, checks, enabled)
        priorities = chosen.attestations if chosen else ()
        attest = starter_attestations(catalogue, today, remaining, priorities, name)
        left = len(remaining)
    for raw in found.raw_data[:3]:  # no collector reads these until their schema is known
        steps.append(
            f"{raw}: a raw data file with no header aima-ci can read; confirm its columns and"
            " write it as CSV or Parquet to measure it (then `aima-ci init --force`)"
        )
    targets = {directory / "aima.yaml": config, directory / "aima-attestations.yaml": attest}
    existing = [p for p in targets if p.exists()]
    if existing and not force:
        raise FileExistsError(", ".join(p.name for p in existing))
    from aima_ci.evidence.directory import atomic_write

    for path, text in targets.items():
        atomic_write(path, text)
    written = []
    for rel, text in extra.items():  # never overwrite a file the user already has
        path = directory / rel
        if not path.resolve().is_relative_to(directory.resolve()):
            raise ValueError(f"a collector's starter file {rel!r} leaves {directory}")
        if not path.exists():
            atomic_write(path, text)
            written.append(path)
    return InitResult(list(targets), found, enabled, left, name, steps, written)


def write_starters(
    directory: Path, catalogue: Catalogue, today: dt.date, force: bool, *, inspect: bool = True
) -> list[Path]:
    return init_repository(directory, catalogue, today, force, inspect=inspect).paths
