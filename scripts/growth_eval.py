"""How often a growth tool is right, wrong or undecided on functions of known growth.

Runs a tool over the evaluation set of :mod:`rbmperf.codegrowth.known` many times, quiet or
under a bursty load, and prints right / wrong / abstained counts per function and per
class, with the seconds each call of the tool took (median and max) and the machine it ran
on. The tools (``--tool``):

- ``time`` (default): ``rbmperf.time_growth(case.func, case.sizes, setup=case.setup)``
  with its defaults; its verdict.
- ``assert``: ``check_growth(case.func, case.sizes, setup=case.setup, time="linear")``
  (:mod:`rbmperf.codegrowth.assertions`); its outcome, pass / fail / undecided.
- ``memory``: ``check_growth(..., time=None, memory="linear")``: peak traced bytes of one
  call a size, scored against each case's memory class.
- ``instructions``: ``time_growth(..., clock="instructions")``: counted by valgrind in
  child processes, which import the cases from ``rbmperf.codegrowth.known`` (this
  checkout must be first on the path). Each size costs two children of 2–4 s: a run of the
  whole set takes about 8 min; ``--cases`` picks a subset, and the seconds are printed.

::

    PYTHONPATH=$PWD .venv/bin/python scripts/growth_eval.py --runs 20 --load none,bursty \\
        --json eval-new.json
    PYTHONPATH=/path/to/old/checkout .venv/bin/python scripts/growth_eval.py --runs 20 \\
        --load none,bursty --json eval-old.json      # the same set, an older time_growth
    PYTHONPATH=$PWD .venv/bin/python scripts/growth_eval.py --runs 1 \\
        --cases sum_list,nested_loops --kwargs '{"budget": 2}'
    PYTHONPATH=$PWD .venv/bin/python scripts/growth_eval.py --tool assert --runs 100 \\
        --load none,bursty -q --json eval-assert.json
    PYTHONPATH=$PWD .venv/bin/python scripts/growth_eval.py --tool instructions --runs 2 \\
        --cases sum_list,python_loop,nested_loops,loop_n_sqrt_n

Scoring of ``time`` and ``instructions`` (:func:`known.score`): a ``linear`` case is right
when the verdict is ``linear``, wrong when ``superlinear`` or ``sublinear``, abstained when
``inconclusive``; a ``superlinear`` case is right when ``superlinear``; a ``bend`` case (the
cost per item changes inside the range) is scored as linear; ``nlogn`` is reported as counts
of each verdict, not scored. Scoring of ``assert`` (:func:`score_assert`): a ``linear`` or
``bend`` case is right when it passes, wrong when it fails (a false failure); a
``superlinear`` case right when it fails (detected); ``undecided`` abstains; ``nlogn`` is
not scored. Scoring of ``memory`` (:func:`score_memory`): ``constant`` and ``linear``
memory must pass, ``quadratic`` must fail.

For every tool but ``time`` the table ends with issue 19's figures, one row per load
(:func:`targets_table`): on the cases that grow at most linearly, false failures (a fail,
or a superlinear verdict) and abstentions; on those that grow faster, detections, misses
and abstentions; and the seconds spent. ``--tool time`` prints what it printed before.

The bursty load: two processes (``multiprocessing``), started before a load's runs and
stopped after them (also on Ctrl-C or an error), each alternating busy spells (a pure-Python
loop) and idle spells of random lengths in 0.05–0.4 s, seeded (``--seed``). Busy and idle
spells have the same distribution, so each process is busy about half of the time: on the
2-vCPU machines here about one core's worth of competing work on average, in bursts that
sometimes take both cores.

The known set is imported by its file path, relative to this script, not through the
``rbmperf`` package: ``PYTHONPATH=/old/checkout`` then measures that checkout's
``time_growth`` on this set (the rbmperf used is printed in the header and kept in the JSON).

Each run of a case is one call of the tool; the calls go case by case within a run, run by
run within a load, so slow drift of the machine spreads over every case. Before the first
call the allocator is primed (:func:`prime_allocator`), so that the first run sees the
same ``malloc`` as the later ones.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import inspect
import json
import math
import multiprocessing
import os
import platform
import random
import signal
import statistics
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from types import ModuleType
from typing import Any, NamedTuple

KNOWN_PATH = Path(__file__).resolve().parent.parent / "rbmperf" / "codegrowth" / "known.py"
LOADS = ("none", "bursty")
SPELL_SECONDS = (0.05, 0.4)
LOAD_PROCESSES = 2


def load_known(path: Path = KNOWN_PATH) -> ModuleType:
    """Import the known set from its file (not from the ``rbmperf`` on the path).

    Parameters
    ----------
    path : Path
        ``known.py``; by default the one beside this script's checkout.

    Returns
    -------
    module
        Registered in :data:`sys.modules` as ``growth_eval_known``.
    """
    name = "growth_eval_known"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot import the known set from {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up while it executes
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[name]
        raise
    return module


known = load_known()


# --- tools ----------------------------------------------------------------------------


class Outcome(NamedTuple):
    """What one call of a tool gave: the verdict, the exponent and its interval, the wall
    seconds the call took and the tool's reason (empty where it gives none)."""

    verdict: str
    exponent: float
    lo: float
    hi: float
    seconds: float
    reason: str = ""


