"""Time redaction of a 4 MB artefact, as the runner does it after a collector (``Redactor.file``).

The artefact is an HTML page with the committed evidently report embedded as JSON, as evidently's
own HTML report embeds its data, grown to --size MiB; pass --html to time a real report instead
(``snapshot.save_html`` output). Two cases: a clean file (the usual one: read, nothing written)
and the same file with a planted bearer token and a variable's value near the middle (rewritten).
Target: a few tens of milliseconds (TARGET_MS) for the clean file, the median of --repeat runs.

Usage: python benchmarks/redact.py [--size 4] [--repeat 7] [--html PATH]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

from aima_ci.safety.redact import Redactor

REPO = Path(__file__).resolve().parents[1]
FIXTURE = REPO / "tests" / "fixtures" / "evidently" / "evidently-drift.json"
TARGET_MS = 50.0
SECRET = "s3cr3t-planted-value"


def page(size: int) -> str:
    data = FIXTURE.read_text()
    body = []
    n = 0
    while n < size:
        chunk = f'<div class="widget" data-id="{n}"><script>var d = {data};</script></div>\n'
        body.append(chunk)
        n += len(chunk)
    return "<!doctype html><html><body>\n" + "".join(body) + "</body></html>\n"


def timed(redactor: Redactor, path: Path, text: str) -> tuple[float, bool]:
    path.write_text(text)
    start = time.perf_counter()
    changed = redactor.file(path)
    return time.perf_counter() - start, changed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", type=float, default=4.0, help="MiB")
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--html", type=Path)
    args = parser.parse_args()
    text = args.html.read_text() if args.html else page(int(args.size * (1 << 20)))
    half = len(text) // 2
    planted = (
        f"{text[:half]} Authorization: Bearer abcdefghijklmnopqrstuvwxyz {SECRET} {text[half:]}"
    )
    redactor = Redactor(environ={"AIMA_DEMO_TOKEN": SECRET})
    load = os.getloadavg()
    runs: dict[str, list[float]] = {"clean": [], "planted": []}
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "report.html"
        for _ in range(args.repeat):  # interleaved
            elapsed, changed = timed(redactor, path, text)
            assert not changed
            runs["clean"].append(elapsed)
            elapsed, changed = timed(redactor, path, planted)
            assert changed and SECRET not in path.read_text()
            runs["planted"].append(elapsed)
    print(f"artefact: {len(text.encode()) / (1 << 20):.2f} MiB; load average {load[0]:.2f}")
    for key, values in runs.items():
        print(
            f"{key:<8} median {statistics.median(values) * 1000:7.1f} ms  min {min(values) * 1000:7.1f} ms"
        )
    median = statistics.median(runs["clean"]) * 1000
    verdict = "PASS" if median <= TARGET_MS else "FAIL"
    print(f"clean file: {median:.1f} ms; target <= {TARGET_MS:.0f} ms: {verdict}")
    raise SystemExit(0 if verdict == "PASS" else 1)


if __name__ == "__main__":
    main()
