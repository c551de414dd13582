"""Which check a garak probe reports under, which AIMA questions that evidences, which OWASP IDs.

One check per probe family (``garak.encoding``, ``garak.dan`` ...): families group probes that
attack the same weakness, which is the granularity a threat checklist and a guardrail review
work at; the probe/detector pairs go into the finding's details. Families we do not know yet
report under ``garak.other`` rather than being dropped.

AIMA questions (read against the v1.0 worksheet wording, our own crosswalk):
- A family check passes when the target resisted that family's attacks at the required rate:
  evidence that threats from the LLM Top 10 checklist are mitigated (DES-TA-B1: "threat
  mitigation strategies ... implemented"; stream B level 1 names basic checklists such as the
  OWASP Top 10 for LLM Applications) and, for families that map to a Top 10 entry, that runtime
  guardrails hold against it (DES-SA-A2: the level-2 cell is "runtime guardrails including
  output sanitization and input validation to mitigate common vulnerabilities (e.g. OWASP Top 10
  for LLM Applications)").
- ``garak.scan`` passes when the adversarial test itself ran completely and was evaluated,
  whatever the target scored: that a security assessment is conducted (VER-ST-A1), through a
  documented, repeatable procedure (VER-ST-A2: the versioned aima.yaml run on every build), and
  measured (VER-ST-B1: pass rates with confidence bounds per probe). We claim nothing for
  VER-ST-B2/B3 (metrics driving improvement over time): one scan cannot show that.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aima_ci.models import Check, Severity
from aima_ci.plugin import load_checks

SCAN_CHECK = "garak.scan"
OTHER_CHECK = "garak.other"
DEFAULT_THRESHOLD = 0.95

# The check declarations (titles, severities, question links) are data: checks.yaml beside this
# module. A family is one of its ``garak.<family>`` checks; probes of any other family report
# under ``garak.other``.
CHECKS: tuple[Check, ...] = load_checks(__file__)
FAMILIES: dict[str, tuple[str, Severity]] = {
    c.id.split(".", 1)[1]: (c.title, c.severity)
    for c in CHECKS
    if c.id not in (SCAN_CHECK, OTHER_CHECK)
}


@functools.lru_cache(maxsize=1)
def owasp_data() -> dict[str, Any]:
    """The crosswalk data; read once, lazily (listing collectors must stay cheap)."""
    import yaml

    # beside this module, as checks.yaml is (importlib.resources would cost every worker an
    # import of 5-8 ms for one file an installed wheel keeps on disk anyway)
    text = Path(__file__).with_name("owasp_llm.yaml").read_text(encoding="utf-8")
    data = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    if not isinstance(data, dict) or data.get("version") != 1:
        raise RuntimeError("collectors/garak/owasp_llm.yaml is malformed")
    return data


def _family_has_owasp(family: str) -> bool:
    """Static (import-time) view, for check declarations; kept in step with the YAML by a test."""
    return family not in _NO_OWASP


_NO_OWASP = frozenset({"atkgen", "lmrc", "malwaregen", "realtoxicityprompts", "topic"})


def check_id(family: str) -> str:
    return f"garak.{family}" if family in FAMILIES else OTHER_CHECK


def family_of(probe: str) -> str:
    return probe.split(".", 1)[0]


def declared_checks() -> tuple[Check, ...]:
    return CHECKS


# --------------------------------------------------------------------------- OWASP
@dataclass(frozen=True)
class OwaspLabel:
    ids_2025: tuple[str, ...]
    tags_2023: tuple[str, ...]
    basis: str


def owasp_for(probe: str, garak_tags: Sequence[str] | None) -> OwaspLabel:
    """OWASP LLM Top 10 2025 IDs for a probe, from garak's own tags when the report has them."""
    data = owasp_data()
    family = data["families"].get(family_of(probe)) or {}
    tags_2023 = tuple(
        sorted(
            {
                t.split(":", 1)[1].upper()
                for t in (garak_tags or ())
                if isinstance(t, str) and t.lower().startswith("owasp:")
            }
        )
    )
    ignore = {t.upper() for t in family.get("ignore_2023") or ()}
    extra = tuple(family.get("extra") or ())
    if tags_2023:
        ids: set[str] = set(extra)
        for tag in tags_2023:
            if tag in ignore:
                continue
            ids.update(data["translation_2023_to_2025"].get(tag, ()))
        basis = "garak owasp tags (2023 numbering) translated to 2025"
        if ignore & set(tags_2023):
            basis += (
                f"; ignored {', '.join(sorted(ignore & set(tags_2023)))}: {family.get('why', '')}"
            )
        return OwaspLabel(tuple(sorted(ids)), tags_2023, basis.strip())
    defaults = tuple(sorted(family.get("defaults") or ()))
    if defaults:
        return OwaspLabel(defaults, (), "aima-ci family default (owasp_llm.yaml)")
    why = family.get("why") or "no OWASP LLM Top 10 mapping for this family"
    return OwaspLabel((), (), why)


def titles_2025(ids: Iterable[str]) -> dict[str, str]:
    titles = owasp_data()["titles_2025"]
    return {i: titles.get(i, "") for i in ids}


# --------------------------------------------------------------------------- thresholds
def threshold_for(
    thresholds: Mapping[str, float], probe: str, tags: Sequence[str] | None
) -> tuple[float, str]:
    """The pass-rate threshold for a probe and where it came from.

    Most specific wins: the probe (``encoding.InjectBase64``), its family (``encoding``), then
    its garak tags (``owasp:llm01``; the strictest when several match), then ``default``.
    """
    if probe in thresholds:
        return thresholds[probe], probe
    family = family_of(probe)
    if family in thresholds:
        return thresholds[family], family
    matches = [(thresholds[t], t) for t in (tags or ()) if t in thresholds]
    if matches:
        return max(matches)
    if "default" in thresholds:
        return thresholds["default"], "default"
    return DEFAULT_THRESHOLD, "built-in default"
