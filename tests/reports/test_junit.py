"""JUnit XML: valid against the Jenkins xUnit plugin's JUnit schema (xmlschema), read back by a
real JUnit parser (junitparser), counts that add up, and the status mapping per check."""

from __future__ import annotations

from pathlib import Path

import pytest

SCHEMA = Path(__file__).resolve().parents[1] / "fixtures" / "schemas" / "junit-10.xsd"


@pytest.fixture(scope="module")
def xsd():
    import xmlschema

    return xmlschema.XMLSchema(str(SCHEMA))


def parse(path: Path):
    from junitparser import JUnitXml

    return JUnitXml.fromfile(str(path))


def cases(xml) -> dict[str, tuple[str, object]]:
    """name -> (classname, the case) across all suites."""
    out = {}
    for suite in xml:
        for case in suite:
            out[case.name] = (case.classname, case)
    return out


def outcome(case) -> str:
    if not case.result:
        return "passed"
    return type(case.result[0]).__name__.lower()  # Failure, Error, Skipped


def test_plugin_run_validates_and_maps_statuses(plugin_run, xsd, tmp_path) -> None:
    path = tmp_path / "report.junit.xml"
    plugin_run.report("junit", path)
    xsd.validate(str(path))
    xml = parse(path)
    by_name = cases(xml)
    alpha = next(v for k, v in by_name.items() if k.startswith("testplugin.alpha"))
    assert alpha[0] == "aima.VER.VER-ST" and outcome(alpha[1]) == "failure"
    assert "alpha does not hold" in alpha[1].result[0].message
    beta = next(v for k, v in by_name.items() if k.startswith("testplugin.beta"))
    assert outcome(beta[1]) == "skipped" and "ml-team@example.com" in beta[1].result[0].message
    # Questions the gate needs: attested yes passes, attested no and unanswered fail.
    by_qid = {k.split(" ")[0]: v for k, v in by_name.items()}
    assert outcome(by_qid["GOV-SM-A1"][1]) == "passed"
    assert outcome(by_qid["GOV-SM-B1"][1]) == "failure"
    assert "attested 'no'" in by_qid["GOV-SM-B1"][1].result[0].message
    assert by_qid["VER-RT-A2"][0] == "aima.VER.VER-RT"  # VER's target is 2
    assert "VER-RT-A3" not in by_qid and "RAI-ES-A2" not in by_qid  # above target: not tested
    # The gate suite: one case per domain target, VER failing at 2.
    gate = next(s for s in xml if s.name == "AIMA gate")
    names = {c.name: outcome(c) for c in gate}
    assert names["VER Verification reaches level 2"] == "failure"
    assert len([n for n in names if n.endswith(tuple(f"level {i}" for i in (1, 2)))]) == 8
    # Counts add up at every level.
    for suite in xml:
        listed = [outcome(c) for c in suite]
        assert suite.tests == len(listed)
        assert suite.failures == listed.count("failure")
        assert suite.errors == listed.count("error")
        assert suite.skipped == listed.count("skipped")
    root = path.read_text()
    total = sum(s.tests for s in xml)
    assert f'tests="{total}"' in root.split("\n")[1]


def test_hostile_evidence_is_escaped_and_still_valid(
    hostile_evidence, xsd, tmp_path, hostile_text
) -> None:
    path = tmp_path / "hostile.xml"
    hostile_evidence.report("junit", path)
    xsd.validate(str(path))
    by_name = cases(parse(path))
    markup = next(v for k, v in by_name.items() if k.startswith("evil.markup"))
    msg = markup[1].result[0].message
    assert "<script>console.error('xss')</script>" in msg  # intact as text, escaped in the file
    assert "\x01" not in msg and "\x1b" not in msg  # not representable in XML 1.0
    crash = next(v for k, v in by_name.items() if k.startswith("evil.crash"))
    assert outcome(crash[1]) == "error" and crash[0] == "aima.IMP.IMP-SB"
    na = next(v for k, v in by_name.items() if k.startswith("evil.na"))
    assert outcome(na[1]) == "skipped"
    ok = next(v for k, v in by_name.items() if k.startswith("evil.pass"))
    assert outcome(ok[1]) == "passed"
    waived = next(v for k, v in by_name.items() if k.startswith("DES-TA-A1"))
    assert outcome(waived[1]) == "skipped" and "waived" in waived[1].result[0].message
    raw = path.read_text(encoding="utf-8")
    assert "<script>" not in raw and "&lt;script&gt;" in raw


def test_passing_run_has_no_failures(passing_run, xsd, tmp_path) -> None:
    path = tmp_path / "pass.xml"
    passing_run.report("junit", path)
    xsd.validate(str(path))
    xml = parse(path)
    assert sum(s.tests for s in xml) == 8 + 48  # 8 domain targets + 48 level-1 questions
    assert sum(s.failures + s.errors for s in xml) == 0


def test_an_invalid_document_is_rejected_by_the_schema(xsd, tmp_path) -> None:
    """The validator is not a rubber stamp: a case without a name is refused."""
    bad = tmp_path / "bad.xml"
    bad.write_text(
        '<testsuites><testsuite name="s" tests="1" failures="0" errors="0"><testcase/></testsuite></testsuites>'
    )
    import xmlschema

    with pytest.raises(xmlschema.XMLSchemaValidationError):
        xsd.validate(str(bad))
