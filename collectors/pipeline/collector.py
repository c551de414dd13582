"""Pipeline integration: does CI really run aima-ci as a gate, and which practices does it cover?

AIMA's level-3 questions ask whether assessments are integrated into the build ("AI checks are
integrated into CI/CD pipelines", "DPIAs ... integrated into CI/CD with automated gates"). That is
answered from the repository's CI files: a blocking ``aima-ci run``/``gate`` step (or the action /
component), and the collectors its configuration enables. A practice counts as integrated when
one of those collectors declares checks for it, so third-party collectors count too.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aima_ci.models import Check, Finding, Status
from aima_ci.plugin import Collector, CollectorConfigError, CollectorContext, Starter, load_checks

from . import aimaconfig, ci

if TYPE_CHECKING:
    from aima_ci.models import RepoFacts

NAME = "pipeline"
KEYS = {"github_workflows", "gitlab_ci", "checks"}


@dataclass(frozen=True)
class Integration:
    """A level-3 'integrated into CI/CD' question and the practices whose collectors evidence it."""

    short: str
    practices: tuple[str, ...]
    hint: str


INTEGRATIONS = (
    Integration(
        "build_checks",
        ("IMP-SB",),
        "supply_chain",
    ),
    Integration(
        "deployment_checks",
        ("IMP-SD",),
        "ops_readiness",
    ),
    Integration(
        "privacy_checks",
        ("PRV-PD", "PRV-DM"),
        "privacy",
    ),
    Integration(
        "purpose_limitation",
        ("PRV-DM",),
        "privacy (with a declared purpose)",
    ),
    Integration(
        "dataset_compliance",
        ("DAT-DT",),
        "supply_chain (dataset inventory) or privacy",
    ),
    Integration(
        "security_testing",
        ("VER-ST",),
        "garak or art",
    ),
    Integration(
        "requirement_testing",
        ("VER-RT",),
        "a collector with VER-RT checks",
    ),
    Integration(
        "architecture_review",
        ("VER-AA",),
        "a collector with VER-AA checks",
    ),
    Integration(
        "threat_assessment",
        ("DES-TA",),
        "threat_model",
    ),
    Integration(
        "bias_checks",
        ("RAI-FB",),
        "fairlearn",
    ),
    Integration(
        "explainability_checks",
        ("RAI-TE",),
        "shap or model_card",
    ),
    Integration(
        "impact_assessment",
        ("RAI-ES",),
        "a collector with RAI-ES checks",
    ),
    Integration(
        "data_quality_checks",
        ("DAT-QI",),
        "evidently",
    ),
)


class PipelineCollector(Collector):
    name = NAME
    version = "0.1.0"
    description = "Checks that CI (GitHub Actions, GitLab CI) runs aima-ci as a blocking gate, and which practices it covers"
    light = True
    default_timeout = 60.0
    checks = load_checks(__file__)

    def starter(self, facts: RepoFacts) -> Starter | None:
        """On when a CI file exists; suggested (commented) otherwise."""
        found = bool(facts.ci_files)
        return Starter(
            {},
            "CI runs aima-ci as a blocking gate, and which practices it covers"
            + ("." if found else " (no CI file found yet)."),
            enabled=found,
        )

    def validate_config(self, config: Mapping[str, Any]) -> None:
        self.check_keys(config, KEYS)
        prefix = f"collectors.{NAME}"
        wf = config.get("github_workflows")
        if wf is not None and not (
            isinstance(wf, list) and all(isinstance(w, str) and w for w in wf)
        ):
            raise CollectorConfigError(f"{prefix}.github_workflows", "a list of globs")
        gl = config.get("gitlab_ci")
        if gl is not None and not (isinstance(gl, str) and gl):
            raise CollectorConfigError(f"{prefix}.gitlab_ci", "a path")
        names = {c.id.split(".", 1)[1] for c in self.checks}
        chosen = config.get("checks")
        if chosen is not None and not (
            isinstance(chosen, list) and chosen and all(c in names for c in chosen)
        ):
            raise CollectorConfigError(
                f"{prefix}.checks", f"a list from: {', '.join(sorted(names))}"
            )

    def enabled_checks(self, config: Mapping[str, Any]) -> tuple[Check, ...]:
        chosen = config.get("checks")
        if not chosen:
            return self.checks
        return tuple(c for c in self.checks if c.id.split(".", 1)[1] in chosen)

    def collect(self, ctx: CollectorContext) -> Iterator[Finding]:
        self.validate_config(ctx.config)
        enabled = {c.id for c in self.enabled_checks(ctx.config)}
        ctx.progress("reading CI files", 0.1)
        scan = ci.github(ctx.root, ctx.config.get("github_workflows") or ci.GITHUB_PATTERNS)
        gitlab_path = ctx.config.get("gitlab_ci") or ci.GITLAB_FILE
        if gitlab_path.startswith("/") or ".." in gitlab_path.split("/"):
            scan.problems.append(
                f"collectors.{NAME}.gitlab_ci: {gitlab_path!r} must be a path inside the repository"
            )
        else:
            scan.extend(ci.gitlab(ctx.root, gitlab_path))
        gates = [s for s in scan.steps if s.blocking]
        configs = {id(s): aimaconfig.resolve(ctx.root, s) for s in gates}
        running = sorted({c for s in gates for c in configs[id(s)].collectors})
        report = {
            "ci_files": scan.files,
            "steps": [
                {
                    **s.to_dict(),
                    **(
                        {
                            "collectors": configs[id(s)].collectors,
                            "config_file": configs[id(s)].display,
                            "config_problem": configs[id(s)].problem,
                        }
                        if id(s) in configs
                        else {}
                    ),
                }
                for s in scan.steps
            ],
            "problems": scan.problems,
            "notes": scan.notes,
            "collectors_run": running,
        }
        out = ctx.artefact("pipeline.json")
        import json

        out.write_text(json.dumps(report, indent=2), encoding="utf-8")
        if f"{NAME}.gate" in enabled:
            yield self._gate_finding(ctx, scan, gates, configs, out)
        ctx.progress("mapping collectors to practices", 0.6)
        practices = _collector_practices(running)
        config_problems = [c.problem for c in configs.values() if c.problem]
        for integ in INTEGRATIONS:
            cid = f"{NAME}.{integ.short}"
            if cid in enabled:
                yield self._integration_finding(
                    ctx, integ, scan, gates, running, practices, config_problems, out
                )
        ctx.progress("done", 1.0)

    def _gate_finding(
        self,
        ctx: CollectorContext,
        scan: ci.CiScan,
        gates: list[ci.GateStep],
        configs: dict[int, aimaconfig.GateConfig],
        out: Any,
    ) -> Finding:
        cid = f"{NAME}.gate"
        details = {"ci_files": scan.files, "problems": scan.problems[:20], "notes": scan.notes[:20]}
        if gates:
            where = ", ".join(f"{g.where} ({g.kind} {g.command})" for g in gates[:5])
            return ctx.finding(
                cid,
                Status.PASS,
                value=len(gates),
                message=f"blocking aima-ci gate in {where}",
                artefacts=[out],
                details=details,
            )
        if scan.problems and not scan.steps:
            return ctx.finding(
                cid,
                Status.ERROR,
                message="; ".join(scan.problems[:3]),
                artefacts=[out],
                details=details,
            )
        soft = [s for s in scan.steps if not s.blocking]
        if soft:
            why = "; ".join(f"{s.where}: {s.reason}" for s in soft[:3])
            return ctx.finding(
                cid,
                Status.FAIL,
                value=0,
                message=f"aima-ci runs in CI but not as a gate: {why}",
                artefacts=[out],
                details=details,
            )
        if not scan.files:
            msg = "no CI configuration found (.github/workflows/*.yml, .gitlab-ci.yml)"
        else:
            msg = f"no step runs aima-ci in {', '.join(scan.files[:5])}"
        return ctx.finding(cid, Status.FAIL, value=0, message=msg, artefacts=[out], details=details)

    def _integration_finding(
        self,
        ctx: CollectorContext,
        integ: Integration,
        scan: ci.CiScan,
        gates: list[ci.GateStep],
        running: list[str],
        practices: dict[str, set[str] | None],
        config_problems: list[str],
        out: Any,
    ) -> Finding:
        cid = f"{NAME}.{integ.short}"
        if not gates:
            return ctx.finding(
                cid,
                Status.FAIL,
                message="no blocking aima-ci gate in CI, so nothing is integrated",
                artefacts=[out],
            )
        covering = sorted(
            c for c in running if (owned := practices.get(c)) and owned & set(integ.practices)
        )
        if covering:
            return ctx.finding(
                cid,
                Status.PASS,
                message=f"the CI gate runs {', '.join(covering)} ({', '.join(integ.practices)})",
                artefacts=[out],
                details={"collectors": covering},
            )
        if config_problems:
            return ctx.finding(
                cid, Status.ERROR, message="; ".join(config_problems[:3]), artefacts=[out]
            )
        unknown = sorted(c for c in running if practices.get(c) is None)
        note = (
            f"; collectors not installed here, so not counted: {', '.join(unknown)}"
            if unknown
            else ""
        )
        return ctx.finding(
            cid,
            Status.NOT_APPLICABLE,
            message=f"the CI gate runs no collector with {'/'.join(integ.practices)} checks (runs: {', '.join(running) or 'none'}){note}; enable {integ.hint} or answer {', '.join(ctx.collector.check(f'{NAME}.{integ.short}').questions) or 'its questions'} by attestation",
            artefacts=[out],
            details={"collectors_run": running, "not_installed": unknown},
        )


def _collector_practices(names: list[str]) -> dict[str, set[str] | None]:
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
