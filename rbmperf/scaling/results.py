"""The results file: one JSON record per line, appended as each measurement completes.

JSON lines survive interruption: everything written before a crash or Ctrl-C is a whole
line, and a line cut short by a kill is skipped on reading. Each record is a flat dict with
a ``kind``:

``run``      one per sweep started: ``run_id``, ``settings`` (dict), ``settings_key``,
             ``machine`` (see :func:`rbmperf.scaling.machine.machine_info`).
``compile``  ``name``, ``role``, ``dtype``, ``seconds`` (just-in-time compilation or other
             preparation, never part of an epoch time).
``epoch``    ``name``, ``role`` (``backend``, ``floor`` or ``peer``), ``dtype``, ``n``,
             ``repeat``, ``seconds`` (wall time of one epoch), ``cpu_seconds`` (CPU time
             of the process during it), ``threads``, ``n_batches``.
``skip``     ``name``, ``role``, ``dtype``, ``n``, ``predicted_seconds``,
             ``budget_seconds``, ``reason``: a point not measured because it was predicted
             to take too long.
``probe``    epochs at small sizes timed only to predict costs (not in any statistic).
``finished`` the sweep completed.

Every record carries ``run_id`` (one process), ``sweep_id`` and ``settings_key``. A sweep
is one or more runs with the same settings: a run that finds the file's last sweep
unfinished (interrupted) continues it, skipping the epochs it already holds; after a
``finished`` record the next run starts a new sweep and measures afresh.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ..errors import InputError
from ..jsonvalues import to_jsonable

Record = dict[str, Any]


def append_record(path: str | os.PathLike, record: Record) -> None:
    """Append `record` as one JSON line to `path` and push it to disk before returning."""
    line = json.dumps(to_jsonable(record), sort_keys=True, allow_nan=True)
    with open(path, "a", encoding="utf-8") as stream:
        stream.write(line + "\n")
        stream.flush()
        os.fsync(stream.fileno())


def drop_partial_line(path: str | os.PathLike) -> bool:
    """Cut off a last line left incomplete by a killed writer; return whether one was.

    Called before appending, so that a new record never continues a broken line.
    """
    path = Path(path)
    if not path.exists() or path.stat().st_size == 0:
        return False
    data = path.read_bytes()
    if data.endswith(b"\n"):
        return False
    with open(path, "r+b") as stream:
        stream.truncate(data.rfind(b"\n") + 1)
    return True


def load_records(path: str | os.PathLike) -> list[Record]:
    """Read every complete record of a results file.

    A last line cut short (the process was killed while writing) is ignored.

    Raises
    ------
    FileNotFoundError
        If `path` does not exist.
    ValueError
        If a line other than the last is not a JSON object.
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"no results file at {path}")
    lines = path.read_text(encoding="utf-8").splitlines()
    records = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as error:
            if number == len(lines):
                break
            raise InputError(f"{path}, line {number}: not a JSON record ({error})") from error
        if not isinstance(record, dict) or "kind" not in record:
            raise InputError(f"{path}, line {number}: not an rbmperf results record")
        records.append(record)
    return records


def epoch_key(record: Record) -> tuple:
    """The identity of one timed epoch: resuming skips epochs whose key is recorded."""
    return (
        record["sweep_id"],
        record["name"],
        record["dtype"],
        int(record["n"]),
        int(record["repeat"]),
    )


CLOCKS = ("auto", "wall", "cpu")


def epoch_seconds(record: Record, clock: str = "auto") -> float:
    """The time of an ``epoch`` record by `clock`.

    ``"wall"`` is the elapsed time. ``"cpu"`` is the CPU time the process used (all its
    threads). ``"auto"`` (the default) takes CPU time for single-threaded sweeps and wall
    time otherwise: with one thread the two agree on an idle machine, but on a shared one
    only the wall time includes the moments another process held the core, which is noise
    about this machine's load, not a cost of the epoch. With several threads CPU time adds
    the threads up, so wall time is the honest figure.
    """
    if clock not in CLOCKS:
        raise InputError(f"clock must be one of {', '.join(CLOCKS)}; got {clock!r}")
    if clock == "auto":
        clock = "cpu" if record.get("threads") == 1 and "cpu_seconds" in record else "wall"
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
    if epochs and all(r.get("threads") == 1 and "cpu_seconds" in r for r in epochs):
        return "cpu"
    return "wall"


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
