"""OpenMetrics export: valid for the real prometheus_client parsers (OpenMetrics and Prometheus text),
values taken from the assessment, evidence age, label escaping, the Pushgateway push against a
local HTTP server, and the Grafana dashboard / alert rules referring only to exported metrics."""

from __future__ import annotations

import json
import math
import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import pytest
import yaml
from prometheus_client.openmetrics.parser import text_string_to_metric_families
from prometheus_client.parser import text_string_to_metric_families as prometheus_text_families

from aima_ci.models import Finding, Status
from aima_ci.reports.openmetrics import (
    METRICS,
    MetricsError,
    openmetrics,
    parse_labels,
    push,
    push_url,
)

ROOT = Path(__file__).resolve().parents[2]
DASHBOARD = ROOT / "docs" / "grafana" / "aima-dashboard.json"
ALERTS = ROOT / "docs" / "prometheus" / "aima-alerts.yml"
NOW = 1_760_000_000.0  # 2025-10-09T08:53:20Z


def assessment(passed: bool = False) -> dict[str, Any]:
    check = {"check": "zap.high_risk", "status": "fail", "credit": False, "collector": "zap"}
    good = {
        "check": "aif360.disparate_impact",
        "status": "pass",
        "credit": True,
        "collector": "aif360",
    }
    q = {"id": "VER-ST-A1", "level": 1, "checks": [check, good]}
    q2 = {"id": "VER-ST-A2", "level": 2, "checks": [dict(check, status="pass", credit=True)]}
    return {
        "aima_version": "1.0",
        "aima_ci_version": "0.1.0",
        "overall": {"score": 0.25, "level": 0, "plus": True},
        "domains": [
            {
                "id": "VER",
                "name": 'Verif "quoted" \\ back\nslash',
                "score": 0.5,
                "level": 1,
                "plus": True,
                "practices": [
                    {
                        "id": "VER-ST",
                        "name": "Security Testing",
                        "score": 1.5,
                        "level": 1,
                        "plus": True,
                        "streams": [{"questions": [q, q2]}],
                    }
                ],
            },
            {
                "id": "OPS",
                "name": "Operations",
                "score": 0.0,
                "level": 0,
                "plus": False,
                "practices": [],
            },
        ],
        "gate": {
            "passed": passed,
            "target": {
                "level": 1,
                "domains": {"OPS": {"level": 2}},
                "practices": {"VER-ST": {"level": 2}},
            },
            "failures": [] if passed else [{"kind": "domain_level"}, {"kind": "practice_level"}],
        },
        "findings": {"total": 3, "by_status": {"fail": 1, "pass": 2}},
    }


def finding(collector: str, finished: str | None) -> Finding:
    return Finding(
        check=f"{collector}.x", collector=collector, status=Status.PASS, finished_at=finished
    )


def families(text: str) -> dict[str, Any]:
    return {f.name: f for f in text_string_to_metric_families(text)}


def samples(text: str, name: str) -> dict[frozenset[tuple[str, str]], float]:
    return {frozenset(s.labels.items()): s.value for s in families(text)[name].samples}


def test_output_is_valid_openmetrics_and_prometheus_text() -> None:
    text = openmetrics(assessment(), [finding("zap", "2025-10-09T07:53:20Z")], now=NOW)
    assert text.endswith("# EOF\n")
    parsed = families(text)
    assert set(parsed) == set(METRICS)
    assert all(f.type == "gauge" and f.documentation for f in parsed.values())
    # the same bytes are valid Prometheus text 0.0.4 (textfile collector, Pushgateway)
    assert {f.name for f in prometheus_text_families(text)} == set(METRICS)
    for name in METRICS:
        assert f"# TYPE {name} gauge" in text and f"# HELP {name} " in text


