"""The assessment as live metrics: OpenMetrics text for Prometheus, and a Pushgateway push.

AIMA level 3 asks for metrics that are continuously tracked; a dashboard fed by every CI run is
the cheapest way to get there. Only gauges are written, without sample timestamps, so the same
bytes are valid OpenMetrics *and* valid Prometheus text 0.0.4: node_exporter's textfile collector
and the Pushgateway (which do not accept the OpenMetrics-only types) read them unchanged, and
``# EOF`` is a comment to them.

Pure functions over the assessment dict and findings. The text and the push are
prometheus_client's (its OpenMetrics writer and its Pushgateway handlers, imported only when
metrics are rendered or pushed, never on the gate path), so escaping and the protocol are the
library's, not ours. As a report format (``report --format openmetrics``, ``run --format
openmetrics`` writing ``report.prom``, a name node_exporter's textfile collector reads) it takes
the findings from the evidence directory and constant labels from ``ctx.options["labels"]``;
``aima-ci export`` adds the labels from the command line and the push.
Metric names are part of the public interface (the Grafana dashboard and the alert rules in
docs/ use them; tests keep them in step): rename one only with a deprecation note.
"""

from __future__ import annotations

import base64
import datetime as dt
import math
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, unquote, urlsplit, urlunsplit

from aima_ci.assess.explain import practice_targets
from aima_ci.errors import UserError
from aima_ci.models import Finding, Status

from .format import ReportContext, ReportFormat

PREFIX = "aima_"
LABEL_NAME = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")
RESERVED_LABELS = frozenset({"domain", "practice", "name", "status", "collector", "check", "le"})
# Gauges only: the bytes are also Prometheus text 0.0.4, the type every consumer accepts.
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
PUSH_TIMEOUT = 15.0

# name -> help. The single list of exported metric names (documented in docs/metrics.md).
METRICS: dict[str, str] = {
    "aima_overall_score": "Overall AIMA maturity score, 0-3 (mean of the domains; aima-ci's convention).",
    "aima_overall_level": "Overall AIMA maturity level, 0-3 (lowest domain level; aima-ci's convention).",
    "aima_target_level": "Target maturity level in force for the gate today.",
    "aima_domain_score": "AIMA maturity score of a domain, 0-3 (mean of its practices).",
    "aima_domain_level": "AIMA maturity level of a domain, 0-3 (lowest practice level).",
    "aima_domain_target_level": "Target maturity level of a domain in force for the gate today.",
    "aima_practice_score": "AIMA maturity score of a practice, 0-3 (toolkit formula: sum of answers / 6).",
    "aima_practice_level": "AIMA maturity level of a practice, 0-3 (all questions up to the level satisfied).",
    "aima_practice_target_level": "Target maturity level of a practice in force for the gate today.",
    "aima_gate_passed": "1 if the AIMA gate passed, 0 if it failed.",
    "aima_gate_failures": "Number of reasons the gate failed (0 when it passed).",
    "aima_findings": "Findings in the evidence directory, by status.",
    "aima_check_passed": "1 if the check earned credit (pass or validly waived), else 0.",
    "aima_evidence_age_seconds": "Age of a collector's oldest finding (now - finished_at), in seconds.",
    "aima_build_info": "Constant 1, labelled with the AIMA and aima-ci versions of the assessment.",
}


class MetricsError(UserError, ValueError):
    """An assessment or option that cannot be exported (bad label, bad URL, failed push)."""


@dataclass
class _Family:
    name: str
    help: str
    samples: list[tuple[dict[str, str], float]] = field(default_factory=list)

    def add(self, value: float, **labels: Any) -> None:
        self.samples.append(({k: str(v) for k, v in labels.items()}, float(value)))


def parse_labels(pairs: Iterable[str]) -> dict[str, str]:
    """``key=value`` strings from the command line -> constant labels for every sample."""
    out: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        key = key.strip()
        if not sep or not LABEL_NAME.fullmatch(key) or key.startswith("__"):
            raise MetricsError(
                f"--label {pair!r}: expected name=value with a Prometheus label name"
            )
        if key in RESERVED_LABELS:
            raise MetricsError(f"--label {key}: aima-ci sets that label itself")
        out[key] = value
    return out


