"""The results file: one JSON record per line, appended as each measurement completes.

Each record is a flat dict with a ``kind``:

``run``      one per sweep started: ``run_id``, ``settings`` (dict), ``settings_key``,
             ``machine`` (see :func:`rbmperf.sweep.machine.machine_info`); a sweep on
             synthetic data of a set density (a density sweep's point) also ``density``.
``compile``  ``name``, ``role``, ``dtype``, ``seconds`` (just-in-time compilation or other
             preparation, never part of an epoch time).
``epoch``    ``name``, ``role`` (``backend``, ``floor`` or ``peer``), ``dtype``, ``n``,
             ``repeat``, ``seconds`` (wall time of one epoch), ``cpu_seconds`` (CPU time
             of the process during it), ``threads``, ``n_batches``; on an accelerator
             also ``device`` and ``floor`` (the floor series it is compared with). A
             backend's epoch also has ``v0_density``, ``h0_density``, ``v1_density``
             (fractions of ones of the sampled states over the epoch, or None where not
             measured) and ``density_source``: ``"states"`` (counted by the backend) or
             ``"data"`` (v0's expectation, the mean of the data; h0 and v1 None).
``skip``     ``name``, ``role``, ``dtype``, ``n``, ``predicted_seconds``,
             ``budget_seconds``, ``reason``: a point not measured because it was predicted
             to take too long.
``probe``    epochs at small sizes timed only to predict costs (not in any statistic).
``finished`` the sweep completed.

Every record carries ``schema`` (:data:`SCHEMA`, the version of this layout), ``run_id``
(one process), ``sweep_id`` and ``settings_key``. A sweep is one or more runs with the same
settings: a run that finds the file's last sweep unfinished (interrupted) continues it,
skipping the epochs it already holds; after a ``finished`` record the next run starts a
new sweep and measures afresh.

**Nothing is ever rewritten.** The file only grows. Each record is one line written by a
single ``os.write`` to a descriptor opened for appending, while holding an exclusive
``flock`` on the file, then pushed to disk: two processes appending to one file at once
(two ``rbmperf bench`` runs, say) never interleave or lose a line, and a reader sees whole
lines only. A line cut short by a killed writer (or a full disk) stays where it is; the
next record starts on a line of its own.

**Reading keeps every good line.** :func:`read_records` classifies each line: a record of
this layout (lines written before the ``schema`` field existed are read as schema 1), or
unusable: not JSON (garbage, or cut short), not an rbmperf record (foreign JSON, a missing
or mistyped field: an epoch without ``sweep_id``, say) or written by a newer rbmperf
(``schema`` above :data:`SCHEMA`). :func:`load_records` returns the good ones and warns
once per file (:class:`rbmperf.errors.ResultsWarning`) naming the file, how many lines it
skipped and which.

Locking uses ``fcntl.flock`` (Linux, macOS); where ``fcntl`` is missing (Windows) appends
are unlocked. ``flock`` over NFS depends on the server: keep results files on a local disk.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import time
import warnings
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..engine.clocks import TIMED_CLOCKS
from ..errors import InputError, ResultsWarning
from ..jsonvalues import to_jsonable
from ..validation import check_clock

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

Record = dict[str, Any]

# The version of the record layout above; raise it when a field changes meaning.
SCHEMA = 1
# How long an append waits for another process's lock before giving up.
LOCK_TIMEOUT_SECONDS = 30.0


def record_line(record: Record) -> bytes:
    """`record` as the one line (UTF-8, ending in a newline) that the file stores."""
    stamped = {"schema": SCHEMA, **record}
    return (json.dumps(to_jsonable(stamped), sort_keys=True, allow_nan=True) + "\n").encode()


def _lock_holders(path: Path) -> list[int]:
    """Process ids holding a lock on `path`, from ``/proc/locks`` (Linux; [] elsewhere)."""
    try:
        inode = path.stat().st_ino
        lines = Path("/proc/locks").read_text().splitlines()
    except OSError:
        return []
    holders = []
    for line in lines:
        fields = line.split()
        # "1: FLOCK  ADVISORY  WRITE 4242 08:01:1234567 0 EOF" (blocked waiters have "->")
        if len(fields) >= 6 and fields[1] != "->" and fields[5].rsplit(":", 1)[-1] == str(inode):
            with contextlib.suppress(ValueError):
                holders.append(int(fields[4]))
    return holders


@contextlib.contextmanager
def _exclusive_lock(fd: int, path: Path, timeout: float) -> Iterator[None]:
    if fcntl is None:  # pragma: no cover - Windows
        yield
        return
    deadline = time.monotonic() + timeout
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            break
        except BlockingIOError:
            if time.monotonic() > deadline:
                holders = ", ".join(str(pid) for pid in _lock_holders(path)) or "unknown"
                raise InputError(
                    f"results file {str(path)!r} has been locked by another process for over "
                    f"{timeout:g} s (holder pid: {holders}); nothing was written"
                ) from None
            time.sleep(0.005)
    try:
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)


def append_record(
    path: str | os.PathLike, record: Record, *, lock_timeout: float = LOCK_TIMEOUT_SECONDS
) -> None:
    """Append `record` as one line to `path` and push it to disk before returning.

    One ``os.write`` of the whole line under an exclusive lock (see the module docstring),
    so that concurrent writers never interleave; if the file does not end with a newline
    (a writer was killed mid-line), the record starts a new line and the fragment is left
    alone.

    Raises
    ------
    InputError
        If another process holds the file's lock for more than `lock_timeout` seconds.
    OSError
        If the file cannot be opened or written (the error names it).
    """
    path = Path(path)
    line = record_line(record)
    fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        with _exclusive_lock(fd, path, lock_timeout):
            size = os.fstat(fd).st_size
            if size > 0 and os.pread(fd, 1, size - 1) != b"\n":
                line = b"\n" + line
            while line:  # one write; more only if the kernel takes part (a full disk)
                written = os.write(fd, line)
                line = line[written:]
            os.fsync(fd)
    finally:
        os.close(fd)


class SweepPresence:
    """Marks a process as sweeping into a results file, and tells it whether another is.

    While a sweep runs, its process holds a shared ``flock`` on ``RESULTS.lock`` (a small
    empty file beside the results file, left in place). A process starting a sweep first
    tries that lock exclusively, without waiting: if it cannot have it, another sweep is
    live on this file, and the newcomer must not take that sweep's unfinished records for
    an interrupted sweep to resume. The operating system drops the lock when a process
    ends, however it ends, so a killed sweep never looks live.
    """

    def __init__(self, results_path: str | os.PathLike):
        path = Path(results_path)
        self.lock_path = path.with_name(path.name + ".lock")
        self._fd: int | None = None

    def enter(self) -> list[int] | None:
        """Start holding the presence lock; return None if alone, else the others' pids.

        The list may be empty where the operating system does not say who holds a lock.
        """
        if fcntl is None:  # pragma: no cover - Windows: no presence, every run alone
            return None
        fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            others = None
        except BlockingIOError:
            others = sorted(set(_lock_holders(self.lock_path)) - {os.getpid()})
        fcntl.flock(fd, fcntl.LOCK_SH)  # waits only while a newcomer holds it exclusively
        self._fd = fd
        return others

    def leave(self) -> None:
        """Stop holding the presence lock (also done by the system when the process ends)."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


