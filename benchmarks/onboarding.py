"""Time what a new user waits for on the credit-scorer fixture (tests/fixtures/onboard).

- ``init``: ``aima-ci init --profile auto`` (inspection, every collector's starter, writing).
- ``first run``: ``aima-ci run`` on the config init wrote, with no edits (real aif360,
  evidently, provenance, privacy and supply_chain).
- ``broken attestations``: the same run after an entry was uncommented the old wrong way
  (``attestations: []`` followed by an item). The issue measured 108 s before this error
  appeared; it must now be exit 2 before any collector runs. Side by side with the reference:
  the same command on the code of another checkout (``--reference-path``, e.g. /work/main,
  whose aima_ci is put first on PYTHONPATH), which reports it only after every collector ran.

Medians of interleaved runs of whole commands (interpreter start-up included).

Usage: python benchmarks/onboarding.py [--repeat 3] [--reference-path DIR]
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

REPO = Path(__file__).resolve().parents[1]
FIXTURE = REPO / "tests" / "fixtures" / "onboard" / "credit-scorer"
BROKEN = "attestations: []\n- question: VER-ST-A1\n  answer: yes\n"


def timed(args: list[str], cwd: Path, pythonpath: str | None) -> tuple[float, int]:
    env = {**os.environ, "NO_COLOR": "1", "AIMA_CI_TODAY": "2026-12-01"}
    if pythonpath is not None:
        env["PYTHONPATH"] = pythonpath
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "aima_ci", *args], cwd=cwd, env=env, capture_output=True, check=False
    )
    return time.perf_counter() - start, proc.returncode


def fresh(tmp: Path, name: str) -> Path:
    root = tmp / name
    if root.exists():
        shutil.rmtree(root)
    shutil.copytree(FIXTURE, root)
    (root / ".git").mkdir()
    return root


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--reference-path", type=Path, help="a checkout to compare the broken case with"
    )
    args = parser.parse_args()
    ours = os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH", "")]))
    reference = None
    links = Path(tempfile.mkdtemp(prefix="aima-reference-"))
    if args.reference_path:
        # The reference's own core and collectors (installed as aima_ci_collectors), not ours.
        (links / "aima_ci_collectors").symlink_to(args.reference_path.resolve() / "collectors")
        reference = os.pathsep.join([str(args.reference_path.resolve()), str(links)])
    times: dict[str, list[float]] = {}
    codes: dict[str, set[int]] = {}

    def record(label: str, result: tuple[float, int]) -> None:
        times.setdefault(label, []).append(result[0])
        codes.setdefault(label, set()).add(result[1])

    with tempfile.TemporaryDirectory(prefix="aima-onboarding-") as tmp_name:
        tmp = Path(tmp_name)
        for _ in range(args.repeat):
            root = fresh(tmp, "repo")
            record("init --profile auto", timed(["init", "--profile", "auto"], root, ours))
            record("first run (no edits)", timed(["run", "--no-cache"], root, ours))
            (root / "aima-attestations.yaml").write_text(BROKEN)
            shutil.rmtree(root / ".aima", ignore_errors=True)
            record("broken attestations: this checkout", timed(["run", "--no-cache"], root, ours))
            if reference is not None:
                text = (root / "aima.yaml").read_text()  # the reference knows no `profile` key
                (root / "aima.yaml").write_text(
                    "\n".join(ln for ln in text.splitlines() if not ln.startswith("profile:"))
                )
                shutil.rmtree(root / ".aima", ignore_errors=True)
                record(
                    "broken attestations: reference", timed(["run", "--no-cache"], root, reference)
                )
    shutil.rmtree(links, ignore_errors=True)
    for label, values in times.items():
        print(
            f"{label:<38} median {statistics.median(values):7.2f} s"
            f"  (n={len(values)}, exit codes {sorted(codes[label])})"
        )


if __name__ == "__main__":
    main()
