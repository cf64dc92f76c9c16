"""%prun-style profiles of one epoch."""

from __future__ import annotations

import numpy as np
import pytest

from rbmperf.sweep.profiling import profile_epoch, write_profile


@pytest.fixture(scope="module")
def data() -> np.ndarray:
    return np.random.default_rng(0).random((400, 32))


def table_rows(table: str) -> list[list[str]]:
    """The printed table's lines below its column header, split into its six columns."""
    lines = table.splitlines()
    start = next(i for i, line in enumerate(lines) if "filename:lineno(function)" in line)
    return [line.split(None, 5) for line in lines[start + 1 :]]


def test_rows_are_the_printed_table_in_its_order(data):
    # `rows` is sorted by the module itself, the table printed by pstats: the two must agree
    # line for line (function, calls, times to the table's 3 decimals).
    result = profile_epoch("numpy", 400, data=data, n_hidden=16, limit=5)
    assert "Ordered by: internal time" in result.table
    printed = table_rows(result.table)
    assert len(printed) == len(result.rows) == 5
    for row, (ncalls, tottime, _, cumtime, _, function) in zip(result.rows, printed, strict=True):
        assert function == row.function
        assert ncalls.split("/")[-1] == str(row.ncalls)
        assert float(tottime) == pytest.approx(row.tottime, abs=6e-4)
        assert float(cumtime) == pytest.approx(row.cumtime, abs=6e-4)
    text = result.text()
    assert text.startswith("rbmperf profile: numpy, float64, N=400, one epoch, 1 BLAS thread")


def test_cumulative_profile_starts_at_the_epoch_and_holds_one_epoch(data):
    # Sorted by cumulative time the first row is the timed epoch itself (one call, holding
    # everything else), then the backend's run_epoch. Exactly one epoch is profiled, not the
    # warm-up: 400 rows at batch 100 are 4 calls of the step.
    result = profile_epoch("numpy", 400, data=data, n_hidden=16, limit=8, sort="cumulative")
    assert "Ordered by: cumulative time" in result.table
    assert [line[-1] for line in table_rows(result.table)] == [r.function for r in result.rows]
    top, second = result.rows[:2]
    assert top.function.endswith("(epoch)") and top.ncalls == 1
    assert second.function.endswith("(run_epoch)") and second.ncalls == 1
    assert all(row.cumtime <= top.cumtime for row in result.rows)
    assert top.cumtime <= result.seconds
    steps = [row for row in result.rows if row.function.endswith("(_cd1_into)")]
    assert len(steps) == 1 and steps[0].ncalls == 4


def test_naive_profile_is_dominated_by_its_cd1():
    # The blog's generator hands cd1 the whole data set every step: cd1 is the top entry.
    # The shapes must make the matrix products (timed inside cd1) outweigh the random
    # draws: at 400 x 32 with 16 hidden units they were a tie and the order flipped under
    # CI noise. At 400 x 196 with 256 hidden units cd1 measured ~6.5x the next entry.
    wide = np.random.default_rng(0).random((400, 196))
    result = profile_epoch("naive", 400, data=wide, n_hidden=256, limit=3)
    assert "cd1" in result.rows[0].function


def test_write_profile_puts_the_table_in_the_report_folder(tmp_path, data):
    result = profile_epoch("numpy", 200, data=data, n_hidden=16, dtype="float32")
    path = write_profile(result, tmp_path)
    assert path == tmp_path / "profiles" / "profile_numpy_float32_N200.txt"
    assert path.read_text() == result.text()


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"sort": "alphabetical"}, ValueError, "sort must be one of"),
        ({"backend": "nope"}, ValueError, "unknown backend 'nope'"),
        ({"n": 0}, ValueError, "n must be >= 1"),
        ({"n": 1000}, ValueError, "cannot profile N=1000"),
        ({"dtype": "int8"}, ValueError, "dtype must be one of"),
    ],
)
def test_bad_input_is_named(kwargs, error, message, data):
    arguments = {"backend": "numpy", "n": 100, "data": data, **kwargs}
    with pytest.raises(error, match=message):
        profile_epoch(**arguments)