def _fit_outcome(fit: Any, seconds: float) -> Outcome:
    """A growth fit's verdict, exponent and interval as one tool's outcome."""
    return Outcome(
        str(fit.verdict),
        float(fit.exponent),
        float(fit.ci_low),
        float(fit.ci_high),
        seconds,
        str(getattr(fit, "reason", "")),
    )


def _time_growth() -> Callable[..., Any]:
    import rbmperf

    return rbmperf.time_growth


def tool_time(case: Any, kwargs: dict[str, Any]) -> Outcome:
    """``rbmperf.time_growth(case.func, case.sizes, setup=case.setup, **kwargs)``.

    Raises
    ------
    KeyboardInterrupt
        When Ctrl-C stopped the measurement (``time_growth`` returns what it measured
        then; the evaluation stops instead of counting a partial run).
    """
    time_growth = _time_growth()
    start = time.perf_counter()
    result = time_growth(case.func, case.sizes, setup=case.setup, **kwargs)
    seconds = time.perf_counter() - start
    if getattr(result, "interrupted_at", None) is not None:
        raise KeyboardInterrupt
    return _fit_outcome(result.growth, seconds)


#: The bound the ``assert`` and ``memory`` tools check: a case whose cost (or peak memory)
#: grows at most linearly must pass it, one that grows faster must fail it.
BOUND = "linear"


def _check_growth() -> Callable[..., Any]:
    from rbmperf.codegrowth.assertions import check_growth

    return check_growth


def tool_assert(case: Any, kwargs: dict[str, Any]) -> Outcome:
    """``check_growth(case.func, case.sizes, setup=case.setup, time=BOUND, **kwargs)``: the
    verdict is the check's time outcome, ``"pass"``, ``"fail"`` or ``"undecided"``.

    Raises
    ------
    KeyboardInterrupt
        When Ctrl-C stopped the measurement (as :func:`tool_time`).
    """
    check_growth = _check_growth()
    start = time.perf_counter()
    check = check_growth(case.func, case.sizes, setup=case.setup, time=BOUND, **kwargs)
    seconds = time.perf_counter() - start
    if getattr(check.time, "interrupted_at", None) is not None:
        raise KeyboardInterrupt
    fit = check.time.growth
    return Outcome(
        str(check.time_outcome),
        float(fit.exponent),
        float(fit.ci_low),
        float(fit.ci_high),
        seconds,
        check.time_reason,
    )


def tool_memory(case: Any, kwargs: dict[str, Any]) -> Outcome:
    """``check_growth(case.func, case.sizes, setup=case.setup, time=None, memory=BOUND,
    **kwargs)``: peak traced bytes of one call a size. The verdict is the memory outcome;
    a memory that reads constant (every peak under 4 KiB) passes with no exponent (NaN)."""
    check_growth = _check_growth()
    start = time.perf_counter()
    check = check_growth(case.func, case.sizes, setup=case.setup, time=None, memory=BOUND, **kwargs)
    seconds = time.perf_counter() - start
    fit = check.memory.fit
    exponent, lo, hi = (math.nan,) * 3 if fit is None else (fit.exponent, fit.ci_low, fit.ci_high)
    return Outcome(
        str(check.memory_outcome),
        float(exponent),
        float(lo),
        float(hi),
        seconds,
        check.memory_reason,
    )


def importable_case(case: Any) -> Any:
    """The same case from ``rbmperf.codegrowth.known``, whose functions a child process can
    import by name (the script's own copy of the set is registered under another name).

    Raises
    ------
    ValueError
        When the ``rbmperf`` on the path is not the checkout beside this script (its known
        set could differ).
    """
    import rbmperf.codegrowth.known as packaged

    if Path(packaged.__file__).resolve() != KNOWN_PATH:
        raise ValueError(
            "the instructions tool counts in child processes, which import the cases from "
            f"rbmperf.codegrowth.known; that is {packaged.__file__}, not {KNOWN_PATH}: put "
            "this checkout first on PYTHONPATH"
        )
    return packaged.BY_NAME[case.name]


def tool_instructions(case: Any, kwargs: dict[str, Any]) -> Outcome:
    """``time_growth(func, case.sizes, setup=setup, clock="instructions", **kwargs)`` with the
    case's functions from :func:`importable_case`: one count a size, two valgrind children of
    2–4 s each. Scored like ``time``."""
    time_growth = _time_growth()
    counted = importable_case(case)
    start = time.perf_counter()
    result = time_growth(
        counted.func, counted.sizes, setup=counted.setup, clock="instructions", **kwargs
    )
    seconds = time.perf_counter() - start
    return _fit_outcome(result.growth, seconds)


