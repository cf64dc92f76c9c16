"""Read an asv results folder: every machine's results files and ``benchmarks.json``.

The layout is the one ``asv run`` writes under its ``results_dir``::

    results_dir/
        benchmarks.json                 parameter names, type and unit of each benchmark
        MACHINE/machine.json            one folder per machine
        MACHINE/<hash8>-<env>.json      one file per commit and environment

Results files of format version 2 (asv 0.5 and 0.6: a ``result_columns`` list and one row
per benchmark) and version 1 (older asv: a dict, or a bare number, per benchmark) are both
read, without importing asv. Nothing here fits or draws: the records returned are plain
data for :mod:`rbmperf.history.series`.

Damaged input never stops the reading: a file that is not JSON, has another format
version or lacks the keys asv writes is skipped with a
:class:`~rbmperf.errors.ResultsWarning` naming it, and the rest is read. Only a folder with
no usable results file at all is an :class:`~rbmperf.errors.InputError`.
"""

from __future__ import annotations

import ast
import json
import os
import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import InputError, ResultsWarning

__all__ = [
    "AsvResults",
    "BenchmarkInfo",
    "BenchmarkResult",
    "CommitResults",
    "read_asv_config",
    "read_asv_results",
]

RESULTS_VERSIONS = (1, 2)


class _NotAsvFormat(InputError):
    """A results file's content is not laid out as asv writes it (caught per file)."""


BENCHMARKS_VERSION = 2
_NOT_RESULTS = {"machine.json", "benchmarks.json"}


@dataclass(frozen=True)
class BenchmarkInfo:
    """What ``benchmarks.json`` says of one benchmark.

    Attributes
    ----------
    name : str
        Dotted name, e.g. ``"bench_epoch.Epoch.time_epoch"``.
    kind : str
        asv's ``type``: ``"time"``, ``"memory"``, ``"peakmemory"``, ``"track"``, ...
    unit : str
        ``"seconds"``, ``"bytes"`` or a track's own unit.
    param_names : tuple of str
        One name per parameter axis.
    """

    name: str
    kind: str
    unit: str
    param_names: tuple[str, ...]


@dataclass(frozen=True)
class BenchmarkResult:
    """One benchmark's values in one results file.

    Attributes
    ----------
    name : str
        Dotted benchmark name.
    params : tuple of tuple of str
        Parameter values per axis, as asv writes them (``repr`` strings: ``"1000"``,
        ``"'numpy'"``); empty for an unparametrised benchmark.
    values : tuple of float or None
        asv's result (the median of the samples) per parameter combination, in
        ``itertools.product(*params)`` order; None where skipped or failed.
    samples : tuple of (tuple of float) or None
        Every sample per combination where asv kept them (``--record-samples``), else None.
    q25, q75 : tuple of float or None, or None
        Quartiles asv stored per combination, when it stored them.
    """

    name: str
    params: tuple[tuple[str, ...], ...]
    values: tuple[float | None, ...]
    samples: tuple[tuple[float, ...] | None, ...] | None = None
    q25: tuple[float | None, ...] | None = None
    q75: tuple[float | None, ...] | None = None


@dataclass(frozen=True)
class CommitResults:
    """One results file: one commit, one machine, one environment.

    Attributes
    ----------
    machine : str
    commit : str
        The full commit hash.
    date : int or None
        The commit's date as asv records it (milliseconds since the epoch).
    env_name : str
    path : Path
    benchmarks : dict of str to BenchmarkResult
    """

    machine: str
    commit: str
    date: int | None
    env_name: str
    path: Path
    benchmarks: dict[str, BenchmarkResult]


@dataclass
class AsvResults:
    """Everything read from one results folder.

    Attributes
    ----------
    results_dir : Path
    files : list of CommitResults
        Every usable results file, every machine.
    benchmarks : dict of str to BenchmarkInfo
        From ``benchmarks.json`` (empty if it is missing or unusable).
    warnings : list of str
        What was skipped and why (each also given as a ResultsWarning).
    """

    results_dir: Path
    files: list[CommitResults] = field(default_factory=list)
    benchmarks: dict[str, BenchmarkInfo] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    @property
    def machines(self) -> list[str]:
        """Machine names, sorted."""
        return sorted({f.machine for f in self.files})

    def warn(self, message: str) -> None:
        """Record `message` and give it as a :class:`ResultsWarning`."""
        self.warnings.append(message)
        warnings.warn(message, ResultsWarning, stacklevel=3)


