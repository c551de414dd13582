"""art's judge from raw outcomes alone (no ART, no model): the verdict rules of the template split.

Every rule a reader of the findings relies on: the threshold (default 0.7, config overrides), an
attack that could not run (not_applicable while another ran, else error: nothing measured passes),
a zero clean accuracy (no ratio: error), a black-box figure flagged as an upper bound, and the
metrics finding (error when any attack failed, else the smallest sample against min_samples).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from aima_ci_collectors.art import ArtCollector
from aima_ci_collectors.art._attacks import AttackOutcome
from aima_ci_collectors.art.judge import judge
from aima_ci_collectors.art.measure import Measured
from aima_ci_collectors.art.settings import AttackSpec

from aima_ci.models import Status
from aima_ci.plugin import CollectorContext

FGSM = AttackSpec("FastGradientMethod", 0.1)
HSJ = AttackSpec("HopSkipJump", 0.1)


def ok(spec: AttackSpec, ratio: float, n: int = 100) -> AttackOutcome:
    return AttackOutcome(
        spec=spec,
        status="ok",
        n=n,
        clean_accuracy=0.9,
        adversarial_accuracy=0.9 * ratio,
        ratio=ratio,
    )


def verdicts(tmp_path: Path, outcomes: list[AttackOutcome], **config: Any) -> list[Any]:
    collector = ArtCollector()
    block = {"model": "m.skops", "data": "d.npz", **config}
    ctx = CollectorContext(
        collector=collector,
        config=block,
        root=tmp_path,
        config_dir=tmp_path,
        artefact_dir=tmp_path / "ev" / "artefacts" / "art",
        evidence_dir=tmp_path / "ev",
    )
    report = ctx.artefact("report.json")
    report.write_text("{}")
    return judge(ctx, Measured(outcomes, report, "absolute", None, None), [])


@pytest.mark.parametrize(("ratio", "status"), [(0.7, Status.PASS), (0.69, Status.FAIL)])
def test_the_default_threshold_is_0_7(tmp_path: Path, ratio: float, status: Status) -> None:
    ratio_finding, metrics = verdicts(tmp_path, [ok(FGSM, ratio)])
    assert ratio_finding.status is status and ratio_finding.threshold == 0.7
    assert ratio_finding.value == round(ratio, 4)
    assert metrics.status is Status.PASS and metrics.value == 100


def test_the_config_threshold_wins(tmp_path: Path) -> None:
    (finding, _) = verdicts(tmp_path, [ok(FGSM, 0.6)], thresholds={"robustness_ratio": 0.5})
    assert finding.status is Status.PASS and finding.threshold == 0.5


def test_black_box_figures_say_they_are_an_upper_bound(tmp_path: Path) -> None:
    (finding, _) = verdicts(tmp_path, [ok(HSJ, 0.9)])
    assert "upper bound" in finding.message


def test_an_attack_that_cannot_run_is_not_applicable_only_beside_one_that_ran(
    tmp_path: Path,
) -> None:
    skipped = AttackOutcome(spec=FGSM, status="not_applicable", message="no gradients")
    beside = verdicts(tmp_path, [skipped, ok(HSJ, 0.9)])
    assert [f.status for f in beside] == [Status.NOT_APPLICABLE, Status.PASS, Status.PASS]
    alone = verdicts(tmp_path, [skipped])
    assert [f.status for f in alone] == [Status.ERROR, Status.ERROR]
    assert "no configured attack could run" in alone[0].message


def test_zero_clean_accuracy_has_no_ratio_and_is_an_error(tmp_path: Path) -> None:
    broken = AttackOutcome(spec=FGSM, status="ok", n=50, clean_accuracy=0.0, ratio=None)
    ratio_finding, _, metrics = verdicts(tmp_path, [broken, ok(HSJ, 0.9)])
    assert ratio_finding.status is Status.ERROR and "clean accuracy is 0" in ratio_finding.message
    assert metrics.status is Status.ERROR  # one attack measured nothing: no metric passes


def test_the_smallest_sample_is_held_to_min_samples(tmp_path: Path) -> None:
    *_, metrics = verdicts(
        tmp_path, [ok(FGSM, 0.9, n=40), ok(HSJ, 0.9, n=200)], thresholds={"min_samples": 50}
    )
    assert metrics.status is Status.FAIL and metrics.value == 40
