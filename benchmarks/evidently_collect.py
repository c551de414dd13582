"""The whole ``aima-ci collect`` with only evidently, against a bare script making the same report.

What a user waits for: ``aima-ci collect --only evidently --no-cache`` on examples/credit-model
(CLI start-up, config, the runner and its worker subprocess, evidently's drift preset plus a
missing-value count per column, the JSON and the 4 MB HTML report, redaction, hashing, the
evidence directory), against ``python benchmarks/collectors.py --bare evidently``: the same
files read with pandas and the same evidently calls (same columns, drift share, tests, JSON and
HTML written) with none of aima-ci around them. Both run as subprocesses, interleaved (the order
alternates each round) so machine load hits both alike; each is timed as wall seconds and as CPU
seconds (user + system of the process and its children). The medians decide; the target is
collector / bare <= 1.10 on wall time (issue 18). CPU time is printed too: on a shared machine it
is the steadier figure. The load average (``uptime``) is printed before and after.

Installed packages carry compiled bytecode (pip compiles wheels at install time); a checkout gets
it on first import unless PYTHONDONTWRITEBYTECODE forbids writing it, and then every run compiles
aima-ci's modules again (about 0.8 s of CPU in the parent alone, none of it in the bare script,
whose libraries are installed). So, as benchmarks/gate.py does, aima_ci and its collectors are
compiled once and both commands run without that variable, after one untimed warm-up each.

Usage: python benchmarks/evidently_collect.py [--repeat 5]
(Not ``evidently.py``: a script's folder comes first on sys.path, and that name would shadow
the evidently package in the bare script.)
"""

from __future__ import annotations

import argparse
import compileall
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "examples" / "credit-model"
TARGET = 1.10  # collector wall / bare wall, medians


@dataclass(frozen=True)
class Timing:
    wall: float
    cpu: float  # user + system of the subprocess tree


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _timed(cmd: Sequence[str], env: dict[str, str], cwd: Path) -> Timing:
    cpu, start = _children_cpu(), time.perf_counter()
    proc = subprocess.run(
        cmd, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} exited {proc.returncode}:\n{proc.stderr[-2000:]}")
    return Timing(time.perf_counter() - start, _children_cpu() - cpu)


def collector_cmd(out: Path) -> list[str]:
    aima = shutil.which("aima-ci") or ""
    head = [aima] if aima else [sys.executable, "-m", "aima_ci"]
    return [
        *head,
        "collect",
        "--config",
        str(EXAMPLE / "aima.yaml"),
        "--only",
        "evidently",
        "--no-cache",
        "--out",
        str(out),
    ]


def check_evidence(out: Path) -> None:
    """A collect that failed fast would look fast: the run must hold evidently's real findings."""
    import json

    findings = [json.loads(line) for line in (out / "findings.jsonl").read_text().splitlines()]
    statuses = {f["status"] for f in findings if f["collector"] == "evidently"}
    if not statuses or statuses & {"error", "not_run"}:
        raise SystemExit(f"the evidently collector did not run cleanly: {sorted(statuses)}")
    if not (out / "artefacts" / "evidently" / "drift-report.html").is_file():
        raise SystemExit("the evidently collector wrote no HTML report: not the same work")


def bare_cmd() -> list[str]:
    return [sys.executable, str(REPO / "benchmarks" / "collectors.py"), "--bare", "evidently"]


def uptime() -> str:
    try:
        return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    except OSError:
        return "load average: {:.2f}, {:.2f}, {:.2f}".format(*os.getloadavg())


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="rounds (at least 5 for a verdict)")
    args = parser.parse_args(argv)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env.update({"DO_NOT_TRACK": "1", "PYTHONUNBUFFERED": "1"})
    import aima_ci_collectors

    import aima_ci

    for package in (aima_ci, aima_ci_collectors):
        compileall.compile_dir(Path(str(package.__file__)).parent, quiet=1)
    runs: dict[str, list[Timing]] = {"collector": [], "bare": []}
    with tempfile.TemporaryDirectory(prefix="aima-bench-evidently-") as tmp:
        _timed(collector_cmd(Path(tmp) / "warm-up"), env, EXAMPLE)  # OS caches, bytecode
        _timed(bare_cmd(), env, EXAMPLE)
        print(f"before: {uptime()}  ({os.cpu_count()} CPUs)")
        for i in range(max(1, args.repeat)):
            out = Path(tmp) / f"evidence-{i}"
            order = ["collector", "bare"] if i % 2 == 0 else ["bare", "collector"]
            for name in order:
                cmd = collector_cmd(out) if name == "collector" else bare_cmd()
                runs[name].append(_timed(cmd, env, EXAMPLE))
            check_evidence(out)
            c, b = runs["collector"][-1], runs["bare"][-1]
            print(
                f"round {i + 1}: collector {c.wall:6.2f} s wall {c.cpu:6.2f} s CPU;"
                f" bare {b.wall:6.2f} s wall {b.cpu:6.2f} s CPU",
                flush=True,
            )
    print(f"after:  {uptime()}")
    med = {
        name: Timing(
            statistics.median(t.wall for t in timings), statistics.median(t.cpu for t in timings)
        )
        for name, timings in runs.items()
    }
    wall = med["collector"].wall / med["bare"].wall
    cpu = med["collector"].cpu / med["bare"].cpu
    print(
        f"medians of {len(runs['bare'])} interleaved rounds:"
        f" collector {med['collector'].wall:.2f} s wall / {med['collector'].cpu:.2f} s CPU,"
        f" bare {med['bare'].wall:.2f} s wall / {med['bare'].cpu:.2f} s CPU"
    )
    verdict = "PASS" if wall <= TARGET else "FAIL"
    print(
        f"collector / bare: {wall:.2f}x wall, {cpu:.2f}x CPU; target <= {TARGET:.2f}x wall: {verdict}"
    )
    if len(runs["bare"]) < 5:
        print("(fewer than 5 rounds: indicative only)")
    return 0 if verdict == "PASS" else 1


if __name__ == "__main__":
    sys.exit(main())
