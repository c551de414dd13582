"""Collector.preload: the tool is imported before the read recorder starts, and the blind-cache
guarantee (docs/guarantees.md, issue 12 class 2) still holds for anything the repository supplies.

The worker is run for real (``python -P -m aima_ci.evidence._worker``) with a collector class
named by its import path, as the runner does; the planted "tool" lives outside the repository on
PYTHONPATH, a planted dependency inside it. The read log the worker reports is what the cache
compares (``ReadLog.first_difference``) before it replays a result.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from aima_ci.evidence.readlog import ReadLog
from aima_ci.plugin import Collector

COLLECTOR = """
import json, os, sys
from aima_ci.plugin import Collector

class Probe(Collector):
    name = "preload_probe"
    requires = ("planted_tool", "repo_tool", "no_such_tool_e18")
    preload = tuple(os.environ["PROBE_PRELOAD"].split(",")) if os.environ["PROBE_PRELOAD"] else ()

    def collect(self, ctx):
        import planted_tool
        out = {
            "recorder_on_at_import": planted_tool.RECORDER_ON,
            "preloaded_in_repo": "repo_tool" in sys.modules,
        }
        if os.environ.get("PROBE_IMPORT_REPO_TOOL"):
            import repo_tool  # noqa: F401
        with open(os.environ["PROBE_OUT"], "w") as fh:
            json.dump(out, fh)
        return iter(())
