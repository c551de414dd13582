"""Overhead of aima-ci's collectors vs a bare script making the same library calls.

Each entry of ``BENCHES`` runs twice per round, interleaved so that machine load hits both alike:
- the collector through the real runner: ``aima_ci.evidence.runner.Runner`` spawns ``aima_ci.evidence._worker`` in a
  subprocess, exactly as ``aima-ci collect`` does (no cache, no reuse);
- a bare script in a subprocess (``python benchmarks/collectors.py --bare NAME``) that reads the
  same files and makes the same tool calls, with none of aima-ci's validation or evidence.
Both are timed as wall seconds and as CPU seconds (user + system) of the whole subprocess,
interpreter start and imports included; the best of N rounds is kept. CPU time is the steadier
figure on a loaded machine. Target: collector / bare <= 1.10 (wall).

Usage: ``python benchmarks/collectors.py [-n ROUNDS] [--only NAME ...]``.

To add a collector, append a ``Bench`` to ``BENCHES``: a row name, the entry-point name, its config
(paths relative to ``config_dir``, the example project by default) and a bare function taking the
config dir. Import the tool inside the bare function, never at module level.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
TARGET = 1.10  # collector wall time / bare wall time
EXAMPLE = REPO / "examples" / "credit-model"
CREDIT_COLUMNS = [
    "income",
    "age",
    "employment_years",
    "debt_ratio",
    "credit_history_months",
    "loan_amount",
    "num_credit_lines",
    "sex",
    "age_band",
]


@dataclass(frozen=True)
class Bench:
    name: str  # row label, also the --bare / --only name
    collector: str  # entry-point name of the collector
    config: Mapping[str, Any]  # the collector's config section
    bare: Callable[[Path], None]  # the same library calls, given the config dir
    config_dir: Path = field(default=EXAMPLE)


# --- bare scripts: the tool calls each collector makes, and nothing else -------------------


def bare_fairlearn(config_dir: Path) -> None:
    import pandas as pd
    from fairlearn.metrics import (
        MetricFrame,
        count,
        false_negative_rate,
        false_positive_rate,
        selection_rate,
        true_positive_rate,
    )
    from sklearn.metrics import accuracy_score

    frame = pd.read_csv(config_dir / "data" / "predictions.csv")
    y, y_pred = frame["approved"].to_numpy(), frame["predicted"].to_numpy()
    for feature in ("sex", "age_band"):
        mf = MetricFrame(
            metrics={
                "count": count,
                "selection_rate": selection_rate,
                "accuracy": accuracy_score,
                "true_positive_rate": true_positive_rate,
                "false_positive_rate": false_positive_rate,
                "false_negative_rate": false_negative_rate,
            },
            y_true=y,
            y_pred=y_pred,
            sensitive_features=frame[feature].astype(str),
        )
        _ = mf.by_group, mf.overall
        _ = mf.difference(method="between_groups"), mf.ratio(method="between_groups")


def bare_evidently(config_dir: Path) -> None:
    os.environ.setdefault("DO_NOT_TRACK", "1")
    import pandas as pd
    from evidently import DataDefinition, Dataset, Report
    from evidently.metrics import MissingValueCount
    from evidently.presets import DataDriftPreset

    reference = pd.read_csv(config_dir / "data" / "train.csv")[CREDIT_COLUMNS]
    current = pd.read_csv(config_dir / "data" / "current.csv")[CREDIT_COLUMNS]
    categorical = ["sex", "age_band"]
    numerical = [c for c in CREDIT_COLUMNS if c not in categorical]
    definition = DataDefinition(numerical_columns=numerical, categorical_columns=categorical)
    report = Report(
        [
            DataDriftPreset(columns=numerical + categorical, drift_share=0.3),
            *(MissingValueCount(column=c) for c in numerical + categorical),
        ],
        include_tests=True,
    )
    snapshot = report.run(
        current_data=Dataset.from_pandas(current, data_definition=definition),
        reference_data=Dataset.from_pandas(reference, data_definition=definition),
    )
    with tempfile.TemporaryDirectory() as tmp:
        Path(tmp, "drift.json").write_text(snapshot.json(), encoding="utf-8")
        snapshot.save_html(str(Path(tmp, "drift.html")))


def bare_art(config_dir: Path) -> None:
    import json

    import numpy as np
    import pandas as pd
    import skops.io as sio

    with tempfile.TemporaryDirectory() as home:
        os.environ["HOME"] = home  # ART writes ~/.art at import; the collector redirects it too
        from art.attacks.evasion import FastGradientMethod, ProjectedGradientDescent
        from art.estimators.classification.scikitlearn import SklearnClassifier

    path = config_dir / "model" / "credit_model.skops"
    model = sio.load(path, trusted=sio.get_untrusted_types(file=path) or None)
    frame = pd.read_csv(config_dir / "data" / "holdout.csv")
    rows = np.sort(np.random.default_rng(0).choice(len(frame), size=500, replace=False))
    labels = frame["approved"].to_numpy()[rows]
    z = model[:-1].transform(frame[list(model.feature_names_in_)])
    clf = SklearnClassifier(model=model[-1], clip_values=(z.min(axis=0), z.max(axis=0)))
    x, onehot, std = z[rows].astype(np.float32), np.eye(2, dtype=np.float32)[labels], z.std(axis=0)
    eps = (0.1 * std).astype(np.float32)
    report = {"clean": float((clf.predict(x).argmax(axis=1) == labels).mean())}
    attacks = {
        "fgm": FastGradientMethod(clf, norm=np.inf, eps=eps, eps_step=eps),
        "pgd": ProjectedGradientDescent(
            clf,
            norm=np.inf,
            eps=eps,
            eps_step=(0.01 * std).astype(np.float32),
            max_iter=20,
            verbose=False,
        ),
    }
    for name, attack in attacks.items():
        adv = attack.generate(x=x, y=onehot)
        report[name] = float((clf.predict(adv).argmax(axis=1) == labels).mean())
    with tempfile.TemporaryDirectory() as tmp:
        Path(tmp, "report.json").write_text(json.dumps(report), encoding="utf-8")


def bare_shap(config_dir: Path) -> None:
    import numba

    numba.config.DISABLE_JIT = True  # as the collector does: compiling costs more than it saves
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np
    import pandas as pd
    import shap
    import skops.io as sio

    path = config_dir / "model" / "credit_model.skops"
    model = sio.load(path, trusted=sio.get_untrusted_types(file=path) or None)
    features = list(model.feature_names_in_)
    frame = pd.read_csv(config_dir / "data" / "holdout.csv")[features]
    sample = frame.sample(200, random_state=0).to_numpy(dtype=np.float64)
    background = frame.sample(50, random_state=1).to_numpy(dtype=np.float64)

    def predict(x: np.ndarray) -> np.ndarray:
        return model.predict_proba(pd.DataFrame(x, columns=features))

    explainer = shap.Explainer(
        predict, shap.maskers.Independent(background, max_samples=50), algorithm="exact"
    )
    values = explainer(sample, silent=True).values
    importance = np.abs(values).mean(axis=(0, 2))
    shap.summary_plot(values[:, :, 1], features=sample, feature_names=features, show=False)
    with tempfile.TemporaryDirectory() as tmp:
        plt.savefig(Path(tmp, "summary.png"), dpi=100, bbox_inches="tight")
        pd.DataFrame({"feature": features, "mean_abs_shap": importance}).to_csv(
            Path(tmp, "importance.csv"), index=False
        )


BENCHES: list[Bench] = [
    Bench(
        "fairlearn",
        "fairlearn",
        {
            "data": "data/predictions.csv",
            "label": "approved",
            "prediction": "predicted",
            "sensitive_features": ["sex", "age_band"],
        },
        bare_fairlearn,
    ),
    Bench(
        "evidently",
        "evidently",
        {
            "reference": "data/train.csv",
            "current": "data/current.csv",
            "columns": CREDIT_COLUMNS,
        },
        bare_evidently,
    ),
    Bench(
        "art",
        "art",
        {
            "model": "model/credit_model.skops",
            "data": "data/holdout.csv",
            "label": "approved",
            "attacks": [
                {"name": "FastGradientMethod", "eps": 0.1},
                {"name": "ProjectedGradientDescent", "eps": 0.1, "eps_step": 0.01, "max_iter": 20},
            ],
            "sample_size": 500,
        },
        bare_art,
    ),
    Bench(
        "shap",
        "shap",
        {
            "model": "model/credit_model.skops",
            "data": "data/holdout.csv",
            "sample_size": 200,
            "background_size": 50,
        },
        bare_shap,
    ),
]


# --- measurement ---------------------------------------------------------------------------


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


@dataclass(frozen=True)
class Timing:
    wall: float
    cpu: float  # user + system seconds of the subprocess (robust to other load on the machine)


def time_collector(bench: Bench) -> tuple[Timing, str]:
    """One collector run through the real runner and worker subprocess."""
    from aima_ci.evidence.runner import Job, Runner
    from aima_ci.plugin import load_collector
    from aima_ci.safety.paths import find_repo_root

    cls = load_collector(bench.collector)
    with tempfile.TemporaryDirectory() as tmp:
        runner = Runner(
            root=find_repo_root(bench.config_dir),
            config_dir=bench.config_dir,
            evidence_dir=Path(tmp),
            jobs=1,
        )
        cpu, start = _children_cpu(), time.perf_counter()
        (run,) = runner.run([Job(cls, dict(bench.config), cls.default_timeout)])
        timing = Timing(time.perf_counter() - start, _children_cpu() - cpu)
    if run.status != "ok":
        raise RuntimeError(f"{bench.name}: collector run {run.status}: {run.message}")
    return timing, run.message


def time_bare(bench: Bench) -> Timing:
    env = {**os.environ, "DO_NOT_TRACK": "1", "PYTHONUNBUFFERED": "1"}
    cpu, start = _children_cpu(), time.perf_counter()
    subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--bare", bench.name],
        check=True,
        env=env,
        cwd=bench.config_dir,
        stdout=subprocess.DEVNULL,
    )
    return Timing(time.perf_counter() - start, _children_cpu() - cpu)


@dataclass(frozen=True)
class Row:
    name: str
    collector: Timing  # best of the rounds (wall and CPU minimised separately)
    bare: Timing
    note: str

    @property
    def wall_ratio(self) -> float:
        return self.collector.wall / self.bare.wall

    @property
    def cpu_ratio(self) -> float:
        return self.collector.cpu / self.bare.cpu


def _best(timings: Sequence[Timing]) -> Timing:
    return Timing(min(t.wall for t in timings), min(t.cpu for t in timings))


def measure(benches: Sequence[Bench], rounds: int) -> list[Row]:
    rows = []
    for bench in benches:
        collector_times: list[Timing] = []
        bare_times: list[Timing] = []
        note = ""
        for _ in range(rounds):
            timing, note = time_collector(bench)
            collector_times.append(timing)
            bare_times.append(time_bare(bench))
        rows.append(Row(bench.name, _best(collector_times), _best(bare_times), note))
    return rows


def table(rows: Sequence[Row], rounds: int) -> str:
    load = os.getloadavg()[0]
    lines = [
        f"best of {rounds} rounds; collector via runner+worker vs bare subprocess;"
        f" load average at the end {load:.1f} on {os.cpu_count()} CPUs",
        "",
        "| collector | collector wall s | bare wall s | wall ratio | collector CPU s | bare CPU s"
        " | CPU ratio | verdict | collector result |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |",
    ]
    for r in rows:
        verdict = "ok" if r.wall_ratio <= TARGET else f"OVER {TARGET:.2f}"
        lines.append(
            f"| {r.name} | {r.collector.wall:.2f} | {r.bare.wall:.2f} | {r.wall_ratio:.2f}"
            f" | {r.collector.cpu:.2f} | {r.bare.cpu:.2f} | {r.cpu_ratio:.2f} | {verdict}"
            f" | {r.note} |"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", "--rounds", type=int, default=3)
    parser.add_argument("--only", action="append", default=[])
    parser.add_argument("--bare", help=argparse.SUPPRESS)
    # The bare script ending as aima-ci's worker does (_worker.exit_without_teardown): a
    # like-for-like reference for benchmarks/evidently_collect.py, never the verdict's.
    parser.add_argument("--fast-exit", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    by_name = {b.name: b for b in BENCHES}
    if args.bare:
        bench = by_name[args.bare]
        bench.bare(bench.config_dir)
        if args.fast_exit:
            import atexit

            atexit._run_exitfuncs()
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(0)
        return 0
    unknown = [n for n in args.only if n not in by_name]
    if unknown:
        parser.error(f"unknown bench {unknown[0]!r} (known: {', '.join(by_name)})")
    chosen = [b for b in BENCHES if not args.only or b.name in args.only]
    rows = measure(chosen, max(1, args.rounds))
    print(table(rows, max(1, args.rounds)))
    return 0 if all(r.wall_ratio <= TARGET for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
