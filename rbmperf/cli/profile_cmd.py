"""``rbmperf profile --backend NAME --n N``: top functions by internal time for one epoch.

Like IPython's ``%prun -l 10``: cProfile over one epoch, after compilation and a warm-up.
The table is printed and written to OUT/profiles/, where the report links it.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from . import options


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "profile", help="%%prun-style profile of one epoch", description=__doc__
    )
    parser.add_argument("--backend", default="numpy", help="backend or peer name (default numpy)")
    parser.add_argument("--n", type=int, default=2000, help="data size (default 2000)")
    parser.add_argument("--dtype", default="float64", help="float32 or float64 (default float64)")
    parser.add_argument("--lines", "-l", type=int, default=10, help="functions listed (default 10)")
    parser.add_argument(
        "--sort",
        default="tottime",
        choices=("tottime", "cumulative", "ncalls"),
        help="order (default tottime: internal time)",
    )
    options.add_threads_option(parser)
    parser.add_argument("--out", default="reports", help="report folder (default reports)")
    parser.add_argument("--no-write", action="store_true", help="print only")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from ..paths import prepare_output_dir
    from ..sweep.profiling import PROFILE_FOLDER, profile_epoch, write_profile

    if not args.no_write:
        prepare_output_dir(args.out, "--out")
        prepare_output_dir(Path(args.out) / PROFILE_FOLDER, "profiles folder")
    result = profile_epoch(
        args.backend,
        args.n,
        dtype=args.dtype,
        limit=args.lines,
        sort=args.sort,
        threads=args.threads,
    )
    print(result.text())
    if not args.no_write:
        path = write_profile(result, args.out)
        print(f"written to {path}")
    return 0
