"""Inline SVG charts for the HTML report: a radar of the eight domains and per-practice bars.

Plain strings rather than a plotting library, so the report stays one self-contained file and the
report path never imports matplotlib. Every label is escaped by the caller's ``esc``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

MAX_LEVEL = 3


@dataclass(frozen=True)
class Axis:
    key: str  # short label (domain id)
    title: str  # tooltip (domain name)
    level: float  # 0-3, achieved level
    score: float  # 0-3, AIMA toolkit score
    target: float  # 0-3, the gate's target level


def _point(cx: float, cy: float, r: float, i: int, n: int, value: float) -> tuple[float, float]:
    angle = -math.pi / 2 + 2 * math.pi * i / n
    dist = r * max(0.0, min(value, MAX_LEVEL)) / MAX_LEVEL
    return cx + dist * math.cos(angle), cy + dist * math.sin(angle)


def _poly(points: Sequence[tuple[float, float]]) -> str:
    return " ".join(f"{x:.1f},{y:.1f}" for x, y in points)


def radar(axes: Sequence[Axis], esc: Callable[[str], str], size: int = 420) -> str:
    """A radar chart: grid rings for levels 1-3, the target (dashed), the level and the score."""
    n = len(axes)
    if n < 3:
        return ""
    cx = cy = size / 2
    r = size / 2 - 70
    parts = [
        f'<svg class="radar" viewBox="0 0 {size} {size}" width="{size}" height="{size}"'
        ' role="img" aria-labelledby="radar-title">',
        '<title id="radar-title">Maturity level per AIMA domain against the target</title>',
    ]
    for level in range(1, MAX_LEVEL + 1):
        ring = [_point(cx, cy, r, i, n, level) for i in range(n)]
        parts.append(f'<polygon class="grid" points="{_poly(ring)}"/>')
        x, y = _point(cx, cy, r, 0, n, level)
        parts.append(f'<text class="tick" x="{x + 4:.1f}" y="{y + 4:.1f}">{level}</text>')
    for i, axis in enumerate(axes):
        x, y = _point(cx, cy, r, i, n, MAX_LEVEL)
        parts.append(f'<line class="spoke" x1="{cx:.1f}" y1="{cy:.1f}" x2="{x:.1f}" y2="{y:.1f}"/>')
        lx, ly = _point(cx, cy, r + 26, i, n, MAX_LEVEL)
        anchor = "middle" if abs(lx - cx) < 10 else ("start" if lx > cx else "end")
        parts.append(
            f'<text class="axis" x="{lx:.1f}" y="{ly + 4:.1f}" text-anchor="{anchor}">'
            f"<title>{esc(axis.title)}</title>{esc(axis.key)}</text>"
        )
    series = (  # the target last, so its dashed outline stays visible where it is met exactly
        ("score", [a.score for a in axes]),
        ("level", [a.level for a in axes]),
        ("target", [a.target for a in axes]),
    )
    for cls, values in series:
        pts = [_point(cx, cy, r, i, n, v) for i, v in enumerate(values)]
        parts.append(f'<polygon class="{cls}" points="{_poly(pts)}"/>')
    for i, axis in enumerate(axes):
        x, y = _point(cx, cy, r, i, n, axis.level)
        ok = "ok" if axis.level >= axis.target else "bad"
        parts.append(
            f'<circle class="dot {ok}" cx="{x:.1f}" cy="{y:.1f}" r="4">'
            f"<title>{esc(axis.title)}: level {axis.level:g}, score {axis.score:.2f},"
            f" target {axis.target:g}</title></circle>"
        )
    parts.append("</svg>")
    return "".join(parts)


def bar(score: float, level: int, target: int, label: str, esc: Callable[[str], str]) -> str:
    """A 0-3 bar: the score filled, the level as a notch, the target as a marker line."""
    width, height = 240, 16
    scale = width / MAX_LEVEL
    fill = max(0.0, min(score, MAX_LEVEL)) * scale
    ok = "ok" if level >= target else "bad"
    ticks = "".join(
        f'<line class="tick" x1="{i * scale:.1f}" y1="0" x2="{i * scale:.1f}" y2="{height}"/>'
        for i in range(1, MAX_LEVEL)
    )
    return (
        f'<svg class="bar" viewBox="0 0 {width} {height}" width="{width}" height="{height}"'
        f' role="img"><title>{esc(label)}</title>'
        f'<rect class="track" x="0" y="0" width="{width}" height="{height}" rx="3"/>'
        f'<rect class="fill {ok}" x="0" y="0" width="{fill:.1f}" height="{height}" rx="3"/>'
        f"{ticks}"
        f'<line class="target" x1="{target * scale:.1f}" y1="-2" x2="{target * scale:.1f}"'
        f' y2="{height + 2}"/></svg>'
    )
