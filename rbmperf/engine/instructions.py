"""Instruction counts under valgrind's cachegrind: a clock that other processes cannot move.

A time on a shared machine moves by ±10–25% from minute to minute; the number of
instructions a program executes does not. valgrind's cachegrind counts them exactly
(``I refs``), at the price of running the program some 20–50× slower. With the cache
simulation off and ``PYTHONHASHSEED=0`` (so that string hashing, hence dict and set
layouts, repeat), two runs of a Python program here gave the same count to the instruction.

Two things can be counted:

- **A command** (:func:`command_instructions`): every process it runs, summed, under
  ``valgrind --tool=cachegrind --cache-sim=no --trace-children=yes``. A process that
  replaces itself (``exec``) is counted as the program it became: a launcher such as
  ``env`` is not counted, but a shell-script shim (pyenv's ``python3``) adds its shell's
  processes: give the real program.
- **A Python callable at size n** (:func:`count_calls`, :func:`instructions_per_call`),
  run in a child interpreter (this one, :data:`sys.executable`, never a shell shim). The
  child imports the function and the setup by reference (module and qualified name, with
  this process's ``sys.path``), so they must be importable: a lambda, a function defined
  inside another, a bound method, a ``functools.partial`` or a function of ``__main__``
  cannot be sent, and :func:`callable_reference` says so before anything runs.

How start-up and setup are kept out of a callable's count
---------------------------------------------------------
The interpreter's start-up, the imports, ``setup(n)`` and the first call (which pays for
lazy imports, caches and compilation) cost far more than the call itself, and vary with
n through setup. So each size is counted twice, in two children that differ only in the
number of calls after the warm-up:

- child A: start-up, imports, ``argument = setup(n)``, one warm-up call ``func(argument)``;
- child B: the same, then `calls` more calls ``func(argument)``;

run side by side, and the count of one call is ``(count(B) − count(A)) / calls``.
Everything before the extra calls is the same program on the same input, executed
instruction for instruction alike in both, so it cancels exactly; what remains is the
calls themselves, a few instructions of loop per call, and any difference in interpreter
shut-down the calls' leftovers cause (freed with the argument in both children).

"Alike" has one condition: the folders the imports search must list the same files in
both children. Python reads the listing of each folder on ``sys.path`` that an import
searches, and the cost of that depends on what is in it: with ``/tmp`` on the path (a
script run from ``/tmp``), where other programs create files every second, the count of
one call moved by 0.3% between two runs here. So the child leaves out the working folder
that ``python -c`` puts first on its path while it starts; a folder on this process's
``sys.path`` whose contents change while counting still moves the count. With stable
folders, two runs gave the same counts to the instruction.

In the child, ``PYTHONHASHSEED=0`` and one thread for OpenBLAS, OpenMP, MKL and numba:
a second thread's busy-waiting would make the count depend on scheduling.

Known limits
------------
- valgrind runs on Linux (and older macOS); it emulates a CPU without AVX-512, so
  libraries that pick kernels at run time (NumPy, OpenBLAS) run their AVX2 paths under it:
  the counts are those of the AVX2 code.
- An instruction is not a unit of time: a cache miss or a division costs many cycles and
  one instruction. Counts measure work done, and their growth the growth of the work.
- Each child starts an interpreter under valgrind: about 2 s here, 4 s if it imports NumPy.
"""

from __future__ import annotations

import functools
import importlib
import json
import numbers
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from ..errors import InputError, InputTypeError
from .memory import ChildFailedError

VALGRIND = "valgrind"
VALGRIND_OPTIONS = (
    "--tool=cachegrind",
    "--cache-sim=no",
    "--cachegrind-out-file=/dev/null",
    "--trace-children=yes",
)
#: Calls counted after the warm-up call, at each size, by default.
DEFAULT_CALLS = 3
#: The child's environment, over this process's.
CHILD_ENVIRONMENT = {
    "PYTHONHASHSEED": "0",
    "OPENBLAS_NUM_THREADS": "1",
    "OMP_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "NUMBA_NUM_THREADS": "1",
}
_I_REFS = re.compile(r"^==\d+==\s+I\s+refs:\s+([\d,]+)\s*$", re.MULTILINE)
_STDERR_TAIL = 2000

# Runs in the child: import func and setup by reference, build the argument, warm up, call.
_CHILD = """
import sys
if sys.path and sys.path[0] == "":
    del sys.path[0]  # not the working folder, whose listing may change, for json and importlib
import importlib, json
spec = json.loads(sys.argv[1])
sys.path[:] = spec["path"]
def resolve(reference):
    if reference is None:
        return None
    found = importlib.import_module(reference[0])
    for part in reference[1].split("."):
        found = getattr(found, part)
    return found
func = resolve(spec["func"])
setup = resolve(spec["setup"])
argument = spec["n"] if setup is None else setup(spec["n"])
output = func(argument)
del output
for _ in range(spec["calls"]):
    output = func(argument)
    del output
"""