def instructions_problem() -> str | None:
    """None when the instructions tool can run here; else one line saying why not."""
    from rbmperf.engine.instructions import valgrind_status

    problem = valgrind_status()
    if problem is None:
        try:
            importable_case(known.CASES[0])
        except ValueError as error:
            problem = str(error)
    return problem


#: Tool name -> function of (case, kwargs) returning an :class:`Outcome`.
TOOLS: dict[str, Callable[[Any, dict[str, Any]], Outcome]] = {
    "time": tool_time,
    "assert": tool_assert,
    "memory": tool_memory,
    "instructions": tool_instructions,
}
#: Tool name -> the callable whose signature `--kwargs` must fit (checked before any run).
TOOL_TARGETS: dict[str, Callable[[], Callable[..., Any]]] = {
    "time": _time_growth,
    "assert": _check_growth,
    "memory": _check_growth,
    "instructions": _time_growth,
}
#: Tool name -> the keyword arguments the tool itself passes (`--kwargs` may not repeat them).
TOOL_FIXED: dict[str, dict[str, Any]] = {
    "time": {},
    "assert": {"time": BOUND},
    "memory": {"time": None, "memory": BOUND},
    "instructions": {"clock": "instructions"},
}
#: Tool name -> a check that it can run here (None: it can), made before any run.
TOOL_PREFLIGHT: dict[str, Callable[[], str | None]] = {"instructions": instructions_problem}
#: Roughly what one call of a tool costs per size of a case, to warn before a long run.
SECONDS_PER_SIZE = {"instructions": 6.0}


def check_kwargs(tool: str, kwargs: dict[str, Any]) -> None:
    """Raise TypeError when `kwargs` do not fit the tool's signature (or repeat what the
    tool passes itself, such as the ``assert`` tool's ``time``)."""
    case = known.CASES[0]
    target = TOOL_TARGETS[tool]()
    inspect.signature(target).bind(
        case.func, case.sizes, setup=case.setup, **TOOL_FIXED[tool], **kwargs
    )


# --- scoring -----------------------------------------------------------------------------

#: The outcomes of a check (``assert`` and ``memory`` tools).
CHECK_OUTCOMES = ("pass", "fail", "undecided")
#: Peak-memory class -> its exponent.
MEMORY_EXPONENTS = {"constant": 0.0, "linear": 1.0, "quadratic": 2.0}
# What a check must say on each class: at most linear passes, faster fails; nlogn (time)
# is reported, not scored.
_CHECK_EXPECTED = {
    "time": {"linear": "pass", "bend": "pass", "superlinear": "fail", "nlogn": None},
    "memory": {"constant": "pass", "linear": "pass", "quadratic": "fail"},
}
#: Verdicts that reject "grows at most linearly": a failure (on a case that grows at most
#: linearly, a false failure; on one that grows faster, a detection).
REJECTING = frozenset({"fail", "superlinear"})
#: Verdicts that abstain.
UNDECIDED = frozenset({"undecided", "inconclusive"})


def _score_check(expected: dict[str, str | None], cls: str | None, outcome: str) -> str | None:
    if outcome not in CHECK_OUTCOMES:
        raise ValueError(f"outcome must be one of {CHECK_OUTCOMES}; got {outcome!r}")
    if cls is None:
        return None
    if cls not in expected:
        raise ValueError(f"class must be one of {tuple(expected)}; got {cls!r}")
    if expected[cls] is None:
        return None
    if outcome == "undecided":
        return "abstained"
    return "right" if outcome == expected[cls] else "wrong"


def score_assert(kind: str, outcome: str) -> str | None:
    """Score the ``assert`` tool's outcome on a case of time class `kind`: a ``linear`` or
    ``bend`` case is right when it passes ``time="linear"`` (a fail is a false failure), a
    ``superlinear`` one when it fails it (detected); ``undecided`` abstains; ``nlogn`` is
    not scored (None).

    Examples
    --------
    >>> score_assert("linear", "fail"), score_assert("superlinear", "fail")
    ('wrong', 'right')
    """
    return _score_check(_CHECK_EXPECTED["time"], kind, outcome)


def score_memory(memory: str | None, outcome: str) -> str | None:
    """Score the ``memory`` tool's outcome on a case of memory class `memory`: ``constant``
    and ``linear`` must pass ``memory="linear"``, ``quadratic`` must fail it; ``undecided``
    abstains; a case of unknown memory class (None) is not scored.

    Examples
    --------
    >>> score_memory("constant", "pass"), score_memory("quadratic", "pass")
    ('right', 'wrong')
    """
    return _score_check(_CHECK_EXPECTED["memory"], memory, outcome)


