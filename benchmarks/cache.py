"""Time a cold ``collect`` against a re-run with nothing changed (served from the cache).

Target: the warm re-run is at least 20x faster than the cold run.

Two workloads:
- ``example`` (default when fairlearn and evidently are installed): the real fairlearn and
  evidently collectors on a copy of examples/credit-model (group fairness on 2,000 predictions,
  drift over nine columns); the work a pull request would otherwise repeat.
- ``testwork``: the test plugin's fixed-work collector (SHA-256 over ``--rounds`` MiB), for
  machines without those tools.

Both measure the collect step in-process (``aima_ci.evidence.collect.collect``: planning, input hashing,
the collectors' worker processes or the cache restore, evidence and manifest writing) and, for
context, the whole ``aima-ci collect`` command (which adds the interpreter start-up to both).

``--whole-run`` adds what a user waits for on examples/credit-model: ``aima-ci run`` with every
collector of its config, cold (empty cache) once, then warm (nothing changed) three times. The
caches live outside the project's checkout, as the default one does (a cache inside the
checkout is ignored).

Usage: python benchmarks/cache.py [--workload example|testwork] [--repeat 5] [--rounds 3000]
                                  [--whole-run]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from aima_ci.config import load_config
from aima_ci.evidence.cache import CacheStore
from aima_ci.evidence.collect import collect

REPO = Path(__file__).resolve().parents[1]


def example_project(root: Path) -> tuple[Path, tuple[str, ...]]:
    for name in ("credit-model", "policies"):  # its config reads ../policies
        shutil.copytree(REPO / "examples" / name, root / "examples" / name)
    (root / ".git").mkdir()
    return root / "examples/credit-model", ("fairlearn", "evidently")


def testwork_project(root: Path, rounds: int) -> tuple[Path, tuple[str, ...]]:
    (root / ".git").mkdir()
    (root / "model.bin").write_bytes(b"weights" * 1000)
    config = {"collectors": {"testwork": {"rounds": rounds, "model": "model.bin"}}}
    (root / "aima.yaml").write_text(json.dumps(config))
    return root, ("testwork",)


def timed_collect(
    project: Path, out: Path, only: tuple[str, ...], cache: CacheStore
) -> tuple[float, list]:
    config = load_config(cwd=project)
    start = time.perf_counter()
    runs = collect(config, out, only=only, cache=cache)
    return time.perf_counter() - start, runs


def timed_cli(project: Path, out: Path, only: tuple[str, ...], env: dict[str, str]) -> float:
    args = [sys.executable, "-m", "aima_ci", "-q", "collect", "--out", str(out)]
    for name in only:
        args += ["--only", name]
    start = time.perf_counter()
    subprocess.run(args, cwd=project, env=env, check=True, capture_output=True)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    have_tools = all(importlib.util.find_spec(m) for m in ("fairlearn", "evidently"))
    parser.add_argument(
        "--workload",
        choices=["example", "testwork"],
        default="example" if have_tools else "testwork",
    )
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=3000, help="MiB hashed by testwork")
    parser.add_argument("--whole-run", action="store_true", help="also time 'aima-ci run'")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, tempfile.TemporaryDirectory() as caches:
        root = Path(tmp)
        outside = Path(caches)
        os.environ["XDG_CACHE_HOME"] = str(outside / "xdg")  # the seal key, outside the checkout
        if args.workload == "example":
            project, only = example_project(root)
        else:
            project, only = testwork_project(root, args.rounds)
        cold_times, warm_times = [], []
        for i in range(args.repeat):
            cache = CacheStore(outside / f"cache-{i}", project)
            cold, runs = timed_collect(project, root / f"cold-{i}", only, cache)
            assert all(r.status == "ok" for r in runs), [
                (r.name, r.status, r.message) for r in runs
            ]
            warm, runs = timed_collect(project, root / f"warm-{i}", only, cache)
            assert all(r.status == "reused" for r in runs), [(r.name, r.status) for r in runs]
            cold_times.append(cold)
            warm_times.append(warm)
        env = {**os.environ, "AIMA_CI_CACHE_DIR": str(outside / "cli-cache")}
        cli_cold = timed_cli(project, root / "cli-cold", only, env)
        cli_warm = statistics.median(
            timed_cli(project, root / f"cli-warm-{i}", only, env) for i in range(3)
        )
        whole = whole_run(project, outside / "run-cache") if args.whole_run else None
    cold_med, warm_med = statistics.median(cold_times), statistics.median(warm_times)
    print(f"workload: {args.workload} ({', '.join(only)}), {args.repeat} repetitions")
    print(f"{'':<28} {'min s':>8} {'median s':>9}")
    print(f"{'collect, cold':<28} {min(cold_times):>8.3f} {cold_med:>9.3f}")
    print(f"{'collect, warm (cache hit)':<28} {min(warm_times):>8.3f} {warm_med:>9.3f}")
    print(f"speed-up (median): {cold_med / warm_med:.1f}x; target >= 20x")
    print(
        f"whole command 'aima-ci collect': cold {cli_cold:.2f}s, warm {cli_warm:.2f}s"
        f" ({cli_cold / cli_warm:.1f}x, interpreter start-up included in both)"
    )
    if whole is not None:
        cold_run, warm_runs = whole
        warm_med = statistics.median(warm_runs)
        print(
            f"whole command 'aima-ci run' (every collector): cold {cold_run:.2f}s, warm"
            f" {', '.join(f'{t:.2f}' for t in warm_runs)}s (median {warm_med:.2f}s,"
            f" {cold_run / warm_med:.1f}x; target >= 10x)"
        )


def whole_run(project: Path, cache_dir: Path) -> tuple[float, list[float]]:
    """``aima-ci run`` with the config's every collector: cold once, then warm three times."""
    env = {
        k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"
    }  # users run compiled bytecode
    env["AIMA_CI_CACHE_DIR"] = str(cache_dir)

    def once() -> float:
        start = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-m", "aima_ci", "run"], cwd=project, env=env, capture_output=True
        )
        if done.returncode not in (0, 1):
            raise SystemExit(f"aima-ci run exited {done.returncode}: {done.stderr.decode()}")
        return time.perf_counter() - start

    cold = once()
    return cold, [once() for _ in range(3)]


if __name__ == "__main__":
    main()