def read_asv_results(results_dir: str | os.PathLike) -> AsvResults:
    """Read every machine's results files and ``benchmarks.json`` under `results_dir`.

    Parameters
    ----------
    results_dir : path
        An asv ``results_dir`` (``.asv/results`` in this project).

    Returns
    -------
    AsvResults

    Raises
    ------
    InputError
        If `results_dir` is not a folder or holds no usable results file. Unusable files
        and folders are skipped with a :class:`~rbmperf.errors.ResultsWarning` naming them.
    """
    root = Path(results_dir)
    if not root.exists():
        raise InputError(f"asv results folder {str(root)!r} does not exist")
    if not root.is_dir():
        raise InputError(f"asv results folder {str(root)!r} is not a directory")
    found = AsvResults(results_dir=root)
    for machine_dir in sorted(p for p in root.iterdir() if p.is_dir()):
        machine = _machine_name(machine_dir, found)
        if machine is None:
            continue
        for path in sorted(machine_dir.glob("*.json")):
            if path.name in _NOT_RESULTS:
                continue
            commit = _read_results_file(path, machine, found)
            if commit is not None:
                found.files.append(commit)
    if not found.files:
        raise InputError(
            f"no asv results in {str(root)!r}: expected MACHINE/machine.json and the "
            "results files `asv run` writes beside it"
        )
    found.benchmarks = _read_benchmarks(root / "benchmarks.json", found)
    return found


def read_asv_config(path: str | os.PathLike) -> dict:
    """Read an ``asv.conf.json`` (asv allows ``//`` comments in it).

    Raises
    ------
    InputError
        If the file is missing or is not JSON once the comments are removed.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise InputError(f"cannot read {str(path)!r}: {error.strerror or error}") from None
    try:
        config = json.loads(_strip_comments(text))
    except ValueError as error:
        raise InputError(f"{str(path)!r} is not JSON: {error}") from None
    if not isinstance(config, dict):
        raise InputError(f"{str(path)!r} is not an asv configuration (not a JSON object)")
    return config


def _strip_comments(text: str) -> str:
    """Remove ``//`` comments outside JSON strings."""
    out: list[str] = []
    in_string = escaped = False
    i = 0
    while i < len(text):
        char = text[i]
        if in_string:
            out.append(char)
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
            out.append(char)
        elif text.startswith("//", i):
            end = text.find("\n", i)
            i = len(text) if end < 0 else end
            continue
        else:
            out.append(char)
        i += 1
    return "".join(out)


def _load_json(path: Path, found: AsvResults, what: str) -> dict | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        found.warn(f"{what} {str(path)!r} skipped: cannot be read ({error.strerror or error})")
        return None
    except ValueError as error:
        found.warn(f"{what} {str(path)!r} skipped: not JSON ({error})")
        return None
    if not isinstance(data, dict):
        found.warn(f"{what} {str(path)!r} skipped: not a JSON object")
        return None
    return data


def _machine_name(machine_dir: Path, found: AsvResults) -> str | None:
    machine_json = machine_dir / "machine.json"
    if not machine_json.is_file():
        if any(p.name not in _NOT_RESULTS for p in machine_dir.glob("*.json")):
            found.warn(f"folder {str(machine_dir)!r} skipped: it has no machine.json")
        return None
    data = _load_json(machine_json, found, "machine file")
    if data is None:
        return None
    name = data.get("machine")
    if not isinstance(name, str):
        found.warn(f"machine file {str(machine_json)!r} skipped: it names no machine")
        return None
    return name


def _read_benchmarks(path: Path, found: AsvResults) -> dict[str, BenchmarkInfo]:
    if not path.is_file():
        found.warn(f"{str(path)!r} not found: parameter names are taken as param1, param2, ...")
        return {}
    data = _load_json(path, found, "benchmarks file")
    if data is None:
        return {}
    version = data.get("version")
    if version != BENCHMARKS_VERSION:
        found.warn(
            f"benchmarks file {str(path)!r} has format version {version!r} (read: "
            f"{BENCHMARKS_VERSION}); parameter names are taken as param1, param2, ..."
        )
        return {}
    infos = {}
    for name, entry in data.items():
        if name == "version" or not isinstance(entry, dict):
            continue
        names = entry.get("param_names") or []
        infos[name] = BenchmarkInfo(
            name=name,
            kind=str(entry.get("type", "")),
            unit=str(entry.get("unit", "")),
            param_names=tuple(str(n) for n in names),
        )
    return infos


