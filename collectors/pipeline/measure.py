"""Read what the pipeline checks are judged on: the CI steps that run aima-ci, and what they run.

Raw readings only: every step found in the GitHub workflows and GitLab CI files (blocking or
not, and why), the aima-ci configuration each blocking step points at and the collectors it
enables, and which practices those collectors declare checks for. Whether that makes a gate,
and which level-3 "integrated into CI/CD" questions it answers, is ``judge``'s call.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import aimaconfig, ci
from .settings import NAME


@dataclass(frozen=True)
class PipelineReading:
    scan: ci.CiScan
    gates: list[ci.GateStep]  # the blocking steps
    configs: dict[int, aimaconfig.GateConfig]  # id(gate step) -> the configuration it runs

    @property
    def running(self) -> list[str]:
        """The collectors some blocking gate runs."""
        return sorted({c for s in self.gates for c in self.configs[id(s)].collectors})

    @property
    def config_problems(self) -> list[str]:
        return [c.problem for c in self.configs.values() if c.problem]

    def record(self) -> dict[str, Any]:
        """The ``pipeline.json`` artefact: every step, and for gates what they run."""
        return {
            "ci_files": self.scan.files,
            "steps": [
                {
                    **s.to_dict(),
                    **(
                        {
                            "collectors": self.configs[id(s)].collectors,
                            "config_file": self.configs[id(s)].display,
                            "config_problem": self.configs[id(s)].problem,
                        }
                        if id(s) in self.configs
                        else {}
                    ),
                }
                for s in self.scan.steps
            ],
            "problems": self.scan.problems,
            "notes": self.scan.notes,
            "collectors_run": self.running,
        }


def read_ci(root: Path, workflows: Iterable[str], gitlab_path: str) -> PipelineReading:
    """The aima-ci steps in the GitHub workflows matching ``workflows`` and in ``gitlab_path``,
    and the configuration each blocking one runs."""
    scan = ci.github(root, workflows)
    if gitlab_path.startswith("/") or ".." in gitlab_path.split("/"):
        scan.problems.append(
            f"collectors.{NAME}.gitlab_ci: {gitlab_path!r} must be a path inside the repository"
        )
    else:
        scan.extend(ci.gitlab(root, gitlab_path))
    gates = [s for s in scan.steps if s.blocking]
    return PipelineReading(scan, gates, {id(s): aimaconfig.resolve(root, s) for s in gates})


def collector_practices(names: list[str]) -> dict[str, set[str] | None]:
    """The practices each named collector declares checks for (None: not installed here).

    The pipeline collector itself is never counted: its own checks are about integration.
    """
    from aima_ci.plugin import load_collector

    out: dict[str, set[str] | None] = {}
    for name in names:
        if name == NAME:
            out[name] = set()
            continue
        try:
            cls = load_collector(name)
        except Exception:  # not installed here, or a broken plugin: cannot say what it covers
            out[name] = None
            continue
        out[name] = {q[:6] for c in cls.checks for q in c.questions}
    return out
