"""Clocks and timed regions: the one place rbmperf reads a clock.

Every timing in rbmperf — the backend sweep, ``time_growth`` and its relatives, the CI
ratio checks — reads its clocks through :func:`timed`, pins BLAS threads through
:func:`blas_threads` and orders repeats with :func:`interleaved_order`.

Why CPU time is offered beside wall time: with BLAS at one thread the work is
single-threaded, so the two agree on an idle machine; on a busy one they do not. Measured
on the 2-vCPU machines here with two busy-loop processes competing: wall time per sample
swung 2–7× between repeats while CPU time stayed within ±5%. (Sleeping or waiting is
invisible to the CPU clock.)
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Hashable, Iterator, Mapping
from typing import Any

from .regions import ReportedTimes

#: The clocks a timed region reads: this process's CPU time (all its threads) and elapsed
#: time.
TIMED_CLOCKS = ("cpu", "wall")
#: Every clock a growth can be measured on: the timed ones, and ``"instructions"``, counted
#: by valgrind in a child process (:mod:`.instructions`), for callables and commands.
CLOCKS = (*TIMED_CLOCKS, "instructions")


def timed(call: Callable[[], object]) -> tuple[float, float]:
    """Wall seconds (:func:`time.perf_counter`) and CPU seconds of this process
    (:func:`time.process_time`, all its threads) that `call` takes.

    A call that returns :class:`~rbmperf.engine.regions.ReportedTimes` (a child process
    that timed its own epoch) is taken at its word.
    """
    cpu_began = time.process_time()
    began = time.perf_counter()
    result = call()
    wall = time.perf_counter() - began
    cpu = time.process_time() - cpu_began
    if isinstance(result, ReportedTimes):
        return result.wall_seconds, result.cpu_seconds
    return wall, cpu


def interleaved_order(repeats: Mapping[Hashable, int]) -> Iterator[tuple[Hashable, int]]:
    """``(key, repeat)`` pairs in interleaved order: every key's repeat 0, then repeat 1, …

    A key with fewer repeats sits out the later rounds.

    Examples
    --------
    >>> list(interleaved_order({"a": 2, "b": 1}))
    [('a', 0), ('b', 0), ('a', 1)]
    """
    for repeat in range(max(repeats.values(), default=0)):
        for key, count in repeats.items():
            if repeat < count:
                yield key, repeat


def blas_threads(threads: int | None) -> Any:
    """A context that pins BLAS to `threads` threads (threadpoolctl); None: no change."""
    if threads is None:
        return contextlib.nullcontext()
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=threads, user_api="blas")
