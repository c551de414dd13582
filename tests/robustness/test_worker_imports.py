"""A file in the checkout never stands in for a module the collector's worker imports.

The worker starts as ``python -m aima_ci.evidence._worker`` in the config's folder, and ``-m``
puts the working directory first on sys.path: a ``json.py`` (or ``pandas.py``, ``evidently.py``)
committed beside aima.yaml would be imported, and run, in place of the real module. The worker
runs with ``-P`` so the folder stays off sys.path. The planted module writes a marker file; the
marker appearing is proof of code execution.
"""

from __future__ import annotations

from pathlib import Path

from rb_support import make_repo

from aima_ci.config import load_config
from aima_ci.evidence.collect import collect
from aima_ci.evidence.directory import read_findings

CARD = """# Model card

## Intended use
Scoring loan applications for a credit officer to review.

## Limitations
Trained on one bank's 2019-2023 applications only.
"""


def test_a_module_planted_beside_the_config_is_not_imported_by_the_worker(tmp_path: Path) -> None:
    root = make_repo(tmp_path)
    marker = tmp_path / "planted-ran"
    for name in ("json", "pandas", "evidently"):
        (root / f"{name}.py").write_text(
            f"import pathlib\npathlib.Path({str(marker)!r}).write_text({name!r})\n"
            f"raise ImportError('planted {name}')\n"
        )
    (root / "MODEL_CARD.md").write_text(CARD)
    (root / "aima.yaml").write_text(
        "version: 1\ncollectors:\n  model_card:\n    path: MODEL_CARD.md\n"
    )
    collect(load_config(cwd=root), root / ".aima", jobs=1)
    assert not marker.exists(), f"the worker imported the checkout's {marker.read_text()}.py"
    findings = read_findings(root / ".aima")
    assert findings and all(f.collector == "model_card" for f in findings)
    assert not any("planted" in f.message for f in findings)


def test_python_m_aima_ci_does_not_import_the_checkouts_modules(tmp_path: Path) -> None:
    """``python -m aima_ci`` (as the docs allow beside the console script) in the checkout: a
    ``click.py``/``yaml.py`` committed there must not replace the library the CLI imports."""
    import os
    import subprocess
    import sys

    import aima_ci

    root = make_repo(tmp_path)
    marker = tmp_path / "planted-ran"
    for name in ("click", "yaml", "requests"):
        (root / f"{name}.py").write_text(
            f"import pathlib\npathlib.Path({str(marker)!r}).write_text({name!r})\n"
        )
    (root / "aima.yaml").write_text("version: 1\ntarget: {level: 1}\n")
    package_parent = str(Path(aima_ci.__file__).resolve().parents[1])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([package_parent, *sys.path[1:]])}
    done = subprocess.run(
        [sys.executable, "-m", "aima_ci", "--version"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert not marker.exists(), f"python -m aima_ci imported the checkout's {marker.read_text()}.py"
