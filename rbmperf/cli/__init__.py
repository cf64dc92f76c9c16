"""The ``rbmperf`` command: one entry point, one module per sub-command.

Each sub-command module defines ``register(subparsers)``, which adds its parser and sets
``handler`` (a function taking the parsed arguments and returning an exit status). The CLI
only parses, calls functions a user could call from Python, and prints.

How a command ends:

- ``0`` on success.
- ``2`` with one line ``rbmperf COMMAND: error: ...`` for bad input: an
  :class:`rbmperf.errors.RbmperfError` (a bad argument, a damaged or foreign file: the
  message says which) or an :class:`OSError` (the line names the path and the system's
  reason). Each command checks its paths before any work (:mod:`rbmperf.paths`), so a bad
  ``--out`` fails at once, not after the training.
- ``130`` on Ctrl-C (SIGINT) and ``143`` on SIGTERM, with one line; both unwind the same
  way, so everything measured is already in the results file and a rerun resumes.
- Anything else is a bug in rbmperf and keeps its traceback (a ``TypeError`` from a
  programming slip is not turned into an "error:" line).

Warnings about skipped input (:class:`rbmperf.errors.ResultsWarning`) are printed as
``rbmperf COMMAND: warning: ...`` lines.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import importlib.util
import signal
import sys
import warnings
from collections.abc import Iterator, Sequence

from ..errors import InputError, RbmperfError, ResultsWarning

# Sub-command modules, in the order `rbmperf --help` lists them.
_COMMANDS = ("bench", "report", "profile", "growth", "history", "train", "viz", "backends")


class UsageError(InputError):
    """A bad argument or bad input file: reported on one line with exit status 2."""


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised where the process was so that it unwinds exactly like Ctrl-C."""


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser with every available sub-command registered."""
    parser = argparse.ArgumentParser(
        prog="rbmperf",
        description="Train RBMs / DBNs behind interchangeable backends and time them.",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    subparsers.required = True
    for name in _COMMANDS:
        module_name = f"{__name__}.{name}_cmd"
        if importlib.util.find_spec(module_name) is None:
            continue
        importlib.import_module(module_name).register(subparsers)
    return parser


def describe_os_error(error: OSError) -> str:
    """One line for an :class:`OSError`: the path(s) it concerns, then the system's reason.

    >>> describe_os_error(IsADirectoryError(21, "Is a directory", "reports"))
    "'reports': Is a directory"
    """
    paths = [str(p) for p in (error.filename, error.filename2) if p is not None]
    reason = error.strerror or str(error)
    if not paths:
        return reason
    return f"{' -> '.join(repr(p) for p in paths)}: {reason}"


def _raise_terminated(signum: int, frame: object) -> None:
    raise Terminated()


@contextlib.contextmanager
def _signals_and_warnings(command: str) -> Iterator[None]:
    """SIGTERM handled like SIGINT, and rbmperf's warnings as ``rbmperf CMD: warning:``."""
    previous = None
    try:
        previous = signal.signal(signal.SIGTERM, _raise_terminated)
    except ValueError:  # not the main thread: leave the signal alone
        pass

    def show(message, category, filename, lineno, file=None, line=None) -> None:
        if issubclass(category, ResultsWarning):
            print(f"rbmperf {command}: warning: {message}", file=sys.stderr)
        else:
            print(
                warnings.formatwarning(message, category, filename, lineno, line),
                end="",
                file=sys.stderr,
            )

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("always", ResultsWarning)
            warnings.showwarning = show
            yield
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``rbmperf`` command line; return its exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    command = args.command
    try:
        with _signals_and_warnings(command):
            return int(args.handler(args) or 0)
    except RbmperfError as error:
        print(f"rbmperf {command}: error: {error}", file=sys.stderr)
        return 2
    except OSError as error:
        print(f"rbmperf {command}: error: {describe_os_error(error)}", file=sys.stderr)
        return 2
    except Terminated:
        print(f"rbmperf {command}: terminated (SIGTERM)", file=sys.stderr)
        return 128 + signal.SIGTERM
    except KeyboardInterrupt:
        print(f"rbmperf {command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
