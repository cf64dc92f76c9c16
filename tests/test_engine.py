"""The measuring engine's decisions, on synthetic times (a fake repeat), so each is exact.

``measure(..., run_repeat=fake)`` lets a test say what every repeat "took": the engine's
planning, rounds, stopping and widening are then deterministic, and no test depends on
this machine's speed.
"""

from __future__ import annotations

import numpy as np
import pytest

from rbmperf.engine.budget import plan_size
from rbmperf.engine.measure import MAX_EXTENSIONS, calls_for, measure, settled
from rbmperf.engine.rounds import round_order
from rbmperf.stats.growth import fit_growth

SIZES = [1000, 2000, 4000, 8000, 16000]


def fake_repeat(exponent: float, sigma: float, seed: int = 0, scale: float = 1e-8):
    """A repeat that 'takes' scale·n^exponent seconds per call, with log-normal noise."""
    rng = np.random.default_rng(seed)
    visits: list[int] = []

    def run(func, argument, calls, n):
        visits.append(n)
        seconds = scale * n**exponent * float(np.exp(sigma * rng.standard_normal()))
        return seconds * calls, seconds * calls, None

    run.visits = visits  # type: ignore[attr-defined]
    return run


def fit_of(measurement, label="f"):
    return fit_growth(*measurement.series[label].points("cpu"))


def test_a_clear_linear_kernel_stops_after_the_minimum_rounds():
    run = fake_repeat(1.0, 0.01)
    m = measure({"f": None}, SIZES, budget=2.0, min_rounds=3, warmup=False, run_repeat=run)
    assert m.rounds == 3
    assert [s.action for s in m.steps] == ["first round", "stop"]
    assert m.steps[-1].detail == "decided after 3 rounds"
    assert fit_of(m).verdict == "linear"
    # Rounds: ascending, descending, ascending.
    assert run.visits == SIZES + SIZES[::-1] + SIZES


def test_a_noisy_kernel_gets_more_rounds_until_it_decides():
    # 25% noise per repeat: three rounds leave the interval straddling the band's edges.
    run = fake_repeat(1.0, 0.25, seed=3)
    m = measure({"f": None}, SIZES, budget=1e6, min_rounds=3, warmup=False, run_repeat=run)
    assert m.rounds > 3
    assert all(step.action == "round" for step in m.steps[1:-1])
    assert "straddles" not in m.steps[-1].detail and m.steps[-1].detail.startswith("decided")
    # Each added round names the interval that asked for it.
    assert "[" in m.steps[1].detail and "f: k = " in m.steps[1].detail
    assert fit_of(m).verdict == "linear"


def test_the_budget_stops_an_undecided_kernel_and_says_why():
    # Each repeat 'takes' 0.1-1.6 s: another round (≈ 3.1 s) never fits a 1 s budget.
    run = fake_repeat(1.0, 0.3, seed=1, scale=1e-4)
    m = measure({"f": None}, SIZES, budget=None, min_rounds=3, warmup=False, run_repeat=run)
    assert m.rounds == 3 and "no budget to decide" in m.steps[-1].detail
    # 40% noise: undecided after 3 rounds of about 1.6 s each over 4 sizes;
    # a 7 s budget has room for one round more, not two.
    run = fake_repeat(1.0, 0.4, seed=1, scale=1e-4)
    m = measure({"f": None}, SIZES[:4], budget=7.0, min_rounds=3, warmup=False, run_repeat=run)
    assert not settled(fit_of(m), (0.85, 1.15))
    assert m.rounds == 4 and 5.5 <= m.spent_seconds <= 7.0
    assert m.steps[-1].action == "stop" and "budget spent" in m.steps[-1].detail
    assert "undecided: f: k = " in m.steps[-1].detail


def test_a_decided_kernel_rests_while_another_goes_on():
    clear, noisy = fake_repeat(2.0, 0.01), fake_repeat(1.0, 0.3, seed=5)

    def run(func, argument, calls, n):
        return (clear if func == "clear" else noisy)(func, argument, calls, n)

    measure(
        {"clear": "clear", "noisy": "noisy"}, SIZES, budget=1e6, min_rounds=3, warmup=False,
        run_repeat=run,
    )  # fmt: skip
    assert len(clear.visits) == 3 * len(SIZES)
    assert len(noisy.visits) > 3 * len(SIZES)


def test_thresholds_decide_against_a_bound_not_the_band():
    # k = 1.3 with some noise: against the band it may need rounds; against a bound of 2 it
    # is settled (below it) as soon as the minimum rounds are done.
    run = fake_repeat(1.3, 0.05)
    m = measure(
        {"f": None}, SIZES, budget=1e6, min_rounds=3, warmup=False, thresholds=(2.0,),
        run_repeat=run,
    )  # fmt: skip
    assert m.rounds == 3 and m.thresholds == (2.0,)


