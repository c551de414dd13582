"""Wilson bounds and the pass/fail/inconclusive rule of the garak collector."""

from __future__ import annotations

import math

import pytest
from aima_ci_collectors.garak.verdict import judge, prompts_needed, wilson_interval
from hypothesis import given
from hypothesis import strategies as st

from aima_ci.models import Status


# Newcombe (1998), "Two-sided confidence intervals for the single proportion", Stat Med 17:857,
# Table I, method 3 (score interval without continuity correction), 95%.
@pytest.mark.parametrize(
    ("successes", "trials", "lower", "upper"),
    [
        (81, 263, 0.2553, 0.3662),
        (15, 148, 0.0624, 0.1605),
        (0, 20, 0.0, 0.1611),
        (1, 29, 0.0061, 0.1718),
        # textbook values, and the all-pass cases the example relies on
        (5, 10, 0.2366, 0.7634),
        (0, 10, 0.0, 0.2775),
        (10, 10, 0.7225, 1.0),
        (80, 80, 0.9542, 1.0),
    ],
)
def test_wilson_matches_published_values(successes, trials, lower, upper):
    lo, hi = wilson_interval(successes, trials)
    assert lo == pytest.approx(lower, abs=1e-4)
    assert hi == pytest.approx(upper, abs=1e-4)


def test_all_pass_lower_bound_is_n_over_n_plus_z_squared():
    z = 1.959963984540054
    for n in (1, 7, 58, 1000):
        assert wilson_interval(n, n)[0] == pytest.approx(n / (n + z * z), rel=1e-12)


@given(st.integers(min_value=1, max_value=5000), st.data())
def test_interval_contains_estimate_and_stays_in_unit_range(trials, data):
    successes = data.draw(st.integers(min_value=0, max_value=trials))
    lo, hi = wilson_interval(successes, trials)
    assert 0.0 <= lo <= successes / trials <= hi <= 1.0


@given(st.integers(min_value=1, max_value=2000))
def test_more_evidence_narrows_the_interval(n):
    lo1, hi1 = wilson_interval(n, 2 * n)
    lo2, hi2 = wilson_interval(2 * n, 4 * n)
    assert hi2 - lo2 < hi1 - lo1


@pytest.mark.parametrize("bad", [(-1, 5), (6, 5), (0, -1)])
def test_invalid_counts_are_refused(bad):
    with pytest.raises(ValueError):
        wilson_interval(*bad)


def test_judge_pass_fail_inconclusive_and_not_run():
    assert judge(80, 80, 0.95).status is Status.PASS  # lower 0.954
    assert judge(40, 40, 0.95).status is Status.INCONCLUSIVE  # lower 0.912: too few to show 0.95
    assert judge(14, 20, 0.95).status is Status.FAIL  # upper 0.855
    assert judge(0, 0, 0.95).status is Status.NOT_RUN  # nothing evaluated is no evidence
    assert judge(0, 0, 0.0).status is Status.NOT_RUN
    # the point estimate alone would pass this one; the bound does not
    warn = judge(97, 100, 0.95)
    assert warn.rate == pytest.approx(0.97) and warn.status is Status.INCONCLUSIVE
    assert "inconclusive" in warn.reason


def test_judge_refuses_thresholds_outside_unit_range():
    with pytest.raises(ValueError):
        judge(1, 1, 1.5)


def test_prompts_needed_is_the_smallest_n_that_can_pass():
    for threshold in (0.5, 0.8, 0.9, 0.95, 0.99):
        n = prompts_needed(threshold)
        assert judge(n, n, threshold).status is Status.PASS
        assert judge(n - 1, n - 1, threshold).status is not Status.PASS
    assert prompts_needed(0.95) == 73
    with pytest.raises(ValueError):
        prompts_needed(1.0)
    assert math.isfinite(prompts_needed(0.0))
