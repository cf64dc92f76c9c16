"""``rbmperf growth --sizes 500,1000,2000,4000 -- CMD ... {n} ...``: how a program's run time grows.

Runs CMD once per repeat at each size, with ``{n}`` in its arguments replaced by the size,
timing each run on the wall clock from spawn to exit (so the process start is inside every
time; its cost is measured and reported). Prints the growth exponent with its interval
and the verdict, for code in any language.

--memory adds each size's peak resident set size (one more run a size), fitted after
subtracting the peak of a do-nothing run of the same program (--startup; by default
`python -c pass` with the command's interpreter options for Python, `true` for anything
else). --clock instructions counts the instructions of one run a size under valgrind's
cachegrind instead of timing it (exact, so no repeats), the do-nothing run's count
subtracted.

examples:
  rbmperf growth --sizes 500:16000:x2 -- python my_script.py {n}
  rbmperf growth --sizes 1000,2000,4000,8000 --startup "Rscript -e 0" -- Rscript fit.R {n}
  rbmperf growth --memory --clock instructions --sizes 10000:80000:x2 -- python3 -I f.py {n}
"""

from __future__ import annotations

import argparse
import shlex
import shutil
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
        help="a do-nothing command measured for the start-up cost (default: true; for Python "
        "python -c pass with the command's interpreter options)",
    )
    parser.add_argument(
        "--clock",
        choices=("wall", "instructions"),
        default="wall",
        help="wall: wall time per run (default); instructions: instructions per run under "
        "valgrind's cachegrind, one run a size (--repeats, --budget do not apply)",
    )
    parser.add_argument(
        "--memory",
        action="store_true",
        help="also the peak RSS of one run a size, fitted above the start-up's peak",
    )
    parser.add_argument("--no-warmup", action="store_true", help="no untimed first run")
    parser.add_argument("--plot", help="also write the log-log plot to this PNG file")
    parser.add_argument(
        # Not dest="command": that is the sub-command's name, which errors print.
        "argv",
        metavar="command",
        nargs=argparse.REMAINDER,
        help="after --: the command, with {n} for the size",
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from ..codegrowth.command import (
        CommandError,
        command_growth,
        command_instruction_growth,
        command_memory,
        startup_argv,
    )
    from ..codegrowth.text import (
        command_memory_text,
        growth_text,
        instructions_startup_text,
        startup_text,
    )
    from ..engine.memory import ChildFailedError
    from ..validation import parse_sizes

    command = list(args.argv)
    if command[:1] == ["--"]:
        command = command[1:]
    if not command:
        raise UsageError("give the command after --, e.g. rbmperf growth -- python f.py {n}")
    if shutil.which(command[0]) is None:
        raise UsageError(f"no program {command[0]!r} (not a file, nor on the PATH)")
    sizes = parse_sizes(args.sizes)
    startup = shlex.split(args.startup) if args.startup else None
    if args.clock == "instructions":
        from ..engine.instructions import valgrind_status

        problem = valgrind_status()
        if problem:
            raise UsageError(problem)
        how = (
            f"instructions per run under valgrind, one run a size, start-up "
            f"({shlex.join(startup_argv(command, startup))}) subtracted"
        )
    else:
        how = f"{args.repeats} runs per size; wall time per run, process start included"
    memory_how = "; peak RSS of one more run a size" if args.memory else ""
    print(
        f"rbmperf growth: {shlex.join(command)}; sizes {', '.join(f'{n:,}' for n in sizes)}; "
        f"{how}{memory_how}",
        file=sys.stderr,
    )
    try:
        if args.clock == "instructions":
            counted = command_instruction_growth(command, sizes, startup=startup)
            result = counted.result
            print(growth_text(result))
            print(instructions_startup_text(counted))
        else:
            measured = command_growth(
                command,
                sizes,
                repeats=args.repeats,
                budget=args.budget,
                warmup=not args.no_warmup,
                startup=startup,
            )
            result = measured.result
            print(growth_text(result))
            print(startup_text(measured))
        if args.memory and result.interrupted_at is None:
            print(command_memory_text(command_memory(command, sizes, startup=startup)))
    except (CommandError, ChildFailedError) as error:
        print(f"rbmperf growth: error: {error}", file=sys.stderr)
        return 1
    if args.plot:
        ax = result.plot()
        ax.figure.savefig(args.plot)
        print(f"plot: {args.plot}")
    return 130 if result.interrupted_at is not None else 0
