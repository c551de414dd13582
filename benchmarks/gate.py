"""Time what a user waits for on a 10,000-finding evidence directory, against ``python -c "import
click, yaml"`` in the same run: ``aima-ci score`` then ``aima-ci gate`` (target: within 1.5x of two
bare starts) and ``aima-ci gate`` alone (target: within 1.5x of one). Medians of interleaved runs;
the load average is printed, as a loaded machine inflates every figure.

The gate does its checks of issue 12 on every run (recheck.py): the seal over the manifest,
the SHA-256 of summary.json, run.json and findings.jsonl against it, and the scoring inputs
(config and attestation digests, date, time-to-live, subject digests) against today's.

Evidence: the credit example's real findings replicated (build_evidence).

Usage: python benchmarks/gate.py [--findings 10000] [--repeat 7]
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from aima_ci.evidence.directory import write_findings, write_manifest
from aima_ci.evidence.seal import seal
from aima_ci.models import Finding

FIXTURE = Path(__file__).with_name("fixtures") / "credit-findings.jsonl"


def build_evidence(root: Path, n: int) -> None:
    """The credit example's real findings (fairlearn, evidently, provenance, policy, model card,
    threat model; benchmarks/fixtures/credit-findings.jsonl) replicated to ``n``: each copy gets
    its own subject (name and digest) and message, and today's timestamps, so freshness keeps
    them. Written as collect writes them (findings.jsonl and its index, evidence/index.py).
    Subject paths are dropped: the example's files are not in the benchmark's repository,
    and a subject whose file is missing would be judged stale and score nothing."""
    import datetime as dt
    import hashlib

    real = [json.loads(line) for line in FIXTURE.read_text().splitlines() if line.strip()]
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    (root / ".git").mkdir()
    (root / "aima.yaml").write_text("version: 1\ntarget: {level: 1}\n")
    out = root / ".aima"
    out.mkdir()
    findings = []
    for i in range(n):
        finding = json.loads(json.dumps(real[i % len(real)]))
        copy = i // len(real)
        finding["started_at"] = finding["finished_at"] = now
        if copy:
            finding["message"] = f"{finding.get('message', '')} (copy {copy})"
        subjects = []
        for subject in finding.get("subjects") or []:
            subject.pop("path", None)
            subject["name"] = f"{subject['name']}#{copy % 50}"
            seed = f"{subject.get('digest')}{copy % 50}".encode()
            subject["digest"] = "sha256:" + hashlib.sha256(seed).hexdigest()
            subjects.append(subject)
        finding["subjects"] = subjects
        finding["subject"] = subjects[0] if subjects else None
        findings.append(Finding.from_dict(finding))
    # As collect writes them: findings.jsonl and the findings index beside it.
    write_findings(out, findings)
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
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    load = os.getloadavg()
    with tempfile.TemporaryDirectory() as tmp, tempfile.TemporaryDirectory() as home:
        os.environ["XDG_CACHE_HOME"] = home  # the seal key, for this process and the commands
        ENV["XDG_CACHE_HOME"] = home
        root = Path(tmp)
        build_evidence(root, args.findings)
        exe = Path(sys.executable).with_name("aima-ci")
        cli = [str(exe)] if exe.exists() else [sys.executable, "-m", "aima_ci"]
        score, gate = [*cli, "score"], [*cli, "gate"]
        base = [sys.executable, "-c", "import click, yaml"]
        import aima_ci

        compileall.compile_dir(Path(aima_ci.__file__).parent, quiet=1)
        # Warm the OS caches; the first start also fills the dataclass-method cache beside the
        # bytecode (aima_ci/cli/codecache.py), as the first start after an install does.
        for cmd in (score, gate, base):
            timed(cmd, root)
        runs: dict[str, list[float]] = {"score+gate": [], "gate": [], "baseline": []}
        for _ in range(args.repeat):  # interleaved, so load changes hit all alike
            runs["score+gate"].append(timed(score, root, expect=0) + timed(gate, root, expect=1))
            runs["gate"].append(timed(gate, root, expect=1))
            runs["baseline"].append(timed(base, root))
    print(f"evidence: {args.findings} findings; {args.repeat} interleaved rounds")
    print(f"load average at start: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    print(f"{'command':<38} {'min s':>8} {'median s':>9}")
    labels = {
        "score+gate": "aima-ci score; aima-ci gate",
        "gate": "aima-ci gate",
        "baseline": 'python -c "import click, yaml"',
    }
    for key, label in labels.items():
        print(f"{label:<38} {min(runs[key]):>8.3f} {statistics.median(runs[key]):>9.3f}")
    base_med = statistics.median(runs["baseline"])
    verdicts = []
    for key, starts in (("score+gate", 2), ("gate", 1)):
        ratio = statistics.median(runs[key]) / (starts * base_med)
        ok = ratio <= 1.5
        verdicts.append(ok)
        print(
            f"{labels[key]}: {ratio:.2f}x {starts} bare start(s) (median); "
            f"target <= 1.5: {'PASS' if ok else 'FAIL'}"
        )
    raise SystemExit(0 if all(verdicts) else 1)


if __name__ == "__main__":
    main()