"""

TOOL = """import os
# The recorder wraps os.stat when it starts: seeing the wrapper means it was already on.
RECORDER_ON = hasattr(os.stat, "__wrapped__")
{extra}
"""


def _run_worker(
    tmp_path: Path, root: Path, preload: str, *, extra: str = "", env: dict[str, str] | None = None
) -> tuple[dict[str, Any], dict[str, Any] | None]:
    site = tmp_path / "site"
    site.mkdir(exist_ok=True)
    (site / "probe_collector.py").write_text(COLLECTOR)
    (site / "planted_tool.py").write_text(TOOL.format(extra=extra))
    out = tmp_path / "probe.json"
    out.unlink(missing_ok=True)
    evidence = tmp_path / "evidence"
    (evidence / "artefacts").mkdir(parents=True, exist_ok=True)
    request = {
        "collector": "preload_probe",
        "class": "probe_collector:Probe",
        "config": {},
        "root": str(root),
        "config_dir": str(root),
        "artefact_dir": str(evidence / "artefacts"),
        "evidence_dir": str(evidence),
        "timeout": 60,
    }
    paths = [str(site), str(root / "lib"), os.environ.get("PYTHONPATH", "")]
    full_env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(p for p in paths if p),
        "PROBE_PRELOAD": preload,
        "PROBE_OUT": str(out),
        **(env or {}),
    }
    proc = subprocess.run(
        [sys.executable, "-P", "-m", "aima_ci.evidence._worker"],
        input=json.dumps(request),
        capture_output=True,
        text=True,
        env=full_env,
        cwd=root,
        timeout=120,
        check=False,
    )
    events = [json.loads(line) for line in proc.stdout.splitlines() if line.strip()]
    by_kind = {e["event"]: e for e in events}
    result = json.loads(out.read_text()) if out.is_file() else {}
    assert proc.returncode == 0 or "crash" in by_kind, proc.stderr
    return {"events": by_kind, **result}, by_kind.get("reads", {}).get("log")


@pytest.fixture
def root(repo: Path) -> Path:
    (repo / "lib").mkdir()
    return repo


def test_a_preloaded_tool_is_imported_before_the_recorder_starts(tmp_path: Path, root: Path):
    early, _ = _run_worker(tmp_path, root, "planted_tool")
    assert "done" in early["events"]
    assert early["recorder_on_at_import"] is False
    late, _ = _run_worker(tmp_path, root, "")  # no preload: imported in collect, recorder on
    assert late["recorder_on_at_import"] is True


def test_a_repository_module_a_preload_pulled_in_is_still_in_the_cache_key(
    tmp_path: Path, root: Path
):
    # The tool (outside the repository) imports a dependency that a folder of the checkout on
    # PYTHONPATH shadows: the attacker's file, loaded before the recorder started.
    (root / "lib" / "shadow_dep.py").write_text("VALUE = 1\n")
    result, log = _run_worker(tmp_path, root, "planted_tool", extra="import shadow_dep")
    assert result["recorder_on_at_import"] is False
    assert log is not None
    assert "lib/shadow_dep.py" in log["files"]
    assert "lib" in log["listings"]  # a module added beside it would change what imports find
    reads = ReadLog.from_dict(log)
    assert reads is not None and reads.first_difference(root) is None
    (root / "lib" / "shadow_dep.py").write_text("VALUE = 2  # edited after the cached run\n")
    assert reads.first_difference(root) == "lib/shadow_dep.py changed"
    (root / "lib" / "shadow_dep.py").write_text("VALUE = 1\n")
    assert reads.first_difference(root) is None
    (root / "lib" / "json_helpers.py").write_text("")
    assert "listing of lib changed" in (reads.first_difference(root) or "")


def test_a_preloaded_module_linked_into_the_repository_is_in_the_cache_key(
    tmp_path: Path, root: Path
):
    # Outside the root by its path, inside by what it resolves to: a module file that is a
    # symlink into the checkout, and a package reached through a symlinked folder. The
    # recorder resolves each folder once (preload._inside); the file itself is still checked.
    (root / "lib" / "linked_impl.py").write_text("VALUE = 1\n")
    (root / "lib" / "pkg_impl").mkdir()
    (root / "lib" / "pkg_impl" / "__init__.py").write_text("VALUE = 2\n")
    site = tmp_path / "site"
    site.mkdir(exist_ok=True)
    (site / "linked_dep.py").unlink(missing_ok=True)
    (site / "linked_dep.py").symlink_to(root / "lib" / "linked_impl.py")
    (site / "linked_pkg").unlink(missing_ok=True)
    (site / "linked_pkg").symlink_to(root / "lib" / "pkg_impl", target_is_directory=True)
    result, log = _run_worker(tmp_path, root, "planted_tool", extra="import linked_dep, linked_pkg")
    assert result["recorder_on_at_import"] is False
    assert log is not None
    assert "lib/linked_impl.py" in log["files"]
    assert "lib/pkg_impl/__init__.py" in log["files"]
    assert "lib/pkg_impl" in log["listings"]


def test_a_preload_found_inside_the_repository_is_refused(tmp_path: Path, root: Path):
    # A preload name the checkout supplies is left to collect(), under the recorder.
    (root / "lib" / "repo_tool.py").write_text("VALUE = 1\n")
    result, log = _run_worker(
        tmp_path, root, "repo_tool,planted_tool", env={"PROBE_IMPORT_REPO_TOOL": "1"}
    )
    assert result["preloaded_in_repo"] is False
    assert result["recorder_on_at_import"] is False  # the other preload still ran early
    assert log is not None and "lib/repo_tool.py" in log["files"]


def test_a_failed_preload_is_a_missing_tool_never_a_pass(tmp_path: Path, root: Path):
    result, log = _run_worker(tmp_path, root, "planted_tool,no_such_tool_e18")
    assert "no_such_tool_e18" in result["events"]["not_installed"]["message"]
    assert "done" not in result["events"] and log is None
    crashed, _ = _run_worker(tmp_path, root, "planted_tool", extra="raise ImportError('broken')")
    assert "crash" in crashed["events"]  # the runner makes it an error
    assert "done" not in crashed["events"]


def test_preloads_follow_the_mode_and_the_requirements():
    class Tool(Collector):
        name = "tool"
        requires = ("evidently", "pandas")
        preload = ("pandas", "evidently.presets", "numpy")

    assert Tool().preloads({}) == ("pandas", "evidently.presets")  # numpy is not a requirement
    assert Tool().preloads({"mode": "report"}) == ()  # reading a report needs no tool
