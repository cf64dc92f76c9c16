"""What the numbers were measured on: CPU, cores, BLAS and its threads, versions, commit."""

from __future__ import annotations

import datetime as _dt
import os
import platform
import subprocess
import sys
from importlib import metadata
from pathlib import Path
from typing import Any

_VERSIONS_OF = ("numpy", "numba", "scikit-learn", "threadpoolctl", "torch", "rbmperf")


def cpu_model() -> str:
    """The CPU's model name (from /proc/cpuinfo on Linux, else :func:`platform.processor`)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown"


def git_commit(directory: str | os.PathLike | None = None) -> str | None:
    """The commit checked out in `directory` (the package's by default), ``+dirty`` if edited.

    Returns None outside a git checkout or without git.
    """
    where = Path(directory) if directory is not None else Path(__file__).resolve().parent
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=where, capture_output=True, text=True, timeout=10
        )
        if commit.returncode != 0:
            return None
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=where,
            capture_output=True,
            text=True,
            timeout=10,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    suffix = "+dirty" if dirty.returncode == 0 and dirty.stdout.strip() else ""
    return commit.stdout.strip() + suffix


def package_versions() -> dict[str, str | None]:
    """Installed versions of the packages that matter for timing (None if absent)."""
    versions: dict[str, str | None] = {"python": platform.python_version()}
    for name in _VERSIONS_OF:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def blas_description() -> str:
    """One line naming the CPU and each BLAS pool in force: what to print beside a figure.

    Examples
    --------
    >>> "threads" in blas_description()
    True
    """
    from threadpoolctl import threadpool_info

    pools = [
        f"{pool.get('internal_api')} {pool.get('version')} {pool.get('architecture')}, "
        f"{pool.get('num_threads')} threads"
        for pool in threadpool_info()
        if pool.get("user_api") == "blas"
    ]
    return f"{cpu_model()}; " + ("; ".join(pools) or "no BLAS pool found")


def accelerators() -> list[str]:
    """CUDA devices torch sees, by name; empty unless torch is already imported.

    Never imports torch itself (that takes seconds): a sweep that measures a GPU backend
    has imported it by the time it describes the machine.
    """
    torch = sys.modules.get("torch")
    if torch is None:
        return []
    try:
        if not torch.cuda.is_available():
            return []
        return [
            f"{torch.cuda.get_device_name(index)} (CUDA {torch.version.cuda})"
            for index in range(torch.cuda.device_count())
        ]
    except Exception:  # a broken driver must not stop a sweep
        return []


def machine_info() -> dict[str, Any]:
    """Describe this machine and its software, for the results file.

    Call it inside the thread limits the measurement runs under, so that the BLAS thread
    counts it records are the ones in force.

    Returns
    -------
    dict
        ``cpu``, ``cores`` (logical, and those this process may use), ``platform``,
        ``python`` (implementation and version), ``versions``, ``blas`` (one entry per
        thread pool from ``threadpoolctl.threadpool_info()``), ``environment`` (the
        BLAS/OpenMP variables that change timings), ``accelerators`` (CUDA devices, see
        :func:`accelerators`), ``git_commit``, ``date`` (UTC, ISO) and ``host`` (the
        machine's network name: the default label of its series when several machines'
        results are reported together).
    """
    from threadpoolctl import threadpool_info

    blas = [
        {
            key: pool.get(key)
            for key in (
                "user_api",
                "internal_api",
                "version",
                "num_threads",
                "threading_layer",
                "architecture",
                "filepath",
            )
        }
        for pool in threadpool_info()
    ]
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        usable = os.cpu_count()
    environment = {
        name: os.environ.get(name)
        for name in (
            "OMP_NUM_THREADS",
            "OPENBLAS_NUM_THREADS",
            "MKL_NUM_THREADS",
            "OPENBLAS_CORETYPE",
            "OPENBLAS_L2_SIZE",
            "NUMBA_NUM_THREADS",
        )
        if os.environ.get(name) is not None
    }
    return {
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
        "usable_cores": usable,
        "platform": platform.platform(),
        "python": f"{platform.python_implementation()} {sys.version.split()[0]}",
        "versions": package_versions(),
        "blas": blas,
        "environment": environment,
        "accelerators": accelerators(),
        "git_commit": git_commit(),
        "date": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "host": platform.node(),
    }