@dataclass(frozen=True)
class SkippedLine:
    """A line of a results file that holds no usable record, and why."""

    number: int
    reason: str


@dataclass(frozen=True)
class ResultsFile:
    """What :func:`read_records` found in one file."""

    path: Path
    records: list[Record]
    skipped: list[SkippedLine]
    lines: int

    def describe_skipped(self, shown: int = 10) -> str:
        """One sentence naming the file, how many lines were skipped, which, and why."""
        count = len(self.skipped)
        numbers = ", ".join(str(s.number) for s in self.skipped[:shown])
        if count > shown:
            numbers += f", … ({count - shown} more)"
        reasons: dict[str, int] = {}
        for line in self.skipped:
            reasons[line.reason] = reasons.get(line.reason, 0) + 1
        why = "; ".join(f"{n} {reason}" for reason, n in reasons.items())
        plural = "line" if count == 1 else "lines"
        return (
            f"results file {str(self.path)!r}: skipped {count} unusable {plural} of "
            f"{self.lines} ({plural} {numbers}): {why}"
        )


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_seconds(value: object) -> bool:
    return (
        isinstance(value, (int, float))
        and not isinstance(value, bool)
        and math.isfinite(value)
        and value >= 0
    )


_TEXT = ("name", "role", "dtype")
# Required fields beyond the common ones, per kind: field -> test of its value.
_FIELDS: dict[str, dict[str, Any]] = {
    "run": {"settings": lambda v: isinstance(v, dict), "machine": lambda v: isinstance(v, dict)},
    "compile": {"seconds": _is_seconds},
    "epoch": {
        "n": lambda v: _is_int(v) and v >= 1,
        "repeat": lambda v: _is_int(v) and v >= 0,
        "seconds": _is_seconds,
        "n_batches": lambda v: _is_int(v) and v >= 1,
    },
    "skip": {
        "n": lambda v: _is_int(v) and v >= 1,
        "budget_seconds": _is_seconds,
        "reason": lambda v: isinstance(v, str),
    },
    "probe": {"n": lambda v: _is_int(v) and v >= 1, "seconds": _is_seconds},
    "finished": {},
}


