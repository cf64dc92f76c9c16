"""Instruction counts under valgrind's cachegrind: exact repeats, growth, bad input.

Counts are exact, so repeats are compared for equality. Each child under valgrind costs
1–5 s here (an interpreter start-up), so the tests that run valgrind are few: 11 children
in all. They are skipped, with the reason, where valgrind cannot count.
"""

from __future__ import annotations

import functools
import math
import sys

import pytest
from plain_functions import Counter, broken, total

from rbmperf.engine import instructions
from rbmperf.engine.instructions import (
    callable_reference,
    command_instructions,
    count_calls,
    instructions_per_call,
    valgrind_status,
)
from rbmperf.engine.memory import ChildFailedError
from rbmperf.errors import InputError, InputTypeError


@pytest.fixture
def valgrind() -> None:
    """Skip, with valgrind_status()'s reason, where valgrind cannot count (checked only
    when a test that needs it runs: the check itself runs valgrind once)."""
    problem = valgrind_status()
    if problem:
        pytest.skip(problem)


def local_function_holder():
    def inner(n):
        return n

    return inner


@pytest.mark.parametrize(
    ("func", "message"),
    [
        (lambda n: n, "<lambda> is a lambda"),
        (local_function_holder(), "inner is defined inside another function"),
        (functools.partial(total), "cannot be sent to a child process"),
        (Counter().count, "Counter.count is not what that name imports"),
        (Counter(), "cannot be sent to a child process"),
        (3, "func must be callable; got int"),
    ],
)
def test_what_a_child_cannot_import_is_refused_by_name_before_anything_runs(func, message):
    with pytest.raises(InputTypeError, match=message):
        count_calls(func, [10, 20])


def test_a_function_of_main_is_refused():
    def script_function(n):
        return n

    script_function.__module__ = "__main__"
    script_function.__qualname__ = "script_function"
    with pytest.raises(InputTypeError, match="defined in __main__"):
        callable_reference(script_function, "setup")


def test_importable_functions_and_builtins_are_sent_by_module_and_name():
    assert callable_reference(total) == ("plain_functions", "total")
    assert callable_reference(sorted) == ("builtins", "sorted")
    assert callable_reference(Counter.count) == ("plain_functions", "Counter.count")


def test_bad_counts_and_a_missing_valgrind_are_one_error_before_any_child(monkeypatch):
    with pytest.raises(InputError, match="calls must be an integer >= 1; got 0"):
        count_calls(total, [10], calls=0)
    with pytest.raises(InputError, match="sizes must be integers > 1"):
        count_calls(total, [1.5])
    monkeypatch.setenv("PATH", "/nonexistent")
    status = valgrind_status.__wrapped__()
    assert status.startswith("valgrind is not installed") and "\n" not in status
    monkeypatch.setattr(instructions, "valgrind_status", lambda: status)
    with pytest.raises(InputError, match="valgrind is not installed"):
        count_calls(total, [10])


def test_a_callables_count_repeats_exactly_and_grows_linearly(valgrind):
    first = count_calls(total, [2000, 8000], calls=2)
    again = instructions_per_call(total, 2000, calls=2)
    assert again == first[0]  # exact: PYTHONHASHSEED=0, one thread
    # Start-up, imports and the warm-up call cancel: a call is far below an empty child's count.
    assert first[0].per_call < first[0].baseline / 20
    exponent = math.log(first[1].per_call / first[0].per_call) / math.log(4)
    # Tolerance: the first 256 additions use cached small ints (measured k = 1.03).
    assert 0.97 <= exponent <= 1.08, first


def test_a_commands_count_grows_with_its_work_above_the_interpreters_start_up(valgrind):
    def count(statement):
        return command_instructions([sys.executable, "-S", "-c", statement])

    start_up = count("pass")
    small, large = count("sum(range(100_000))"), count("sum(range(400_000))")
    # Tolerance: 1% (the loop's set-up and the ints' first allocations).
    assert (large - start_up) / (small - start_up) == pytest.approx(4, rel=0.01)


def test_a_failing_child_shows_its_error(valgrind):
    with pytest.raises(ChildFailedError, match="broken at n=10"):
        instructions_per_call(broken, 10)
