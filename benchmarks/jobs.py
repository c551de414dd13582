"""Time ``collect --jobs 1`` against ``--jobs 2`` on four independent collectors.

Target: ``--jobs 2`` at least 1.6x faster than ``--jobs 1``.

The collectors are the test plugin's testwork..testwork4, each in its own worker process doing
fixed work: ``cpu`` hashes ``--rounds`` MiB with SHA-256 (CPU-bound, so two cores are the
ceiling: 2.0x at best, less when other processes share the machine), ``sleep`` waits
``--seconds`` (I/O-like waiting, such as a tool calling a model endpoint). The cache is off and
the runs are interleaved, so both settings meet the same machine load.

Usage: python benchmarks/jobs.py [--mode cpu|sleep|both] [--rounds 2500] [--seconds 2] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

from aima_ci.config import load_config
from aima_ci.evidence.collect import collect

NAMES = ("testwork", "testwork2", "testwork3", "testwork4")


def project(root: Path, settings: dict) -> Path:
    root.mkdir(parents=True)
    (root / ".git").mkdir()
    (root / "aima.yaml").write_text(json.dumps({"collectors": dict.fromkeys(NAMES, settings)}))
    return root


def timed(root: Path, out: str, jobs: int) -> float:
    config = load_config(cwd=root)
    start = time.perf_counter()
    runs = collect(config, root / out, jobs=jobs, cache=None)
    elapsed = time.perf_counter() - start
    assert [r.status for r in runs] == ["ok"] * len(NAMES), [(r.name, r.message) for r in runs]
    return elapsed


def measure(root: Path, repeat: int) -> tuple[list[float], list[float]]:
    one, two = [], []
    for i in range(repeat):
        one.append(timed(root, f"j1-{i}", 1))
        two.append(timed(root, f"j2-{i}", 2))
    return one, two


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mode", choices=["cpu", "sleep", "both"], default="both")
    parser.add_argument("--rounds", type=int, default=2500, help="MiB hashed per collector")
    parser.add_argument("--seconds", type=float, default=2.0, help="sleep per collector")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    modes = ["cpu", "sleep"] if args.mode == "both" else [args.mode]
    with tempfile.TemporaryDirectory() as tmp:
        for mode in modes:
            settings = {"rounds": args.rounds} if mode == "cpu" else {"sleep": args.seconds}
            one, two = measure(project(Path(tmp) / mode, settings), args.repeat)
            m1, m2 = statistics.median(one), statistics.median(two)
            print(f"{mode}: four collectors, {args.repeat} interleaved repetitions")
            print(f"  --jobs 1: min {min(one):.2f}s median {m1:.2f}s")
            print(f"  --jobs 2: min {min(two):.2f}s median {m2:.2f}s")
            print(f"  speed-up (median): {m1 / m2:.2f}x; target >= 1.6x")


if __name__ == "__main__":
    main()
