"""JUnit XML for GitLab's test report (``artifacts:reports:junit``), Jenkins and other CI viewers.

Layout: a suite for the gate (one case per domain target, per practice target, per required
collector, plus any other gate failure), then a suite per AIMA domain whose cases are the checks
that give evidence for each practice (classname ``aima.<domain>.<practice>``) and the questions the
gate needs that no check answers. Status mapping: fail/warn -> failure, error/not_run -> error,
not_applicable and waived -> skipped (with the waiver as the message).

Written with ElementTree (escapes markup) after dropping characters XML 1.0 cannot carry at all;
only attributes that the Jenkins/Surefire JUnit schema allows are used.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from typing import Any

from aima_ci.assess.explain import practice_targets, question_next_step, question_reason

from .format import ReportContext, ReportFormat
from .issues import CheckSummary, clip, collect_issues, iter_questions

_XML_INVALID = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
FAILURE_STATUSES = {"fail", "warn", "inconclusive"}
ERROR_STATUSES = {"error", "not_run"}
SKIP_STATUSES = {"not_applicable", "waived"}


def _x(text: Any, limit: int = 4000) -> str:
    return clip(_XML_INVALID.sub("\ufffd", str(text)), limit)


class _Suite:
    def __init__(self, name: str, timestamp: str) -> None:
        self.el = ET.Element("testsuite", {"name": _x(name, 200)})
        if timestamp:
            self.el.set("timestamp", timestamp)
        self.tests = self.failures = self.errors = self.skipped = 0

    def case(
        self,
        classname: str,
        name: str,
        outcome: str = "pass",
        message: str = "",
        body: str = "",
        kind: str = "",
    ) -> None:
        tc = ET.SubElement(
            self.el,
            "testcase",
            {"classname": _x(classname, 200), "name": _x(name, 300), "time": "0"},
        )
        self.tests += 1
        if outcome == "failure":
            self.failures += 1
        elif outcome == "error":
            self.errors += 1
        elif outcome == "skipped":
            self.skipped += 1
        if outcome != "pass":
            child = ET.SubElement(tc, outcome, {"message": _x(message, 1000)})
            if outcome != "skipped":
                child.set("type", kind or outcome)
            if body:
                child.text = _x(body, 20000)

    def finish(self) -> ET.Element:
        for key in ("tests", "failures", "errors", "skipped"):
            self.el.set(key, str(getattr(self, key)))
        self.el.set("time", "0")
        return self.el


def _check_case(
    suite: _Suite, classname: str, s: CheckSummary, qids: list[str], body_extra: str
) -> None:
    name = f"{s.check} [{', '.join(qids)}]"
    why = s.message or s.status
    body = "\n".join(
        line
        for line in (
            f"status: {s.status}",
            f"message: {s.message}" if s.message else "",
            f"severity: {s.severity}",
            f"evidence for: {', '.join(s.questions)}",
            f"next step: {s.next_step}" if s.next_step else "",
            "artefacts: " + ", ".join(s.artefacts) if s.artefacts else "",
            body_extra,
        )
        if line
    )
    if s.status in FAILURE_STATUSES:
        suite.case(classname, name, "failure", f"{s.check} {s.status}: {why}", body, s.status)
    elif s.status in ERROR_STATUSES:
        suite.case(classname, name, "error", f"{s.check} {s.status}: {why}", body, s.status)
    elif s.status == "waived":
        w = s.waiver or {}
        msg = (
            f"waived until {w.get('expires', '?')} by {w.get('owner', '?')}: {w.get('reason', '')}"
        )
        suite.case(classname, name, "skipped", msg)
    elif s.status in SKIP_STATUSES:
        suite.case(classname, name, "skipped", f"not applicable: {why}")
    else:
        suite.case(classname, name)


def _gate_suite(assessment: Mapping[str, Any], timestamp: str) -> ET.Element:
    gate = assessment.get("gate") or {}
    target = gate.get("target") or {}
    failures = list(gate.get("failures") or [])
    suite = _Suite("AIMA gate", timestamp)
    used: set[int] = set()

    def failure_for(kind: str, ident: str) -> Mapping[str, Any] | None:
        for n, f in enumerate(failures):
            if f.get("kind") == kind and str(f.get("id")) == ident:
                used.add(n)
                return f
        return None

    for d in assessment.get("domains", []):
        goal = (target.get("domains") or {}).get(d["id"], {"level": target.get("level", 0)})
        want = int(goal.get("level", 0))
        f = failure_for("domain_level", d["id"])
        name = f"{d['id']} {d['name']} reaches level {want}"
        if f:
            suite.case("aima.gate", name, "failure", f["message"], kind="domain_level")
        else:
            suite.case("aima.gate", name)
        if "score" in goal:
            f = failure_for("domain_score", d["id"])
            name = f"{d['id']} {d['name']} scores at least {goal['score']}"
            suite.case("aima.gate", name, *(("failure", f["message"]) if f else ()))
    for pid, goal in sorted((target.get("practices") or {}).items()):
        for kind, key in (("practice_level", "level"), ("practice_score", "score")):
            if key in goal:
                f = failure_for(kind, pid)
                name = f"{pid} {key} at least {goal[key]}"
                suite.case("aima.gate", name, *(("failure", f["message"]) if f else ()))
    if target.get("score") is not None:
        f = failure_for("overall_score", "overall")
        name = f"overall score at least {target['score']}"
        suite.case("aima.gate", name, *(("failure", f["message"]) if f else ()))
    for n, f in enumerate(failures):
        if n not in used:
            suite.case(
                "aima.gate", f"{f.get('kind')} {f.get('id')}", "failure", str(f.get("message"))
            )
    return suite.finish()


def build(assessment: Mapping[str, Any], ctx: ReportContext) -> ET.Element:
    timestamp = str(assessment.get("date") or "")
    _issues, checks = collect_issues(assessment, ctx)
    targets = practice_targets(assessment)
    root = ET.Element("testsuites", {"name": "aima-ci"})
    suites = [_gate_suite(assessment, timestamp)]
    domain_suites: dict[str, _Suite] = {}
    seen: set[tuple[str, str]] = set()
    for d, p, q in iter_questions(assessment):
        suite = domain_suites.get(d["id"])
        if suite is None:
            suite = domain_suites[d["id"]] = _Suite(f"{d['id']} {d['name']}", timestamp)
        classname = f"aima.{d['id']}.{p['id']}"
        want = targets.get(p["id"], 0)
        for c in q.get("checks", []):
            cid = str(c.get("check"))
            if (p["id"], cid) in seen or cid not in checks:
                continue
            seen.add((p["id"], cid))
            s = checks[cid]
            qids = [x for x in s.questions if x.startswith(p["id"] + "-")]
            below = [x for x in qids if int(x[-1]) <= want]
            extra = f"practice {p['id']} target level {want}" + (
                "" if below else " (these questions are above it: the gate does not wait for them)"
            )
            _check_case(suite, classname, s, qids, extra)
        if q.get("checks") or q["level"] > want:
            continue
        text = ctx.catalogue.questions[q["id"]].text if q["id"] in ctx.catalogue.questions else ""
        name = f"{q['id']} (level {q['level']}, stream {q['stream']}) {text}"
        reason = question_reason(q)
        if q.get("basis") == "waived" and q.get("waiver"):
            suite.case(classname, name, "skipped", reason)
        elif q.get("satisfied"):
            suite.case(classname, name)
        else:
            body = f"evidence: {reason}\nnext step: {question_next_step(q)}"
            suite.case(
                classname,
                name,
                "failure",
                f"{q['id']} not satisfied: {reason}",
                body,
                "unsatisfied",
            )
    suites += [s.finish() for s in domain_suites.values()]
    for el in suites:
        root.append(el)
    for key in ("tests", "failures", "errors"):
        root.set(key, str(sum(int(el.get(key, "0")) for el in suites)))
    root.set("time", "0")
    return root


def render(assessment: Mapping[str, Any], ctx: ReportContext) -> str:
    root = build(assessment, ctx)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


FORMAT = ReportFormat(
    name="junit", filename="report.junit.xml", media_type="application/xml", render=render
)
