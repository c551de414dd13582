"""The evidently collector: data drift and missing values of production data, as AIMA evidence.

Mapping (the collector's own reading of AIMA v1.0, not an official crosswalk):
- OPS-EM-A2 "Are events systematically monitored and consistently detected through defined
  processes?": its level-2 characteristic is "Initial Anomaly Detection: basic drift and outlier
  detection introduced", with threshold-based alerting; a drift policy checked on every build is
  that, per dataset (drift_share) and per column (column_drift).
- IMP-SD-B3 "Are advanced technical controls proactively managed and audited during deployment?":
  its characteristics name "Drift Detection: monitor models for data or performance drift"; the
  dataset-level drift gate is one such control (one piece of that question, not all of it).
- DAT-QI-A2 "Are formalized data quality procedures defined and regularly executed?": "Early
  Standards: initial completeness and consistency rules applied"; the missing-value rule is one.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from aima_ci.models import Finding
from aima_ci.plugin import Collector, CollectorContext, Starter, load_checks

from .judge import judge
from .measure import measure
from .settings import SPEC, Settings

if TYPE_CHECKING:
    from aima_ci.models import RepoFacts


class EvidentlyCollector(Collector):
    name = "evidently"
    spec = SPEC  # the keys, their checks, the paths preflight checks, the schema and docs table
    version = "1.0.0"
    description = "Data drift and missing values, reference vs current data (evidently)"
    tool = "evidently"
    # Run mode needs evidently; report mode reads a stored result with the standard library.
    requires = ("evidently", "pandas")
    report_requires = ()
    # What measure.py imports, imported before the worker starts recording reads: it sets no
    # environment first, and the hook's cost on these imports was 0.2-0.5x of the bare run.
    preload = ("pandas", "evidently", "evidently.metrics", "evidently.presets")
    extra = "evidently"
    default_timeout = 600.0
    checks = load_checks(__file__)

    def starter(self, facts: RepoFacts) -> Starter | None:
        """Drift and missing values, train (reference) vs test (current): needs no model."""
        pair = facts.split()
        if pair is None:
            return None
        reference, current = pair
        config: dict[str, Any] = {"reference": reference.path, "current": current.path}
        shared = facts.shared_columns(reference, current)
        if len(shared) < len(reference.columns):  # e.g. a production sample without the label
            config["columns"] = shared
        config["html"] = False
        name = current.path.rsplit("/", 1)[-1].lower()
        if any(w in name for w in ("current", "prod", "live")):
            return Starter(config, "Data drift and missing values: training data vs production.")
        return Starter(
            config,
            "Data drift and missing values between the training and the test split.",
            notes={"current": "point it at a production sample when you have one"},
        )

    def collect(self, ctx: CollectorContext) -> Iterator[Finding]:
        settings: Settings = ctx.settings
        drift_share = ctx.threshold("evidently.drift_share")
        missing_share = ctx.threshold("evidently.missing_values", "missing_share")
        assert drift_share is not None and missing_share is not None
        measured = measure(ctx, settings, drift_share)
        ctx.progress("judging", 0.9)
        yield from judge(ctx, measured, settings, drift_share, missing_share)
        ctx.progress("done", 1.0)