def _is_fraction(value: object) -> bool:
    return value is None or (_is_seconds(value) and value <= 1.0)


# Optional fields: checked when present.
_OPTIONAL: dict[str, Any] = {
    "cpu_seconds": _is_seconds,
    "v0_density": _is_fraction,
    "h0_density": _is_fraction,
    "v1_density": _is_fraction,
    "density": lambda v: _is_seconds(v) and 0 < v <= 1,
    "threads": lambda v: _is_int(v) and v >= 1,
    "predicted_seconds": lambda v: v is None or _is_seconds(v),
}


def record_problem(record: object) -> str | None:
    """Why `record` (one parsed line) is not a usable record of this layout; None if it is."""
    if not isinstance(record, dict):
        return "not an rbmperf record (not a JSON object)"
    schema = record.get("schema", SCHEMA)  # lines older than the field are schema 1
    if not _is_int(schema) or schema < 1:
        return "not an rbmperf record (bad 'schema')"
    if schema > SCHEMA:
        return f"written by a newer rbmperf (schema {schema}; this one reads {SCHEMA})"
    kind = record.get("kind")
    if kind not in _FIELDS:
        return "not an rbmperf record (no known 'kind')"
    checks = dict.fromkeys(("run_id", "sweep_id", "settings_key"), lambda v: isinstance(v, str))
    if kind not in ("run", "finished"):
        checks.update(dict.fromkeys(_TEXT, lambda v: isinstance(v, str)))
    checks.update(_FIELDS[kind])
    for field, valid in checks.items():
        if field not in record:
            return f"not an rbmperf record ({kind} without {field!r})"
        if not valid(record[field]):
            return f"not an rbmperf record ({kind} with a bad {field!r})"
    for field, valid in _OPTIONAL.items():
        if field in record and not valid(record[field]):
            return f"not an rbmperf record ({kind} with a bad {field!r})"
    return None


