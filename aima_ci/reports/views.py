"""Framework views: the same assessment re-presented per item of another framework.

A view never re-scores. For each framework item it looks up the AIMA questions and aima-ci checks
the crosswalk maps to it, and says whether the item is covered by passing automated evidence,
failing, attested only, waived, or without evidence. Only ``direct`` and ``partial`` mappings
decide the item's status; ``supporting`` ones are shown for context (a level-3 aspiration that is
not met should not make an item fail).

``framework_views(assessment)`` is the entry point for other reports (the HTML report renders one
tab per framework from it). The formats that can show a view (text, Markdown, JSON) render one
through their ``ReportFormat.render_view``; ``summary_line`` is the sentence they share.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from aima_ci.assess.crosswalk import FRAMEWORKS, Crosswalk, Link, load_crosswalk, match_checks

# Item statuses, worst first; the order is also the precedence when mappings disagree.
ITEM_STATUSES = ("failing", "covered", "partial", "attested", "waived", "none", "not_applicable")
ITEM_LABELS = {
    "failing": "failing",
    "covered": "covered by passing evidence",
    "partial": "partly covered",
    "attested": "attested only",
    "waived": "waived",
    "none": "no evidence",
    "not_applicable": "not applicable",
}
# A mapping's own status -> the item status it argues for.
_LINK_TO_ITEM = {
    "fail": "failing",
    "pass": "covered",
    "attested": "attested",
    "waived": "waived",
    "none": "none",
}
_CHECK_STATUS = {
    "pass": "pass",
    "waived": "waived",
    "fail": "fail",
    # not enough data is no evidence either way: a warning is not a failure
    "warn": "none",
    "inconclusive": "none",
    "error": "fail",
    "not_run": "none",
    "not_applicable": "none",
}
_LINK_RANK = {"fail": 0, "none": 1, "waived": 2, "attested": 3, "pass": 4}


def _questions(assessment: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    return {
        q["id"]: q
        for d in assessment.get("domains", [])
        for p in d.get("practices", [])
        for s in p.get("streams", [])
        for q in s.get("questions", [])
    }


def _check_results(questions: Mapping[str, Mapping[str, Any]]) -> dict[str, Mapping[str, Any]]:
    """Each check's result once (a check reported for several questions has one status)."""
    out: dict[str, Mapping[str, Any]] = {}
    for q in questions.values():
        for c in q.get("checks", []):
            prev = out.get(c["check"])
            if prev is None or _rank_check(c) < _rank_check(prev):
                out[c["check"]] = c
    return out


def _rank_check(c: Mapping[str, Any]) -> int:
    return _LINK_RANK[_CHECK_STATUS.get(str(c.get("status")), "fail")]


def _question_status(q: Mapping[str, Any] | None) -> tuple[str, str]:
    if q is None:
        return "none", "question not in this assessment"
    basis = q.get("basis")
    value = float(q.get("value") or 0.0)
    satisfied = bool(q.get("satisfied"))
    if basis == "automated":
        return ("pass" if satisfied else "fail"), f"automated evidence, value {value:.2f}"
    if basis == "partial":
        return "none", f"partial automated evidence only, value {value:.2f}"
    if basis == "attestation":
        att = q.get("attestation") or {}
        who = f" by {att.get('owner')}" if att.get("owner") else ""
        answer = f"'{att.get('answer')}'" if att.get("answer") is not None else "an answer"
        return ("attested" if satisfied else "fail"), f"attested {answer}{who}"
    if basis == "waived":
        w = q.get("waiver") or {}
        return "waived", f"waived until {w.get('expires', '?')}"
    return "none", "no check reported on it and no valid attestation answers it"


def _check_status(ref: str, checks: Mapping[str, Mapping[str, Any]]) -> tuple[str, str]:
    matched = match_checks(ref, checks)
    if not matched:
        return "none", "no finding in this assessment"
    worst = min((checks[c] for c in matched), key=_rank_check)
    status = _CHECK_STATUS.get(str(worst.get("status")), "fail")
    msg = str(worst.get("message") or "")
    label = worst["check"] if len(matched) == 1 else f"{worst['check']} (worst of {len(matched)})"
    detail = f"{label}: {worst.get('status')}" + (f" ({msg})" if msg else "")
    return status, detail


