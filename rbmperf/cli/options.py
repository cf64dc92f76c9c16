"""Options and argument parsers shared by several sub-commands.

Nothing here imports a backend: building the parser must stay cheap (``rbmperf --help``
never imports numba), so names are checked when a command runs, not when it is parsed.
"""

from __future__ import annotations

import argparse

from . import UsageError


def names(text: str | None) -> list[str] | None:
    """``"a, b,,c"`` → ``["a", "b", "c"]``; None stays None (meaning "the default")."""
    if text is None:
        return None
    return [part.strip() for part in text.split(",") if part.strip()]


def sizes(text: str, option: str = "--sizes") -> list[int]:
    """``"500,1_000"`` → ``[500, 1000]``, or a :class:`UsageError` naming `option`."""
    try:
        return [int(part.replace("_", "")) for part in names(text) or []]
    except ValueError as error:
        raise UsageError(f"{option} must be comma-separated integers; got {text!r}") from error


def fractions(text: str, option: str) -> list[float]:
    """``"0.05,0.5"`` → ``[0.05, 0.5]``: fractions in (0, 1], or a :class:`UsageError`."""
    try:
        parsed = [float(part) for part in names(text) or []]
    except ValueError as error:
        raise UsageError(f"{option} must be comma-separated fractions; got {text!r}") from error
    if not parsed or not all(0.0 < value <= 1.0 for value in parsed):
        raise UsageError(f"{option} must be comma-separated fractions in (0, 1]; got {text!r}")
    return parsed


def layers(text: str) -> tuple[int, ...]:
    """Parse ``"300,300"`` into ``(300, 300)``; reject anything else with a clear message."""
    try:
        parsed = tuple(int(part) for part in text.split(","))
    except ValueError:
        raise UsageError(
            f"--layers must be comma-separated positive integers like 300,300; got {text!r}"
        ) from None
    if not parsed or min(parsed) < 1:
        raise UsageError(f"--layers must be comma-separated positive integers; got {text!r}")
    return parsed


def at_least(value: int | None, option: str, minimum: int) -> None:
    """Refuse an integer option below `minimum` (None means "not given")."""
    if value is not None and value < minimum:
        raise UsageError(f"{option} must be >= {minimum}; got {value}")


def add_data_options(parser: argparse.ArgumentParser) -> None:
    """``--data`` / ``--labels`` / ``--n``, shared by ``train`` and ``viz``."""
    parser.add_argument(
        "--data",
        default="digits",
        metavar="{synthetic,digits,PATH}",
        help="'synthetic' (MNIST-like, made in-process), 'digits' (scikit-learn's 8×8 "
        "digits), a Kaggle CSV file, or an MNIST IDX images file (default: digits)",
    )
    parser.add_argument(
        "--labels", metavar="PATH", help="IDX labels file to go with an IDX images file"
    )
    parser.add_argument(
        "--n",
        type=int,
        default=10_000,
        help="samples to draw with --data synthetic (default: 10000)",
    )


def check_data_paths(args: argparse.Namespace) -> None:
    """Refuse a ``--data`` or ``--labels`` file that is missing or unreadable, before work."""
    from ..paths import check_input_file

    if args.data in ("synthetic", "digits"):
        return  # no file; a --labels given with them is refused when the data are loaded
    check_input_file(args.data, "--data file")
    if args.labels is not None and not args.data.lower().endswith((".csv", ".csv.gz")):
        check_input_file(args.labels, "--labels file")


def add_clock_option(parser: argparse.ArgumentParser) -> None:
    """``--clock``, shared by ``bench`` and ``report``."""
    parser.add_argument(
        "--clock",
        choices=("auto", "wall", "cpu"),
        default="auto",
        help="time to report: auto = CPU time for 1-thread sweeps, else wall (default auto)",
    )


def add_threads_option(parser: argparse.ArgumentParser, why: str = "") -> None:
    """``--threads``: BLAS threads, 1 by default."""
    parser.add_argument("--threads", type=int, default=1, help=f"BLAS threads (default: 1{why})")