def _parse_time(stamp: str | None) -> float | None:
    if not stamp:
        return None
    try:
        parsed = dt.datetime.fromisoformat(stamp)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    return parsed.timestamp()


def evidence_ages(findings: Iterable[Finding], now: float) -> dict[str, float]:
    """Per collector, seconds since its oldest finding finished (the conservative age).

    A finding without a parseable ``finished_at`` makes its collector's age +Inf: evidence of
    unknown age must look stale, never fresh.
    """
    ages: dict[str, float] = {}
    for f in findings:
        finished = _parse_time(f.finished_at)
        age = math.inf if finished is None else round(max(0.0, now - finished), 3)
        ages[f.collector] = max(ages.get(f.collector, 0.0), age)
    return dict(sorted(ages.items()))


def _families(
    assessment: Mapping[str, Any], findings: Sequence[Finding], now: float
) -> Iterator[_Family]:
    fams = {name: _Family(name, text) for name, text in METRICS.items()}
    overall = assessment["overall"]
    gate = assessment["gate"]
    target = gate["target"]
    fams["aima_overall_score"].add(overall["score"])
    fams["aima_overall_level"].add(overall["level"])
    fams["aima_target_level"].add(target["level"])
    targets = practice_targets(assessment)
    for d in assessment["domains"]:
        labels = {"domain": d["id"], "name": d["name"]}
        fams["aima_domain_score"].add(d["score"], **labels)
        fams["aima_domain_level"].add(d["level"], **labels)
        goal = target.get("domains", {}).get(d["id"], {"level": target["level"]})
        fams["aima_domain_target_level"].add(goal.get("level", target["level"]), **labels)
        for p in d["practices"]:
            plabels = {"domain": d["id"], "practice": p["id"], "name": p["name"]}
            fams["aima_practice_score"].add(p["score"], **plabels)
            fams["aima_practice_level"].add(p["level"], **plabels)
            fams["aima_practice_target_level"].add(targets[p["id"]], **plabels)
    fams["aima_gate_passed"].add(1 if gate["passed"] else 0)
    fams["aima_gate_failures"].add(len(gate.get("failures", [])))
    by_status = assessment.get("findings", {}).get("by_status", {})
    for status in Status:
        fams["aima_findings"].add(by_status.get(str(status), 0), status=str(status))
    checks: dict[str, tuple[str, bool]] = {}
    for d in assessment["domains"]:
        for p in d["practices"]:
            for s in p["streams"]:
                for q in s["questions"]:
                    for c in q.get("checks", []):
                        prev = checks.get(c["check"])
                        credit = bool(c.get("credit")) and (prev is None or prev[1])
                        checks[c["check"]] = (str(c.get("collector") or ""), credit)
    for check, (collector, credit) in sorted(checks.items()):
        fams["aima_check_passed"].add(1 if credit else 0, check=check, collector=collector)
    for collector, age in evidence_ages(findings, now).items():
        fams["aima_evidence_age_seconds"].add(age, collector=collector)
    fams["aima_build_info"].add(
        1,
        aima_version=str(assessment.get("aima_version", "")),
        aima_ci_version=str(assessment.get("aima_ci_version", "")),
    )
    yield from fams.values()


def openmetrics(
    assessment: Mapping[str, Any],
    findings: Sequence[Finding] = (),
    *,
    now: float | None = None,
    labels: Mapping[str, str] | None = None,
) -> str:
    """The assessment as OpenMetrics text (gauges only), ending with ``# EOF``."""
    import time

    from prometheus_client.core import CollectorRegistry, GaugeMetricFamily
    from prometheus_client.openmetrics.exposition import generate_latest

    now = time.time() if now is None else now
    constant = dict(labels or {})
    families = list(_families(assessment, findings, now))

    class _Assessment:
        """A one-shot prometheus_client collector over the families computed above."""

        def collect(self) -> Iterator[GaugeMetricFamily]:
            for fam in families:
                names = list(constant) + (list(fam.samples[0][0]) if fam.samples else [])
                gauge = GaugeMetricFamily(fam.name, fam.help, labels=names)
                for sample_labels, value in fam.samples:
                    merged = {**constant, **sample_labels}
                    gauge.add_metric([merged[n] for n in names], value)
                yield gauge

    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Assessment())
    return str(generate_latest(registry).decode("utf-8"))