@dataclass(frozen=True)
class InstructionCount:
    """Instructions of one call of a callable at one size, and the counts they came from.

    Attributes
    ----------
    n : int
        The size.
    per_call : float
        ``(with_calls − baseline) / calls``: instructions of one call.
    baseline : int
        Count of the child that ran start-up, imports, setup and the warm-up call.
    with_calls : int
        Count of the child that ran the same and `calls` more calls.
    calls : int
        Calls counted.
    """

    n: int
    per_call: float
    baseline: int
    with_calls: int
    calls: int


@functools.lru_cache(maxsize=1)
def valgrind_status() -> str | None:
    """None when instructions can be counted here; else one line saying why not.

    Checks that ``valgrind`` is on the PATH, that this interpreter is a program valgrind
    can run (not a script), and that valgrind counts a run of it. Cached: the check runs
    valgrind once (about a second).
    """
    found = shutil.which(VALGRIND)
    if found is None:
        return (
            "valgrind is not installed (instruction counts need it: "
            "apt-get install valgrind, or brew install valgrind)"
        )
    problem = _interpreter_problem()
    if problem:
        return problem
    try:
        command_instructions([sys.executable, "-S", "-c", "pass"])
    except (OSError, ChildFailedError, InputError) as error:
        first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        return f"valgrind ({found}) fails to run this Python: {first}"
    return None


def command_instructions(
    argv: Sequence[str],
    *,
    env: Mapping[str, str] | None = None,
    timeout: float | None = None,
) -> int:
    """Instructions executed by a command and every process it starts, under cachegrind.

    Parameters
    ----------
    argv : sequence of str
        The program and its arguments (no shell).
    env : mapping, optional
        The child's environment; default this process's. ``PYTHONHASHSEED=0`` is always
        set in it (for Python programs; other programs ignore it).
    timeout : float, optional
        Seconds after which the run is killed (:class:`subprocess.TimeoutExpired`).

    Returns
    -------
    int
        The sum of ``I refs`` over the processes valgrind reported.

    Raises
    ------
    InputError
        On an empty command, or when valgrind is missing or reports no count.
    FileNotFoundError
        If the program does not exist.
    ChildFailedError
        If the command exits with a non-zero status (its standard error in the message).
    """
    argv = [str(part) for part in argv]
    if not argv:
        raise InputError("give a command to count, e.g. ['python', 'script.py', '1000']")
    valgrind = shutil.which(VALGRIND)
    if valgrind is None:
        raise InputError("valgrind is not installed: instruction counts need it")
    if shutil.which(argv[0]) is None:
        raise FileNotFoundError(f"no program {argv[0]!r} (not a file, nor on the PATH)")
    return _count_together([argv], env=env, timeout=timeout)[0]


def _count_together(
    commands: Sequence[Sequence[str]],
    *,
    env: Mapping[str, str] | None,
    timeout: float | None,
) -> list[int]:
    """Count several commands under cachegrind at once (one child each, side by side).

    A count does not depend on what else runs; side by side, the two children of one size
    take the wall time of one where a second core is free, and read the file system at
    nearly the same moment.
    """
    valgrind = shutil.which(VALGRIND) or VALGRIND
    environment = dict(os.environ if env is None else env)
    environment["PYTHONHASHSEED"] = "0"
    with tempfile.TemporaryDirectory(prefix="rbmperf-cachegrind-") as folder:
        started = []
        try:
            for index, argv in enumerate(commands):
                logs = Path(folder) / str(index)
                logs.mkdir()
                # valgrind's reports go to a file per process, apart from the program's stderr
                # (a file, not a pipe: a pipe nobody reads yet could stall a child).
                command = [valgrind, *VALGRIND_OPTIONS, f"--log-file={logs / 'log.%p'}", *argv]
                stderr = open(logs / "stderr", "w+b")
                try:
                    child = subprocess.Popen(
                        command, stdout=subprocess.DEVNULL, stderr=stderr, env=environment
                    )
                except BaseException:
                    stderr.close()
                    raise
                started.append((list(argv), logs, stderr, child))
            counts = []
            for argv, logs, stderr, child in started:
                status = child.wait(timeout=timeout)
                stderr.seek(0)
                message = stderr.read().decode(errors="replace")
                reports = "".join(path.read_text(errors="replace") for path in logs.glob("log.*"))
                counts.append(_parse_count(argv, status, message, reports))
            return counts
        finally:
            for _, _, stderr, child in started:
                if child.poll() is None:  # a timeout, Ctrl-C or another child's failure
                    child.kill()
                    child.wait()
                stderr.close()


def _parse_count(argv: list[str], status: int, stderr: str, reports: str) -> int:
    if status != 0:
        raise ChildFailedError(argv, status, stderr or reports)
    counts = [int(match.replace(",", "")) for match in _I_REFS.findall(reports)]
    if not counts:
        tail = (reports + stderr).strip()[-_STDERR_TAIL:]
        raise InputError(f"valgrind reported no instruction count for {' '.join(argv)}\n{tail}")
    return sum(counts)