#: Tool name -> function of (class, verdict) returning right / wrong / abstained or None.
TOOL_SCORES: dict[str, Callable[[Any, str], str | None]] = {
    "time": known.score,
    "assert": score_assert,
    "memory": score_memory,
    "instructions": known.score,
}


def case_class(tool: str, case: Any) -> str | None:
    """The class a tool's verdict on `case` is scored against: its memory class for the
    ``memory`` tool, its time class (`kind`) otherwise."""
    return case.memory if tool == "memory" else case.kind


def classes(tool: str) -> tuple[str, ...]:
    """Every class of a tool, in the order the table prints them."""
    return known.MEMORY_CLASSES if tool == "memory" else known.KINDS


def should_pass(tool: str) -> tuple[str, ...]:
    """Classes that grow at most linearly: a rejecting verdict on them is a false failure."""
    return ("constant", "linear") if tool == "memory" else ("linear", "bend")


def should_fail(tool: str) -> tuple[str, ...]:
    """Classes that grow faster than linearly: a rejecting verdict on them is a detection."""
    return ("quadratic",) if tool == "memory" else ("superlinear",)


def class_exponent(tool: str, case: Any) -> float | None:
    """The exponent a tool should find on `case` (None: memory class unknown)."""
    if tool == "memory":
        return None if case.memory is None else MEMORY_EXPONENTS[case.memory]
    return case.true_exponent


# --- the bursty load --------------------------------------------------------------------


def _bursty_worker(stop: Any, seed: int, spell: tuple[float, float], parent: int) -> None:
    """Alternate busy and idle spells of random lengths until `stop` is set or the parent
    is gone. Ctrl-C is left to the parent, which stops the workers."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    rng = random.Random(seed)
    while not stop.is_set() and os.getppid() == parent:
        end = time.perf_counter() + rng.uniform(*spell)
        while time.perf_counter() < end:
            for _ in range(2_000):  # ~50 µs of pure-Python work between clock reads
                pass
        if stop.wait(rng.uniform(*spell)):
            break


class BurstyLoad:
    """Processes alternating busy and idle spells, as a context manager.

    Parameters
    ----------
    processes : int, default 2
        How many.
    seed : int, default 0
        Seeds the spell lengths (process ``i`` uses ``seed + i``).
    spell : (float, float), default (0.05, 0.4)
        Range of each spell's length in seconds, busy and idle alike.

    Examples
    --------
    >>> with BurstyLoad(seed=1) as load:  # doctest: +SKIP
    ...     measure()
    """

    def __init__(
        self,
        processes: int = LOAD_PROCESSES,
        seed: int = 0,
        spell: tuple[float, float] = SPELL_SECONDS,
    ) -> None:
        if processes < 1:
            raise ValueError(f"processes must be >= 1; got {processes}")
        if not 0 < spell[0] <= spell[1]:
            raise ValueError(f"spell must be 0 < low <= high; got {spell}")
        self.processes = processes
        self.seed = seed
        self.spell = spell
        # fork where there is one: the workers need nothing imported by name.
        methods = multiprocessing.get_all_start_methods()
        self._context = multiprocessing.get_context("fork" if "fork" in methods else None)
        self._stop: Any = None
        self.workers: list[Any] = []

    def start(self) -> BurstyLoad:
        """Start the workers (once)."""
        if self.workers:
            raise RuntimeError("the load is already running")
        self._stop = self._context.Event()
        try:
            for i in range(self.processes):
                worker = self._context.Process(
                    target=_bursty_worker,
                    args=(self._stop, self.seed + i, self.spell, os.getpid()),
                    name=f"growth-eval-load-{i}",
                    daemon=True,
                )
                worker.start()
                self.workers.append(worker)
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self, timeout: float = 2.0) -> None:
        """Stop every worker: ask, then terminate, then kill what is still alive."""
        if self._stop is not None:
            self._stop.set()
        for worker in self.workers:
            worker.join(timeout)
        for worker in self.workers:
            if worker.is_alive():
                worker.terminate()
                worker.join(timeout)
            if worker.is_alive():
                worker.kill()
                worker.join(timeout)
        self.workers = []

    @property
    def alive(self) -> int:
        """How many workers are running."""
        return sum(worker.is_alive() for worker in self.workers)

    def __enter__(self) -> BurstyLoad:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


@contextlib.contextmanager
def load_context(load: str, seed: int = 0) -> Iterator[BurstyLoad | None]:
    """No load for ``"none"``; a running :class:`BurstyLoad` for ``"bursty"``."""
    if load == "none":
        yield None
    elif load == "bursty":
        with BurstyLoad(seed=seed) as bursty:
            yield bursty
    else:
        raise ValueError(f"load must be one of {LOADS}; got {load!r}")


def prime_allocator() -> None:
    """Allocate and free one 31 MiB numpy array, once, before the first measurement.

    glibc's ``malloc`` maps a block above its mmap threshold afresh on every call (page
    faults cost about 1 ns a byte on the VMs here) and raises the threshold to the size
    of each such block it frees, up to 32 MiB. The ``cumsum`` and ``pairwise_outer`` cases
    free blocks that large, so without this the first run of the fast cases would see a
    different allocator (a set of 24,000 ints: 28–60 ns an item, not 15) from every later
    run. A no-op where the allocator is not glibc's, as far as timing goes.
    """
    import numpy as np

    block = np.ones((31 << 20) // 8)
    del block


# --- the machine ------------------------------------------------------------------------


def _lscpu() -> dict[str, str]:
    try:
        text = subprocess.run(
            ["lscpu"], capture_output=True, text=True, timeout=10, check=True
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return {}
    fields = {}
    for line in text.splitlines():
        key, _, value = line.partition(":")
        fields[key.strip()] = value.strip()
    return fields


def _cpuinfo(field: str) -> str | None:
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.split(":")[0].strip() == field:
                return line.partition(":")[2].strip()
    return None


def machine() -> dict[str, Any]:
    """The CPU's model name, whether it has AVX-512F, the BLAS kernels, and versions."""
    lscpu = _lscpu()
    model = lscpu.get("Model name") or _cpuinfo("model name") or platform.processor() or "?"
    flags = lscpu.get("Flags") or _cpuinfo("flags")
    import numpy as np
    import threadpoolctl

    blas = [
        f"{info.get('internal_api')} {info.get('architecture', '?')} "
        f"({info.get('num_threads')} threads by default)"
        for info in threadpoolctl.threadpool_info()
        if info.get("user_api") == "blas"
    ]
    return {
        "cpu": model,
        "cpus": os.cpu_count(),
        "avx512f": None if flags is None else "avx512f" in flags.split(),
        "blas": blas,
        "python": platform.python_version(),
        "numpy": np.__version__,
    }


