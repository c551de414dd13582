"""The whole ``aima-ci collect`` with only evidently, against a bare script making the same report.

What a user waits for: ``aima-ci collect --only evidently --no-cache`` on examples/credit-model
(CLI start-up, config, the runner and its worker subprocess, evidently's drift preset plus a
missing-value count per column, the JSON and the 4 MB HTML report, redaction, hashing, the
evidence directory), against ``python benchmarks/collectors.py --bare evidently``: the same
files read with pandas and the same evidently calls (same columns, drift share, tests, JSON and
HTML written) with none of aima-ci around them. Both run as subprocesses, interleaved (the order
rotates each round) so machine load hits both alike; each is timed as wall seconds and as CPU
seconds (user + system of the process and its children).

The verdict is the issue's: the ratio of the medians, collector / bare, on wall time, <= 1.10.
Printed beside it, because one round's load can move either command by seconds: the median (and
range) of the paired ratios (each round's collector over the same round's bare), the collector's
overhead in seconds (median of the paired differences, wall and CPU), the CPU ratio (steadier on
a shared machine), how many paired ratios fall on each side of the target, a 95 % bootstrap
interval of the ratio of medians (whole rounds resampled: does the target lie inside it?), and
the load average of every round.

A third command, on by default (``--no-like-for-like`` skips it), is the same bare script ending
as aima-ci's worker does, with ``os._exit`` after its ``atexit`` functions
(``_worker.exit_without_teardown``): a plain script spends about a second freeing evidently's
modules at exit, which the worker no longer does. The collector's overhead over that reference is
its fixed cost on like-for-like terms; it is reported, never used for the verdict.

Installed packages carry compiled bytecode (pip compiles wheels at install time); a checkout gets
it on first import unless PYTHONDONTWRITEBYTECODE forbids writing it, and then every run compiles
aima-ci's modules again (about 0.8 s of CPU in the parent alone, none of it in the bare script,
whose libraries are installed). So, as benchmarks/gate.py does, aima_ci and its collectors are
compiled once and both commands run without that variable, after one untimed warm-up each.

Usage: python benchmarks/evidently_collect.py [--repeat 9] [--no-like-for-like]
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


def bare_cmd(fast_exit: bool = False) -> list[str]:
    script = str(REPO / "benchmarks" / "collectors.py")
    return [sys.executable, script, "--bare", "evidently", *(["--fast-exit"] if fast_exit else [])]


def uptime() -> str:
    try:
        return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    except OSError:
        return "load average: {:.2f}, {:.2f}, {:.2f}".format(*os.getloadavg())


COLLECTOR, BARE, FAST = "collector", "bare", "bare, fast exit"


def _paired(
    runs: dict[str, list[Timing]], top: str, ref: str
) -> tuple[list[float], list[float], list[float]]:
    """Per round: wall ratio, wall difference, CPU difference of ``top`` over ``ref``."""
    pairs = list(zip(runs[top], runs[ref], strict=True))
    return (
        [a.wall / b.wall for a, b in pairs],
        [a.wall - b.wall for a, b in pairs],
        [a.cpu - b.cpu for a, b in pairs],
    )


def bootstrap_interval(
    pairs: Sequence[tuple[float, float]], resamples: int = 4000, seed: int = 18
) -> tuple[float, float]:
    """A 95 % interval of the ratio of medians, resampling whole rounds (a round's two timings
    stay together, so what the load did to both stays paired). Fixed seed: the same rounds
    print the same interval."""
    import random

    rng = random.Random(seed)
    ratios = sorted(
        statistics.median(a for a, _ in sample) / statistics.median(b for _, b in sample)
        for sample in (rng.choices(pairs, k=len(pairs)) for _ in range(resamples))
    )
    return ratios[int(0.025 * resamples)], ratios[int(0.975 * resamples) - 1]


def compare(runs: dict[str, list[Timing]], top: str, ref: str) -> tuple[float, list[str]]:
    """The ratio of medians (wall) of ``top`` over ``ref``, and the lines that explain it."""
    med = {
        name: Timing(
            statistics.median(t.wall for t in runs[name]),
            statistics.median(t.cpu for t in runs[name]),
        )
        for name in (top, ref)
    }
    wall = med[top].wall / med[ref].wall
    cpu = med[top].cpu / med[ref].cpu
    ratios, dwall, dcpu = _paired(runs, top, ref)
    best = min(t.wall for t in runs[top]) / min(t.wall for t in runs[ref])
    low, high = bootstrap_interval(
        [(a.wall, b.wall) for a, b in zip(runs[top], runs[ref], strict=True)]
    )
    settled = (
        "the target lies inside it: these rounds do not settle which side of it this ratio is on"
        if low <= TARGET < high
        else "the target lies outside it"
    )
    lines = [
        f"  medians: {top} {med[top].wall:.2f} s wall / {med[top].cpu:.2f} s CPU,"
        f" {ref} {med[ref].wall:.2f} s wall / {med[ref].cpu:.2f} s CPU",
        f"  ratio of medians: {wall:.3f}x wall, {cpu:.3f}x CPU; best of each: {best:.3f}x wall",
        f"  95 % bootstrap interval of the wall ratio of medians (rounds resampled):"
        f" {low:.3f}-{high:.3f}x; {settled}",
        f"  paired ratios (wall): median {statistics.median(ratios):.3f}x,"
        f" range {min(ratios):.3f}-{max(ratios):.3f}x,"
        f" {sum(r <= TARGET for r in ratios)} of {len(ratios)} within {TARGET:.2f}x",
        f"  overhead of {top} (median of paired differences): {statistics.median(dwall):+.2f} s wall,"
        f" {statistics.median(dcpu):+.2f} s CPU",
    ]
    return wall, lines


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--repeat", type=int, default=9, help="rounds (default 9; at least 5 for a verdict)"
    )
    parser.add_argument(
        "--no-like-for-like",
        dest="like_for_like",
        action="store_false",
        help="skip the reference bare script that ends without teardown (saves a third)",
    )
    args = parser.parse_args(argv)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env.update({"DO_NOT_TRACK": "1", "PYTHONUNBUFFERED": "1"})
    import aima_ci_collectors

    import aima_ci

    for package in (aima_ci, aima_ci_collectors):
        compileall.compile_dir(Path(str(package.__file__)).parent, quiet=1)
    names = [COLLECTOR, BARE, *([FAST] if args.like_for_like else [])]
    runs: dict[str, list[Timing]] = {name: [] for name in names}
    loads: list[float] = []
    with tempfile.TemporaryDirectory(prefix="aima-bench-evidently-") as tmp:
        _timed(collector_cmd(Path(tmp) / "warm-up"), env, EXAMPLE)  # OS caches, bytecode
        _timed(bare_cmd(), env, EXAMPLE)
        print(f"before: {uptime()}  ({os.cpu_count()} CPUs)")
        for i in range(max(1, args.repeat)):
            out = Path(tmp) / f"evidence-{i}"
            order = names[i % len(names) :] + names[: i % len(names)]  # each goes first in turn
            loads.append(os.getloadavg()[0])
            for name in order:
                cmd = collector_cmd(out) if name == COLLECTOR else bare_cmd(name == FAST)
                runs[name].append(_timed(cmd, env, EXAMPLE))
            check_evidence(out)
            shutil.rmtree(out, ignore_errors=True)
            print(
                f"round {i + 1} (load {loads[-1]:.2f}): "
                + "; ".join(
                    f"{name} {runs[name][-1].wall:6.2f} s wall {runs[name][-1].cpu:6.2f} s CPU"
                    for name in names
                ),
                flush=True,
            )
    print(f"after:  {uptime()}")
    rounds = len(runs[BARE])
    print(
        f"{rounds} interleaved rounds, load average (1 min) at their starts"
        f" {min(loads):.2f}-{max(loads):.2f}"
    )
    wall, lines = compare(runs, COLLECTOR, BARE)
    print("collector vs bare script (the verdict):")
    print("\n".join(lines))
    if args.like_for_like:
        _, lines = compare(runs, COLLECTOR, FAST)
        print(
            "collector vs the bare script ending without teardown, as the worker does"
            " (like for like; not the verdict):"
        )
        print("\n".join(lines))
    verdict = "PASS" if wall <= TARGET else "FAIL"
    print(f"verdict: ratio of medians {wall:.3f}x wall; target <= {TARGET:.2f}x: {verdict}")
    if rounds < 5:
        print("(fewer than 5 rounds: indicative only)")
    return 0 if verdict == "PASS" else 1


if __name__ == "__main__":
    sys.exit(main())
