"""fit_growth on synthetic curves of known growth with multiplicative noise."""

from __future__ import annotations

import math

import numpy as np
import pytest

import rbmperf
from rbmperf.stats.growth import DEFAULT_CONFIDENCE, GrowthFit, _theil_sen, fit_growth

SIZES = np.array([500, 1000, 2000, 4000, 8000, 16000])
REPEATS = 3


def noisy_curve(exponent: float, sigma: float, seed: int, *, sizes=SIZES, model=None):
    """Times c·N^k (or c·model(N)) with log-normal noise of `sigma`, REPEATS per size."""
    rng = np.random.default_rng(seed)
    n = np.repeat(sizes, REPEATS).astype(float)
    clean = 1e-5 * (n**exponent if model is None else model(n))
    return n, clean * np.exp(sigma * rng.standard_normal(n.size))


def test_public_names_are_reexported():
    assert rbmperf.fit_growth is fit_growth
    assert rbmperf.GrowthFit is GrowthFit


@pytest.mark.parametrize(
    ("exponent", "verdict"),
    [(1.0, "linear"), (2.0, "superlinear"), (0.5, "sublinear"), (1.5, "superlinear")],
)
def test_verdicts_for_known_growth_with_5_percent_noise(exponent, verdict):
    # 5% noise over 4 doublings: Sen's interval is about ±0.06 wide, far from the band edges
    # for these exponents, so every seed gives the verdict.
    for seed in range(5):
        fit = fit_growth(*noisy_curve(exponent, 0.05, seed))
        assert fit.verdict == verdict, (seed, fit)
        assert fit.ci_low <= fit.exponent <= fit.ci_high
        assert abs(fit.exponent - exponent) < 0.1


def test_exact_power_law_recovers_exponent_and_coefficient():
    fit = fit_growth(SIZES, 3e-7 * SIZES**1.7)
    assert fit.exponent == pytest.approx(1.7)
    assert fit.ci_low == pytest.approx(1.7) and fit.ci_high == pytest.approx(1.7)
    assert fit.coefficient == pytest.approx(3e-7)
    assert fit.predict(32000) == pytest.approx(3e-7 * 32000**1.7)


def test_interval_covers_true_exponent_about_95_percent_of_the_time():
    # 300 seeded trials. Sen's interval is conservative for discrete slope ranks, so coverage
    # should be at least nominal; 0.90 leaves ~3 binomial standard deviations (sd ≈ 0.013)
    # below 0.95 for a fair interval.
    covered = 0
    trials = 300
    for seed in range(trials):
        fit = fit_growth(*noisy_curve(1.0, 0.1, seed))
        covered += fit.ci_low <= 1.0 <= fit.ci_high
    assert covered / trials >= 0.90


def test_uses_the_larger_sizes_by_default():
    # A constant overhead that dominates only the smallest sizes must not bend the fit.
    n = SIZES.astype(float)
    seconds = 1e-5 * n + 0.05 * (n <= 1000)
    fit = fit_growth(n, seconds)
    assert fit.sizes_used == (2000, 4000, 8000, 16000)
    assert fit.verdict == "linear"
    # Asked to use every size, the fit finds the overhead's step and decides beyond it
    # (three repeats a size, 1% noise, so that the step stands out from the noise).
    rng = np.random.default_rng(0)
    n3 = np.repeat(n, 3)
    seconds3 = np.repeat(seconds, 3) * np.exp(0.01 * rng.standard_normal(n3.size))
    every = fit_growth(n3, seconds3, largest=6)
    assert every.bend is not None and (every.bend.below, every.bend.above) == (1000, 2000)
    assert every.verdict == "linear" and "bends between N = 1,000 and 2,000" in every.reason


def test_robust_to_one_wild_point():
    n, seconds = noisy_curve(1.0, 0.02, seed=3)
    seconds[-2] *= 5  # another process took the core during one repeat
    assert fit_growth(n, seconds).verdict == "linear"


