"""The pytest plugin, run in a child pytest (``pytester``): fixture, marker, options, summary.

The child loads the plugin with ``-p rbmperf.codegrowth.pytest_plugin`` (the name of its
``pytest11`` entry point, so this also works where rbmperf is installed with it). Its tests
check growth that is unmistakable: a sum over n (k = 1) against "linear", a loop in a loop
(k = 2) against "linear", and memory whose bytes are exact (tracemalloc).
"""

from __future__ import annotations

import json

import pytest

pytest_plugins = ["pytester"]

PLUGIN = ("-p", "rbmperf.codegrowth.pytest_plugin")

FUNCTIONS = """
import numpy as np
import pytest


def sum_to(n):
    total = 0
    for _ in range(n):
        total += 1
    return total


def nested(n):
    total = 0
    for _ in range(n):
        for _ in range(n):
            total += 1
    return total


LINEAR_SIZES = [1250 * 2**k for k in range(9)]
"""


def run(pytester: pytest.Pytester, source: str, *args: str) -> pytest.RunResult:
    pytester.makepyfile(test_grows=FUNCTIONS + source)
    return pytester.runpytest(*PLUGIN, "-p", "no:cacheprovider", *args)


def test_a_passing_check_is_summarised_with_its_exponent_and_interval(pytester):
    result = run(
        pytester,
        """
def test_sum_is_linear(growth):
    check = growth(sum_to, LINEAR_SIZES)
    assert check.outcome == "pass"
""",
    )
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(
        [
            "*- growth -*",
            "test*time k ?CI?*memory k ?CI?*verdict*seconds",
            "test_grows.py::test_sum_is_linear*[[]*,*[]]*-*pass*",
        ]
    )


def test_a_violation_fails_the_test_with_the_exponent_interval_sizes_and_bound(pytester):
    result = run(
        pytester,
        """
def test_nested_is_linear(growth):
    growth(nested, [50, 100, 200, 400, 800])
""",
    )
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*GrowthAssertionError: nested: growth check fail",
            "*time:   fail: k = *, 95% CI [[]*] lies above linear (k ≤ 1.15); sizes 50, 100,*",
            "*- growth -*",
            "test_grows.py::test_nested_is_linear  *-*fail*",
        ]
    )


UNDECIDED = """
def test_small_lists_are_constant(growth):
    # The list and its ints: two of the four peaks under 4 KiB, so it cannot be decided.
    growth(lambda n: list(range(n)), [100, 200, 400, 800], time=None, memory="constant")
"""


def test_an_undecided_check_fails_by_default_and_skips_when_asked(pytester):
    result = run(pytester, UNDECIDED)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*GrowthUndecided: *", "*More would decide: larger sizes*"])
    result = run(pytester, UNDECIDED, "--growth-undecided=skip", "-rs")
    result.assert_outcomes(skipped=1)
    result.stdout.fnmatch_lines(
        ["*test_small_lists_are_constant*undecided (skipped)*", "SKIPPED *undecided: <lambda>*"]
    )


def test_every_test_using_the_fixture_is_marked_growth(pytester):
    source = """
@pytest.fixture
def linear_check(growth):
    return lambda: growth(np.zeros, [1000, 2000, 4000, 8000], time=None, memory="linear")


def test_direct(growth):
    growth(np.zeros, [1000, 2000, 4000, 8000], time=None, memory="linear")


def test_through_another_fixture(linear_check):
    linear_check()


def test_plain():
    pass
"""
    result = run(pytester, source, "-m", "not growth", "--strict-markers")
    result.assert_outcomes(passed=1, deselected=2)
    result = run(pytester, source, "-m", "growth", "--strict-markers")
    result.assert_outcomes(passed=2, deselected=1)
    result.stdout.fnmatch_lines(["*test_direct*-*1.00 [[]0.9*, 1.00[]]*pass*"])


def test_the_json_file_holds_every_check_with_the_runs_budget(pytester):
    source = """
def test_memory(growth):
    growth(np.zeros, [1000, 2000, 4000, 8000], time=None, memory="linear")


def test_time(growth):
    growth(nested, [50, 100, 200, 400, 800])
"""
    path = pytester.path / "out" / "growth.json"
    result = run(pytester, source, f"--growth-json={path}", "--growth-budget=1.5")
    result.assert_outcomes(passed=1, failed=1)
    document = json.loads(path.read_text())
    assert document["budget"] == 1.5
    memory, timing = document["checks"]
    assert memory["test"].endswith("::test_memory") and memory["outcome"] == "pass"
    assert memory["memory"]["peak_bytes"][0] >= 8000 and memory["time"] is None
    assert memory["memory"]["exponent"] == pytest.approx(1.0, abs=0.05)  # bytes are exact
    assert timing["outcome"] == "fail" and timing["budget"] == 1.5
    assert timing["time"]["ci"][0] > 1.15  # tolerance: measured k = 1.8–2.1 here


def test_bad_options_are_usage_errors_before_any_test_runs(pytester):
    pytester.makepyfile(test_never="def test_never(growth):\n    raise AssertionError")
    result = pytester.runpytest(*PLUGIN, f"--growth-json={pytester.path}")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--growth-json * is a directory, not a file*"])
    result = pytester.runpytest(*PLUGIN, "--growth-budget=0")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--growth-budget: must be a number of seconds > 0; got '0'*"])
    result = pytester.runpytest(*PLUGIN, "--growth-undecided=pass")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
