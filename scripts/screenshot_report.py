"""Regenerate docs/img/report.png: run the credit-model example into a scratch evidence directory,
render its HTML report, and photograph it with headless Chromium.

    python scripts/screenshot_report.py [--config examples/credit-model/aima.yaml] [--out docs/img/report.png]

Needs the example's extras (fairlearn, evidently) and Debian's ``chromium``. The example's gate
fails on purpose (planted bias), so exit 1 from ``aima-ci run`` is expected here.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", type=Path, default=ROOT / "examples/credit-model/aima.yaml")
    parser.add_argument("--out", type=Path, default=ROOT / "docs/img/report.png")
    parser.add_argument("--size", default="1280,2000", help="window size WIDTH,HEIGHT")
    args = parser.parse_args()
    chromium = next(
        (shutil.which(n) for n in ("chromium", "chromium-browser") if shutil.which(n)), None
    )
    if chromium is None:
        print("chromium is not installed (apt-get install chromium)", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="aima-shot-") as tmp:
        evidence = Path(tmp) / "evidence"
        run = subprocess.run(
            [
                sys.executable,
                "-m",
                "aima_ci",
                "-q",
                "run",
                "--config",
                str(args.config.resolve()),
                "--out",
                str(evidence),
                "--format",
                "html",
            ],
            cwd=args.config.resolve().parent,
            check=False,
        )
        if run.returncode not in (0, 1):
            print(f"aima-ci run failed with exit {run.returncode}", file=sys.stderr)
            return run.returncode
        args.out.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [
                chromium,
                *CHROMIUM_FLAGS,
                f"--user-data-dir={Path(tmp) / 'profile'}",
                f"--screenshot={args.out.resolve()}",
                f"--window-size={args.size}",
                (evidence / "report.html").as_uri(),
            ],
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            timeout=120,
        )
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
