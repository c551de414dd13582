"""promptfoo's own red-team plugin -> OWASP Top 10 for LLM Applications 2025 table.

promptfoo's result records carry plugin IDs (``metadata.pluginId``), not framework IDs; its
reports derive the OWASP LLM categories from ``OWASP_LLM_TOP_10_MAPPING`` in
``src/redteam/constants/frameworks.ts``. This is that table as shipped in promptfoo 0.121.20,
inverted to plugin -> categories, so a finding can say which categories a failing plugin tests.
It is promptfoo's mapping, not aima-ci's crosswalk and not AIMA's.
"""

from __future__ import annotations

PROMPTFOO_VERSION = "0.121.20"

CATEGORY_PLUGINS: dict[str, tuple[str, ...]] = {
    "LLM01": (
        "ascii-smuggling",
        "indirect-prompt-injection",
        "prompt-extraction",
        "harmful",
    ),
    "LLM02": (
        "pii:api-db",
        "pii:direct",
        "pii:session",
        "pii:social",
        "harmful:privacy",
        "cross-session-leak",
        "prompt-extraction",
    ),
    "LLM03": (),
    "LLM04": (
        "harmful:misinformation-disinformation",
        "harmful:hate",
        "bias:age",
        "bias:disability",
        "bias:gender",
        "bias:race",
        "harmful:radicalization",
        "harmful:specialized-advice",
    ),
    "LLM05": ("shell-injection", "sql-injection", "ssrf", "debug-access"),
    "LLM06": (
        "excessive-agency",
        "rbac",
        "bfla",
        "bola",
        "shell-injection",
        "sql-injection",
        "ssrf",
    ),
    "LLM07": (
        "prompt-extraction",
        "rbac",
        "harmful:privacy",
        "pii:api-db",
        "pii:direct",
        "pii:session",
        "pii:social",
    ),
    "LLM08": (
        "cross-session-leak",
        "harmful:privacy",
        "pii:api-db",
        "pii:direct",
        "pii:session",
        "pii:social",
    ),
    "LLM09": (
        "hallucination",
        "overreliance",
        "harmful:misinformation-disinformation",
        "harmful:specialized-advice",
    ),
    "LLM10": ("divergent-repetition", "reasoning-dos"),
}


def owasp_llm(plugin_id: str) -> list[str]:
    """The OWASP LLM 2025 categories promptfoo files a plugin under ('harmful' covers harmful:*)."""
    out = []
    for category, plugins in CATEGORY_PLUGINS.items():
        for p in plugins:
            if plugin_id == p or (p in ("harmful", "pii") and plugin_id.startswith(p + ":")):
                out.append(category)
                break
    return out
