"""Structural validation of Prometheus alerting-rule files, and which model metrics they watch.

``promtool check rules`` is the reference validator but is not installable from the package
registries this tool relies on, so the structure promtool enforces is checked here: groups with
unique names, rules that are either ``alert`` or ``record``, known keys, a non-empty and
bracket-balanced ``expr``, a Prometheus duration in ``for``. On top of that, aima-ci asks for what
makes an alert actionable: a ``severity`` label and annotations. PromQL itself is not parsed
beyond extracting the metric names an expression reads.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

DURATION = re.compile(r"^(?:\d+(?:ms|s|m|h|d|w|y))+$")
RULE_KEYS = {"alert", "record", "expr", "for", "keep_firing_for", "labels", "annotations"}
GROUP_KEYS = {"name", "rules", "interval", "limit", "query_offset", "labels"}
PROMQL_WORDS = frozenset(
    {
        "by",
        "without",
        "on",
        "ignoring",
        "group_left",
        "group_right",
        "bool",
        "and",
        "or",
        "unless",
        "offset",
        "atan2",
        "inf",
        "nan",
        # aggregation operators, which may be followed by ``by (...)`` rather than ``(``
        "sum",
        "min",
        "max",
        "avg",
        "group",
        "stddev",
        "stdvar",
        "count",
        "count_values",
        "bottomk",
        "topk",
        "quantile",
        "limitk",
        "limit_ratio",
    }
)
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'|`[^`]*`')
_BRACES = re.compile(r"\{[^{}]*\}")
_RANGE = re.compile(r"\[[^\[\]]*\]")
_IDENT = re.compile(r"(?<![\w:.])([A-Za-z_:][A-Za-z0-9_:]*)(?![\w:])(\s*\()?")
_NAME_MATCHER = re.compile(r'__name__\s*=~?\s*"([^"]+)"')

DEFAULT_WATCH = {
    "drift": [
        "drift",
        "psi",
        "population_stability",
        "kl_divergence",
        "data_shift",
        "feature_shift",
    ],
    "confidence": ["confidence", "prediction_score", "probability", "uncertainty", "entropy"],
    "error_rate": ["error", "failure", "5xx", "exception", "accuracy"],
}


@dataclass
class AlertRule:
    file: str
    group: str
    name: str
    line: int | None
    metrics: tuple[str, ...]
    severity: str


@dataclass
class RuleFileReport:
    file: str
    alerts: list[AlertRule] = field(default_factory=list)
    records: int = 0
    problems: list[str] = field(default_factory=list)


def metric_names(expr: str) -> tuple[str, ...]:
    """Metric names a PromQL expression reads (functions, keywords and label names excluded)."""
    named = _NAME_MATCHER.findall(expr)
    text = _STRING.sub('""', expr)
    previous = None
    while previous != text:  # nested braces/ranges (subqueries) unwrap from the inside out
        previous = text
        text = _BRACES.sub(" ", text)
        text = _RANGE.sub(" ", text)
    names = []
    for m in _IDENT.finditer(text):
        word, call = m.group(1), m.group(2)
        if call or word.lower() in PROMQL_WORDS:
            continue
        if re.fullmatch(r"\d+(?:ms|s|m|h|d|w|y)", word):
            continue
        names.append(word)
    # ``sum by (model) (...)``: the grouping labels sit in the parentheses after by/without.
    grouped: set[str] = set()
    for m in re.finditer(
        r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\(([^()]*)\)", text
    ):
        grouped.update(x.strip() for x in m.group(1).split(","))
    return tuple(dict.fromkeys([*named, *(n for n in names if n not in grouped)]))


def balanced(expr: str) -> bool:
    text = _STRING.sub(" ", expr)
    if any(q in text for q in ('"', "'", "`")):
        return False
    pairs = {")": "(", "]": "[", "}": "{"}
    stack: list[str] = []
    for ch in text:
        if ch in "([{":
            stack.append(ch)
        elif ch in pairs and (not stack or stack.pop() != pairs[ch]):
            return False
    return not stack


def validate(data: Any, display: str, lines: Mapping[str, int]) -> RuleFileReport:
    """Every structural problem, each naming file:line, plus the alert rules that are valid."""
    report = RuleFileReport(display)

    def where(key: str) -> str:
        line = lines.get(key)
        return f"{display}:{line}" if line else display

    if not isinstance(data, Mapping) or "groups" not in data:
        report.problems.append(f"{display}: not a Prometheus rule file (no top-level groups:)")
        return report
    extra = sorted(str(k) for k in data if k != "groups")
    if extra:
        report.problems.append(f"{where(extra[0])}: unknown top-level key {extra[0]!r}")
    groups = data["groups"]
    if not isinstance(groups, list) or not groups:
        report.problems.append(f"{where('groups')}: groups must be a non-empty list")
        return report
    seen_groups: set[str] = set()
    for gi, group in enumerate(groups):
        gkey = f"groups[{gi}]"
        if not isinstance(group, Mapping):
            report.problems.append(f"{where(gkey)}: {gkey} must be a mapping")
            continue
        name = group.get("name")
        if not isinstance(name, str) or not name.strip():
            report.problems.append(f"{where(gkey)}: {gkey} has no name")
            name = f"#{gi}"
        elif name in seen_groups:
            report.problems.append(f"{where(gkey)}: duplicate group name {name!r}")
        seen_groups.add(name)
        for key in sorted(set(map(str, group)) - GROUP_KEYS):
            report.problems.append(f"{where(f'{gkey}.{key}')}: group {name!r}: unknown key {key!r}")
        rules = group.get("rules")
        if not isinstance(rules, list):
            report.problems.append(f"{where(gkey)}: group {name!r}: rules must be a list")
            continue
        for ri, rule in enumerate(rules):
            _rule(report, rule, f"{gkey}.rules[{ri}]", name, where, lines)
    return report


def _rule(
    report: RuleFileReport,
    rule: Any,
    rkey: str,
    group: str,
    where: Any,
    lines: Mapping[str, int],
) -> None:
    if not isinstance(rule, Mapping):
        report.problems.append(f"{where(rkey)}: rule must be a mapping")
        return
    label = rule.get("alert") or rule.get("record") or rkey
    before = len(report.problems)
    for key in sorted(set(map(str, rule)) - RULE_KEYS):
        report.problems.append(f"{where(f'{rkey}.{key}')}: rule {label!r}: unknown key {key!r}")
    if "record" in rule:
        if "alert" in rule:
            report.problems.append(f"{where(rkey)}: rule {label!r}: both alert and record")
        report.records += 1
        return
    alert = rule.get("alert")
    if not isinstance(alert, str) or not alert.strip():
        report.problems.append(f"{where(rkey)}: rule has neither a non-empty alert nor record name")
        return
    expr = rule.get("expr")
    if isinstance(expr, (int, float)) and not isinstance(expr, bool):
        expr = str(expr)
    if not isinstance(expr, str) or not expr.strip():
        report.problems.append(f"{where(rkey)}: alert {alert!r}: expr is empty")
    elif not balanced(expr):
        report.problems.append(
            f"{where(f'{rkey}.expr')}: alert {alert!r}: expr has unbalanced brackets or quotes"
        )
    elif (why := never_fires(expr)) is not None:
        report.problems.append(f"{where(f'{rkey}.expr')}: alert {alert!r}: can never fire ({why})")
    duration = rule.get("for")
    if duration is None:
        report.problems.append(
            f"{where(rkey)}: alert {alert!r}: no for: (fires on a single scrape)"
        )
    elif not (isinstance(duration, str) and DURATION.match(duration)):
        report.problems.append(
            f"{where(f'{rkey}.for')}: alert {alert!r}: for: {duration!r} is not a duration like 5m"
        )
    labels = rule.get("labels")
    severity = labels.get("severity") if isinstance(labels, Mapping) else None
    if not isinstance(severity, str) or not severity.strip():
        report.problems.append(f"{where(rkey)}: alert {alert!r}: no labels.severity")
    annotations = rule.get("annotations")
    if not isinstance(annotations, Mapping) or not any(
        isinstance(v, str) and v.strip() for v in annotations.values()
    ):
        report.problems.append(
            f"{where(rkey)}: alert {alert!r}: no annotations (summary/description/runbook)"
        )
    if len(report.problems) == before:
        report.alerts.append(
            AlertRule(
                file=report.file,
                group=group,
                name=alert,
                line=lines.get(rkey),
                metrics=metric_names(str(expr)),
                severity=str(severity),
            )
        )


_NUMBER = r"([-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?)"
_LOWER_THEN_UPPER = re.compile(
    rf"([A-Za-z_:][\w:]*(?:\{{[^}}]*\}})?)\s*>=?\s*{_NUMBER}\s+and\s+\1\s*<=?\s*{_NUMBER}"
)
_UPPER_THEN_LOWER = re.compile(
    rf"([A-Za-z_:][\w:]*(?:\{{[^}}]*\}})?)\s*<=?\s*{_NUMBER}\s+and\s+\1\s*>=?\s*{_NUMBER}"
)
_ABOVE_INF = re.compile(r">=?\s*\+?inf\b", re.IGNORECASE)


def never_fires(expr: str) -> str | None:
    """Why an alert expression can never be true (None when it might be).

    Evidence minimums: an alert rule that cannot fire monitors nothing. Only certain cases are
    named: a constant expression (it reads no metric), a metric required to exceed +Inf, and the
    same series bounded from below above its upper bound (``m > 1 and m < 0``).
    """
    text = _STRING.sub('""', expr)
    if not metric_names(expr):
        return "it reads no metric: a constant expression"
    if _ABOVE_INF.search(text):
        return "a value above +Inf"
    for m in _LOWER_THEN_UPPER.finditer(text):
        if float(m.group(2)) >= float(m.group(3)):
            return f"{m.group(1)} above {m.group(2)} and below {m.group(3)} at once"
    for m in _UPPER_THEN_LOWER.finditer(text):
        if float(m.group(3)) >= float(m.group(2)):
            return f"{m.group(1)} below {m.group(2)} and above {m.group(3)} at once"
    return None


def watched(
    alerts: Iterable[AlertRule], watch: Mapping[str, Iterable[str]]
) -> dict[str, list[str]]:
    """For each metric category, the alerts whose expression reads a matching metric."""
    compiled = {cat: [re.compile(p, re.I) for p in pats] for cat, pats in watch.items()}
    out: dict[str, list[str]] = {cat: [] for cat in watch}
    for alert in alerts:
        for cat, patterns in compiled.items():
            if any(p.search(m) for m in alert.metrics for p in patterns):
                out[cat].append(alert.name)
    return out