def load_average() -> float | None:
    """The 1-minute load average (None where the system has none)."""
    with contextlib.suppress(OSError, AttributeError):
        return round(os.getloadavg()[0], 2)
    return None


def rbmperf_origin() -> dict[str, Any]:
    """Which rbmperf the tools use: its directory, version and git commit."""
    import rbmperf

    where = Path(rbmperf.__file__).resolve().parent.parent
    commit = None
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        done = subprocess.run(
            ["git", "-C", str(where), "describe", "--always", "--dirty", "--abbrev=7"],
            capture_output=True, text=True, timeout=10,
        )  # fmt: skip
        commit = done.stdout.strip() or None
    return {"path": str(where), "version": getattr(rbmperf, "__version__", None), "commit": commit}


# --- running and scoring ----------------------------------------------------------------


def _finite(value: float) -> float | None:
    return value if math.isfinite(value) else None


def evaluate(
    cases: Sequence[Any],
    runs: int,
    load: str,
    tool: str = "time",
    kwargs: dict[str, Any] | None = None,
    *,
    seed: int = 0,
    records: list[dict[str, Any]] | None = None,
    progress: Callable[[dict[str, Any]], None] | None = None,
) -> list[dict[str, Any]]:
    """Run `tool` on every case `runs` times under `load`; one record per call.

    Parameters
    ----------
    cases : sequence of KnownCase
    runs : int
    load : {"none", "bursty"}
    tool : str, default "time"
        A key of :data:`TOOLS`.
    kwargs : dict, optional
        Passed to the tool.
    seed : int, default 0
        Seeds the load's spells.
    records : list, optional
        Appended to as the calls finish (so that a Ctrl-C keeps what was measured).
    progress : callable, optional
        Called with each record.

    Returns
    -------
    list of dict
        `records`: case, kind, run, load, tool, verdict, score, exponent, interval,
        seconds, reason, true_exponent.
    """
    records = [] if records is None else records
    kwargs = kwargs or {}
    run_tool = TOOLS[tool]
    score = TOOL_SCORES[tool]
    with load_context(load, seed):
        for run in range(runs):
            for case in cases:
                outcome = run_tool(case, kwargs)
                record = {
                    "case": case.name,
                    "kind": case.kind,
                    "run": run,
                    "load": load,
                    "tool": tool,
                    "class": case_class(tool, case),
                    "verdict": outcome.verdict,
                    "score": score(case_class(tool, case), outcome.verdict),
                    "exponent": _finite(outcome.exponent),
                    "interval": [_finite(outcome.lo), _finite(outcome.hi)],
                    "seconds": outcome.seconds,
                    "reason": outcome.reason,
                    "true_exponent": case.true_exponent,
                }
                records.append(record)
                if progress is not None:
                    progress(record)
    return records


