"""How often a growth tool is right, wrong or undecided on functions of known growth.

Runs a tool (``--tool time``: ``rbmperf.time_growth`` with its defaults) over the evaluation
set of :mod:`rbmperf.codegrowth.known` many times, quiet or under a bursty load, and prints
right / wrong / abstained counts per function and per class, with the seconds each call of
the tool took (median and max) and the machine it ran on::

    PYTHONPATH=$PWD .venv/bin/python scripts/growth_eval.py --runs 20 --load none,bursty \\
        --json eval-new.json
    PYTHONPATH=/path/to/old/checkout .venv/bin/python scripts/growth_eval.py --runs 20 \\
        --load none,bursty --json eval-old.json      # the same set, an older time_growth
    PYTHONPATH=$PWD .venv/bin/python scripts/growth_eval.py --runs 1 \\
        --cases sum_list,nested_loops --kwargs '{"budget": 2}'

Scoring (:func:`known.score`): a ``linear`` case is right when the verdict is ``linear``,
wrong when ``superlinear`` or ``sublinear``, abstained when ``inconclusive``; a
``superlinear`` case is right when ``superlinear``; a ``bend`` case (the cost per item
changes inside the range) is scored as linear; ``nlogn`` is reported as counts of each
verdict, not scored.

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
    fit = result.growth
    return Outcome(
        str(fit.verdict),
        float(fit.exponent),
        float(fit.ci_low),
        float(fit.ci_high),
        seconds,
        str(getattr(fit, "reason", "")),
    )


#: Tool name -> function of (case, kwargs) returning an :class:`Outcome`.
TOOLS: dict[str, Callable[[Any, dict[str, Any]], Outcome]] = {"time": tool_time}
#: Tool name -> the callable whose signature `--kwargs` must fit (checked before any run).
TOOL_TARGETS: dict[str, Callable[[], Callable[..., Any]]] = {"time": _time_growth}


def check_kwargs(tool: str, kwargs: dict[str, Any]) -> None:
    """Raise TypeError when `kwargs` do not fit the tool's signature."""
    case = known.CASES[0]
    target = TOOL_TARGETS[tool]()
    inspect.signature(target).bind(case.func, case.sizes, setup=case.setup, **kwargs)


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
                    "verdict": outcome.verdict,
                    "score": known.score(case.kind, outcome.verdict),
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
    return "—" if value is None else format(value, spec)


def _counts(t: dict[str, Any], scored: bool) -> str:
    if scored:
        return f"{t['right']:>5} {t['wrong']:>5} {t['abstained']:>5}"
    v = t["verdicts"]
    short = {"linear": "lin", "superlinear": "sup", "sublinear": "sub", "inconclusive": "inc"}
    return "  ".join(f"{short[k]} {v[k]}" for k in short if v[k]) or "—"


def table(records: Sequence[dict[str, Any]], cases: Sequence[Any]) -> str:
    """Per load: one row per case, then per class and in total."""
    lines = []
    header = (
        f"{'case':<20} {'kind':<11} {'k true':>6} {'right':>5} {'wrong':>5} {'abst':>5}"
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
            lines.append(
                f"{case.name:<20} {case.kind:<11} {case.true_exponent:>6.2f} "
                f"{_counts(t, case.kind != 'nlogn'):<17} {_num(t['exponent'], '6.2f')} "
                f"{_num(t['seconds_median'], '6.2f')} {_num(t['seconds_max'], '6.2f')}"
            )
        lines.append("by class")
        for kind in known.KINDS:
            rows = [r for r in mine if r["kind"] == kind]
            if rows:
                t = tally(rows)
                n_cases = len({r["case"] for r in rows})
                label = f"{kind} ({n_cases} case{'s' * (n_cases != 1)})"
                lines.append(
                    f"{label:<39} {_counts(t, kind != 'nlogn'):<17} {'':>6} "
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
    p.add_argument("--tool", choices=sorted(TOOLS), default="time", help="default time")
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
    cases = known.select(args.cases)
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
    print(header_text(meta))
    print()
    print(table(records, cases))
    if args.json is not None:
        args.json.write_text(json.dumps({"meta": meta, "records": records}, indent=1) + "\n")
        print(f"wrote {len(records)} records to {args.json}")
    return status


if __name__ == "__main__":
    sys.exit(main())
