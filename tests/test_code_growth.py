"""time_growth and compare_growth on functions whose growth is known.

Timing tests use CPU time (other processes on the loaded CI box barely move it) and
functions whose growth is unmistakable at sizes that run in well under a second. The
tolerances are stated where each is asserted; a verdict of ``linear`` means the whole
interval lies within [0.85, 1.15], ``superlinear`` that it lies above 1.15.
"""

from __future__ import annotations

import sys
import time

import numpy as np
import pytest
from growth_functions import nested, outer, sum_to

import rbmperf
from rbmperf.codegrowth.timegrowth import (
    DisagreementError,
    GrowthResult,
    SetupError,
    compare_growth,
    outputs_agree,
    parse_sizes,
    time_growth,
)


def sleeper(n: int) -> None:
    """Wall time known in advance: n × 10 µs (a sleep uses almost no CPU)."""
    time.sleep(n * 1e-5)


# The fit uses the largest 8 of these 11 sizes, 10,000…1,280,000 (a 128× range: the range,
# more than the repeats, narrows the interval). With 5 repeats it read linear in 40 runs of
# 40 on the loaded 2-core box (load average 2-6), against 19 of 20 with 3. About 1 s.
LINEAR_SIZES = [1250 * 2**k for k in range(11)]
QUADRATIC_SIZES = [50, 100, 200, 400, 800]


def test_a_sum_over_n_is_linear():
    result = time_growth(sum_to, LINEAR_SIZES, repeats=5)
    # Tolerance: the verdict itself, i.e. the 95% interval within 1 ± 0.15.
    assert result.growth.verdict == "linear", result
    assert result.sizes == tuple(LINEAR_SIZES)
    assert all(len(repeat) == 5 for repeat in result.times)


def test_a_nested_loop_is_superlinear_with_an_exponent_near_two():
    result = time_growth(nested, QUADRATIC_SIZES)
    assert result.growth.verdict == "superlinear", result
    # Tolerance: k within 2 ± 0.35 (measured 1.8-2.1 on the loaded 2-core box).
    assert 1.65 <= result.growth.exponent <= 2.35, result


def test_a_linear_function_calling_a_hidden_quadratic_helper_is_superlinear():
    result = time_growth(outer, [250, 500, 1000, 2000, 4000])
    assert result.growth.verdict == "superlinear", result
    assert result.growth.exponent >= 1.5, result  # tolerance: the helper dominates from n=1000


def test_the_result_holds_every_repeat_on_both_clocks():
    # No budget: exactly `repeats` rounds, nothing added to decide.
    result = time_growth(sleeper, [100, 200, 400, 800], clock="wall", repeats=2, budget=None)
    assert result.clock == "wall" and result.times == result.wall_times
    assert [len(r) for r in result.cpu_times] == [2, 2, 2, 2]
    sizes, seconds = result.points()
    assert sizes.tolist() == [100, 100, 200, 200, 400, 400, 800, 800]
    # A sleep of n × 10 µs takes at least that long per call, and (tolerance) at most
    # 5 ms more, even on a loaded machine.
    assert np.all(seconds >= sizes * 1e-5)
    assert np.all(seconds <= sizes * 1e-5 + 5e-3)
    assert result.calls_per_repeat[-1] == 1  # 8 ms calls are not looped


def test_setup_builds_the_argument_once_per_size_untimed():
    built = []

    def setup(n):
        built.append(n)
        time.sleep(0.01)  # untimed: must not show in the times
        return list(range(n))

    result = time_growth(len, [1000, 2000, 4000], setup=setup, clock="wall")
    assert built == [1000, 2000, 4000]
    assert max(max(r) for r in result.times) < 0.005


def test_one_untimed_warm_up_call_at_the_first_size_only():
    seen = []

    def slow(n):
        seen.append(n)
        time.sleep(0.003)  # > 2 ms: one call per repeat

    # Rounds: the first ascends, the second descends (drift cancels in pairs of rounds).
    time_growth(slow, [10, 20, 40], repeats=2, clock="wall")
    assert seen == [10, 10, 20, 40, 40, 20, 10]
    seen.clear()
    time_growth(slow, [10, 20, 40], repeats=2, clock="wall", warmup=False)
    assert seen == [10, 20, 40, 40, 20, 10]


def test_short_calls_are_looped_to_a_measurable_repeat():
    sizes = [10, 20, 40, 80]
    one = time_growth(lambda n: n + 1, sizes)
    hundred = time_growth(lambda n: [n + 1 for _ in range(100)], sizes)
    # Each repeat runs enough calls for ~2 ms, and the times are per call: a call doing 100
    # additions then takes many times one doing one (measured 30–60× here; a repeat's total
    # instead of a per-call time would make the two about equal). Tolerance: more than 5×.
    assert min(one.calls_per_repeat) > 10
    per_call = [float(np.median([t for r in result.times for t in r])) for result in (one, hundred)]
    assert per_call[1] > 5 * per_call[0], per_call


