"""Time the whole ``aima-ci collect --no-cache`` on the credit example: ``--jobs 1`` vs ``--jobs 2``.

Target: ``--jobs 2`` at least 1.6x faster than ``--jobs 1`` (medians of interleaved runs).

The example (examples/credit-model) is copied to a temporary folder and its real collectors run
(fairlearn, evidently, ART, SHAP, the repository checks). One warm-up run first writes run.json,
so the runner's longest-job-first order (last recorded durations) applies to every timed run;
each timed run then reads the durations of the run before it from the same evidence folder.
The runs alternate between the two settings, so both meet the same machine load; the load
average is printed with the figure because the machine may be shared. Each run also prints every
collector's duration and start offset (run.json: two must start together under --jobs 2), the
CPU seconds the command and its workers used (``cores busy`` near 2.0 under --jobs 2 means the
machine gave it both cores; near 1.0, other processes held one) and the most two free cores
could give for these durations.

Usage: python benchmarks/jobs.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "credit-model"
TARGET = 1.6


def durations(out: Path) -> dict[str, float]:
    """Each collector's duration in the run just finished (run.json)."""
    import json

    runs = json.loads((out / "run.json").read_text()).get("collectors", [])
    return {r["name"]: float(r.get("duration") or 0.0) for r in runs}


def per_collector(out: Path) -> str:
    """Each collector's duration and start offset in the run just finished (run.json), to see
    which ran at once and which dominates."""
    import datetime as dt
    import json

    runs = json.loads((out / "run.json").read_text()).get("collectors", [])
    starts = [dt.datetime.fromisoformat(r["started_at"]) for r in runs if r.get("started_at")]
    first = min(starts) if starts else None
    parts = []
    for r in sorted(runs, key=lambda r: r.get("started_at") or ""):
        at = dt.datetime.fromisoformat(r["started_at"]) - first if first else None
        offset = f"+{at.total_seconds():.1f}" if at is not None else "?"
        parts.append(f"{r['name']} {r.get('duration', 0):.1f}s@{offset}")
    return ", ".join(parts)


def two_slot_bound(times: dict[str, float]) -> float:
    """The --jobs 1 time over the best two-slot schedule of the same durations (longest first,
    each to the slot that frees first): the speed-up two free cores could give at most."""
    slots = [0.0, 0.0]
    for t in sorted(times.values(), reverse=True):
        slots[slots.index(min(slots))] += t
    return sum(times.values()) / max(slots) if max(slots) else 1.0


def run(repo: Path, out: Path, jobs: int) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the command and every process it started)."""
    import resource

    cmd = [sys.executable, "-m", "aima_ci", "collect", "--no-cache", "--jobs", str(jobs)]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run([*cmd, "--out", str(out)], cwd=repo, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if done.returncode not in (0, 1):  # 1: a collector found a problem (the example's demo)
        raise SystemExit(f"collect --jobs {jobs} exited {done.returncode}: {done.stderr[-2000:]}")
    return elapsed, cpu


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="aima-jobs-bench-") as tmp:
        # the example reads ../policies, so the repository root is a copy of examples/
        top = Path(tmp) / "examples"
        top.mkdir()
        for name in ("credit-model", "policies"):
            shutil.copytree(EXAMPLE.parent / name, top / name)
        (top / ".git").mkdir()
        repo = top / "credit-model"
        out = Path(tmp) / "evidence"  # one folder: each run leaves run.json for the next
        warm, _ = run(repo, out, 2)
        print(f"warm-up (primes run.json durations): {warm:.2f}s, load {os.getloadavg()}")
        print(f"    {per_collector(out)}")
        one: list[float] = []
        two: list[float] = []
        bounds: list[float] = []
        for i in range(args.repeat):
            wall, cpu = run(repo, out, 1)
            one.append(wall)
            bounds.append(two_slot_bound(durations(out)))
            print(f"    --jobs 1: {per_collector(out)}")
            print(f"      {wall:.2f}s wall, {cpu:.2f}s CPU ({cpu / wall:.2f} cores busy)")
            wall, cpu = run(repo, out, 2)
            two.append(wall)
            print(f"    --jobs 2: {per_collector(out)}")
            print(f"      {wall:.2f}s wall, {cpu:.2f}s CPU ({cpu / wall:.2f} cores busy)")
            print(
                f"  run {i + 1}: --jobs 1 {one[-1]:.2f}s, --jobs 2 {two[-1]:.2f}s,"
                f" load {os.getloadavg()}"
            )
    m1, m2 = statistics.median(one), statistics.median(two)
    ratio = m1 / m2
    print(
        f"credit example, whole `aima-ci collect --no-cache`, medians of {args.repeat}"
        " interleaved runs"
    )
    print(f"  --jobs 1: median {m1:.2f}s (min {min(one):.2f}s)")
    print(f"  --jobs 2: median {m2:.2f}s (min {min(two):.2f}s)")
    print(
        f"  at most {statistics.median(bounds):.2f}x on two free cores (the --jobs 1 durations,"
        " best two-slot schedule)"
    )
    paired = statistics.median(a / b for a, b in zip(one, two, strict=True))
    print(
        f"  median of the {args.repeat} paired rounds' ratios: {paired:.2f}x (cancels a load"
        " that drifts during the benchmark; the verdict below is on the medians)"
    )
    print(f"  speed-up {ratio:.2f}x; target >= {TARGET}x; load average {os.getloadavg()}")
    print(f"{'PASS' if ratio >= TARGET else 'FAIL'}  --jobs 2 >= {TARGET}x --jobs 1")
    return 0 if ratio >= TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