def tally(records: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Counts of scores and verdicts and the seconds of a group of records."""
    seconds = [r["seconds"] for r in records]
    exponents = [r["exponent"] for r in records if r["exponent"] is not None]
    scores = Counter(r["score"] for r in records)
    return {
        "n": len(records),
        "right": scores["right"],
        "wrong": scores["wrong"],
        "abstained": scores["abstained"],
        "verdicts": Counter(r["verdict"] for r in records),
        "exponent": statistics.median(exponents) if exponents else None,
        "seconds_median": statistics.median(seconds) if seconds else None,
        "seconds_max": max(seconds) if seconds else None,
    }


def _num(value: float | None, spec: str) -> str:
    if value is None:  # "—", as wide as the number would be
        width = spec.split(".")[0]
        return "—".rjust(int(width) if width.isdigit() else 0)
    return format(value, spec)


def _counts(t: dict[str, Any], scored: bool) -> str:
    if scored:
        return f"{t['right']:>5} {t['wrong']:>5} {t['abstained']:>5}"
    v = t["verdicts"]
    short = {
        "linear": "lin", "superlinear": "sup", "sublinear": "sub", "inconclusive": "inc",
        "pass": "pass", "fail": "fail", "undecided": "und",
    }  # fmt: skip
    return "  ".join(f"{short[k]} {v[k]}" for k in short if v[k]) or "—"


def _tool_of(records: Sequence[dict[str, Any]]) -> str:
    return records[0].get("tool", "time") if records else "time"


def _record_class(record: dict[str, Any]) -> str | None:
    # Records of before the tools were several hold only the time class.
    return record["class"] if "class" in record else record["kind"]


def _scored(tool: str, cls: str | None) -> bool:
    return cls is not None and cls != "nlogn"


def table(records: Sequence[dict[str, Any]], cases: Sequence[Any]) -> str:
    """Per load: one row per case, then per class and in total; for every tool but
    ``time``, then the issue-19 targets (:func:`targets_table`)."""
    lines = []
    tool = _tool_of(records)
    column = "memory" if tool == "memory" else "kind"
    header = (
        f"{'case':<20} {column:<11} {'k true':>6} {'right':>5} {'wrong':>5} {'abst':>5}"
        f" {'k med':>6} {'s med':>6} {'s max':>6}"
    )
    for load in dict.fromkeys(r["load"] for r in records):
        mine = [r for r in records if r["load"] == load]
        runs = len({r["run"] for r in mine})
        lines += [f"load {load} ({runs} run{'s' * (runs != 1)})", header]
        for case in cases:
            rows = [r for r in mine if r["case"] == case.name]
            if not rows:
                continue
            t = tally(rows)
            cls = case_class(tool, case)
            lines.append(
                f"{case.name:<20} {cls or '—':<11} {_num(class_exponent(tool, case), '6.2f')} "
                f"{_counts(t, _scored(tool, cls)):<17} {_num(t['exponent'], '6.2f')} "
                f"{_num(t['seconds_median'], '6.2f')} {_num(t['seconds_max'], '6.2f')}"
            )
        lines.append("by class")
        for cls in classes(tool):
            rows = [r for r in mine if _record_class(r) == cls]
            if rows:
                t = tally(rows)
                n_cases = len({r["case"] for r in rows})
                label = f"{cls} ({n_cases} case{'s' * (n_cases != 1)})"
                lines.append(
                    f"{label:<39} {_counts(t, _scored(tool, cls)):<17} {'':>6} "
                    f"{_num(t['seconds_median'], '6.2f')} {_num(t['seconds_max'], '6.2f')}"
                )
        scored = [r for r in mine if r["score"] is not None]
        if scored:
            t = tally(scored)
            share = f"wrong {t['wrong'] / t['n']:.0%}, abstained {t['abstained'] / t['n']:.0%}"
            lines.append(
                f"{'total scored':<39} {_counts(t, True):<17} {'':>6} "
                f"{_num(t['seconds_median'], '6.2f')} {_num(t['seconds_max'], '6.2f')}"
                f"   ({t['n']} verdicts: {share})"
            )
        lines.append("")
    if tool != "time" and records:
        lines += [targets_table(records), ""]
    return "\n".join(lines)


#: What issue 19 asks of each tool, in words.
TARGETS = {
    "assert": f'time="{BOUND}": false failures on linear functions ≤ 1%; superlinear '
    "(k ≥ 1.4) detected ≥ 99%",
    "memory": f'time=None, memory="{BOUND}": false failures on constant or linear memory 0; '
    "quadratic memory detected ≥ 99%",
    "instructions": 'clock="instructions": false failures (superlinear verdicts) on linear '
    "functions 0; superlinear (k ≥ 1.4) detected ≥ 99%",
}


def target_counts(records: Sequence[dict[str, Any]], tool: str) -> dict[str, Any]:
    """The issue-19 figures of a group of records (one load, usually).

    Returns
    -------
    dict
        ``passing``: verdicts on cases that grow at most linearly (:func:`should_pass`),
        with ``false_failures`` (a rejecting verdict: fail or superlinear), ``abstained``
        and ``other_wrong`` (a sublinear verdict on a linear case); ``failing``: verdicts
        on cases that grow faster (:func:`should_fail`), with ``detected`` (a rejecting
        verdict), ``missed`` and ``abstained``; ``seconds``: the calls' wall seconds, summed.
    """
    ok = [r for r in records if _record_class(r) in should_pass(tool) and r["score"] is not None]
    bad = [r for r in records if _record_class(r) in should_fail(tool) and r["score"] is not None]
    false_failures = sum(r["verdict"] in REJECTING for r in ok)
    ok_abstained = sum(r["verdict"] in UNDECIDED for r in ok)
    detected = sum(r["verdict"] in REJECTING for r in bad)
    bad_abstained = sum(r["verdict"] in UNDECIDED for r in bad)
    return {
        "passing": len(ok),
        "false_failures": false_failures,
        "abstained": ok_abstained,
        "other_wrong": len(ok)
        - false_failures
        - ok_abstained
        - sum(r["score"] == "right" for r in ok),
        "failing": len(bad),
        "detected": detected,
        "missed": len(bad) - detected - bad_abstained,
        "failing_abstained": bad_abstained,
        "seconds": sum(r["seconds"] for r in records),
    }


def _share(count: int, total: int) -> str:
    return f"{count} ({count / total:.1%})" if total else f"{count}"


def targets_table(records: Sequence[dict[str, Any]]) -> str:
    """One row per load: false failures and abstentions on the cases that grow at most
    linearly, detections, misses and abstentions on those that grow faster, seconds."""
    tool = _tool_of(records)
    ok, bad = "/".join(should_pass(tool)), "/".join(should_fail(tool))
    lines = [
        f"issue-19 targets, tool {tool}: {TARGETS[tool]}",
        f"{'load':<8} {ok + ' n':>15} {'false fail':>12} {'abstained':>12} {'other wrong':>11}"
        f" {bad + ' n':>13} {'detected':>14} {'missed':>6} {'abstained':>12} {'seconds':>9}",
    ]
    for load in dict.fromkeys(r["load"] for r in records):
        c = target_counts([r for r in records if r["load"] == load], tool)
        name = "quiet" if load == "none" else load
        lines.append(
            f"{name:<8} {c['passing']:>15} {_share(c['false_failures'], c['passing']):>12} "
            f"{_share(c['abstained'], c['passing']):>12} {c['other_wrong']:>11} "
            f"{c['failing']:>13} {_share(c['detected'], c['failing']):>14} {c['missed']:>6} "
            f"{_share(c['failing_abstained'], c['failing']):>12} {c['seconds']:>9.1f}"
        )
    return "\n".join(lines)


def header_text(meta: dict[str, Any]) -> str:
    m = meta["machine"]
    avx = {True: "yes", False: "no", None: "?"}[m["avx512f"]]
    origin = meta["rbmperf"]
    return "\n".join(
        [
            f"tool {meta['tool']} {json.dumps(meta['kwargs'])} · rbmperf {origin['path']} "
            f"({origin['version']}, {origin['commit'] or 'no git'})",
            f"machine: {m['cpu']} · {m['cpus']} CPUs · avx512f {avx} · BLAS "
            f"{', '.join(m['blas']) or '?'} · python {m['python']}, numpy {m['numpy']}",
            "load average (1 min): "
            + ", ".join(
                f"{b['load']} {_num(b['loadavg_start'], '.2f')} → {_num(b['loadavg_end'], '.2f')}"
                for b in meta["blocks"]
            ),
        ]
    )


# --- command line -----------------------------------------------------------------------


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer; got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer; got {value}")
    return value


def _loads(text: str) -> list[str]:
    loads = [part.strip() for part in text.split(",") if part.strip()]
    bad = [load for load in loads if load not in LOADS]
    if bad or not loads:
        raise argparse.ArgumentTypeError(
            f"expected none, bursty or both (none,bursty); got {text!r}"
        )
    return list(dict.fromkeys(loads))


def _cases(text: str) -> list[str]:
    names = [part.strip() for part in text.split(",") if part.strip()]
    unknown = [name for name in names if name not in known.BY_NAME]
    if unknown or not names:
        raise argparse.ArgumentTypeError(
            f"unknown case {', '.join(map(repr, unknown)) or repr(text)}; "
            f"known: {', '.join(known.BY_NAME)}"
        )
    return list(dict.fromkeys(names))


def _kwargs(text: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as error:
        raise argparse.ArgumentTypeError(f"not JSON ({error}): {text!r}") from None
    if not isinstance(value, dict):
        raise argparse.ArgumentTypeError("expected a JSON object like '{\"budget\": 2}'")
    return value


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="growth_eval.py",
        description="Right / wrong / abstained growth verdicts on functions of known growth.",
    )
    p.add_argument("--runs", type=_positive_int, default=3, help="calls per case and load")
    p.add_argument(
        "--load", type=_loads, default=["none"], metavar="none|bursty",
        help="none, bursty, or both in turn: none,bursty (default none)",
    )  # fmt: skip
    p.add_argument(
        "--cases", type=_cases, default=None, metavar="NAME,NAME",
        help=f"default all: {', '.join(known.BY_NAME)}",
    )  # fmt: skip
    p.add_argument(
        "--tool", choices=list(TOOLS), default="time",
        help="time: time_growth's verdict (default); assert: check_growth(time=\"linear\"); "
        "memory: check_growth(time=None, memory=\"linear\"); instructions: "
        "time_growth(clock=\"instructions\"), two valgrind children of 2–4 s a size",
    )  # fmt: skip
    p.add_argument(
        "--kwargs", type=_kwargs, default={}, metavar="JSON",
        help="keyword arguments for the tool, a JSON object, e.g. '{\"budget\": 2}'",
    )  # fmt: skip
    p.add_argument("--json", type=Path, default=None, metavar="PATH", help="every record")
    p.add_argument("--seed", type=int, default=0, help="seeds the bursty load (default 0)")
    p.add_argument("-q", "--quiet", action="store_true", help="no line per call")
    return p


def _progress_line(record: dict[str, Any]) -> None:
    lo, hi = record["interval"]
    print(
        f"[{record['load']} run {record['run'] + 1}] {record['case']}: {record['verdict']} "
        f"k = {_num(record['exponent'], '.2f')} [{_num(lo, '.2f')}, {_num(hi, '.2f')}] "
        f"{record['seconds']:.2f} s ({record['score'] or 'not scored'})",
        file=sys.stderr,
        flush=True,
    )


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main(argv: Sequence[str] | None = None) -> int:
    """Run the evaluation; 0 when it finished, 130 when Ctrl-C (or SIGTERM) stopped it."""
    p = parser()
    args = p.parse_args(argv)
    if args.json is not None and not args.json.parent.is_dir():
        p.error(f"--json: no directory {args.json.parent}")
    try:
        check_kwargs(args.tool, args.kwargs)
    except TypeError as error:
        p.error(f"--kwargs do not fit the {args.tool} tool: {error}")
    preflight = TOOL_PREFLIGHT.get(args.tool)
    problem = None if preflight is None else preflight()
    if problem:
        p.error(f"the {args.tool} tool cannot run here: {problem}")
    cases = known.select(args.cases)
    if args.tool in SECONDS_PER_SIZE:
        calls = len(cases) * args.runs * len(args.load)
        guess = SECONDS_PER_SIZE[args.tool] * calls * statistics.mean(len(c.sizes) for c in cases)
        print(
            f"{args.tool}: {calls} calls of about {guess / calls:.0f} s each, about "
            f"{guess / 60:.0f} min in all (--cases picks a subset)",
            file=sys.stderr,
            flush=True,
        )
    meta: dict[str, Any] = {
        "tool": args.tool,
        "kwargs": args.kwargs,
        "runs": args.runs,
        "cases": [case.name for case in cases],
        "seed": args.seed,
        "machine": machine(),
        "rbmperf": rbmperf_origin(),
        "argv": sys.argv if argv is None else list(argv),
        "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "blocks": [],
    }
    records: list[dict[str, Any]] = []
    status = 0
    prime_allocator()
    previous_term = signal.signal(signal.SIGTERM, _interrupt)  # stop the load, keep the table
    try:
        for load in args.load:
            block = {"load": load, "loadavg_start": load_average(), "loadavg_end": None}
            meta["blocks"].append(block)
            try:
                evaluate(
                    cases, args.runs, load, args.tool, args.kwargs, seed=args.seed,
                    records=records, progress=None if args.quiet else _progress_line,
                )  # fmt: skip
            finally:
                block["loadavg_end"] = load_average()
    except (ValueError, TypeError) as error:
        if records:
            raise
        p.error(f"the {args.tool} tool refused {json.dumps(args.kwargs)}: {error}")
    except KeyboardInterrupt:
        print("interrupted: the table holds the calls that finished", file=sys.stderr)
        status = 130
    finally:
        signal.signal(signal.SIGTERM, previous_term)
    meta["finished"] = time.strftime("%Y-%m-%dT%H:%M:%S%z")
    if args.tool != "time":
        meta["targets"] = {
            load: target_counts([r for r in records if r["load"] == load], args.tool)
            for load in dict.fromkeys(r["load"] for r in records)
        }
    print(header_text(meta))
    print()
    print(table(records, cases))
    if args.json is not None:
        args.json.write_text(json.dumps({"meta": meta, "records": records}, indent=1) + "\n")
        print(f"wrote {len(records)} records to {args.json}")
    return status


if __name__ == "__main__":
    sys.exit(main())
