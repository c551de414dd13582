"""Run a composite action's steps the way a GitHub runner does, without GitHub.

It reads action.yml, evaluates the few expression forms the action uses (``inputs.*``,
``steps.<id>.outputs.*``, ``github.*`` from a given context, ``runner.temp``, and ``if:``
conditions made of ``==``/``!=`` comparisons with a string literal joined by ``&&``), runs each
``run:`` step with ``bash --noprofile --norc -eo pipefail`` and the
runner's files and variables (GITHUB_OUTPUT, GITHUB_STEP_SUMMARY, GITHUB_ENV, GITHUB_PATH,
GITHUB_WORKSPACE, GITHUB_ACTION_PATH, RUNNER_TEMP, CI, GITHUB_ACTIONS), collects step outputs,
and evaluates the action's outputs. A ``uses:`` step (GitHub's own actions: cache, upload-sarif,
attest) cannot run here: the harness records the action and its rendered ``with:`` instead, so a
test can check what would be called with what. Any expression it does not understand is an
error, so the harness cannot silently run something different from what GitHub would.
"""

from __future__ import annotations

import os
import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

EXPR = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")


@dataclass
class ActionResult:
    exit_code: int
    outputs: dict[str, str]
    summary: str
    log: str
    steps_run: list[str] = field(default_factory=list)
    uses: dict[str, tuple[str, dict[str, str]]] = field(default_factory=dict)

    def annotations(self, kind: str) -> list[str]:
        return [line for line in self.log.splitlines() if line.startswith(f"::{kind}")]


def parse_env_file(path: Path) -> dict[str, str]:
    """GITHUB_OUTPUT / GITHUB_ENV syntax: ``name=value`` or ``name<<DELIM`` ... ``DELIM``."""
    out: dict[str, str] = {}
    if not path.exists():
        return out
    lines = path.read_text(encoding="utf-8").split("\n")
    i = 0
    while i < len(lines):
        line = lines[i]
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            name, delim = line.split("<<", 1)
            j = lines.index(delim, i + 1)
            out[name] = "\n".join(lines[i + 1 : j])
            i = j + 1
            continue
        if "=" in line:
            name, value = line.split("=", 1)
            out[name] = value
        i += 1
    return out