def _read_results_file(path: Path, machine: str, found: AsvResults) -> CommitResults | None:
    data = _load_json(path, found, "results file")
    if data is None:
        return None
    version = data.get("version")
    if version not in RESULTS_VERSIONS:
        found.warn(
            f"results file {str(path)!r} skipped: format version {version!r} "
            f"(read: {', '.join(map(str, RESULTS_VERSIONS))})"
        )
        return None
    try:
        commit = data["commit_hash"]
        raw = data["results"]
        if not isinstance(commit, str) or not isinstance(raw, dict):
            raise _NotAsvFormat("commit_hash or results of the wrong type")
        if version == 2:
            benchmarks = _rows_v2(raw, data["result_columns"])
        else:
            benchmarks = _rows_v1(raw)
    except KeyError as error:
        found.warn(f"results file {str(path)!r} skipped: no {error.args[0]!r} key")
        return None
    except (_NotAsvFormat, TypeError, ValueError, IndexError) as error:
        found.warn(f"results file {str(path)!r} skipped: not as asv writes it ({error})")
        return None
    date = data.get("date")
    return CommitResults(
        machine=machine,
        commit=commit,
        date=int(date) if isinstance(date, (int, float)) else None,
        env_name=str(data.get("env_name") or _env_from_filename(path)),
        path=path,
        benchmarks=benchmarks,
    )


def _env_from_filename(path: Path) -> str:
    return path.stem.split("-", 1)[1] if "-" in path.stem else ""


def _floats(values: object) -> tuple[float | None, ...] | None:
    if values is None:
        return None
    if not isinstance(values, list):
        values = [values]
    return tuple(_number(v) for v in values)


def _number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)


def _samples(values: object) -> tuple[tuple[float, ...] | None, ...] | None:
    if not isinstance(values, list):
        return None
    rows = []
    for row in values:
        if isinstance(row, list):
            numbers = tuple(v for v in (_number(x) for x in row) if v is not None)
            rows.append(numbers or None)
        else:
            rows.append(None)
    return tuple(rows)


def _params(value: object) -> tuple[tuple[str, ...], ...]:
    if not value:
        return ()
    if not isinstance(value, list) or not all(isinstance(axis, list) for axis in value):
        raise _NotAsvFormat("params is not a list of lists")
    return tuple(tuple(str(v) for v in axis) for axis in value)


def _rows_v2(raw: dict, columns: list) -> dict[str, BenchmarkResult]:
    if not isinstance(columns, list):
        raise _NotAsvFormat("result_columns is not a list")
    benchmarks = {}
    for name, row in raw.items():
        if not isinstance(row, list):
            raise _NotAsvFormat(f"the row of {name!r} is not a list")
        # asv drops trailing empty cells, so a row may be shorter than the columns.
        cells = dict(zip(columns, row, strict=False))
        values = _floats(cells.get("result"))
        if values is None:
            continue
        benchmarks[name] = BenchmarkResult(
            name=name,
            params=_params(cells.get("params")),
            values=values,
            samples=_samples(cells.get("samples")),
            q25=_floats(cells.get("stats_q_25")),
            q75=_floats(cells.get("stats_q_75")),
        )
    return benchmarks


def _rows_v1(raw: dict) -> dict[str, BenchmarkResult]:
    benchmarks = {}
    for name, entry in raw.items():
        if not isinstance(entry, dict):
            entry = {"result": entry}
        values = _floats(entry.get("result"))
        if values is None:
            continue
        stats = entry.get("stats")
        if isinstance(stats, dict):
            stats = [stats]
        quartiles: dict[str, tuple[float | None, ...] | None] = {"q_25": None, "q_75": None}
        if isinstance(stats, list):
            for key in quartiles:
                quartiles[key] = tuple(
                    _number(s.get(key)) if isinstance(s, dict) else None for s in stats
                )
        benchmarks[name] = BenchmarkResult(
            name=name,
            params=_params(entry.get("params")),
            values=values,
            samples=_samples(entry.get("samples")),
            q25=quartiles["q_25"],
            q75=quartiles["q_75"],
        )
    return benchmarks


def parse_param(text: str) -> object:
    """The Python value of a parameter as asv writes it (``"1000"`` → 1000), else the text.

    Examples
    --------
    >>> parse_param("1000"), parse_param("'numpy'"), parse_param("<class 'X'>")
    (1000, 'numpy', "<class 'X'>")
    """
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return text


_NUMBER = re.compile(r"^[+-]?(\d[\d_]*\.?\d*([eE][+-]?\d+)?|\.\d+([eE][+-]?\d+)?)$")


def numeric_param(text: str) -> float | None:
    """The number a parameter value stands for (``"1000"``, ``"1e4"``), else None.

    Examples
    --------
    >>> numeric_param("4000"), numeric_param("'4000'"), numeric_param("True")
    (4000.0, None, None)
    """
    if not _NUMBER.match(text.strip()):
        return None
    value = parse_param(text)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)
