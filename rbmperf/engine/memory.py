"""Peak memory of one call, and of one child process: what memory growth is fitted to.

Two measures, one for each kind of thing whose growth rbmperf measures:

- **A Python call** (:func:`peak_bytes`): the peak of the memory traced by
  :mod:`tracemalloc` during the call, above what was traced just before it. NumPy reports
  its data buffers to tracemalloc, so ``np.zeros(n)`` reads 8n bytes (plus ~100 for the
  array object): measured here, ``np.zeros(n)`` read exactly ``8n + 96`` bytes for
  n = 1,000…1,000,000 and a call that allocates nothing read 0. Memory that a C library
  allocates behind Python's and NumPy's allocators (a BLAS's own buffers, a GPU) is not
  seen.
- **A command** (:func:`command_peak_rss`): the child's peak resident set size, from the
  resource usage that :func:`os.wait4` returns for it (``ru_maxrss``). It includes the
  program's whole image (an interpreter's start-up, its libraries) and reads at least a
  few MB (see :func:`command_peak_rss`), so
  :func:`baseline_peak_rss` measures a child of the same program that does nothing, for the
  caller to subtract or report beside it.

A peak is measured in a call of its own, apart from the timed ones: tracing every
allocation slows allocation-heavy code several times over, so a traced call is never a
timed call. The garbage collector is paused during the call, as it is in a timed region
(:mod:`timeit` pauses it too), so that the peak does not depend on when a collection
happens to run.

Known limits
------------
- tracemalloc has one peak per process: :func:`peak_bytes` resets it
  (:func:`tracemalloc.reset_peak`), so a measurement that was already tracing around it
  loses its own peak.
- ``ru_maxrss`` is a high-water mark of resident pages, rounded to pages, and counts memory
  a program reserved and touched whether or not it is still in use; it is in KiB on Linux
  and in bytes on macOS (both are returned in bytes here). :func:`os.wait4` is Unix only.
"""

from __future__ import annotations

import gc
import os
import shutil
import subprocess
import sys
import tempfile
import tracemalloc
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from ..errors import InputError
from ..stats.growth import GrowthFit, fit_growth

_STDERR_TAIL = 2000
#: Peaks under this many bytes read as "does not grow": a call's own frames and small
#: objects (a few hundred bytes) are not memory growth.
TINY_PEAK_BYTES = 4096


class ChildFailedError(RuntimeError):
    """A command whose memory was measured exited with a non-zero status.

    Attributes
    ----------
    argv : tuple of str
        The command.
    status : int
        Its exit status (negative: killed by that signal).
    """

    def __init__(self, argv: Sequence[str], status: int, stderr: str):
        tail = stderr.strip()[-_STDERR_TAIL:]
        message = f"the command failed (exit status {status}): {' '.join(argv)}"
        super().__init__(message + (f"\n{tail}" if tail else ""))
        self.argv = tuple(argv)
        self.status = status


def peak_bytes(func: Callable[[object], object], argument: object) -> int:
    """Peak bytes traced during ``func(argument)``, above what was traced just before it.

    tracemalloc is started for the call and stopped after it only if it was not already
    tracing. The garbage collector is paused during the call. The call's return value is
    dropped once the peak is read, so memory it keeps counts towards the peak but memory it
    frees before returning counts too: this is the most the call needed at one time.

    Parameters
    ----------
    func : callable
        Called once, as ``func(argument)``.
    argument : object
        Its argument (built beforehand, so that its own memory is not counted).

    Returns
    -------
    int
        Bytes, ≥ 0.

    Examples
    --------
    >>> import numpy as np
    >>> peak_bytes(np.zeros, 1_000_000) >= 8_000_000
    True
    >>> peak_bytes(len, "abc") < 1000
    True
    """
    started = not tracemalloc.is_tracing()
    if started:
        tracemalloc.start()
    collecting = gc.isenabled()
    gc.disable()
    try:
        before, _ = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        output = func(argument)
        _, peak = tracemalloc.get_traced_memory()
        del output
    finally:
        if collecting:
            gc.enable()
        if started:
            tracemalloc.stop()
    return max(peak - before, 0)


# Runs the command as its own child and reports the child's ru_maxrss and exit status. It
# exists because Linux carries the peak RSS of a process's image over exec: a child forked
# from this interpreter (tens to hundreds of MB under pytest) would read at least this
# interpreter's size, whatever it does. Forked from this small helper instead (measured
# here: `true` reads 6.5 MB through it, 33 MB forked from a Python that imported NumPy),
# the floor is the helper's few MB.
_HELPER = """
import os, sys
pid = os.fork()
if pid == 0:
    try:
        os.dup2(os.open(os.devnull, os.O_WRONLY), 1)
        os.execvp(sys.argv[1], sys.argv[1:])
    except OSError as error:
        os.write(2, f"cannot run {sys.argv[1]}: {error}".encode())
    os._exit(127)
_, status, usage = os.wait4(pid, 0)
print(usage.ru_maxrss, os.waitstatus_to_exitcode(status))
"""


