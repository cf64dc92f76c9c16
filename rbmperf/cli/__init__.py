"""The ``rbmperf`` command: one entry point, one module per sub-command.

Each sub-command module defines ``register(subparsers)``, which adds its parser and sets
``handler`` (a function taking the parsed arguments and returning an exit status). The CLI
only parses, calls functions a user could call from Python, and prints.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import sys
from collections.abc import Sequence

# Sub-command modules, in the order `rbmperf --help` lists them.
_COMMANDS = ("bench", "report", "profile", "growth", "train", "viz", "backends")


class UsageError(Exception):
    """A bad argument or bad input file: reported on one line with exit status 2."""


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


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``rbmperf`` command line; return its exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.handler(args) or 0)
    except (UsageError, ValueError, TypeError, FileNotFoundError) as error:
        print(f"rbmperf {args.command}: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"rbmperf {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