def read_records(path: str | os.PathLike) -> ResultsFile:
    """Read a results file, keeping every usable line and noting every other one.

    Never raises over the file's contents: bytes that are not UTF-8, lines that are not
    JSON, JSON that is not a record of this layout are all noted in ``skipped``.

    Raises
    ------
    FileNotFoundError
        If `path` does not exist (the error names it).
    OSError
        If it cannot be read (a directory, no permission).
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(2, "no results file there", str(path))
    text = path.read_bytes().decode("utf-8", errors="replace")
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    records: list[Record] = []
    skipped: list[SkippedLine] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except (json.JSONDecodeError, RecursionError):
            skipped.append(SkippedLine(number, "not JSON (garbage, or cut short)"))
            continue
        problem = record_problem(record)
        if problem is not None:
            skipped.append(SkippedLine(number, problem))
            continue
        record.pop("schema", None)
        records.append(record)
    return ResultsFile(path, records, skipped, len(lines))


def load_records(path: str | os.PathLike) -> list[Record]:
    """Every usable record of a results file, warning about the lines it skipped.

    See :func:`read_records`; the warning (:class:`rbmperf.errors.ResultsWarning`) names
    the file, the count and the line numbers. Good lines are never dropped for bad ones.

    Raises
    ------
    FileNotFoundError
        If `path` does not exist.
    """
    found = read_records(path)
    if found.skipped:
        warnings.warn(found.describe_skipped(), ResultsWarning, stacklevel=2)
    return found.records


def epoch_key(record: Record) -> tuple:
    """The identity of one timed epoch: resuming skips epochs whose key is recorded."""
    return (
        record["sweep_id"],
        record["name"],
        record["dtype"],
        int(record["n"]),
        int(record["repeat"]),
    )


# The report's choice of clock: the engine's two, or "auto" (wall with a device series).
REPORT_CLOCKS = ("auto", *TIMED_CLOCKS)


def epoch_seconds(record: Record, clock: str = "auto") -> float:
    """The time of an ``epoch`` record by `clock`.

    ``"wall"`` is the elapsed time. ``"cpu"`` is the CPU time the process used (all its
    threads). ``"auto"`` (the default) takes CPU time for single-threaded sweeps and wall
    time otherwise: with one thread the two agree on an idle machine, but on a shared one
    only the wall time includes the moments another process held the core, which is noise
    about this machine's load, not a cost of the epoch. With several threads CPU time adds
    the threads up, so wall time is the honest figure; on an accelerator (records with a
    ``device``) the host's CPU time is not the device's work, so wall time again.
    """
    check_clock(clock, REPORT_CLOCKS)
    if clock == "auto":
        clock = "cpu" if _single_thread_on_host(record) else "wall"
    if clock == "cpu":
        if "cpu_seconds" not in record:
            raise InputError("these results hold no CPU times (recorded by an older rbmperf)")
        return float(record["cpu_seconds"])
    return float(record["seconds"])


def resolved_clock(records: Iterable[Record], clock: str = "auto") -> str:
    """``"wall"`` or ``"cpu"``: what `clock` means for these epoch records."""
    if clock != "auto":
        return clock
    epochs = [r for r in records if r.get("kind") == "epoch"]
    if epochs and all(_single_thread_on_host(r) for r in epochs):
        return "cpu"
    return "wall"


def _single_thread_on_host(record: Record) -> bool:
    return record.get("threads") == 1 and "cpu_seconds" in record and not record.get("device")


def completed_epochs(records: Iterable[Record]) -> set[tuple]:
    """Keys of the epochs already measured in `records`."""
    return {epoch_key(r) for r in records if r.get("kind") == "epoch"}


def latest_sweep(records: list[Record]) -> tuple[str, str, bool] | None:
    """``(sweep_id, settings_key, finished)`` of the most recent sweep, None if no run."""
    for record in reversed(records):
        if record.get("kind") == "run":
            sweep_id = record["sweep_id"]
            finished = any(
                r.get("kind") == "finished" and r.get("sweep_id") == sweep_id for r in records
            )
            return sweep_id, record["settings_key"], finished
    return None
