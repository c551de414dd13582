"""Which OWASP Top 10 for LLM Applications (2025) risks a threat model names.

Two traps shape this module. pytm's own threat library reuses the labels ``LLM01``..``LLM09`` for
*its* threats with other meanings (its LLM03 is "sensitive data leakage to a third party"), so in
a pytm model only the unambiguous ``LLM01:2025`` form counts, and pytm findings are mapped through
the OWASP page their references link to. And OWASP renumbered the list in 2025, so those links
(some still 2023 pages) are matched by the risk's name in the URL, never by its number. This
crosswalk is aima-ci's own, not OWASP's or pytm's.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

LLM_TOP10_2025 = {
    "LLM01": "Prompt Injection",
    "LLM02": "Sensitive Information Disclosure",
    "LLM03": "Supply Chain",
    "LLM04": "Data and Model Poisoning",
    "LLM05": "Improper Output Handling",
    "LLM06": "Excessive Agency",
    "LLM07": "System Prompt Leakage",
    "LLM08": "Vector and Embedding Weaknesses",
    "LLM09": "Misinformation",
    "LLM10": "Unbounded Consumption",
}
ANY_ID = re.compile(r"\bLLM(0[1-9]|10)(?::2025)?\b")
STRICT_ID = re.compile(r"\bLLM(0[1-9]|10):2025\b")
# Slugs of the OWASP risk pages (2023 and 2025 editions) -> the 2025 ID.
SLUGS = {
    "prompt-injection": "LLM01",
    "sensitive-information-disclosure": "LLM02",
    "supply-chain": "LLM03",
    "training-data-poisoning": "LLM04",
    "data-and-model-poisoning": "LLM04",
    "insecure-output-handling": "LLM05",
    "improper-output-handling": "LLM05",
    "excessive-agency": "LLM06",
    "system-prompt-leakage": "LLM07",
    "vector-and-embedding-weaknesses": "LLM08",
    "overreliance": "LLM09",
    "misinformation": "LLM09",
    "model-denial-of-service": "LLM10",
    "unbounded-consumption": "LLM10",
}
LLMRISK_URL = re.compile(r"genai\.owasp\.org/llmrisk/([a-z0-9-]+)")


def named_ids(text: str, *, strict: bool) -> set[str]:
    pattern = STRICT_ID if strict else ANY_ID
    return {f"LLM{m.group(1)}" for m in pattern.finditer(text)}


def ids_from_references(references: str) -> set[str]:
    found = set()
    for slug in LLMRISK_URL.findall(references or ""):
        for name, rid in SLUGS.items():
            if name in slug:
                found.add(rid)
    return found


def ids_from_pytm(findings: Iterable[Mapping[str, object]]) -> set[str]:
    out: set[str] = set()
    for f in findings:
        out |= ids_from_references(str(f.get("references") or ""))
    return out


def normalise_required(value: object) -> list[str]:
    """``required_llm_risks``: ``all`` or a list of IDs (``LLM01`` or ``LLM01:2025``)."""
    if value == "all":
        return sorted(LLM_TOP10_2025)
    if not isinstance(value, list):
        raise ValueError("must be 'all' or a list such as [LLM01, LLM02]")
    out = []
    for item in value:
        m = ANY_ID.fullmatch(str(item).strip().upper())
        if not m:
            raise ValueError(f"{item!r} is not an OWASP LLM Top 10 2025 ID (LLM01..LLM10)")
        out.append(f"LLM{m.group(1)}")
    return sorted(set(out))
