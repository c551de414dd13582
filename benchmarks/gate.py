"""Time ``aima-ci gate`` on a 10,000-finding evidence directory against ``python -c "import click,
yaml"`` in the same run. Target: ratio <= 1.5 (the gate costs little more than starting Python
with its two core dependencies).

The gate does its checks of issue 12 on every run (recheck.py): the seal over the manifest,
the SHA-256 of summary.json, run.json and findings.jsonl against it, and the scoring inputs
(config and attestation digests, date, time-to-live, subject digests) against today's.

Usage: python benchmarks/gate.py [--findings 10000] [--repeat 15]
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from aima_ci.evidence.directory.seal import seal

from aima_ci.assess.catalogue import load_catalogue
from aima_ci.evidence.directory import write_manifest


def build_evidence(root: Path, n: int) -> None:
    rng = random.Random(42)
    questions = sorted(load_catalogue().questions)
    statuses = ["pass"] * 8 + ["fail", "warn", "error", "not_run"]
    (root / ".git").mkdir()
    (root / "aima.yaml").write_text("version: 1\ntarget: {level: 1}\n")
    out = root / ".aima"
    out.mkdir()
    with open(out / "findings.jsonl", "w") as fh:
        for i in range(n):
            check = f"bench{i % 50}.check{i % 400}"
            finding = {
                "check": check,
                "collector": f"bench{i % 50}",
                "status": rng.choice(statuses),
                "value": rng.random(),
                "threshold": 0.8,
                "message": f"measured {rng.random():.3f} against 0.8 for subject {i}",
                "questions": rng.sample(questions, 2),
                # A realistic spread: each collector assesses one model or dataset (a garak
                # scan writes thousands of findings about one endpoint).
                "subject": {
                    "kind": "dataset",
                    "name": f"d{i % 50}.csv",
                    "digest": "sha256:" + f"{i % 50:064x}",
                },
                "artefacts": [f"artefacts/bench{i % 50}/report-{i}.json"],
            }
            fh.write(json.dumps(finding) + "\n")
    (out / "run.json").write_text(json.dumps({"collectors": []}))
    # What collect leaves behind: a manifest sealed with this machine's key (seal.py), which
    # score carries over and the gate requires.
    write_manifest(out)
    seal(out, root)
    subprocess.run(
        [sys.executable, "-m", "aima_ci", "score"], cwd=root, check=True, capture_output=True
    )


# Installed packages carry compiled bytecode (pip compiles wheels at install time); an editable
# checkout gets it on first import, unless PYTHONDONTWRITEBYTECODE forbids writing it. Time what
# users run: compiled once, then started many times.
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def timed(cmd: list[str], cwd: Path, expect: int | None = None) -> float:
    start = time.perf_counter()
    done = subprocess.run(cmd, cwd=cwd, capture_output=True, check=False, env=ENV)
    elapsed = time.perf_counter() - start
    if expect is not None and done.returncode != expect:  # a refusal (exit 2) is not a gate
        raise SystemExit(f"{' '.join(cmd)} exited {done.returncode}: {done.stderr.decode()}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--findings", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, tempfile.TemporaryDirectory() as home:
        os.environ["XDG_CACHE_HOME"] = home  # the seal key, for this process and the commands
        ENV["XDG_CACHE_HOME"] = home
        root = Path(tmp)
        build_evidence(root, args.findings)
        gate = [sys.executable, "-m", "aima_ci", "gate"]
        base = [sys.executable, "-c", "import click, yaml"]
        exe = Path(sys.executable).with_name("aima-ci")
        script = [str(exe), "gate"] if exe.exists() else gate
        import aima_ci

        compileall.compile_dir(Path(aima_ci.__file__).parent, quiet=1)
        for cmd in (gate, base, script):  # warm the OS caches
            timed(cmd, root)
        runs: dict[str, list[float]] = {"gate": [], "script": [], "baseline": []}
        for _ in range(args.repeat):  # interleaved, so load changes hit both alike
            runs["gate"].append(timed(gate, root, expect=1))
            runs["script"].append(timed(script, root, expect=1))
            runs["baseline"].append(timed(base, root))
    size = args.findings
    print(f"evidence: {size} findings")
    print(f"{'command':<38} {'min s':>8} {'median s':>9}")
    labels = {
        "gate": "python -m aima_ci gate",
        "script": "aima-ci gate (console script)",
        "baseline": 'python -c "import click, yaml"',
    }
    for key, label in labels.items():
        print(f"{label:<38} {min(runs[key]):>8.3f} {statistics.median(runs[key]):>9.3f}")
    ratio = min(runs["gate"]) / min(runs["baseline"])
    ratio_med = statistics.median(runs["gate"]) / statistics.median(runs["baseline"])
    print(f"ratio gate/baseline: {ratio:.2f} (min), {ratio_med:.2f} (median); target <= 1.5")


if __name__ == "__main__":
    main()