class CompositeRunner:
    def __init__(
        self,
        action_dir: Path,
        workspace: Path,
        runner_temp: Path,
        base_env: dict[str, str],
        github: dict[str, Any] | None = None,
    ):
        self.action_dir = action_dir
        self.github = github or {}
        self.workspace = workspace
        self.runner_temp = runner_temp
        self.base_env = base_env
        self.meta = yaml.safe_load((action_dir / "action.yml").read_text(encoding="utf-8"))
        assert self.meta["runs"]["using"] == "composite"

    def _value(self, expr: str, inputs: dict[str, str], steps: dict[str, dict[str, str]]) -> str:
        parts = expr.split(".")
        if parts[0] == "inputs" and len(parts) == 2:
            return inputs[parts[1]]
        if parts[0] == "steps" and len(parts) == 4 and parts[2] == "outputs":
            return steps.get(parts[1], {}).get(parts[3], "")
        if expr == "github.action_path":
            return str(self.action_dir)
        if parts[0] == "github" and len(parts) >= 2:
            node: Any = self.github
            for part in parts[1:]:
                node = node.get(part) if isinstance(node, dict) else None
            return "" if node is None else str(node)  # null renders as ''
        if expr == "runner.temp":
            return str(self.runner_temp)
        raise NotImplementedError(f"expression not supported by the harness: {expr!r}")

    def _render(self, text: Any, inputs: dict[str, str], steps: dict[str, dict[str, str]]) -> str:
        return EXPR.sub(lambda m: self._value(m.group(1), inputs, steps), str(text))

    def _condition(
        self, cond: str | None, inputs: dict[str, str], steps: dict[str, dict[str, str]]
    ) -> bool:
        if cond is None:
            return True
        text = cond.strip()
        if text.startswith("${{") and text.endswith("}}"):
            text = text[3:-2]
        result = True
        for term in text.split("&&"):
            m = re.fullmatch(r"\s*([\w.-]+)\s*(==|!=)\s*'([^']*)'\s*", term)
            if not m:
                raise NotImplementedError(f"if: not supported by the harness: {cond!r}")
            # Expressions compare strings case-insensitively.
            equal = self._value(m.group(1), inputs, steps).lower() == m.group(3).lower()
            result = result and (equal if m.group(2) == "==" else not equal)
        return result

    def run(self, inputs: dict[str, str] | None = None, timeout: float = 600) -> ActionResult:
        declared = self.meta.get("inputs", {})
        unknown = set(inputs or {}) - set(declared)
        assert not unknown, f"inputs not declared in action.yml: {unknown}"
        # Defaults may be expressions (``${{ github.token }}``): GitHub evaluates them.
        values = {k: self._render(v.get("default", ""), {}, {}) for k, v in declared.items()}
        values.update(inputs or {})
        steps: dict[str, dict[str, str]] = {}
        env_extra: dict[str, str] = {}
        path_extra: list[str] = []
        summary_parts: list[str] = []
        log: list[str] = []
        ran: list[str] = []
        uses: dict[str, tuple[str, dict[str, str]]] = {}
        code = 0
        for n, step in enumerate(self.meta["runs"]["steps"]):
            if not self._condition(step.get("if"), values, steps):
                continue
            if "uses" in step:
                with_ = {
                    k: self._render(v, values, steps) for k, v in (step.get("with") or {}).items()
                }
                uses[step.get("id") or step["uses"]] = (step["uses"], with_)
                continue
            assert step.get("shell") == "bash", "composite run steps must set shell"
            files = {
                name: self.runner_temp / f"_runner_file_commands/{name.lower()}_{n}"
                for name in ("GITHUB_OUTPUT", "GITHUB_STEP_SUMMARY", "GITHUB_ENV", "GITHUB_PATH")
            }
            for f in files.values():
                f.parent.mkdir(parents=True, exist_ok=True)
                f.write_text("")
            env = {
                **self.base_env,
                **env_extra,
                **{k: self._render(v, values, steps) for k, v in (step.get("env") or {}).items()},
                **{k: str(v) for k, v in files.items()},
                "CI": "true",
                "GITHUB_ACTIONS": "true",
                "GITHUB_WORKSPACE": str(self.workspace),
                "GITHUB_ACTION_PATH": str(self.action_dir),
                "RUNNER_TEMP": str(self.runner_temp),
                "RUNNER_OS": "Linux",
            }
            env["PATH"] = os.pathsep.join([*path_extra, env.get("PATH", "")])
            script = self.runner_temp / f"_step_{n}.sh"
            script.write_text(self._render(step["run"], values, steps))
            workdir = self.workspace / self._render(
                step.get("working-directory", "."), values, steps
            )
            proc = subprocess.run(
                ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
                cwd=workdir,
                env=env,
                capture_output=True,
                text=True,
                timeout=timeout,
                check=False,
            )
            ran.append(step.get("id") or step.get("name", str(n)))
            log.append(proc.stdout + proc.stderr)
            if step.get("id"):
                steps[step["id"]] = parse_env_file(files["GITHUB_OUTPUT"])
            env_extra.update(parse_env_file(files["GITHUB_ENV"]))
            path_extra = [
                p for p in files["GITHUB_PATH"].read_text().splitlines() if p
            ] + path_extra
            summary_parts.append(files["GITHUB_STEP_SUMMARY"].read_text(encoding="utf-8"))
            if proc.returncode != 0:
                code = proc.returncode
                break  # later steps default to if: success()
        outputs = {
            name: self._render(spec["value"], values, steps)
            for name, spec in (self.meta.get("outputs") or {}).items()
        }
        return ActionResult(code, outputs, "".join(summary_parts), "".join(log), ran, uses)