def test_the_budget_predicts_the_next_size_and_skips_it():
    # Wall times n × 10 µs: 1 (looped to 2), 2, 4, 8, 16 ms, then 32 ms predicted at
    # n = 3,200. A budget of 0.15 s over 3 rounds leaves 50 ms a round: the sizes up to
    # 1,600 cost 32 ms a round, so 3,200 does not fit (18 ms left), nor anything larger;
    # 1,600 fits with 34 ms to spare, room for a loaded machine's late sleeps.
    result = time_growth(
        sleeper, [100, 200, 400, 800, 1600, 3200, 6400], clock="wall", budget=0.15, repeats=3
    )
    assert result.sizes == (100, 200, 400, 800, 1600)
    assert [s.n for s in result.skipped] == [3200, 6400]
    first = result.skipped[0]
    # Tolerance: the prediction is the measured trend, 32 ms, within a factor of 2.
    assert 0.016 <= first.predicted_seconds <= 0.064, first
    assert "left of a round's share (0.05 s of the 0.15 s budget" in first.reason
    assert "smaller size was skipped" in result.skipped[1].reason
    assert all(len(times) >= 3 for times in result.times)
    assert "skipped n = 3,200" in repr(result)


@pytest.mark.parametrize(
    ("sizes", "message"),
    [
        ([1000], "at least two sizes"),
        ([], "at least two sizes"),
        ([1000, 500], "must increase; 500 follows 1,000"),
        ([1000, 1000], "must increase"),
        ([1, 10], "must be > 1"),
        ([10, 20.5], "integers"),
        ([True, 20], "integers"),
        ("100,200", "sequence of integers"),
    ],
)
def test_bad_sizes_are_refused_before_anything_runs(sizes, message):
    # validation.check_sizes: a wrong kind of value is a TypeError, a wrong value a ValueError.
    calls = []
    with pytest.raises((ValueError, TypeError), match=message):
        time_growth(calls.append, sizes)
    assert calls == []


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"repeats": 0}, "repeats"),
        ({"clock": "gpu"}, "clock must be one of cpu, wall"),
        ({"budget": 0}, "budget"),
        ({"budget": -1.0}, "budget"),
    ],
)
def test_bad_options_are_refused_before_anything_runs(options, message):
    calls = []
    with pytest.raises(ValueError, match=message):
        time_growth(calls.append, [10, 20], **options)
    assert calls == []


def test_a_failing_setup_names_the_size():
    def setup(n):
        if n == 400:
            raise MemoryError("too big")
        return n

    with pytest.raises(SetupError, match=r"setup\(400\) raised MemoryError: too big") as caught:
        time_growth(sum_to, [100, 200, 400], setup=setup)
    assert caught.value.n == 400
    assert isinstance(caught.value.__cause__, MemoryError)


@pytest.mark.skipif(sys.version_info < (3, 11), reason="exception notes are Python 3.11+")
def test_a_failing_function_keeps_its_exception_with_a_note_naming_the_size():
    def fails_at_400(n):
        if n == 400:
            raise ZeroDivisionError("boom")

    with pytest.raises(ZeroDivisionError, match="boom") as caught:
        time_growth(fails_at_400, [100, 200, 400], warmup=False)
    assert any("n=400" in note for note in caught.value.__notes__)


def test_ctrl_c_returns_the_result_so_far():
    def interrupted_at_400(n):
        if n == 400:
            raise KeyboardInterrupt
        return sum_to(n)

    result = time_growth(interrupted_at_400, [100, 200, 400, 800])
    assert result.sizes == (100, 200)
    assert result.interrupted_at == 400
    assert result.requested == (100, 200, 400, 800)
    assert result.growth.verdict == "inconclusive"  # two sizes: too few for a verdict
    assert "interrupted at n = 400" in repr(result)


def test_ctrl_c_in_setup_and_before_any_measurement():
    def setup(n):
        raise KeyboardInterrupt

    result = time_growth(sum_to, [100, 200], setup=setup)
    assert result.sizes == () and result.interrupted_at == 100
    assert result.growth.verdict == "inconclusive"
    assert "nothing was measured" in result.growth.reason


def test_the_repr_html_and_plot():
    result = time_growth(nested, QUADRATIC_SIZES[:4])
    text = repr(result)
    assert text.startswith("GrowthResult 'nested': CPU time per call")
    assert result.growth.reason in text and "400" in text
    assert result.growth.reason in result.summary_line()
    page = result._repr_html_()
    assert "<table>" in page and result.growth.verdict in page
    axes = result.plot()
    assert axes.get_xscale() == "log" and axes.get_yscale() == "log"
    assert any("superlinear" in text.get_text() for text in axes.get_legend().get_texts())


def test_the_public_api_is_re_exported():
    assert rbmperf.time_growth is time_growth
    assert rbmperf.compare_growth is compare_growth
    assert rbmperf.GrowthResult is GrowthResult


# --- compare_growth ---------------------------------------------------------------------


