"""How fast and how lean is the garak report import, next to garak's own analysis and `wc -l`?

    python benchmarks/garak_ingest.py [--size-mb 1024] [--keep] [--skip-garak]

Builds a realistic report.jsonl of about --size-mb in /tmp from the committed garak 0.17.1
fixture: its header (setup, init, plugin_cache, payload records), then attempt records replicated
from the fixture's real attempts with fresh uuids/seq and a 30% hit rate (both the status-1 and
the status-2 record of every prompt, as garak writes them), eval rows and probe summaries whose
counts match those attempts, a completion entry and the fixture's digest with the counts patched.
Then, one after the other, each in its own process with its peak RSS taken from wait4():

- `wc -l` (the floor: reading the bytes and counting newlines);
- aima-ci's reader (collectors/garak/report.py: read_report + worst_attempts; a file this size
  is read in two parts, the second by a forked child: CPU and RSS below include the child);
- the whole collector in report mode (reader + verdicts + findings + worst-prompts artefact);
- garak's own analysis of the same file: `python -m garak.analyze.report_digest -r FILE -o HTML`
  (what garak runs at the end of a scan to build the digest and the HTML report) and
  `python -m garak.analyze.analyze_log FILE`.

The file is read once before timing so every tool starts from a warm page cache; wc, the reader
and the collector run --repeat times (default 3) and the fastest run is reported (garak's tools
once: they take minutes). The file is deleted afterwards unless --keep.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = ROOT / "tests" / "fixtures" / "garak" / "garak-0.17.1-repeat.report.jsonl"
HIT_RATE = 0.3

READER = """
import sys
from pathlib import Path
from typing import Any
from aima_ci_collectors.garak.report import read_report, worst_attempts
r = read_report(Path(sys.argv[1]))
examples = list(worst_attempts(r))
import resource
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
print(len(r.evals), sum(r.attempts.values()), len(examples), len(r.problems), f"self-rss={rss}MiB")
"""

COLLECTOR = """
import sys, tempfile
from pathlib import Path
from typing import Any
from aima_ci.plugin import CollectorContext
from aima_ci_collectors.garak import GarakCollector
report = Path(sys.argv[1])
out = Path(tempfile.mkdtemp(prefix="garak-bench-evidence-"))
c = GarakCollector()
config = {"mode": "report", "report": str(report)}
ctx = CollectorContext(collector=c, config=config, root=report.parent, config_dir=report.parent,
                       artefact_dir=out / "artefacts" / "garak", evidence_dir=out)
