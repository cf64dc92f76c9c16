"""A pytest plugin for growth checks: the ``growth`` fixture, marker, options and summary.

In pytest-benchmark's conventions: a test asks for the ``growth`` fixture and calls it with
:func:`~rbmperf.codegrowth.assertions.assert_growth`'s arguments::

    def test_total_is_linear(growth):
        growth(total, [20_000, 40_000, 80_000, 160_000], time="linear")

    def test_padding_keeps_memory_linear(growth):
        growth(pad, [1_000, 4_000, 16_000, 64_000], setup=make_rows, time=None, memory="linear")

The call measures and judges with the run's defaults (the options below), raises
:class:`~rbmperf.codegrowth.assertions.GrowthAssertionError` on a confident violation, and
keeps the result for the summary. Every test that uses the fixture carries the ``growth``
marker, so ``pytest -m growth`` runs only them and ``-m "not growth"`` leaves them out.

Options
-------
``--growth-budget SECONDS``
    Seconds each check's timing may spend (default 2); a call's own ``budget=`` wins.
``--growth-undecided {fail,skip}``
    What an undecided check does: fail the test with
    :class:`~rbmperf.codegrowth.assertions.GrowthUndecided` (default), or skip it with the
    same message.
``--growth-json PATH``
    Write every check of the run to PATH (checked before the tests run).

The plugin is registered through the ``pytest11`` entry point
``rbmperf.codegrowth.pytest_plugin`` (named after the module, so that also loading it with
``-p rbmperf.codegrowth.pytest_plugin`` is harmless); ``-p no:rbmperf.codegrowth.pytest_plugin``
turns it off. Under pytest-xdist each worker keeps its own checks: the summary and the JSON
file of the controlling process are empty.
"""

from __future__ import annotations

import argparse
import json
import math
from collections.abc import Callable, Sequence
from typing import Any

import pytest

from ..errors import InputError
from ..jsonvalues import to_jsonable
from ..paths import check_output_file
from .assertions import (
    Bound,
    GrowthAssertionError,
    GrowthCheck,
    GrowthUndecided,
    check_growth,
    interval_text,
)

DEFAULT_BUDGET = 2.0
MARKER = "growth"
_CHECKS = pytest.StashKey[list]()


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"must be a number of seconds > 0; got {text!r}")
    return value


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("growth", "growth checks (rbmperf's growth fixture)")
    group.addoption(
        "--growth-budget",
        type=_seconds,
        default=DEFAULT_BUDGET,
        metavar="SECONDS",
        help=f"seconds each growth check's timing may spend (default {DEFAULT_BUDGET:g})",
    )
    group.addoption(
        "--growth-undecided",
        choices=("fail", "skip"),
        default="fail",
        help="what an undecided growth check does: fail the test (default) or skip it",
    )
    group.addoption(
        "--growth-json",
        metavar="PATH",
        default=None,
        help="write every growth check of the run to this JSON file",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{MARKER}: the test checks how code grows (it uses the growth fixture); "
        f'deselect with -m "not {MARKER}"',
    )
    config.stash[_CHECKS] = []
    path = config.getoption("growth_json", None)
    if path:
        try:
            check_output_file(path, "--growth-json")
        except InputError as error:
            raise pytest.UsageError(str(error)) from None


def pytest_itemcollected(item: pytest.Item) -> None:
    # Before `-m` deselects: every test that uses the fixture, directly or through
    # another fixture, carries the marker.
    if MARKER in getattr(item, "fixturenames", ()):
        item.add_marker(MARKER)


class GrowthFixture:
    """The ``growth`` fixture: call it as :func:`~rbmperf.codegrowth.assertions.assert_growth`.

    Attributes
    ----------
    checks : list of GrowthCheck
        This test's checks so far.
    """

    def __init__(self, test: str, budget: float, undecided: str, record: list):
        self._test = test
        self._budget = budget
        self._undecided = undecided
        self._record = record
        self.checks: list[GrowthCheck] = []

    def __call__(
        self,
        func: Callable[[Any], object],
        sizes: Sequence[int],
        *,
        setup: Callable[[int], object] | None = None,
        time: Bound | None = "linear",
        memory: Bound | None = None,
        budget: float | None = None,
        clock: str = "cpu",
    ) -> GrowthCheck:
        """Measure, judge, record; fail (or skip) the test unless the check passes.

        Parameters are :func:`~rbmperf.codegrowth.assertions.assert_growth`'s; `budget`
        defaults to ``--growth-budget``.

        Returns
        -------
        GrowthCheck
            When the check passed.
        """
        __tracebackhide__ = True  # the failure points at the test's line, not at this one
        check = check_growth(
            func,
            sizes,
            setup=setup,
            time=time,
            memory=memory,
            budget=self._budget if budget is None else budget,
            clock=clock,
        )
        self.checks.append(check)
        self._record.append((self._test, check, self._undecided))
        if check.outcome == "fail":
            raise GrowthAssertionError(check.message(), check)
        if check.outcome == "undecided":
            if self._undecided == "skip":
                pytest.skip(f"undecided: {check.message()}")
            raise GrowthUndecided(check.message(), check)
        return check


