"""The HTML report in real headless Chromium (DevTools protocol): it renders, raises no console
error, exception or CSP violation, requests nothing from the network, shows the radar and the
bars, links artefacts that exist, and escapes hostile strings. A deliberately broken page proves
the harness does see errors."""

from __future__ import annotations

from pathlib import Path

import pytest
from cdp_harness import find_chromium, load_page

PROBE = {
    "title": "document.title",
    "scripts": "document.scripts.length",
    "radar_polygons": "document.querySelectorAll('svg.radar polygon').length",
    "radar_axes": "document.querySelectorAll('svg.radar text.axis').length",
    "bars": "document.querySelectorAll('svg.bar').length",
    "radar_width": "document.querySelector('svg.radar').getBoundingClientRect().width",
    "text": "document.body.innerText",
    "links": "Array.from(document.querySelectorAll('a[href]')).map(a => a.href)",
    "sections": "Array.from(document.querySelectorAll('section[id]')).map(s => s.id)",
}


@pytest.fixture(scope="module")
def chromium(require_tool) -> str:
    exe = find_chromium()
    return exe or require_tool("chromium")


def parsed(html: str) -> tuple[set[str], set[str]]:
    """Tag and attribute names as an HTML parser sees them (text that merely looks like markup
    does not count)."""
    from html.parser import HTMLParser

    tags: set[str] = set()
    attrs: set[str] = set()

    class Collect(HTMLParser):
        def handle_starttag(self, tag, attributes):
            tags.add(tag)
            attrs.update(name for name, _ in attributes)

    Collect().feed(html)
    return tags, attrs


def render_to_evidence(built) -> Path:
    """Where `aima-ci run --format html` puts it, so the relative artefact links resolve."""
    path = built.evidence / "report.html"
    built.report("html", path)
    return path


def test_harness_detects_a_broken_page(chromium, tmp_path) -> None:
    page = tmp_path / "broken.html"
    page.write_text(
        "<!DOCTYPE html><html><head><title>broken</title></head><body><p>x</p>"
        '<img src="http://127.0.0.1:9/pixel.png">'
        "<script>console.error('boom'); throw new Error('kaboom');</script></body></html>"
    )
    result = load_page(page.as_uri())
    assert any("boom" in m for m in result.console_errors)
    assert any("kaboom" in m for m in result.exceptions)
    assert result.external_requests == ["http://127.0.0.1:9/pixel.png"]
    csp = tmp_path / "csp.html"
    csp.write_text(
        "<!DOCTYPE html><html><head><meta http-equiv='Content-Security-Policy'"
        " content=\"default-src 'none'\"><title>t</title></head><body>"
        "<script>document.title='ran'</script></body></html>"
    )
    blocked = load_page(csp.as_uri(), evaluate={"title": "document.title"})
    assert blocked.evaluated["title"] == "t"
    assert any("Content Security Policy" in m for m in blocked.log_errors)


def test_plugin_run_renders_cleanly(chromium, plugin_run, tmp_path) -> None:
    page = render_to_evidence(plugin_run)
    shot = tmp_path / "report.png"
    result = load_page(page.as_uri(), screenshot=shot, evaluate=PROBE)
    assert result.problems == []
    assert result.requests == [page.as_uri()]  # the page itself, nothing else
    ev = result.evaluated
    assert ev["title"] == "AIMA report: gate failed" and ev["scripts"] == 0
    assert ev["radar_polygons"] == 6  # 3 level rings + target, score, level
    assert ev["radar_axes"] == 8 and ev["radar_width"] > 300
    assert ev["bars"] == 24
    assert ev["sections"][:3] == ["gate", "summary", "practices"]
    assert {"gaps", "checks", "waivers"} <= set(ev["sections"])
    text = ev["text"]
    assert "Failing criteria and next steps" in text
    assert "add an attestation for RAI-ES-B1" in text
    assert "Mitigation tracked in TICKET-1 <b>bold</b>" in text  # shown, not interpreted
    artefact_links = [u for u in ev["links"] if "/artefacts/" in u]
    assert artefact_links, ev["links"]
    for url in artefact_links:
        assert url.startswith("file://") and Path(url.removeprefix("file://")).is_file()
    assert "https://example.com/strategy" in ev["links"]
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 20_000


def test_hostile_strings_are_inert(chromium, hostile_evidence, tmp_path, hostile_text) -> None:
    page = render_to_evidence(hostile_evidence)
    result = load_page(page.as_uri(), screenshot=tmp_path / "hostile.png", evaluate=PROBE)
    # An unescaped <script> or onerror would run into the CSP and show up as a log error here.
    assert result.problems == []
    ev = result.evaluated
    assert ev["scripts"] == 0
    assert "<script>console.error('xss')</script>" in ev["text"]
    links = ev["links"]
    assert not [u for u in links if u.startswith("javascript:")]
    assert not [u for u in links if "/etc/passwd" in u or u.startswith("file:///abs")]
    assert any(u.endswith("artefacts/evil/report%20%3Cb%3E%221%27.html") for u in links), links
    # A "javascript:" artefact name is percent-encoded into a harmless relative file link.
    assert any(u.endswith("/.aima/javascript%3Aalert%281%29") for u in links), links
    tags, attrs = parsed(page.read_text())
    assert not tags & {"script", "iframe", "object", "embed", "link", "img", "base"}
    assert not [a for a in attrs if a.startswith("on")], "no event-handler attributes at all"


def test_self_contained(plugin_run) -> None:
    html = render_to_evidence(plugin_run).read_text()
    tags, attrs = parsed(html)
    assert "src" not in attrs, "no images, scripts or frames loaded from anywhere"
    assert not tags & {"script", "link", "img", "iframe"}
    assert "Content-Security-Policy" in html and "default-src 'none'" in html
    assert "@import" not in html and "url(" not in html


def test_passing_report(chromium, passing_run) -> None:
    page = render_to_evidence(passing_run)
    result = load_page(page.as_uri(), evaluate=PROBE)
    assert result.problems == []
    assert result.evaluated["title"] == "AIMA report: gate passed"
    assert "gaps" not in result.evaluated["sections"]
