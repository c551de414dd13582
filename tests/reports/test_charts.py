"""The HTML report's inline SVG charts: values outside 0-3 are clamped to the chart, every label
goes through the caller's escaping, and a radar needs at least three axes to be a shape."""

from __future__ import annotations

import html
import xml.etree.ElementTree as ET

from aima_ci.reports.charts import Axis, bar, radar


def axes(n: int, title: str = "Governance") -> list[Axis]:
    return [Axis(f"D{i}", title, level=i % 4, score=i % 4 + 0.5, target=2) for i in range(n)]


def test_radar_is_well_formed_svg_with_a_dot_per_axis() -> None:
    svg = radar(axes(8), html.escape)
    root = ET.fromstring(svg)
    ns = "{http://www.w3.org/2000/svg}"
    dots = [e for e in root.iter() if e.tag in ("circle", ns + "circle")]
    assert len(dots) == 8
    assert sum("bad" in d.get("class", "") for d in dots) == sum(a.level < 2 for a in axes(8))


def test_labels_are_escaped_by_the_caller() -> None:
    svg = radar(axes(3, title="<script>x</script>"), html.escape)
    assert "<script>" not in svg and "&lt;script&gt;" in svg
    assert "<b>" not in bar(1.0, 1, 2, "<b>label</b>", html.escape)


def test_values_are_clamped_to_the_scale() -> None:
    full = bar(3.0, 3, 1, "x", html.escape)
    assert bar(9.0, 3, 1, "x", html.escape) == full
    assert 'width="0.0"' in bar(-1.0, 0, 1, "x", html.escape)


def test_fewer_than_three_axes_draw_nothing() -> None:
    assert radar(axes(2), html.escape) == ""
