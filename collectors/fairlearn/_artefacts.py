"""The fairness report (JSON) and a per-feature bar chart (SVG) kept as evidence.

The chart is written by hand as SVG: it is deterministic (the same data gives the same bytes, so
evidence digests are stable) and avoids importing matplotlib for four rectangles per group.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from html import escape
from pathlib import Path
from typing import Any

from ._metrics import FeatureResult

PLOTTED = (
    ("selection_rate", "selection rate", "#1f77b4"),
    ("true_positive_rate", "true-positive rate", "#2ca02c"),
    ("false_positive_rate", "false-positive rate", "#d62728"),
    ("accuracy", "accuracy", "#7f7f7f"),
)


def write_report(path: Path, payload: Mapping[str, Any]) -> None:
    path.write_text(json.dumps(payload, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def write_plot(path: Path, result: FeatureResult, reference_ratio: float | None) -> None:
    path.write_text(render_svg(result, reference_ratio), encoding="utf-8")


def render_svg(result: FeatureResult, reference_ratio: float | None) -> str:
    groups: Sequence[str] = list(result.groups)
    bar, gap, left, top, height = 16, 28, 60, 50, 220
    width = left + len(groups) * (bar * len(PLOTTED) + gap) + 180
    total_h = top + height + 60
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{total_h}"'
        ' font-family="sans-serif" font-size="12">',
        f'<text x="{left}" y="20" font-size="14" font-weight="bold">'
        f"Per-group rates by {escape(result.feature)}</text>",
    ]
    for tick in (0.0, 0.25, 0.5, 0.75, 1.0):
        y = top + height * (1 - tick)
        out.append(
            f'<line x1="{left - 4}" y1="{y:.1f}" x2="{width - 170}" y2="{y:.1f}" stroke="#ddd"/>'
            f'<text x="{left - 8}" y="{y + 4:.1f}" text-anchor="end">{tick:.2f}</text>'
        )
    for gi, group in enumerate(groups):
        x0 = left + gi * (bar * len(PLOTTED) + gap) + gap / 2
        metrics = result.groups[group]
        for mi, (key, label, colour) in enumerate(PLOTTED):
            value = metrics.get(key) or 0.0
            h = height * max(0.0, min(1.0, value))
            x = x0 + mi * bar
            out.append(
                f'<rect x="{x:.1f}" y="{top + height - h:.1f}" width="{bar - 2}" height="{h:.1f}"'
                f' fill="{colour}"><title>{escape(group)} {label}: {value:.3f}</title></rect>'
            )
        n = int(metrics.get("count") or 0)
        cx = x0 + bar * len(PLOTTED) / 2
        out.append(
            f'<text x="{cx:.1f}" y="{top + height + 18}" text-anchor="middle">'
            f"{escape(group)}</text>"
            f'<text x="{cx:.1f}" y="{top + height + 34}" text-anchor="middle" fill="#555">'
            f"n={n}</text>"
        )
    lx = width - 160
    for mi, (_, label, colour) in enumerate(PLOTTED):
        ly = top + mi * 20
        out.append(
            f'<rect x="{lx}" y="{ly}" width="12" height="12" fill="{colour}"/>'
            f'<text x="{lx + 18}" y="{ly + 11}">{label}</text>'
        )
    ratio = result.all_groups.get("demographic_parity_ratio")
    if ratio is not None:
        note = f"DP ratio {ratio:.2f}"
        if reference_ratio is not None:
            note += f" (policy >= {reference_ratio:g})"
        out.append(f'<text x="{lx}" y="{top + 100}">{escape(note)}</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"