def command_peak_rss(argv: Sequence[str]) -> int:
    """Peak resident set size, in bytes, of a child process running `argv` to completion.

    The child's standard output is discarded and its standard error kept for the error
    message. The peak is ``ru_maxrss`` from :func:`os.wait4`'s resource usage of exactly
    that child (the largest of it and of the descendants it waited for). The child is
    started by a small helper interpreter rather than by this process, because Linux keeps
    the peak of the image that forked a child: its floor is the helper's ~7 MB, not this
    process's size.

    Parameters
    ----------
    argv : sequence of str
        The program and its arguments (no shell).

    Returns
    -------
    int
        Bytes.

    Raises
    ------
    InputError
        On an empty command.
    FileNotFoundError
        If the program does not exist.
    ChildFailedError
        If the child exits with a non-zero status.
    """
    argv = [str(part) for part in argv]
    if not argv:
        raise InputError("give a command to measure, e.g. ['python', 'script.py', '1000']")
    if shutil.which(argv[0]) is None:
        raise FileNotFoundError(f"no program {argv[0]!r} (not a file, nor on the PATH)")
    helper = [sys.executable, "-S", "-I", "-c", _HELPER, *argv]
    with tempfile.TemporaryFile() as stderr:
        done = subprocess.run(helper, stdout=subprocess.PIPE, stderr=stderr, check=False)
        stderr.seek(0)
        message = stderr.read().decode(errors="replace")
    try:
        maxrss, status = (int(field) for field in done.stdout.split())
    except ValueError:  # the helper itself failed
        raise ChildFailedError(argv, done.returncode, message) from None
    if status != 0:
        raise ChildFailedError(argv, status, message)
    return _maxrss_bytes(maxrss)


def trivial_command(argv: Sequence[str]) -> list[str]:
    """A child of the same program as `argv` that starts and exits at once.

    ``python … -c pass`` for a Python interpreter, ``Rscript -e 0`` for R, and ``true``
    (this Python with ``-c pass`` where there is no ``true``) for anything else, whose
    start-up cannot be guessed.

    Examples
    --------
    >>> trivial_command(["/usr/bin/python3", "script.py", "1000"])
    ['/usr/bin/python3', '-c', 'pass']
    >>> trivial_command(["Rscript", "script.R"])
    ['Rscript', '-e', '0']
    """
    program = str(argv[0]) if argv else ""
    name = os.path.basename(program).lower()
    if name.startswith(("python", "pypy")):
        return [program, "-c", "pass"]
    if name.startswith("rscript"):
        return [program, "-e", "0"]
    found = shutil.which("true")
    return [found] if found else [sys.executable, "-S", "-c", "pass"]


def baseline_peak_rss(argv: Sequence[str]) -> int:
    """Peak RSS in bytes of :func:`trivial_command` for `argv`: the program's own start-up.

    Subtract it from :func:`command_peak_rss` to approximate the memory the work itself
    needed, or report it beside the peaks.
    """
    return command_peak_rss(trivial_command(argv))


def _maxrss_bytes(maxrss: int) -> int:
    # Linux reports ru_maxrss in KiB, macOS in bytes.
    return int(maxrss) if sys.platform == "darwin" else int(maxrss) * 1024


@dataclass(frozen=True)
class MemoryGrowth:
    """Peak traced bytes of one call at each size, and the growth fitted to them.

    Attributes
    ----------
    sizes : tuple of int
        The sizes, ascending.
    peaks : tuple of int
        Peak bytes of one call at each size, as measured.
    fit : GrowthFit or None
        The fit of the peaks (those under :data:`TINY_PEAK_BYTES` read as that); None when
        every peak is under it.
    """

    sizes: tuple[int, ...]
    peaks: tuple[int, ...]
    fit: GrowthFit | None

    @property
    def constant(self) -> bool:
        """Whether every peak is under :data:`TINY_PEAK_BYTES` (memory reads constant)."""
        return self.fit is None


def memory_growth(sizes: Sequence[int], peaks: Sequence[int]) -> MemoryGrowth:
    """Fit the growth of peak bytes: None (constant) when every peak is under
    :data:`TINY_PEAK_BYTES`, else :func:`rbmperf.fit_growth` with smaller peaks read as
    that (so that a few hundred bytes at a small size cannot fake a steep growth)."""
    sizes = tuple(int(n) for n in sizes)
    peaks = tuple(int(p) for p in peaks)
    if not peaks or max(peaks) < TINY_PEAK_BYTES:
        return MemoryGrowth(sizes, peaks, None)
    read = np.maximum(np.asarray(peaks, dtype=np.float64), TINY_PEAK_BYTES)
    return MemoryGrowth(sizes, peaks, fit_growth(sizes, read))