def test_compare_growth_times_every_kernel_on_the_same_data():
    built = []

    def setup(n):
        built.append(n)
        return np.arange(n, dtype=np.float64)

    comparison = compare_growth(
        {"python": lambda x: sum(x.tolist()), "numpy": np.sum},
        [1000, 2000, 4000, 8000],
        setup=setup,
    )
    assert built == [1000, 2000, 4000, 8000]  # one setup per size serves both kernels
    assert list(comparison) == ["python", "numpy"]
    assert comparison["python"].sizes == comparison["numpy"].sizes == (1000, 2000, 4000, 8000)
    assert set(comparison.growth) == {"python", "numpy"}
    text = repr(comparison)
    assert "python" in text and "numpy" in text and "checked for agreement" in text
    axes = comparison.plot()
    assert len(axes.get_legend().get_texts()) == 2  # one figure, both kernels


def test_repeats_are_interleaved_across_kernels():
    order = []

    def kernel(label):
        def run(n):
            order.append((label, n))
            time.sleep(0.0025)  # one call per repeat

        return run

    compare_growth({"a": kernel("a"), "b": kernel("b")}, [10, 20], repeats=2, warmup=False,
                   check=None, clock="wall")  # fmt: skip
    # Round 0 ascends, round 1 descends; at each size the kernels take turns.
    assert order == [("a", 10), ("b", 10), ("a", 20), ("b", 20),
                     ("a", 20), ("b", 20), ("a", 10), ("b", 10)]  # fmt: skip


def test_kernels_that_disagree_name_both_and_the_size():
    kernels = {"exact": lambda n: float(n), "off_by_one": lambda n: float(n + (n >= 400))}
    with pytest.raises(DisagreementError, match=r"'exact' and 'off_by_one' disagree at n=400"):
        compare_growth(kernels, [100, 200, 400, 800])
    comparison = compare_growth(kernels, [100, 200, 400, 800], check=None)
    assert comparison["off_by_one"].sizes == (100, 200, 400, 800)
    assert not comparison.checked


def test_the_check_is_replaceable():
    kernels = {"a": lambda n: n, "b": lambda n: n + 1}
    compare_growth(kernels, [10, 20], check=lambda x, y: abs(x - y) <= 1)
    with pytest.raises(DisagreementError, match="raised RuntimeError: no"):
        compare_growth(kernels, [10, 20], check=_raising_check)


def _raising_check(a, b):
    raise RuntimeError("no")


def test_the_budget_skips_one_kernel_and_keeps_the_others():
    comparison = compare_growth(
        {"slow": lambda n: time.sleep(n * 1e-4), "fast": lambda n: time.sleep(n * 1e-6)},
        [10, 20, 40, 80, 160],
        check=None,
        clock="wall",
        budget=0.03,
        repeats=1,
    )
    # 30 ms a round per kernel: the slow one's sizes up to 80 cost 16 ms, 160 would add 16
    # more; the fast one's five repeats are looped to 2 ms each, 10 ms in all.
    assert 160 in [s.n for s in comparison["slow"].skipped]
    assert comparison["fast"].sizes == (10, 20, 40, 80, 160)


def test_outputs_agree_on_arrays_scalars_and_containers():
    assert outputs_agree(np.ones(3), np.ones(3) + 1e-12)
    assert not outputs_agree(np.ones(3), np.ones(4))
    assert not outputs_agree(np.ones(3), 2 * np.ones(3))
    assert outputs_agree((1.0, {"w": np.zeros(2)}), [1.0, {"w": np.zeros(2)}])
    assert not outputs_agree({"w": 1}, {"v": 1})
    assert outputs_agree(None, None) and outputs_agree("abc", "abc")
    assert outputs_agree(float("nan"), float("nan"))


@pytest.mark.parametrize(
    ("text", "sizes"),
    [
        ("500,1000,2000", (500, 1000, 2000)),
        ("500:16000:x2", (500, 1000, 2000, 4000, 8000, 16000)),
        ("500:15000:x2", (500, 1000, 2000, 4000, 8000)),
        ("1000:4000:x1.5", (1000, 1500, 2250, 3375)),
        ("1_000,2_000", (1000, 2000)),
    ],
)
def test_parse_sizes(text, sizes):
    assert parse_sizes(text) == sizes


@pytest.mark.parametrize(
    "text", ["500:16000", "500:16000:2", "500:100:x2", "500:1000:x1", "a,b", "5"]
)
def test_parse_sizes_refuses_bad_text(text):
    with pytest.raises(ValueError):
        parse_sizes(text)


def test_blas_is_pinned_to_one_thread_unless_told_otherwise():
    from threadpoolctl import threadpool_info

    def blas_threads(n):
        return {pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"}

    seen = []
    result = time_growth(lambda n: seen.append(blas_threads(n)), [10, 20], repeats=1)
    assert result.threads == 1 and seen and all(threads <= {1} for threads in seen)
    assert "1 BLAS thread" in result.summary_line()
    outside = blas_threads(0)
    seen.clear()
    time_growth(lambda n: seen.append(blas_threads(n)), [10, 20], repeats=1, threads=None)
    assert all(threads == outside for threads in seen)
    with pytest.raises(ValueError, match="threads"):
        time_growth(sum_to, [10, 20], threads=0)
