"""How an external program's run time grows with ``n``: code in any language.

Each run starts the command afresh, with ``{n}`` in its arguments replaced by the size, and
is timed on the wall clock from the spawn to the exit, through :func:`.code_growth.time_growth`
(sizes ascending, one untimed warm-up run at the first size, repeats, the budget). Every time
therefore includes starting the process (and, for a script, its interpreter): a constant
that flattens the curve at small sizes, which is why the fit uses the larger sizes. To say
how large it is, the same run times a command that does nothing (``true``, or `startup`)
and reports it next to the smallest and largest times.
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

from ..engine.defaults import DEFAULT_MIN_ROUNDS
from ..errors import InputError
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
