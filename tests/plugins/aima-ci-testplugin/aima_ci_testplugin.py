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