def callable_reference(obj: object, what: str = "func") -> tuple[str, str]:
    """``(module, qualified name)`` by which a child process can import `obj`.

    Raises
    ------
    InputTypeError
        If `obj` cannot be imported by name in another process (a lambda, a function
        defined inside another, a bound method, a partial or other object, a function of
        ``__main__``), or the name does not lead back to `obj` itself. The message names it.
    """
    if not callable(obj):
        raise InputTypeError(f"{what} must be callable; got {type(obj).__name__}")
    module = getattr(obj, "__module__", None)
    qualname = getattr(obj, "__qualname__", None)
    shown = qualname or repr(obj)
    if not isinstance(module, str) or not isinstance(qualname, str):
        raise InputTypeError(
            f"{what} {shown} cannot be sent to a child process for counting: only functions "
            "and classes importable by module and name can (not a partial or other object)"
        )
    if "<lambda>" in qualname or "<locals>" in qualname:
        kind = "a lambda" if "<lambda>" in qualname else "defined inside another function"
        raise InputTypeError(
            f"{what} {qualname} is {kind}, so a child process cannot import it for counting: "
            "define it at the top level of a module"
        )
    if module == "__main__":
        raise InputTypeError(
            f"{what} {qualname} is defined in __main__ (a script or a notebook), which a child "
            "process cannot import for counting: move it into a module"
        )
    try:
        found: object = importlib.import_module(module)
        for part in qualname.split("."):
            found = getattr(found, part)
    except (ImportError, AttributeError) as error:
        raise InputTypeError(
            f"{what} {module}.{qualname} cannot be imported by name ({error}), so a child "
            "process cannot count it"
        ) from None
    if found is not obj:
        raise InputTypeError(
            f"{what} {module}.{qualname} is not what that name imports (a bound method, a "
            "decorated or replaced function?), so a child process cannot count it"
        )
    return module, qualname


def instructions_per_call(
    func: Callable[[object], object],
    n: int,
    *,
    setup: Callable[[int], object] | None = None,
    calls: int = DEFAULT_CALLS,
    timeout: float | None = None,
) -> InstructionCount:
    """Instructions of one call ``func(setup(n))`` (or ``func(n)``), counted in children.

    See the module docstring for how start-up, imports, setup and the warm-up call are
    subtracted: two children, one with `calls` more calls than the other.

    Parameters
    ----------
    func : callable
        Importable by module and qualified name (:func:`callable_reference`).
    n : int
        The size (> 1).
    setup : callable, optional
        ``setup(n)`` builds the argument; importable likewise.
    calls : int, default 3
        Calls counted after the warm-up.
    timeout : float, optional
        Seconds each child may run.

    Returns
    -------
    InstructionCount

    Raises
    ------
    InputTypeError
        If `func` or `setup` cannot be sent to a child (before anything runs).
    InputError
        On bad `n` or `calls`, or when valgrind cannot count here (:func:`valgrind_status`).
    ChildFailedError
        If a child fails (`func` or `setup` raised); its traceback is in the message.
    """
    return count_calls(func, [n], setup=setup, calls=calls, timeout=timeout)[0]


def count_calls(
    func: Callable[[object], object],
    sizes: Sequence[int],
    *,
    setup: Callable[[int], object] | None = None,
    calls: int = DEFAULT_CALLS,
    timeout: float | None = None,
) -> tuple[InstructionCount, ...]:
    """:func:`instructions_per_call` at each size (two children per size, in order).

    Everything is checked before the first child starts: the references, the sizes, the
    calls, and valgrind itself.
    """
    func_reference = callable_reference(func, "func")
    setup_reference = None if setup is None else callable_reference(setup, "setup")
    checked = []
    for n in sizes:
        if isinstance(n, bool) or not isinstance(n, numbers.Integral) or n < 2:
            raise InputError(f"sizes must be integers > 1; got {n!r}")
        checked.append(int(n))
    if isinstance(calls, bool) or not isinstance(calls, numbers.Integral) or calls < 1:
        raise InputError(f"calls must be an integer >= 1; got {calls!r}")
    problem = valgrind_status()
    if problem:
        raise InputError(problem)
    environment = {**os.environ, **CHILD_ENVIRONMENT}
    search_path = [entry or os.getcwd() for entry in sys.path]
    counts = []
    for n in checked:
        spec = {"path": search_path, "func": func_reference, "setup": setup_reference, "n": n}
        baseline, with_calls = _count_together(
            [
                [sys.executable, "-c", _CHILD, json.dumps({**spec, "calls": extra})]
                for extra in (0, int(calls))
            ],
            env=environment,
            timeout=timeout,
        )
        counts.append(
            InstructionCount(n, (with_calls - baseline) / calls, baseline, with_calls, int(calls))
        )
    return tuple(counts)


def _interpreter_problem() -> str | None:
    """Why valgrind cannot count this interpreter itself (a script shim), or None."""
    try:
        with open(sys.executable, "rb") as file:
            magic = file.read(4)
    except OSError as error:
        return f"cannot read this Python ({sys.executable}): {error}"
    if magic.startswith(b"#!"):
        return (
            f"this Python ({sys.executable}) is a script, not a program: valgrind would count "
            "its shell; run rbmperf with the real interpreter"
        )
    return None