def render(assessment: Mapping[str, Any], ctx: ReportContext) -> str:
    """The report-format face of ``openmetrics``: findings (for evidence ages) read from the
    evidence directory, as ``export`` always did; a missing findings.jsonl there is an error
    (EvidenceError), not an age of zero."""
    findings: Sequence[Finding] = ()
    if ctx.evidence_dir is not None:
        from aima_ci.evidence.directory import read_findings

        findings = read_findings(ctx.evidence_dir)
    return openmetrics(assessment, findings, labels=ctx.options.get("labels"))


# --------------------------------------------------------------------------- Pushgateway
def push_url(base: str, job: str = "aima-ci", grouping: Mapping[str, str] | None = None) -> str:
    """``<base>/metrics/job/<job>[/<label>/<value>...]``; a value holding '/' is base64-encoded."""
    parts = urlsplit(base)
    shown = display_url(base)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise MetricsError(f"--push {shown!r}: expected an http:// or https:// Pushgateway URL")
    if parts.query or parts.fragment:
        raise MetricsError(f"--push {shown!r}: the URL must not carry a query or fragment")
    try:
        parts.port  # noqa: B018 - a malformed port raises here, not later with the URL in it
    except ValueError:
        raise MetricsError(f"--push {shown!r}: the port is not a number") from None
    if not job or "/" in job:
        raise MetricsError(f"job name {job!r} must be non-empty and hold no '/'")
    url = base.rstrip("/") + "/metrics/job/" + quote(job, safe="")
    for key, value in (grouping or {}).items():
        if not LABEL_NAME.fullmatch(key) or key == "job":
            raise MetricsError(f"grouping label {key!r} is not a usable Prometheus label name")
        url += f"/{key}{_encoded(key, value)}"
    return url


def _encoded(key: str, value: str) -> str:
    """A grouping label's value as a path: ``/value``, or ``@base64/<b64>`` when it holds a '/'."""
    if not value:
        raise MetricsError(f"grouping label {key} must not be empty")
    if "/" in value:
        return "@base64/" + base64.urlsafe_b64encode(value.encode()).decode()
    return "/" + quote(value, safe="")


def display_url(url: str) -> str:
    """The URL as it may be printed: without ``user:password@`` (a token must never reach a log)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    try:
        port = parts.port
    except ValueError:
        port = None
    netloc = host + (f":{port}" if port is not None else "")
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def _scrub(text: str, url: str) -> str:
    """An error text with the URL's credentials removed wherever they appear in it."""
    parts = urlsplit(url)
    for secret in (parts.password, parts.username, parts.netloc):
        if secret:
            text = text.replace(secret, "***")
    return text


def push(body: str, url: str, *, timeout: float = PUSH_TIMEOUT) -> None:
    """PUT the metrics to a Pushgateway (replacing the group); MetricsError unless it took them.

    Credentials in the URL (``https://user:token@host``) are sent as basic auth by
    prometheus_client's handler, never as part of the request line, and never printed.
    """
    from urllib.error import HTTPError

    from prometheus_client.exposition import basic_auth_handler, default_handler

    parts = urlsplit(url)
    shown = display_url(url)
    clean = shown  # the request URL carries no userinfo either
    headers = [("Content-Type", FORMAT.media_type)]
    data = body.encode("utf-8")
    try:
        if parts.username is not None or parts.password is not None:
            handle = basic_auth_handler(
                clean,
                "PUT",
                timeout,
                headers,
                data,
                unquote(parts.username or ""),
                unquote(parts.password or ""),
            )
        else:
            handle = default_handler(clean, "PUT", timeout, headers, data)
        handle()
    except HTTPError as exc:
        snippet = _scrub(exc.read()[:200].decode("utf-8", "replace").strip(), url)
        raise MetricsError(f"push to {shown} failed: HTTP {exc.code} {snippet}") from None
    except (OSError, ValueError) as exc:
        detail = _scrub(f"{type(exc).__name__}: {exc}", url)
        raise MetricsError(f"push to {shown} failed: {detail}") from None


FORMAT = ReportFormat(
    name="openmetrics", filename="report.prom", media_type=CONTENT_TYPE, render=render
)
