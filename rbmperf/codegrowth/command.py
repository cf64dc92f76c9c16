"""How an external program's run time grows with ``n``: code in any language.

Each run starts the command afresh, with ``{n}`` in its arguments replaced by the size, and
is timed on the wall clock from the spawn to the exit, through :func:`.code_growth.time_growth`
(sizes ascending, one untimed warm-up run at the first size, repeats, the budget). Every time
therefore includes starting the process (and, for a script, its interpreter): a constant
that flattens the curve at small sizes, which is why the fit uses the larger sizes. To say
how large it is, the same run times a command that does nothing (``true``, or `startup`)
and reports it next to the smallest and largest times.

Two more measures, each a pure function returning data (the command line prints them):

- :func:`command_memory`: the child's peak resident set size at each size
  (:func:`rbmperf.engine.memory.command_peak_rss`, one run a size apart from the timed ones),
  and that of a do-nothing child of the same program (:func:`startup_argv`). The growth is
  fitted to the peaks **minus** that start-up peak (an interpreter's own few to tens of MB
  would otherwise flatten the curve), and both are kept for reporting.
- :func:`command_instruction_growth`: instructions the command executes at each size,
  counted by valgrind's cachegrind (:func:`rbmperf.engine.instructions.command_instructions`,
  one run a size), minus those of the same do-nothing child; the fit is over the
  differences. A count repeats to about 1e-3, not exactly: here even ``python -I -S -c pass``
  moved by ~40 k of its 26 M instructions from run to run (``PYTHONHASHSEED=0``, with or
  without address randomisation), so give each size millions of instructions of work.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..engine.defaults import DEFAULT_MIN_ROUNDS
from ..engine.measure import Step
from ..engine.memory import MemoryGrowth, trivial_command
from ..errors import InputError
from ..stats.growth import fit_growth
from ..validation import check_sizes
from .timegrowth import GrowthResult, time_growth

PLACEHOLDER = "{n}"
_STARTUP_RUNS = 5
_STDERR_TAIL = 2000


class CommandError(RuntimeError):
    """The command exited with a non-zero status; names the size and shows its stderr."""

    def __init__(self, argv: Sequence[str], n: int, status: int, stderr: str):
        tail = stderr.strip()[-_STDERR_TAIL:]
        message = f"the command failed at n={n:,} (exit status {status}): {' '.join(argv)}"
        super().__init__(message + (f"\n{tail}" if tail else ""))
        self.n = n
        self.status = status


@dataclass(frozen=True)
class CommandGrowth:
    """What :func:`command_growth` measured.

    Attributes
    ----------
    result : GrowthResult
        Wall seconds per run at each size, and the growth fitted to them.
    command : tuple of str
        The command as given, with its placeholder.
    startup_command : tuple of str
        The do-nothing command timed for the process start.
    startup_seconds : tuple of float
        Its wall time per run.
    """

    result: GrowthResult
    command: tuple[str, ...]
    startup_command: tuple[str, ...]
    startup_seconds: tuple[float, ...]

    @property
    def startup_median(self) -> float:
        return statistics.median(self.startup_seconds)


def command_argv(command: Sequence[str], n: int) -> list[str]:
    """`command` with every ``{n}`` replaced by `n`."""
    return [part.replace(PLACEHOLDER, str(n)) for part in command]


def run_command(argv: Sequence[str], n: int) -> None:
    """Run `argv` to completion, output discarded; :class:`CommandError` if it fails."""
    with tempfile.TemporaryFile() as stderr:
        status = subprocess.call(list(argv), stdout=subprocess.DEVNULL, stderr=stderr)
        if status != 0:
            stderr.seek(0)
            raise CommandError(argv, n, status, stderr.read().decode(errors="replace"))


def default_startup_command() -> list[str]:
    """A command that starts and exits at once: ``true``, else this Python with ``-c pass``."""
    found = shutil.which("true")
    return [found] if found else [sys.executable, "-S", "-c", "pass"]


def command_growth(
    command: Sequence[str],
    sizes: Sequence[int],
    *,
    repeats: int = DEFAULT_MIN_ROUNDS,
    budget: float | None = None,
    warmup: bool = True,
    startup: Sequence[str] | None = None,
) -> CommandGrowth:
    """Time `command` (``{n}`` replaced by each size) and fit how its run time grows.

    Parameters
    ----------
    command : sequence of str
        The program and its arguments; ``{n}`` anywhere in them becomes the size.
    sizes, repeats, budget, warmup
        As in :func:`~rbmperf.time_growth` (always on the wall clock).
    startup : sequence of str, optional
        A command that does nothing, timed 5 times to report the cost of starting a
        process (default ``true``). Give the interpreter itself (``Rscript -e 0``) to see
        its start-up cost.

    Returns
    -------
    CommandGrowth

    Raises
    ------
    ValueError
        On an empty command, or the checks of :func:`~rbmperf.time_growth`.
    CommandError
        If a run exits with a non-zero status.
    FileNotFoundError
        If the program does not exist.
    """
    command = [str(part) for part in command]
    if not command:
        raise InputError("give a command to time, e.g. -- python script.py {n}")
    if not any(PLACEHOLDER in part for part in command):
        warnings.warn(
            f"the command does not use {PLACEHOLDER}, so its time cannot depend on the size",
            UserWarning,
            stacklevel=2,
        )
    result = time_growth(
        lambda job: run_command(job[1], job[0]),
        sizes,
        setup=lambda n: (n, command_argv(command, n)),
        repeats=repeats,
        clock="wall",
        budget=budget,
        warmup=warmup,
        label=os.path.basename(command[0]),
    )
    startup_argv = list(startup) if startup else default_startup_command()
    startup_seconds = []
    for _ in range(_STARTUP_RUNS):
        began = time.perf_counter()
        run_command(startup_argv, 0)
        startup_seconds.append(time.perf_counter() - began)
    return CommandGrowth(result, tuple(command), tuple(startup_argv), tuple(startup_seconds))


#: Peak RSS above the start-up's that reads as "does not grow": two runs of one command at
#: one size read up to ~150 kB apart here (pages touched by the loader and the allocator).
RSS_NOISE_BYTES = 1 << 20

# Interpreter options that take a value as the next argument (python -W default, -X dev).
_PYTHON_OPTIONS_WITH_VALUE = {"-W", "-X", "--check-hash-based-pycs"}


def _checked_command(
    command: Sequence[str], sizes: Sequence[int], verb: str
) -> tuple[list[str], tuple[int, ...]]:
    """The command as strings and the checked sizes; a clear error before anything runs."""
    command = [str(part) for part in command]
    if not command:
        raise InputError(f"give a command to {verb}, e.g. -- python script.py {{n}}")
    checked = check_sizes(sizes)
    _check_program(command)
    return command, checked


def _check_program(command: Sequence[str]) -> None:
    """FileNotFoundError now, before a start-up run is measured, for a missing program."""
    if shutil.which(command[0]) is None:
        raise FileNotFoundError(f"no program {command[0]!r} (not a file, nor on the PATH)")


def startup_argv(command: Sequence[str], startup: Sequence[str] | None = None) -> list[str]:
    """The do-nothing command whose cost is the program's start-up: `startup` if given, else
    :func:`rbmperf.engine.memory.trivial_command` of `command`, for a Python interpreter with
    the interpreter's own options kept (``python -I -S script.py`` → ``python -I -S -c pass``:
    ``-S`` alone halves the start-up's instructions, so dropping it would read more start-up
    than the command itself runs).

    Examples
    --------
    >>> startup_argv(["python3", "-I", "-S", "-X", "dev", "f.py", "{n}"])
    ['python3', '-I', '-S', '-X', 'dev', '-c', 'pass']
    >>> startup_argv(["python3", "-c", "print(1)"])
    ['python3', '-c', 'pass']
    >>> startup_argv(["prog", "{n}"], ["prog", "--version"])
    ['prog', '--version']
    """
    if startup:
        return [str(part) for part in startup]
    command = [str(part) for part in command]
    trivial = trivial_command(command)
    if trivial[1:] != ["-c", "pass"] or trivial[0] != command[0]:
        return trivial
    options: list[str] = []
    rest = iter(command[1:])
    for part in rest:
        if part in ("-c", "-m", "-") or not part.startswith("-"):
            break
        options.append(part)
        if part in _PYTHON_OPTIONS_WITH_VALUE:
            options.append(next(rest, ""))
    return [command[0], *options, "-c", "pass"]


@dataclass(frozen=True)
class CommandMemory:
    """What :func:`command_memory` measured.

    Attributes
    ----------
    command : tuple of str
        The command as given, with its placeholder.
    sizes : tuple of int
        The sizes.
    peaks : tuple of int
        Peak RSS of one run at each size, bytes (the program's start-up included).
    startup_command : tuple of str
        The do-nothing command measured for the start-up.
    startup_peak : int
        Its peak RSS, bytes.
    growth : MemoryGrowth
        The growth of ``peaks − startup_peak`` (its ``peaks`` are those differences, at
        least 0); ``constant`` when every difference is under :data:`RSS_NOISE_BYTES`, and
        smaller differences read as that in the fit.
    """

    command: tuple[str, ...]
    sizes: tuple[int, ...]
    peaks: tuple[int, ...]
    startup_command: tuple[str, ...]
    startup_peak: int
    growth: MemoryGrowth


def command_memory(
    command: Sequence[str],
    sizes: Sequence[int],
    *,
    startup: Sequence[str] | None = None,
) -> CommandMemory:
    """Peak RSS of one run of `command` at each size, and its growth above the start-up.

    Raises
    ------
    InputError
        On an empty command or bad sizes (before anything runs).
    FileNotFoundError
        If the program does not exist.
    ChildFailedError
        If a run exits with a non-zero status.
    """
    from ..engine.memory import command_peak_rss

    command, checked = _checked_command(command, sizes, "measure")
    startup_command = startup_argv(command, startup)
    startup_peak = command_peak_rss(startup_command)
    peaks = tuple(command_peak_rss(command_argv(command, n)) for n in checked)
    above = tuple(max(peak - startup_peak, 0) for peak in peaks)
    if max(above) < RSS_NOISE_BYTES:
        growth = MemoryGrowth(checked, above, None)
    else:
        read = np.maximum(np.asarray(above, dtype=np.float64), RSS_NOISE_BYTES)
        growth = MemoryGrowth(checked, above, fit_growth(checked, read))
    return CommandMemory(
        tuple(command), checked, peaks, tuple(startup_command), startup_peak, growth
    )


@dataclass(frozen=True)
class CommandInstructions:
    """What :func:`command_instruction_growth` counted.

    Attributes
    ----------
    result : GrowthResult
        ``clock="instructions"``: at each size one value, the command's count minus the
        start-up's (or the raw count where `subtracted` is False), and the fit over them.
    command : tuple of str
        The command as given, with its placeholder.
    counts : tuple of int
        The command's raw count at each size (every process it ran, summed).
    startup_command : tuple of str
        The do-nothing command counted for the start-up.
    startup_count : int
        Its count.
    subtracted : bool
        Whether the start-up count was subtracted before the fit (it is not when a count is
        at or below it: a do-nothing command that is not the program's own start-up).
    """

    result: GrowthResult
    command: tuple[str, ...]
    counts: tuple[int, ...]
    startup_command: tuple[str, ...]
    startup_count: int
    subtracted: bool


def command_instruction_growth(
    command: Sequence[str],
    sizes: Sequence[int],
    *,
    startup: Sequence[str] | None = None,
    timeout: float | None = None,
) -> CommandInstructions:
    """Instructions `command` executes at each size (valgrind's cachegrind, one run a size),
    the start-up's count subtracted, and the growth fitted to them.

    Python children run with ``PYTHONHASHSEED=0``; a count repeats to about 1e-3 (see the
    module docstring), so that with millions of instructions of work a size two runs give
    the same exponent to 2 decimals (a Python run with ``-I``, whose path leaves out the
    working folder, most surely: see :mod:`rbmperf.engine.instructions`).

    Raises
    ------
    InputError
        On an empty command, bad sizes, or when valgrind cannot count here (its reason).
    FileNotFoundError
        If the program does not exist.
    ChildFailedError
        If a run exits with a non-zero status.
    """
    from ..engine.instructions import command_instructions, valgrind_status

    command, checked = _checked_command(command, sizes, "count")
    problem = valgrind_status()
    if problem:
        raise InputError(problem)
    began = time.perf_counter()
    startup_command = startup_argv(command, startup)
    startup_count = command_instructions(startup_command, timeout=timeout)
    counts = tuple(command_instructions(command_argv(command, n), timeout=timeout) for n in checked)
    subtracted = min(counts) > startup_count
    values = tuple(c - startup_count if subtracted else c for c in counts)
    spent = time.perf_counter() - began
    how = "start-up subtracted" if subtracted else "start-up not subtracted"
    result = GrowthResult(
        label=os.path.basename(command[0]),
        clock="instructions",
        sizes=checked,
        times=tuple((float(v),) for v in values),
        cpu_times=(),
        wall_times=(),
        calls_per_repeat=tuple(1 for _ in checked),
        requested=checked,
        rounds=1,
        steps=(
            Step(
                0, "instructions", f"counted by valgrind's cachegrind, one run a size, {how}", spent
            ),
        ),
        spent_seconds=spent,
        budget=None,
    )
    return CommandInstructions(
        result, tuple(command), counts, tuple(startup_command), startup_count, subtracted
    )
