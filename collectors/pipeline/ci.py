"""Find where a repository's CI runs aima-ci, and whether each place can fail the build.

GitHub Actions workflows and GitLab CI (with its local includes, ``extends`` and components) are
read as data, never executed. A step counts as a gate only when a failing verdict fails the job
and the workflow runs on the events that build the code: ``continue-on-error``,
``allow_failure`` (including ``exit_codes`` covering 1), manual jobs, ``after_script`` and
schedule-only workflows all make it something other than a gate.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aima_ci_collectors._safeio import walk

from aima_ci.safety.safeio import FileProblem, inside, parse_yaml, read_text, rel, yaml_lines

from .scripts import invocations

GITHUB_PATTERNS = (".github/workflows/*.yml", ".github/workflows/*.yaml")
GITLAB_FILE = ".gitlab-ci.yml"
AIMA_REF = re.compile(r"(?:^|/)aima-ci[\w.-]*(?:[/@]|$)", re.I)
GATING_EVENTS = {"push", "pull_request", "pull_request_target", "merge_group", "workflow_call"}
GITLAB_GLOBALS = {
    "default",
    "include",
    "stages",
    "variables",
    "workflow",
    "image",
    "services",
    "cache",
    "before_script",
    "after_script",
    "spec",
}
SOFT_FAIL_INPUTS = ("soft-fail", "soft_fail", "allow-failure", "allow_failure")
NO_FAIL_INPUTS = ("fail-on-gate", "fail_on_gate")
CONFIG_INPUTS = ("config", "config-file", "config_file", "config-path", "config_path")
MAX_INCLUDE_DEPTH = 20


@dataclass
class GateStep:
    ci: str  # github, gitlab
    file: str
    line: int | None
    job: str
    kind: str  # command, action, component, reusable-workflow
    command: str  # run, gate, collect, score, report
    blocking: bool
    reason: str = ""
    config: str | None = None
    workdir: str = ""
    only: list[str] = field(default_factory=list)

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}" if self.line else self.file

    def to_dict(self) -> dict[str, Any]:
        return {
            "ci": self.ci,
            "where": self.where,
            "job": self.job,
            "kind": self.kind,
            "command": self.command,
            "blocking": self.blocking,
            "reason": self.reason,
            "config": self.config,
            "workdir": self.workdir,
            "only": self.only,
        }


@dataclass
class CiScan:
    files: list[str] = field(default_factory=list)
    steps: list[GateStep] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # unreadable or malformed CI files
    notes: list[str] = field(default_factory=list)  # things not followed (remote includes...)

    def extend(self, other: CiScan) -> None:
        self.files += other.files
        self.steps += other.steps
        self.problems += other.problems
        self.notes += other.notes


def _truthy(value: Any) -> bool | None:
    """True/False for a literal, None for an expression the runner evaluates later."""
    if isinstance(value, bool):
        return value
    if value is None:
        return False
    if isinstance(value, str):
        low = value.strip().lower()
        if low in ("true", "yes", "1"):
            return True
        if low in ("false", "no", "0", ""):
            return False
        return None
    return bool(value)


def _words(value: Any) -> list[str]:
    if isinstance(value, list):
        return [str(v) for v in value]
    if isinstance(value, str):
        return [w for w in re.split(r"[\s,]+", value) if w]
    return []


def _load(root: Path, path: Path, scan: CiScan) -> tuple[Any, dict[str, int], str] | None:
    display = rel(root, path)
    if not inside(root, path):
        scan.problems.append(f"{display}: resolves outside the repository root; not read")
        return None
    try:
        text = read_text(path, display, 1 << 20, root=root)
        docs = parse_yaml(text, display, multi=True)
    except FileProblem as exc:
        scan.problems.append(str(exc))
        return None
    scan.files.append(display)
    # A component/template file: a ``spec:`` header document, then the jobs.
    if len(docs) == 2 and isinstance(docs[0], Mapping) and "spec" in docs[0]:
        body = text.split("\n---", 1)[1] if "\n---" in text else ""
        offset = text[: len(text) - len(body)].count("\n")
        return docs[1], {k: v + offset for k, v in yaml_lines(body).items()}, display
    if len(docs) > 1:
        scan.problems.append(f"{display}: {len(docs)} YAML documents; expected one")
        return None
    return (docs[0] if docs else None), yaml_lines(text), display


# -- GitHub Actions -----------------------------------------------------------------------------
def github(root: Path, patterns: Iterable[str] = GITHUB_PATTERNS) -> CiScan:
    scan = CiScan()
    for path in walk(root, patterns):
        loaded = _load(root, path, scan)
        if loaded is None:
            continue
        data, lines, display = loaded
        if not isinstance(data, Mapping) or not isinstance(data.get("jobs"), Mapping):
            scan.problems.append(f"{display}: not a workflow (no jobs: mapping)")
            continue
        trigger_reason = _trigger_reason(data.get("on", data.get(True)))
        wf_dir = _gh_workdir(data)
        for job_id, job in data["jobs"].items():
            if isinstance(job, Mapping):
                _gh_job(scan, display, lines, str(job_id), job, wf_dir, trigger_reason)
    return scan


def _trigger_reason(on: Any) -> str:
    if isinstance(on, str):
        events = {on}
    elif isinstance(on, (list, Mapping)):
        events = {str(e) for e in on}
    else:
        return "the workflow has no on: trigger"
    if events & GATING_EVENTS:
        return ""
    return f"the workflow runs only on {', '.join(sorted(events))}, not on push or pull requests"


def _gh_workdir(node: Mapping[str, Any]) -> str:
    defaults = node.get("defaults")
    run = defaults.get("run") if isinstance(defaults, Mapping) else None
    wd = run.get("working-directory") if isinstance(run, Mapping) else None
    return str(wd).strip("/") if isinstance(wd, str) and "${{" not in wd else ""


def _gh_job(
    scan: CiScan,
    display: str,
    lines: Mapping[str, int],
    job_id: str,
    job: Mapping[str, Any],
    wf_dir: str,
    trigger_reason: str,
) -> None:
    key = f"jobs.{job_id}"
    job_soft = _truthy(job.get("continue-on-error"))
    job_dir = _gh_workdir(job) or wf_dir

    def nonblocking(step_coe: Any) -> str:
        if trigger_reason:
            return trigger_reason
        for level, value in (("job", job_soft), ("step", _truthy(step_coe))):
            if value is True:
                return f"continue-on-error: true on the {level}"
            if value is None:
                return f"continue-on-error on the {level} is an expression that may be true"
        return ""

    uses = job.get("uses")
    if isinstance(uses, str) and AIMA_REF.search(uses):  # a reusable workflow
        scan.steps.append(
            _gh_action(
                display,
                lines.get(key),
                job_id,
                uses,
                job,
                nonblocking(None),
                job_dir,
                "reusable-workflow",
            )
        )
    steps = job.get("steps")
    if not isinstance(steps, list):
        return
    for i, step in enumerate(steps):
        if not isinstance(step, Mapping):
            continue
        skey = f"{key}.steps[{i}]"
        reason = nonblocking(step.get("continue-on-error"))
        wd = step.get("working-directory")
        workdir = str(wd).strip("/") if isinstance(wd, str) and "${{" not in wd else job_dir
        if isinstance(step.get("uses"), str) and AIMA_REF.search(step["uses"]):
            scan.steps.append(
                _gh_action(
                    display, lines.get(skey), job_id, step["uses"], step, reason, workdir, "action"
                )
            )
        run = step.get("run")
        if isinstance(run, str):
            base = lines.get(f"{skey}.run") or lines.get(skey)
            block = "\n" in run  # a | or > block scalar: the script starts on the next line
            for inv in invocations(run):
                scan.steps.append(
                    GateStep(
                        ci="github",
                        file=display,
                        line=(base + inv.line) if base and block else base,
                        job=job_id,
                        kind="command",
                        command=inv.command,
                        blocking=inv.blocking and not reason,
                        reason=inv.reason or reason,
                        config=inv.config,
                        workdir=workdir,
                        only=inv.only,
                    )
                )


def _gh_action(
    display: str,
    line: int | None,
    job_id: str,
    uses: str,
    node: Mapping[str, Any],
    reason: str,
    workdir: str,
    kind: str,
) -> GateStep:
    given = node.get("with")
    inputs: Mapping[str, Any] = given if isinstance(given, Mapping) else {}
    if not reason:
        for name in SOFT_FAIL_INPUTS:
            if name in inputs and _truthy(inputs[name]) is not False:
                reason = f"input {name}: {inputs[name]} lets the gate fail without failing the job"
        for name in NO_FAIL_INPUTS:
            if name in inputs and _truthy(inputs[name]) is not True:
                reason = f"input {name}: {inputs[name]} lets the gate fail without failing the job"
    config = next((str(inputs[k]) for k in CONFIG_INPUTS if k in inputs), None)
    wd = inputs.get("working-directory") or inputs.get("working_directory")
    if isinstance(wd, str) and "${{" not in wd:
        workdir = wd.strip("/")
    return GateStep(
        ci="github",
        file=display,
        line=line,
        job=job_id,
        kind=kind,
        command="run",
        blocking=not reason,
        reason=reason,
        config=config,
        workdir=workdir,
        only=_words(inputs.get("only") or inputs.get("collectors")),
    )


# -- GitLab CI ----------------------------------------------------------------------------------
def gitlab(root: Path, name: str = GITLAB_FILE) -> CiScan:
    scan = CiScan()
    path = root / name
    if not path.exists() and not path.is_symlink():
        return scan
    jobs: dict[str, tuple[Mapping[str, Any], str, int | None]] = {}
    _gl_file(root, path, scan, jobs, depth=0, seen=set())
    for job_id, (_, display, line) in jobs.items():
        if job_id.startswith(".") or job_id in GITLAB_GLOBALS:
            continue
        merged = _extends(job_id, jobs, 0)
        _gl_job(scan, display, line, job_id, merged)
    return scan


def _gl_file(
    root: Path,
    path: Path,
    scan: CiScan,
    jobs: dict[str, tuple[Mapping[str, Any], str, int | None]],
    depth: int,
    seen: set[Path],
) -> None:
    real = path.resolve()
    if real in seen:
        return
    seen.add(real)
    loaded = _load(root, path, scan)
    if loaded is None:
        return
    data, lines, display = loaded
    if not isinstance(data, Mapping):
        scan.problems.append(f"{display}: the top level must be a mapping of jobs")
        return
    include = data.get("include")
    if include is not None and not isinstance(include, (str, Mapping, list)):
        where = f"{display}:{lines.get('include')}" if lines.get("include") else display
        scan.problems.append(f"{where}: include must be a path, a mapping or a list")
        include = None
    for item in [include] if isinstance(include, (str, Mapping)) else include or []:
        _gl_include(root, item, display, lines.get("include"), scan, jobs, depth, seen)
    for key, value in data.items():  # the including file overrides what it includes
        if isinstance(value, Mapping):
            jobs[str(key)] = (value, display, lines.get(str(key)))


def _gl_include(
    root: Path,
    item: Any,
    display: str,
    line: int | None,
    scan: CiScan,
    jobs: dict[str, tuple[Mapping[str, Any], str, int | None]],
    depth: int,
    seen: set[Path],
) -> None:
    where = f"{display}:{line}" if line else display
    if isinstance(item, str):
        item = {"remote": item} if re.match(r"^https?://", item) else {"local": item}
    if not isinstance(item, Mapping):
        scan.problems.append(f"{where}: include entry is neither a path nor a mapping")
        return
    if "component" in item:
        ref = str(item["component"])
        if AIMA_REF.search(ref.split("@", 1)[0] + "@"):
            given = item.get("inputs")
            inputs: Mapping[str, Any] = given if isinstance(given, Mapping) else {}
            reason = ""
            for name in SOFT_FAIL_INPUTS:
                if name in inputs and _truthy(inputs[name]) is not False:
                    reason = f"component input {name}: {inputs[name]} lets the gate fail without failing the pipeline"
            scan.steps.append(
                GateStep(
                    ci="gitlab",
                    file=display,
                    line=line,
                    job=ref,
                    kind="component",
                    command="run",
                    blocking=not reason,
                    reason=reason,
                    config=next((str(inputs[k]) for k in CONFIG_INPUTS if k in inputs), None),
                    only=_words(inputs.get("only") or inputs.get("collectors")),
                )
            )
        else:
            scan.notes.append(f"{where}: component {ref} not inspected")
        return
    if "local" not in item:
        kind = next((k for k in ("remote", "project", "template") if k in item), "include")
        scan.notes.append(f"{where}: {kind} include not followed (only local files are read)")
        return
    if depth >= MAX_INCLUDE_DEPTH:
        scan.problems.append(f"{where}: includes nested more than {MAX_INCLUDE_DEPTH} deep")
        return
    local = str(item["local"]).lstrip("/")
    if ".." in Path(local).parts:
        scan.problems.append(f"{where}: include {item['local']!r} leaves the repository")
        return
    if any(ch in local for ch in "*?["):
        targets = list(walk(root, [local]))
    else:
        target = root / local
        if not target.exists() and not target.is_symlink():
            scan.problems.append(f"{where}: included file {item['local']!r} does not exist")
            return
        targets = [target]
    for target in targets:
        _gl_file(root, target, scan, jobs, depth + 1, seen)


def _extends(
    job_id: str, jobs: Mapping[str, tuple[Mapping[str, Any], str, int | None]], depth: int
) -> dict[str, Any]:
    """The job with its ``extends`` templates merged in (deep merge of mappings, as GitLab does)."""
    job = dict(jobs[job_id][0])
    parents = job.get("extends")
    names = [parents] if isinstance(parents, str) else parents if isinstance(parents, list) else []
    if depth > 11 or not names:
        return job
    merged: dict[str, Any] = {}
    for name in names:
        if isinstance(name, str) and name in jobs and name != job_id:
            merged = _deep_merge(merged, _extends(name, jobs, depth + 1))
    return _deep_merge(merged, job)


def _deep_merge(base: Mapping[str, Any], top: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in top.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = _deep_merge(out[key], value)
        else:
            out[key] = value
    return out


def _script_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return "\n".join(_script_text(v) for v in value)
    return ""


def _gl_job(
    scan: CiScan, display: str, line: int | None, job_id: str, job: Mapping[str, Any]
) -> None:
    reason = _gl_soft_reason(job)
    for key in ("before_script", "script", "after_script"):
        text = _script_text(job.get(key))
        for inv in invocations(text):
            why = inv.reason or reason
            if key == "after_script" and inv.gates:
                why = "in after_script, whose failure never fails the job"
            scan.steps.append(
                GateStep(
                    ci="gitlab",
                    file=display,
                    line=line,
                    job=job_id,
                    kind="command",
                    command=inv.command,
                    blocking=inv.blocking and not why,
                    reason=why,
                    config=inv.config,
                    only=inv.only,
                )
            )


def _gl_soft_reason(job: Mapping[str, Any]) -> str:
    af = job.get("allow_failure")
    if isinstance(af, Mapping):
        codes = af.get("exit_codes")
        codes = [codes] if isinstance(codes, int) else codes or []
        if 1 in codes:
            return "allow_failure: exit_codes includes 1 (the gate's failure code)"
    elif _truthy(af) is True:
        return "allow_failure: true"
    if job.get("when") == "manual" and af is not False:
        return "a manual job (allowed to fail unless allow_failure: false)"
    rules = job.get("rules")
    if isinstance(rules, list):
        for rule in rules:
            if isinstance(rule, Mapping):
                if _truthy(rule.get("allow_failure")) is True:
                    return "a rule sets allow_failure: true"
                if rule.get("when") == "manual" and rule.get("allow_failure") is not False:
                    return "a rule makes the job manual (allowed to fail)"
    return ""