def test_fewer_than_four_sizes_is_inconclusive_with_reason():
    fit = fit_growth([1000, 2000, 4000], [1.0, 4.0, 16.0])
    assert fit.verdict == "inconclusive"
    assert "only 3 sizes" in fit.reason
    assert fit.exponent == pytest.approx(2.0)
    single = fit_growth([42000, 42000], [1.0, 1.1])
    assert single.verdict == "inconclusive" and math.isnan(single.exponent)
    assert single.best_model is None and single.aic == {}


def test_wide_noise_is_inconclusive():
    fit = fit_growth(*noisy_curve(1.0, 0.6, seed=1))
    assert fit.verdict == "inconclusive"
    assert "straddles" in fit.reason


def test_aic_second_opinion_picks_the_generating_model():
    # 1% noise: small enough for the AIC to tell N from N log N (see the module's limits).
    for model, expected in [
        (lambda n: n, "N"),
        (lambda n: n * np.log(n), "N log N"),
        (lambda n: n**2, "N^2"),
    ]:
        fit = fit_growth(*noisy_curve(0, 0.01, seed=2, model=model))
        assert fit.best_model == expected
        assert set(fit.aic) == {"N", "N log N", "N^2"}


def test_n_log_n_reads_as_near_linear_exponent():
    # The documented limit: N log N over 2,000..16,000 fits an exponent of about 1.1.
    fit = fit_growth(SIZES, SIZES * np.log(SIZES))
    assert 1.05 < fit.exponent < 1.15


@pytest.mark.parametrize(
    ("sizes", "seconds", "message"),
    [
        ([1000, 2000], [1.0], "same length"),
        ([], [], "at least one"),
        ([1000, 2000], [1.0, -1.0], "seconds must be finite and > 0"),
        ([1000, 2000], [1.0, float("nan")], "seconds must be finite"),
        ([1, 2000], [1.0, 2.0], "sizes must be finite and > 1"),
        (["a"], [1.0], "must be numbers"),
    ],
)
def test_bad_input_is_named(sizes, seconds, message):
    with pytest.raises(ValueError, match=message):
        fit_growth(sizes, seconds)


def test_bad_confidence_is_rejected():
    with pytest.raises(ValueError, match="confidence"):
        fit_growth(SIZES, SIZES * 1e-5, confidence=1.5)


@pytest.mark.parametrize("confidence", [0.5, 0.8, 0.9, DEFAULT_CONFIDENCE, 0.99])
def test_theil_sen_agrees_with_scipy(confidence):
    # The hand-written estimator stays (importing scipy.stats costs ~2 s and loads a second
    # OpenBLAS pool into the timing process); it must equal scipy's slope and Sen interval.
    # Log-log data with repeated sizes (ties in x, which change the variance of Kendall's
    # statistic) and 1-5 repeats per size.
    stats = pytest.importorskip("scipy.stats")
    rng = np.random.default_rng(int(confidence * 1000))
    for _ in range(40):
        sizes = rng.choice(
            [250, 500, 1000, 2000, 4000, 8000, 16000], rng.integers(3, 8), replace=False
        )
        n = np.repeat(sizes, rng.integers(1, 6, sizes.size)).astype(float)
        seconds = 1e-6 * n ** rng.uniform(0.5, 2.5) * np.exp(rng.normal(0.0, 0.2, n.size))
        x, y = np.log(n), np.log(seconds)
        expected = stats.theilslopes(y, x, alpha=confidence)
        wanted = (expected.slope, expected.low_slope, expected.high_slope)
        assert _theil_sen(x, y, confidence) == pytest.approx(wanted, rel=0, abs=1e-12)


def test_the_faster_half_leaves_out_slow_repeats_only_where_there_are_four_or_more():
    from rbmperf.stats.growth import faster_half

    n = np.array([10, 10, 10, 20, 20, 20, 20, 20])
    t = np.array([3.0, 1.0, 2.0, 9.0, 2.0, 2.1, 8.0, 2.2])
    kept_n, kept_t = faster_half(n, t)
    # Three repeats at 10: all kept; five at 20: the fastest three (ceil of half).
    assert kept_n.tolist() == [10, 10, 10, 20, 20, 20]
    assert kept_t.tolist() == [3.0, 1.0, 2.0, 2.0, 2.1, 2.2]