def test_values_come_from_the_assessment() -> None:
    text = openmetrics(assessment(), [], now=NOW)
    assert samples(text, "aima_overall_score") == {frozenset(): 0.25}
    assert samples(text, "aima_gate_passed") == {frozenset(): 0.0}
    assert samples(text, "aima_gate_failures") == {frozenset(): 2.0}
    assert samples(text, "aima_target_level") == {frozenset(): 1.0}
    targets = {dict(k)["domain"]: v for k, v in samples(text, "aima_domain_target_level").items()}
    assert targets == {"VER": 1.0, "OPS": 2.0}
    assert samples(text, "aima_practice_target_level") == {
        frozenset({("domain", "VER"), ("practice", "VER-ST"), ("name", "Security Testing")}): 2.0
    }
    by_status = {dict(k)["status"]: v for k, v in samples(text, "aima_findings").items()}
    assert by_status == {s.value: {"fail": 1.0, "pass": 2.0}.get(s.value, 0.0) for s in Status}
    checks = {dict(k)["check"]: v for k, v in samples(text, "aima_check_passed").items()}
    # a check failing for any question earns no credit, even where another question shows pass
    assert checks == {"zap.high_risk": 0.0, "aif360.disparate_impact": 1.0}
    assert samples(openmetrics(assessment(passed=True), [], now=NOW), "aima_gate_passed") == {
        frozenset(): 1.0
    }


def test_label_values_are_escaped_and_round_trip() -> None:
    text = openmetrics(assessment(), [], now=NOW)
    names = {dict(k)["name"] for k in samples(text, "aima_domain_score")}
    assert 'Verif "quoted" \\ back\nslash' in names


def test_evidence_age_is_the_oldest_finding_per_collector_and_unknown_is_infinite() -> None:
    found = [
        finding("zap", "2025-10-09T07:53:20Z"),  # 1 h before NOW
        finding("zap", "2025-10-09T08:53:00Z"),
        finding("aif360", "2025-10-08T08:53:20+00:00"),  # 1 day
        finding("garak", None),
        finding("art", "yesterday"),
    ]
    ages = {
        dict(k)["collector"]: v
        for k, v in samples(
            openmetrics(assessment(), found, now=NOW), "aima_evidence_age_seconds"
        ).items()
    }
    assert ages["zap"] == 3600 and ages["aif360"] == 86400
    assert math.isinf(ages["garak"]) and math.isinf(ages["art"])


def test_constant_labels_are_added_and_bad_ones_refused() -> None:
    labels = parse_labels(["project=credit-model", "env=prod"])
    text = openmetrics(assessment(), [], now=NOW, labels=labels)
    for fam in families(text).values():
        for s in fam.samples:
            assert s.labels["project"] == "credit-model" and s.labels["env"] == "prod"
    for bad in ("noequals", "1x=y", "__name__=x", "domain=VER", "a-b=c"):
        with pytest.raises(MetricsError):
            parse_labels([bad])


def test_push_url_forms() -> None:
    assert push_url("http://pg:9091") == "http://pg:9091/metrics/job/aima-ci"
    assert push_url("https://pg/", grouping={"instance": "credit model"}) == (
        "https://pg/metrics/job/aima-ci/instance/credit%20model"
    )
    assert push_url("http://pg", grouping={"instance": "team/model"}) == (
        "http://pg/metrics/job/aima-ci/instance@base64/dGVhbS9tb2RlbA=="
    )
    for bad in ("pg:9091", "ftp://pg", "http://pg?x=1", "http://"):
        with pytest.raises(MetricsError):
            push_url(bad)
    with pytest.raises(MetricsError):
        push_url("http://pg", grouping={"instance": ""})