def _link_view(
    link: Link,
    questions: Mapping[str, Mapping[str, Any]],
    checks: Mapping[str, Mapping[str, Any]],
) -> dict[str, Any]:
    if link.kind == "question":
        status, detail = _question_status(questions.get(link.ref))
    else:
        status, detail = _check_status(link.ref, checks)
    return {**link.to_dict(), "status": status, "detail": detail}


def item_status(mappings: Sequence[Mapping[str, Any]]) -> str:
    """The item's status from its deciding (direct/partial) mappings.

    Failing wins. ``covered`` needs every direct mapping satisfied (passing, attested or waived
    evidence): one passing link among several unmet ones is ``partial``, never ``covered``;
    partial mappings alone never cover an item. A direct *check* mapping with no finding at all
    is a tool this run did not use (fairlearn or aif360 answer the same item), so it is left out;
    a direct *question* mapping always counts, since the question is the framework's requirement.
    """
    deciding = [m for m in mappings if m["strength"] != "supporting"]
    states = [_LINK_TO_ITEM[m["status"]] for m in deciding]
    if "failing" in states:
        return "failing"
    direct = [
        _LINK_TO_ITEM[m["status"]]
        for m in deciding
        if m["strength"] == "direct" and not (m.get("kind") == "check" and m["status"] == "none")
    ]
    met = ("covered", "attested", "waived")
    if direct and all(s in met for s in direct):
        for status in met:
            if status in direct:
                return status
    if "covered" in states or any(s in met for s in direct):
        return "partial"
    for status in ("attested", "waived"):
        if status in states:
            return "partial"
    return "none"


def _ran(assessment: Mapping[str, Any]) -> set[str]:
    """Collectors that ran and reported something other than not_applicable."""
    ran = {
        str(r.get("name"))
        for r in assessment.get("collectors", []) or []
        if isinstance(r, Mapping) and r.get("status") in ("ok", "reused")
    }
    reported = {
        c.get("collector")
        for q in _questions(assessment).values()
        for c in q.get("checks", [])
        if c.get("status") != "not_applicable"
    }
    return ran & reported if ran else reported


def framework_view(assessment: Mapping[str, Any], fid: str) -> dict[str, Any]:
    """One framework's view of the assessment (see framework_views for the shape)."""
    cw: Crosswalk = load_crosswalk(fid)
    questions = _questions(assessment)
    checks = _check_results(questions)
    applicable = not cw.applies_when or bool(_ran(assessment) & set(cw.applies_when))
    items = []
    for item in cw.items:
        mappings = [_link_view(link, questions, checks) for link in item.links]
        items.append(
            {
                "id": item.id,
                "title": item.title,
                "note": item.note,
                "status": item_status(mappings) if applicable else "not_applicable",
                "mappings": mappings,
            }
        )
    summary = {s: sum(1 for i in items if i["status"] == s) for s in ITEM_STATUSES}
    return {
        "id": cw.id,
        "framework": cw.framework,
        "version": cw.version,
        "source": cw.source,
        "notice": cw.notice,
        "applicable": applicable,
        "not_applicable_reason": None
        if applicable
        else f"no collector this framework rates ran ({', '.join(cw.applies_when)})",
        "summary": {**summary, "total": len(items)},
        "items": items,
    }


def framework_views(assessment: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Every packaged framework's view, keyed by framework id, in FRAMEWORKS order.

    Shape of each view::

        {"id", "framework", "version", "source", "notice",
         "summary": {"failing": n, "covered": n, "attested": n, "waived": n, "none": n, "total": n},
         "items": [{"id", "title", "note", "status",
                    "mappings": [{"kind": "question"|"check", "ref", "strength", "rationale",
                                  "status": "pass"|"fail"|"attested"|"waived"|"none", "detail"}]}]}

    Item ``status`` is one of ITEM_STATUSES; ITEM_LABELS gives the human wording.
    """
    return {fid: framework_view(assessment, fid) for fid in FRAMEWORKS}


# --------------------------------------------------------------------------- shared by the renderers
def summary_line(view: Mapping[str, Any]) -> str:
    if view.get("applicable") is False:
        return f"not applicable to this run: {view['not_applicable_reason']}; nothing fails"
    s = view["summary"]
    return (
        ", ".join(f"{s[k]} {ITEM_LABELS[k]}" for k in ITEM_STATUSES if k != "not_applicable")
        + f" (of {s['total']})"
    )
