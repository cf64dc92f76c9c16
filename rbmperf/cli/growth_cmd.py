"""``rbmperf growth --sizes 500,1000,2000,4000 -- CMD ... {n} ...``: how a program's run time grows.

Runs CMD once per repeat at each size, with ``{n}`` in its arguments replaced by the size,
timing each run on the wall clock from spawn to exit (so the process start is inside every
time; its cost is measured and reported). Prints the growth exponent with its interval
and the verdict, for code in any language.

examples:
  rbmperf growth --sizes 500:16000:x2 -- python my_script.py {n}
  rbmperf growth --sizes 1000,2000,4000,8000 --startup "Rscript -e 0" -- Rscript fit.R {n}
"""

from __future__ import annotations

import argparse
import shlex
import sys

from ..engine.defaults import DEFAULT_MIN_ROUNDS, DEFAULT_SIZES, sizes_text
from . import UsageError

# Commands start a process per run: a larger budget than a Python function's.
DEFAULT_BUDGET_SECONDS = 60.0


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "growth",
        help="how an external command's run time grows with {n}",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    default_sizes = sizes_text(DEFAULT_SIZES)
    parser.add_argument(
        "--sizes",
        default=default_sizes,
        help=f"sizes: 500,1000,2000 or a geometric range 500:16000:x2 (default {default_sizes})",
    )
    parser.add_argument(
        "--repeats",
        type=int,
        default=DEFAULT_MIN_ROUNDS,
        help="rounds before deciding starts: runs per size at least "
        f"(default {DEFAULT_MIN_ROUNDS})",
    )
    parser.add_argument(
        "--budget",
        type=float,
        default=DEFAULT_BUDGET_SECONDS,
        help="seconds of measuring in all: sizes that would not fit are skipped, the rest buys "
        f"rounds until the verdict is decided (default {DEFAULT_BUDGET_SECONDS:g})",
    )
    parser.add_argument(
        "--startup",
        help="a do-nothing command timed for the start-up cost (default: true)",
    )
    parser.add_argument("--no-warmup", action="store_true", help="no untimed first run")
    parser.add_argument("--plot", help="also write the log-log plot to this PNG file")
    parser.add_argument(
        "command", nargs=argparse.REMAINDER, help="after --: the command, with {n} for the size"
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from ..codegrowth.command import CommandError, command_growth
    from ..codegrowth.text import growth_text, startup_text
    from ..validation import parse_sizes

    command = list(args.command)
    if command[:1] == ["--"]:
        command = command[1:]
    if not command:
        raise UsageError("give the command after --, e.g. rbmperf growth -- python f.py {n}")
    sizes = parse_sizes(args.sizes)
    startup = shlex.split(args.startup) if args.startup else None
    print(
        f"rbmperf growth: {shlex.join(command)}; sizes {', '.join(f'{n:,}' for n in sizes)}; "
        f"{args.repeats} runs per size; wall time per run, process start included",
        file=sys.stderr,
    )
    try:
        measured = command_growth(
            command,
            sizes,
            repeats=args.repeats,
            budget=args.budget,
            warmup=not args.no_warmup,
            startup=startup,
        )
    except CommandError as error:
        print(f"rbmperf growth: error: {error}", file=sys.stderr)
        return 1
    print(growth_text(measured.result))
    print(startup_text(measured))
    if args.plot:
        ax = measured.result.plot()
        ax.figure.savefig(args.plot)
        print(f"plot: {args.plot}")
    return 130 if measured.result.interrupted_at is not None else 0
