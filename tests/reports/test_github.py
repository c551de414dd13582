"""`report --format github`: workflow commands a runner turns into annotations, escaped the way
actions/toolkit escapes them (a hostile finding cannot end or forge a command), anchored to the
aima.yaml line, and within GitHub's 10 errors + 10 warnings per step."""

from __future__ import annotations

import json
import re

from aima_ci.reports import github

LINE = re.compile(r"^::(error|warning|notice)(?: ([^:]*))?::(.*)$")


def unescape(value: str) -> str:
    return (
        value.replace("%0D", "\r")
        .replace("%0A", "\n")
        .replace("%3A", ":")
        .replace("%2C", ",")
        .replace("%25", "%")
    )


def parse(text: str) -> list[tuple[str, dict[str, str], str]]:
    """Each line as a runner reads it: kind, properties, message (all unescaped)."""
    out = []
    for line in text.splitlines():
        m = LINE.match(line)
        assert m, f"not a workflow command: {line[:120]!r}"
        props = {}
        for field in (m.group(2) or "").split(","):
            if field:
                key, _, value = field.partition("=")
                props[key] = unescape(value)
        out.append((m.group(1), props, unescape(m.group(3))))
    return out


def test_escaping_follows_the_toolkit() -> None:
    line = github.command("error", "50% done\r\nnext: a,b", file="a:b,c.yaml", line=3, title="t,1")
    assert line == "::error file=a%3Ab%2Cc.yaml,line=3,title=t%2C1::50%25 done%0D%0Anext: a,b"
    assert github.command("notice", "plain", title="") == "::notice::plain"
    # %25 first: an input that already looks escaped stays itself after a round trip.
    assert github.escape_property("%0A:%3A") == "%250A%3A%253A"
    assert unescape(github.escape_property("%0A:%3A,\n")) == "%0A:%3A,\n"


def test_a_hostile_finding_cannot_forge_a_command(hostile_evidence, hostile_text) -> None:
    text = hostile_evidence.report("github")
    lines = text.splitlines()
    assert lines and all(LINE.match(line) for line in lines)
    parsed = parse(text)
    assert [k for k, _, _ in parsed].count("error") == 10
    messages = {m.split(" ", 1)[0]: (k, p, m) for k, p, m in parsed}
    kind, props, message = messages["evil.markup"]
    assert kind == "error" and props["file"] == "aima.yaml" and props["title"].startswith("AIMA ")
    assert hostile_text in message  # carried whole, escaped rather than stripped
    assert "evil.soft" not in messages  # a low-severity warning is a note: counted, not shown
    assert parsed[-1][0] == "notice"
    assert int(messages["evil.crash"][1]["line"]) == hostile_evidence.line_of("  evil:")
    # A message carrying a newline and a command of its own stays on its line.
    forged = github.command("error", "x\n::error file=evil.py::forged\r\n::warning::y")
    assert forged.count("\n") == 0 and forged.startswith("::error::x%0A::error")


def test_capped_at_ten_per_kind_and_the_rest_counted(plugin_run) -> None:
    parsed = parse(plugin_run.report("github"))
    sarif = json.loads(plugin_run.report("sarif"))
    total = len(sarif["runs"][0]["results"])  # the same issues, rendered by another module
    errors = [p for k, p, _ in parsed if k == "error"]
    warnings = [p for k, p, _ in parsed if k == "warning"]
    notices = [m for k, _, m in parsed if k == "notice"]
    assert total > 10, "the fixture must have more issues than GitHub shows"
    assert len(errors) == 10 and len(warnings) <= 10
    assert len(notices) == 1 and notices[0].startswith(f"{total - 10 - len(warnings)} more AIMA")
    assert {p["file"] for p in errors} == {"aima.yaml"}
    lines = {int(p["line"]) for p in errors}
    assert plugin_run.line_of("  testplugin:") in lines or plugin_run.line_of("target:") in lines
    assert parsed[0][0] == "error"  # worst first: errors before warnings


def test_a_passing_run_prints_nothing(passing_run) -> None:
    assert passing_run.report("github") == ""


def test_each_kind_has_its_own_cap(monkeypatch) -> None:
    """15 errors, 15 warnings and 3 notes: 10 + 10 shown, the other 13 counted in one notice."""
    from aima_ci.reports import ReportContext
    from aima_ci.reports.issues import Issue

    def issue(n: int, level: str) -> Issue:
        return Issue("check", f"c{n}", f"c{n} fail", f"m{n}", level, "high", "target", str(n))

    issues = [issue(n, "error") for n in range(15)] + [issue(n, "warning") for n in range(15, 30)]
    issues += [issue(n, "note") for n in range(30, 33)]
    monkeypatch.setattr(github, "collect_issues", lambda a, c: (issues, {}))
    ctx = ReportContext(config_lines={"target": 7})
    parsed = parse(github.render({"config": "sub/aima.yaml"}, ctx))
    assert [k for k, _, _ in parsed] == ["error"] * 10 + ["warning"] * 10 + ["notice"]
    assert [m for _, _, m in parsed[:10]] == [f"m{n}" for n in range(10)]
    assert parsed[10][2] == "m15" and parsed[0][1] == {
        "file": "sub/aima.yaml",
        "line": "7",
        "title": "AIMA c0 fail",
    }
    assert parsed[-1][2].startswith("13 more AIMA issues")
