"""Growth assertions from the top of the package, and the ``growth`` fixture in our own suite.

The fixture test runs in the plain test run: the fixture reaches it only through the
``pytest11`` entry point of the installed rbmperf (no conftest loads the plugin), so a
broken registration fails here. It carries the ``growth`` marker, so ``-m "not growth"``
leaves it out.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

import rbmperf
from rbmperf.codegrowth import assertions

GROWTH_NAMES = ("assert_growth", "check_growth", "GrowthAssertionError", "GrowthUndecided")


@pytest.mark.parametrize("name", GROWTH_NAMES)
def test_growth_assertions_resolve_from_the_package(name):
    assert name in rbmperf.__all__
    assert getattr(rbmperf, name) is getattr(assertions, name)


def test_growth_assertions_load_on_first_use_only():
    code = (
        "import sys, rbmperf\n"
        "assert 'rbmperf.codegrowth.assertions' not in sys.modules\n"
        "from rbmperf import assert_growth, GrowthAssertionError, GrowthUndecided\n"
        "assert issubclass(GrowthAssertionError, AssertionError)\n"
        "assert issubclass(GrowthUndecided, AssertionError)\n"
        "assert assert_growth.__module__ == 'rbmperf.codegrowth.assertions'\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def count_up(n: int) -> int:
    """n Python additions of 1: about 30 ns each, the same at every n."""
    total = 0
    for _ in range(n):
        total += 1
    return total


def test_a_python_loop_grows_linearly(growth, request):
    # Five sizes over ×256 (0.05 → 15 ms a call): an interval narrow enough to decide within
    # the default budget of 2 s, on a loaded machine too.
    check = growth(count_up, [2_000 * 4**k for k in range(5)], time="linear")
    assert check.outcome == "pass"
    assert request.node.get_closest_marker("growth") is not None  # -m "not growth" skips it