findings = list(c.collect(ctx))
print(" ".join(f"{f.check}={f.status}" for f in findings))
"""


def build_report(path: Path, size_mb: int) -> dict[str, int]:
    """Write the synthetic report; returns the attempt count per probe."""
    lines = FIXTURE.read_bytes().splitlines(keepends=True)
    kinds = [json.loads(ln)["entry_type"] for ln in lines]
    header = [
        ln
        for ln, k in zip(lines, kinds, strict=True)
        if k not in ("attempt", "eval", "probe_summary", "completion", "digest")
    ]
    digest = json.loads(next(ln for ln, k in zip(lines, kinds, strict=True) if k == "digest"))
    attempts = [json.loads(ln) for ln, k in zip(lines, kinds, strict=True) if k == "attempt"]
    templates: dict[str, dict[int, dict[bool, bytes]]] = {}
    detectors: dict[str, list[str]] = {}
    for rec in attempts:
        probe = rec["probe_classname"]
        if rec["status"] == 2:
            detectors[probe] = sorted(rec["detector_results"])
        rec = json.loads(json.dumps(rec))
        for turn in rec["prompt"]["turns"]:
            turn["content"]["text"] += " @TXT@"  # varied per attempt, like real prompts
        for hit in (False, True):
            t = dict(rec, uuid="@UUID@", seq=-424242)
            if rec["status"] == 2:
                t["detector_results"] = {d: [1.0 if hit else 0.0] for d in rec["detector_results"]}
            templates.setdefault(probe, {}).setdefault(rec["status"], {})[hit] = (
                json.dumps(t, ensure_ascii=False).replace('"seq": -424242', '"seq": @SEQ@') + "\n"
            ).encode()
    probes = sorted(templates)
    pair_bytes = sum(len(templates[p][1][False]) + len(templates[p][2][False]) for p in probes)
    per_probe = max(1, (size_mb << 20) // pair_bytes)
    counts: dict[str, int] = {}
    fails: dict[str, int] = {}
    with open(path, "wb", buffering=1 << 22) as out:
        out.writelines(header)
        seq = 0
        for probe in probes:
            hits = 0
            for i in range(per_probe):
                hit = (i * 7919) % 1000 < HIT_RATE * 1000
                hits += hit
                u = str(uuid.uuid4()).encode()
                # garak writes UTF-8 as is (ensure_ascii=False): a third of prompts carry some
                variant = (f"#{i} «café» — ünïcödé 🚀" if i % 3 == 0 else f"#{i}").encode()
                for status in (1, 2):
                    t = templates[probe][status][hit]
                    out.write(
                        t.replace(b"@UUID@", u)
                        .replace(b"@SEQ@", str(seq).encode())
                        .replace(b"@TXT@", variant)
                    )
                seq += 1
            counts[probe], fails[probe] = per_probe, hits
            for det in detectors[probe]:
                row = {
                    "entry_type": "eval",
                    "probe": probe,
                    "detector": det,
                    "passed": per_probe - hits,
                    "fails": hits,
                    "nones": 0,
                    "total_evaluated": per_probe,
                    "total_processed": per_probe,
                }
                out.write((json.dumps(row) + "\n").encode())
            summary = {
                "entry_type": "probe_summary",
                "probe": probe,
                "inference_counts": {"total_evaluated": per_probe, "nones": 0},
                "detection_counts": {
                    "detectors": detectors[probe],
                    "passed": (per_probe - hits) * len(detectors[probe]),
                    "fails": hits * len(detectors[probe]),
                    "nones": 0,
                },
            }
            out.write((json.dumps(summary) + "\n").encode())
        run = json.loads(header[1]) if json.loads(header[1]).get("run") else {}
        out.write(
            (
                json.dumps(
                    {
                        "entry_type": "completion",
                        "end_time": "2026-11-26T03:00:00",
                        "run": run.get("run"),
                    }
                )
                + "\n"
            ).encode()
        )
        for group in digest["eval"].values():
            for probe, dets in group.items():
                if probe.startswith("_"):
                    continue
                for det, info in dets.items():
                    if not det.startswith("_"):
                        info["total_evaluated"] = counts[probe]
                        info["passed"] = counts[probe] - fails[probe]
        out.write((json.dumps(digest) + "\n").encode())
    return counts


def measure(
    cmd: list[str], env: dict[str, str] | None = None, cwd: str | None = None
) -> dict[str, object]:
    """Wall time and peak RSS (wait4: the child's own maximum resident set) of one command."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, cwd=cwd)
    out_chunks: list[bytes] = []
    err_chunks: list[bytes] = []
    import threading

    def drain(stream, into):  # type: ignore[no-untyped-def]
        for block in iter(lambda: stream.read(65536), b""):
            into.append(block)

    threads = [
        threading.Thread(target=drain, args=(proc.stdout, out_chunks)),
        threading.Thread(target=drain, args=(proc.stderr, err_chunks)),
    ]
    for t in threads:
        t.start()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    for t in threads:
        t.join()
    proc.returncode = os.waitstatus_to_exitcode(status)
    return {
        "wall": wall,
        "cpu": usage.ru_utime + usage.ru_stime,
        "rss_mb": usage.ru_maxrss / 1024,
        "rc": proc.returncode,
        "out": b"".join(out_chunks).decode("utf-8", "replace").strip()[-300:],
        "err": b"".join(err_chunks).decode("utf-8", "replace").strip()[-300:],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=int, default=1024)
    parser.add_argument("--keep", action="store_true", help="keep the generated report")
    parser.add_argument(
        "--skip-garak", action="store_true", help="skip garak's own (slow) analysis"
    )
    parser.add_argument(
        "--repeat", type=int, default=5, help="interleaved runs of the fast tools; medians reported"
    )
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="garak-ingest-bench-"))
    repo = work / "repo"  # the collector command runs on a repository configured for it
    (repo / ".git").mkdir(parents=True)
    report = repo / "bench.report.jsonl"
    (repo / "aima.yaml").write_text(
        json.dumps({"collectors": {"garak": {"mode": "report", "report": report.name}}})
    )
    try:
        t0 = time.perf_counter()
        counts = build_report(report, args.size_mb)
        size = report.stat().st_size
        print(
            f"built {report} ({size / 2**20:.0f} MiB, {sum(counts.values()) * 2} attempt lines) in {time.perf_counter() - t0:.1f}s"
        )
        with open(report, "rb") as fh:  # warm the page cache for everyone
            while fh.read(1 << 24):
                pass
        py = sys.executable
        env = {
            **os.environ,
            "HF_HUB_OFFLINE": "1",
            "XDG_DATA_HOME": str(work / "xdg-data"),
            "XDG_CACHE_HOME": str(work / "xdg-cache"),
            "XDG_CONFIG_HOME": str(work / "xdg-config"),
        }
        env.pop("GARAK_LOG_FILE", None)
        rows: list[tuple[str, dict[str, object]]] = []

        collect_cmd = [py, "-m", "aima_ci", "collect", "--no-cache", "--only", "garak"]
        commands: list[tuple[str, list[str], dict[str, Any]]] = [
            ("wc -l", ["wc", "-l", str(report)], {}),
            ("aima-ci reader (report.py)", [py, "-c", READER, str(report)], {}),
            (
                "aima-ci collect (garak, report mode)",
                [*collect_cmd, "--out", str(work / "evidence")],
                {"env": env, "cwd": str(repo)},
            ),
        ]
        runs: dict[str, list[dict[str, object]]] = {name: [] for name, _, _ in commands}
        for _ in range(args.repeat):  # interleaved: every tool meets the same machine load
            for name, cmd, kw in commands:
                runs[name].append(measure(cmd, **kw))
        for name, _, _ in commands:
            ordered = sorted(runs[name], key=lambda r: float(r["wall"]))  # type: ignore[arg-type]
            median = dict(ordered[len(ordered) // 2])
            median["rss_mb"] = max(float(r["rss_mb"]) for r in ordered)  # type: ignore[arg-type]
            rows.append((name, median))
        if not args.skip_garak:
            html = work / "digest.html"
            rows.append(
                (
                    "garak report_digest",
                    measure(
                        [
                            py,
                            "-m",
                            "garak.analyze.report_digest",
                            "-r",
                            str(report),
                            "-o",
                            str(html),
                        ],
                        env=env,
                        cwd=str(work),
                    ),
                )
            )
            rows.append(
                (
                    "garak analyze_log",
                    measure(
                        [py, "-m", "garak.analyze.analyze_log", str(report)], env=env, cwd=str(work)
                    ),
                )
            )
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)

    # Ratios use wall time: the figure a CI job waits for. CPU time is shown too because on a
    # shared machine wall time includes waiting for a core.
    wc = float(rows[0][1]["wall"])  # type: ignore[arg-type]
    ours = float(rows[2][1]["wall"])  # the whole collector command: what a user waits for
    mib = size / 2**20
    print()
    print(
        f"{'what':34} {'wall s':>8} {'cpu s':>7} {'MiB/s':>7} {'peak RSS MiB':>13}"
        f" {'wc -l speed':>12} {'slower than aima-ci':>20}  rc"
    )
    for name, r in rows:
        wall = float(r["wall"])  # type: ignore[arg-type]
        print(
            f"{name:34} {wall:8.2f} {float(r['cpu']):7.2f} {mib / wall:7.0f}"  # type: ignore[arg-type]
            f" {float(r['rss_mb']):13.1f} {wc / wall:11.2f}x {wall / ours:19.1f}x  {r['rc']}"  # type: ignore[arg-type]
        )
    for name, r in rows:
        if r["rc"] != 0:
            print(f"\n{name} failed: {r['err']}")
    print(f"\naima-ci reader output: {rows[1][1]['out']}")
    print(f"collector findings: {rows[2][1]['out']}")
    targets = {
        "peak RSS of the reader and of the collect command < 50 MiB per process": float(
            rows[1][1]["rss_mb"]  # type: ignore[arg-type]
        )
        < 50
        and float(rows[2][1]["rss_mb"]) < 50,  # type: ignore[arg-type]
        f"whole `aima-ci collect` >= 0.3x wc -l (measured {wc / ours:.2f}x)": wc / ours >= 0.3,
    }
    digest = next((r for n, r in rows if n == "garak report_digest"), None)
    if digest is not None:
        targets[">= 5x faster than garak report_digest"] = float(digest["wall"]) / ours >= 5  # type: ignore[arg-type]
    print(f"\nmedians of {args.repeat} interleaved runs; load average {os.getloadavg()}")
    for text, ok in targets.items():
        print(f"{'PASS' if ok else 'FAIL'}  {text}")
    return 0 if all(targets.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
