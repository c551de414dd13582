"""A third-party collector used by aima-ci's tests (a fake only for fault injection).

``behaviour`` in its config picks what it does: pass, fail, crash, hang, kill, junk, input_error,
partial (reports one check, then crashes), stdout_noise (prints to stdout, then passes).
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator

from aima_ci.models import Check, Finding, Status
from aima_ci.plugin import Collector, CollectorConfigError, CollectorContext, InputError

BEHAVIOURS = {
    "pass",
    "fail",
    "crash",
    "hang",
    "kill",
    "junk",
    "input_error",
    "partial",
    "stdout_noise",
}


class TestPluginCollector(Collector):
    name = "testplugin"
    version = "0.1.0"
    description = "Fault-injection collector for aima-ci's own tests"
    checks = (
        Check("testplugin.alpha", "Alpha holds", ("VER-ST-A1",), threshold=0.5, comparison=">="),
        Check("testplugin.beta", "Beta holds", ("VER-ST-B1",)),
    )
    default_timeout = 30

    def validate_config(self, config) -> None:
        behaviour = config.get("behaviour", "pass")
        if behaviour not in BEHAVIOURS:
            raise CollectorConfigError(
                "collectors.testplugin.behaviour", f"must be one of {', '.join(sorted(BEHAVIOURS))}"
            )

    def collect(self, ctx: CollectorContext) -> Iterator[Finding]:
        behaviour = ctx.config.get("behaviour", "pass")
        ctx.progress("starting", 0.0)
        if behaviour == "crash":
            raise RuntimeError("simulated tool crash")
        if behaviour == "hang":
            time.sleep(3600)
        if behaviour == "kill":
            os.kill(os.getpid(), signal.SIGKILL)
        if behaviour == "input_error":
            note = ctx.config.get("note", "")
            raise InputError(
                f"collectors.testplugin.data: file data.csv has no column 'label' {note}"
            )
        if behaviour == "junk":
            # Write garbage straight into the event stream the runner reads.
            fd = int(os.environ["AIMA_CI_EVENT_FD"])
            os.write(
                fd,
                b"not json\n{broken\n"
                + b"\xff\xfe\n"
                + b'{"event": "finding", "finding": {"check": 1}}\n',
            )
        if behaviour == "stdout_noise":
            print("a tool chatting on stdout")
            os.write(1, b"raw bytes on fd 1\n")
        status = Status.FAIL if behaviour == "fail" else Status.PASS
        artefact = ctx.artefact("result.txt")
        artefact.write_text(f"behaviour={behaviour}\n")
        yield ctx.finding(
            "testplugin.alpha",
            status,
            value=0.9 if status is Status.PASS else 0.1,
            message=f"alpha {'holds' if status is Status.PASS else 'does not hold'}",
            artefacts=[artefact],
        )
        if behaviour == "partial":
            raise RuntimeError("crashed after the first check")
        yield ctx.finding("testplugin.beta", status, message="beta")
        ctx.progress("done", 1.0)


class MissingToolCollector(Collector):
    name = "testplugin_missing"
    version = "0.1.0"
    description = "Needs a tool that is never installed"
    requires = ("aima_ci_no_such_tool_xyz",)
    extra = "no-such-tool"
    checks = (Check("testplugin_missing.check", "Never runs", ("VER-ST-A1",)),)

    def collect(self, ctx: CollectorContext) -> Iterator[Finding]:
        import aima_ci_no_such_tool_xyz  # noqa: F401

        yield ctx.finding("testplugin_missing.check", Status.PASS)


class WorkCollector(Collector):
    """Does real, fixed work (hashing) so the cache and --jobs benchmarks measure something.

    Config: ``rounds`` (SHA-256 over 1 MiB, default 0), ``sleep`` (seconds, default 0),
    ``model`` (a repository file bound as the finding's subject), ``verdict`` (pass/fail).
    Its check declares a time-to-live, for the freshness tests.
    """

    name = "testwork"
    version = "0.1.0"
    description = "Fixed CPU work for aima-ci's cache and scale-out tests"
    checks = (Check("testwork.result", "Work result holds", ("VER-RT-A1",), ttl_days=7),)
    default_timeout = 300

    def collect(self, ctx: CollectorContext) -> Iterator[Finding]:
        import hashlib

        block = b"\x5a" * (1 << 20)
        digest = hashlib.sha256()
        for _ in range(int(ctx.config.get("rounds", 0))):
            digest.update(block)
        if ctx.config.get("sleep"):
            time.sleep(float(ctx.config["sleep"]))
        subjects = []
        if ctx.config.get("model"):
            subjects.append(ctx.subject("model", ctx.path(ctx.config["model"], "model")))
        artefact = ctx.artefact("work.txt")
        artefact.write_text(digest.hexdigest() + "\n")
        status = Status.FAIL if ctx.config.get("verdict") == "fail" else Status.PASS
        yield ctx.finding(
            self.checks[0].id,
            status,
            message=f"work done: {digest.hexdigest()[:12]}",
            subjects=subjects,
            artefacts=[artefact],
        )


class WorkCollector2(WorkCollector):
    name = "testwork2"
    checks = (Check("testwork2.result", "Work result holds", ("VER-RT-B1",), ttl_days=7),)


class WorkCollector3(WorkCollector):
    name = "testwork3"
    checks = (Check("testwork3.result", "Work result holds", ("VER-AA-A1",), ttl_days=7),)


class WorkCollector4(WorkCollector):
    name = "testwork4"
    checks = (Check("testwork4.result", "Work result holds", ("VER-AA-B1",), ttl_days=7),)


class SplitCollector(Collector):
    """A collector whose ``items`` list shards split, as garak's probes are split."""

    name = "testsplit"
    version = "0.1.0"
    description = "One finding per configured item; 'bad-*' items fail"
    shard_key = "items"
    checks = (Check("testsplit.items", "Every item holds", ("VER-ST-B2",)),)
    default_timeout = 60

    def collect(self, ctx: CollectorContext) -> Iterator[Finding]:
        for item in ctx.config.get("items") or []:
            artefact = ctx.artefact(f"{item}.txt")
            artefact.write_text(f"{item}\n")
            bad = str(item).startswith("bad")
            yield ctx.finding(
                "testsplit.items",
                Status.FAIL if bad else Status.PASS,
                message=f"{item} {'fails' if bad else 'holds'}",
                artefacts=[artefact],
                details={"item": item},
            )
