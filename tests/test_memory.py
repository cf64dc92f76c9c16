"""Peak memory of one call (tracemalloc) and of one child process (ru_maxrss).

tracemalloc counts bytes exactly, so the tolerances below are only the few hundred bytes of
bookkeeping the interpreter and NumPy add to a call (measured: ``np.zeros(n)`` reads
``8n + 96`` bytes, a call that allocates nothing reads 0). Peak RSS is rounded to pages and
includes the interpreter, so those checks have MB tolerances.
"""

from __future__ import annotations

import sys
import tracemalloc

import numpy as np
import pytest

from rbmperf.engine.memory import (
    ChildFailedError,
    baseline_peak_rss,
    command_peak_rss,
    peak_bytes,
    trivial_command,
)
from rbmperf.errors import InputError

MB = 2**20


@pytest.mark.parametrize("n", [1_000, 100_000, 2_000_000])
def test_the_peak_of_np_zeros_is_eight_bytes_an_element(n):
    peak = peak_bytes(np.zeros, n)
    assert 8 * n <= peak <= 8 * n + 512, peak  # tolerance: the array object's header


def test_a_function_that_allocates_nothing_reads_a_few_hundred_bytes_at_most():
    assert peak_bytes(lambda n: None, 10**6) <= 300
    assert peak_bytes(lambda n: n + 1, 10**6) <= 300


def test_memory_freed_before_returning_still_counts_and_the_argument_does_not():
    data = np.ones(500_000)

    def temporary_copy(array):
        doubled = array * 2  # 4 MB, freed on return
        return float(doubled.sum())

    peak = peak_bytes(temporary_copy, data)
    assert 8 * data.size <= peak <= 8 * data.size + 4096


def test_tracing_is_left_as_it_was():
    assert not tracemalloc.is_tracing()
    peak_bytes(np.zeros, 10)
    assert not tracemalloc.is_tracing()
    tracemalloc.start()
    try:
        kept = np.ones(100_000)  # traced before the call: not part of its peak
        assert 800_000 <= peak_bytes(np.zeros, 100_000) <= 800_512
        assert tracemalloc.is_tracing()
        del kept
    finally:
        tracemalloc.stop()


def test_a_child_peak_rss_sees_the_memory_it_touched():
    touched = command_peak_rss([sys.executable, "-c", "import numpy; a = numpy.ones(12_500_000)"])
    start_up = baseline_peak_rss([sys.executable, "script.py"])
    # 100 MB touched; tolerance: NumPy's import (≤ 60 MB here) and page rounding.
    assert 100 * MB <= touched - start_up <= 160 * MB, (touched, start_up)


def test_a_trivial_child_reads_its_own_size_not_this_interpreters():
    # Forked straight from this process, `true` would inherit its peak (tens of MB).
    assert command_peak_rss(["true"]) < 20 * MB


def test_the_trivial_child_is_of_the_same_program():
    assert trivial_command([sys.executable, "x.py", "10"]) == [sys.executable, "-c", "pass"]
    assert trivial_command(["Rscript", "x.R"]) == ["Rscript", "-e", "0"]
    assert trivial_command(["./a.out", "10"])[0].endswith("true")


def test_a_failing_or_missing_command_says_so():
    failing = "import sys; sys.stderr.write('gone wrong'); sys.exit(3)"
    with pytest.raises(ChildFailedError, match="exit status 3") as caught:
        command_peak_rss([sys.executable, "-c", failing])
    assert "gone wrong" in str(caught.value)
    with pytest.raises(FileNotFoundError, match="no-such-program"):
        command_peak_rss(["no-such-program", "1"])
    with pytest.raises(InputError, match="give a command"):
        command_peak_rss([])