def test_too_few_sizes_stop_at_once_or_widen_when_allowed():
    run = fake_repeat(1.0, 0.01)
    m = measure({"f": None}, SIZES[:3], budget=1e6, warmup=False, run_repeat=run)
    assert m.rounds == 3 and "fewer than 4 sizes" in m.steps[-1].detail
    # With extend=True, more rounds that do not decide are followed by a wider range: a
    # noisy kernel over 3 sizes gets sizes beyond 4,000, at the ratio of the last two.
    run = fake_repeat(1.0, 0.01)
    m = measure({"f": None}, SIZES[:3], budget=1e6, warmup=False, extend=True, run_repeat=run)
    added = [s for s in m.steps if s.action == "wider range"]
    assert 1 <= len(added) <= MAX_EXTENSIONS
    assert added[0].detail.startswith("N = 8,000 added")
    assert 8000 in m.series["f"].sizes and fit_of(m).verdict == "linear"


def test_a_cache_step_is_a_bend_and_a_wider_range_decides_above_it():
    # Per-element cost doubles between 4,000 and 8,000 (data leaving a cache): the slope is
    # 1 on each side. Above the bend there are only 2 sizes, so the verdict waits for a
    # wider range, which extend=True supplies.
    rng = np.random.default_rng(2)

    def run(func, argument, calls, n):
        seconds = (
            1e-8 * n * (2.0 if n >= 8000 else 1.0) * float(np.exp(0.02 * rng.standard_normal()))
        )
        return seconds * calls, seconds * calls, None

    # (A 0.3 s budget: the rounds cannot decide, so they run until it is spent.)
    m = measure({"f": None}, SIZES, budget=0.3, warmup=False, run_repeat=run)
    fit = fit_of(m)
    assert fit.bend is not None and (fit.bend.below, fit.bend.above) == (4000, 8000)
    assert fit.verdict == "inconclusive" and "larger sizes would decide" in fit.reason
    m = measure({"f": None}, SIZES, budget=1e6, warmup=False, extend=True, run_repeat=run)
    fit = fit_of(m)
    assert fit.verdict == "linear" and "at the largest sizes" in fit.reason
    assert 32000 in m.series["f"].sizes


def test_sizes_that_would_not_fit_a_round_are_skipped_with_the_rest():
    # 1 µs per element: 1, 2, 4, 8, 16 ms a call. A 30 ms budget over 3 rounds leaves
    # 10 ms a round: 1+2+4 = 7 ms fit; 8 ms does not, even doubled (fewer than 4 sizes
    # measured, so twice the 3 ms left = 6 ms).
    run = fake_repeat(1.0, 0.0, scale=1e-6)
    m = measure({"f": None}, SIZES, budget=0.03, min_rounds=3, warmup=False, run_repeat=run)
    series = m.series["f"]
    assert series.sizes == [1000, 2000, 4000]
    assert [s.n for s in series.skipped] == [8000, 16000]
    assert "s left of a round's share (0.01 s of the 0.03 s budget" in series.skipped[0].reason
    assert series.skipped[1].reason == "a smaller size was skipped"


def test_ctrl_c_returns_what_was_measured():
    def run(func, argument, calls, n):
        if n == 4000:
            raise KeyboardInterrupt
        return 1e-3, 1e-3, None

    m = measure({"f": None}, SIZES, budget=None, warmup=False, run_repeat=run)
    assert m.interrupted_at == 4000
    assert m.series["f"].sizes == [1000, 2000]


def test_the_budget_rule_and_round_order_in_one_place():
    assert plan_size(None, 3, 10.0, 0, 4) == (3, None)
    assert plan_size(4.0, 3, 10.0, 5, 4) == (2, None)
    assert plan_size(15.0, 3, 10.0, 2, 4) == (1, None)  # twice the budget, short of 4 sizes
    repeats, reason = plan_size(15.0, 3, 10.0, 4, 4)
    assert repeats == 0 and "predicted 15 s per repeat > budget 10 s" in reason
    assert round_order([3, 1, 2], 0) == [1, 2, 3] and round_order([3, 1, 2], 3) == [3, 2, 1]
    assert calls_for(None) == 1 and calls_for(1e-4) == 20 and calls_for(1.0) == 1


@pytest.mark.parametrize(
    ("ci", "thresholds", "expected"),
    [
        ((0.9, 1.1), (0.85, 1.15), True),
        ((0.8, 1.1), (0.85, 1.15), False),
        ((1.2, 1.9), (0.85, 1.15), True),
        ((1.2, 1.9), (2.0,), True),
        ((1.8, 2.1), (2.0,), False),
    ],
)
def test_settled_means_the_interval_clears_every_threshold(ci, thresholds, expected):
    n = np.repeat(SIZES, 3)
    fit = fit_growth(n, 1e-8 * n.astype(float))
    fit = type(fit)(**{**fit.__dict__, "ci_low": ci[0], "ci_high": ci[1]})
    assert settled(fit, thresholds) is expected