@pytest.fixture
def growth(request: pytest.FixtureRequest) -> GrowthFixture:
    """Check how code grows: ``growth(func, sizes, setup=..., time="linear", memory=None)``.

    Measures and asserts as :func:`rbmperf.codegrowth.assertions.assert_growth` does, with
    the run's ``--growth-budget`` and ``--growth-undecided``, and keeps the result for the
    summary table and ``--growth-json``.
    """
    config = request.config
    return GrowthFixture(
        request.node.nodeid,
        config.getoption("growth_budget", DEFAULT_BUDGET),
        config.getoption("growth_undecided", "fail"),
        config.stash[_CHECKS],
    )


def summary_rows(records: Sequence[tuple[str, GrowthCheck, str]]) -> list[list[str]]:
    """The summary table's rows: test, time k [CI], memory k [CI], verdict, seconds."""
    rows = [["test", "time k [CI]", "memory k [CI]", "verdict", "seconds"]]
    per_test: dict[str, int] = {}
    for test, _, _ in records:
        per_test[test] = per_test.get(test, 0) + 1
    for test, check, undecided in records:
        name = test if per_test[test] == 1 else f"{test} ({check.label})"
        time_text = "-" if check.time is None else interval_text(check.time.growth)
        if check.memory is None:
            memory_text = "-"
        elif check.memory.constant:
            memory_text = "constant"
        else:
            memory_text = interval_text(check.memory.fit)
        verdict = check.outcome
        if verdict == "undecided" and undecided == "skip":
            verdict = "undecided (skipped)"
        rows.append([name, time_text, memory_text, verdict, f"{check.seconds:.2f}"])
    return rows


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    records = config.stash.get(_CHECKS, [])
    if not records:
        return
    rows = summary_rows(records)
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
    terminalreporter.write_sep("-", "growth")
    for row in rows:
        cells = [cell.ljust(width) for cell, width in zip(row[:-1], widths, strict=False)]
        terminalreporter.write_line("  ".join([*cells, row[-1].rjust(widths[-1])]).rstrip())
    path = config.getoption("growth_json", None)
    if path:
        terminalreporter.write_line(f"growth checks written to {path}")


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    path = session.config.getoption("growth_json", None)
    if not path:
        return
    records = session.config.stash.get(_CHECKS, [])
    document = {
        "schema": 1,
        "budget": session.config.getoption("growth_budget", DEFAULT_BUDGET),
        "undecided": session.config.getoption("growth_undecided", "fail"),
        "checks": [check_record(test, check) for test, check, _ in records],
    }
    with open(path, "w", encoding="utf-8") as file:
        json.dump(to_jsonable(document), file, indent=1, allow_nan=False)
        file.write("\n")


def check_record(test: str, check: GrowthCheck) -> dict[str, Any]:
    """One check as plain JSON values (NaN written as None)."""
    record: dict[str, Any] = {
        "test": test,
        "label": check.label,
        "sizes": list(check.sizes),
        "outcome": check.outcome,
        "seconds": check.seconds,
        "budget": check.budget,
        "time": None,
        "memory": None,
    }
    if check.time is not None:
        fit = check.time.growth
        record["time"] = {
            "bound": check.time_bound,
            "outcome": check.time_outcome,
            "reason": check.time_reason,
            "clock": check.time.clock,
            "exponent": _number(fit.exponent),
            "ci": [_number(fit.ci_low), _number(fit.ci_high)],
            "sizes": list(check.time.sizes),
            "median_seconds": list(check.time.median_seconds()),
            "skipped": [skipped.n for skipped in check.time.skipped],
        }
    if check.memory is not None:
        fit = check.memory.fit
        record["memory"] = {
            "bound": check.memory_bound,
            "outcome": check.memory_outcome,
            "reason": check.memory_reason,
            "constant": check.memory.constant,
            "exponent": None if fit is None else _number(fit.exponent),
            "ci": None if fit is None else [_number(fit.ci_low), _number(fit.ci_high)],
            "sizes": list(check.memory.sizes),
            "peak_bytes": list(check.memory.peaks),
        }
    return record


def _number(value: float) -> float | None:
    return float(value) if math.isfinite(value) else None