class _Recorder(BaseHTTPRequestHandler):
    received: list[dict[str, Any]]
    reply = 200

    def do_PUT(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.received.append(
            {
                "method": "PUT",
                "path": self.path,
                "type": self.headers["Content-Type"],
                "body": body.decode(),
            }
        )
        self.send_response(self.reply)
        self.end_headers()
        self.wfile.write(b"rejected" if self.reply >= 400 else b"")

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def gateway() -> Iterator[tuple[str, type[_Recorder]]]:
    handler = type("Handler", (_Recorder,), {"received": [], "reply": 200})
    server = HTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", handler
    finally:
        server.shutdown()
        server.server_close()


def test_push_puts_the_body_to_the_pushgateway_path(gateway: tuple[str, type[_Recorder]]) -> None:
    base, handler = gateway
    body = openmetrics(assessment(), [], now=NOW)
    push(body, push_url(base, grouping={"instance": "ci"}))
    (req,) = handler.received
    assert req["path"] == "/metrics/job/aima-ci/instance/ci"
    assert req["type"].startswith("text/plain; version=0.0.4")
    assert req["body"] == body
    handler.reply = 400
    with pytest.raises(MetricsError, match="HTTP 400 rejected"):
        push(body, push_url(base))


def test_push_to_nothing_listening_is_an_error() -> None:
    with pytest.raises(MetricsError, match="failed"):
        push("# EOF\n", "http://127.0.0.1:9/metrics/job/aima-ci", timeout=2)


def test_export_cli_writes_file_and_pushes(repo, write_config, cli, gateway) -> None:
    base, handler = gateway
    write_config({"collectors": {"testplugin": {}}})
    assert cli("run", cwd=repo).returncode in (0, 1)
    out = repo / "aima.prom"
    res = cli(
        "export",
        "-o",
        str(out),
        "--push",
        base,
        "--instance",
        "repo-1",
        "--label",
        "project=demo",
        cwd=repo,
    )
    assert res.returncode == 0, res.stderr
    text = out.read_text()
    assert handler.received[0]["body"] == text
    assert handler.received[0]["path"] == "/metrics/job/aima-ci/instance/repo-1"
    fams = families(text)
    assert {dict(s.labels)["collector"] for s in fams["aima_evidence_age_seconds"].samples} == {
        "testplugin"
    }
    stdout = cli("export", cwd=repo)
    assert stdout.returncode == 0 and stdout.stdout.endswith("# EOF\n")
    assert cli("export", "--push", "not-a-url", cwd=repo).returncode == 2
    assert cli("export", "--label", "bad", cwd=repo).returncode == 2
    assert cli("export", "--push", "http://127.0.0.1:9", cwd=repo).returncode == 2


def test_export_without_an_assessment_is_a_usage_error(repo, write_config, cli) -> None:
    write_config({"collectors": {"testplugin": {}}})
    res = cli("export", cwd=repo)
    assert res.returncode == 2 and "assessment.json" in res.stderr


# --------------------------------------------------------------------------- dashboards and alerts
def referenced_metrics(text: str) -> set[str]:
    return set(re.findall(r"\b(aima_[a-z_]+)\b", text))


def test_dashboard_refers_only_to_exported_metrics() -> None:
    dash = json.loads(DASHBOARD.read_text())
    exprs = [t["expr"] for p in dash["panels"] for t in p["targets"]]
    assert exprs and all(referenced_metrics(e) for e in exprs)
    used = set().union(*(referenced_metrics(e) for e in exprs))
    used |= referenced_metrics(json.dumps(dash["templating"]))
    exported = set(families(openmetrics(assessment(), [finding("zap", None)], now=NOW)))
    assert used <= exported, used - exported
    assert {"aima_domain_level", "aima_domain_target_level", "aima_gate_passed"} <= used
    ids = [p["id"] for p in dash["panels"]]
    assert len(ids) == len(set(ids))


def test_alert_rules_refer_only_to_exported_metrics_and_catch_a_domain_below_target() -> None:
    rules = [r for g in yaml.safe_load(ALERTS.read_text())["groups"] for r in g["rules"]]
    assert all({"alert", "expr", "labels", "annotations"} <= set(r) for r in rules)
    exported = set(METRICS)
    functions = {"time", "absent", "max", "min", "by", "on", "and", "or", "unless"}
    external = {"push_time_seconds"}  # the Pushgateway's own metric (documented in the file)
    for rule in rules:
        bare = re.sub(r"\{[^}]*\}|\"[^\"]*\"", "", rule["expr"])  # drop matchers and strings
        names = set(re.findall(r"[a-zA-Z_][a-zA-Z0-9_]*", bare)) - functions
        assert names <= exported | external, (rule["alert"], names - exported - external)
    below = next(r for r in rules if r["alert"] == "AimaDomainBelowTarget")
    assert below["expr"] == "aima_domain_level < aima_domain_target_level"
