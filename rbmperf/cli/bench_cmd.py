"""``rbmperf bench``: time every backend across data sizes, fit growth, write the report.

The default sweep: every available backend and installed peer, N = 500 doubling to 16,000,
float32 and float64, 3 interleaved repeats, 1 BLAS thread, points predicted over 10 s
skipped. Results go to ``OUT/results.jsonl`` (an interrupted run resumes from it) and the
report (``scaling.png``, ``floor.png``, ``index.html``, ``REPORT.md``, profiles) to OUT.
``--density 0.05,0.15,0.3,0.5`` runs a density sweep instead: one sweep per density of
non-zero pixels on ``synthetic_mnist(..., density=d)``, in ``OUT/results.density-D.jsonl``,
reported side by side with binary ÷ numba by density (docs/measuring.md).
From Python: :func:`rbmperf.bench.run_bench`.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from ..engine.defaults import DEFAULT_SIZES, sizes_text
from . import options


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "bench",
        help="scaling sweep: time an epoch per backend × size × dtype, verdicts, report",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--backends", help="comma-separated backend names (default: every available one)"
    )
    parser.add_argument(
        "--peers",
        help="comma-separated peers: sklearn, torch (recorded as torch-loop), r "
        "(default: those installed); 'none' for none",
    )
    parser.add_argument(
        "--sizes", help=f"comma-separated data sizes (default {sizes_text(DEFAULT_SIZES)})"
    )
    parser.add_argument(
        "--dtypes", "--dtype", default="float32,float64", help="default float32,float64"
    )
    parser.add_argument("--repeats", type=int, help="timed epochs per point (default 3)")
    parser.add_argument(
        "--budget",
        type=float,
        help="seconds one point (all repeats) may be predicted to take (default 10)",
    )
    options.add_threads_option(parser)
    parser.add_argument("--out", default="reports", help="report folder (default reports)")
    parser.add_argument("--results", help="results file (default OUT/results.jsonl)")
    parser.add_argument(
        "--fresh", action="store_true", help="start a new sweep even if the last was interrupted"
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="smoke run: sizes 500..4000, 2 repeats, 8 s budget (explicit options win)",
    )
    parser.add_argument("--batch-size", type=int, default=100)
    parser.add_argument("--n-hidden", type=int, default=300)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--density",
        help="density sweep: comma-separated fractions of non-zero pixels, e.g. "
        "0.05,0.15,0.3,0.5; one sweep per density on synthetic_mnist(..., density=d), each "
        "in OUT/results.density-D.jsonl, reported side by side (default: the usual data)",
    )
    parser.add_argument(
        "--profile-n",
        type=int,
        default=1000,
        help="profile each backend's epoch at this N into OUT/profiles (0: no profiles)",
    )
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    options.add_clock_option(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from ..backends import get_backend
    from ..bench import QUICK, check_bench_paths, run_bench
    from ..report.console import summary_text
    from ..sweep.run import DEFAULT_BUDGET_SECONDS, DEFAULT_REPEATS

    began = time.perf_counter()
    preset = QUICK if args.quick else {}
    sizes = options.sizes(args.sizes) if args.sizes else list(preset.get("sizes", DEFAULT_SIZES))
    repeats = args.repeats if args.repeats is not None else preset.get("repeats", DEFAULT_REPEATS)
    budget = (
        args.budget
        if args.budget is not None
        else preset.get("budget_seconds", DEFAULT_BUDGET_SECONDS)
    )
    out = Path(args.out)
    results = Path(args.results) if args.results else out / "results.jsonl"
    # The paths first (a bad --out fails at once, before numba or a peer is imported),
    # then unknown or unavailable backends, before anything is printed.
    check_bench_paths(out, results, profiles=args.profile_n > 0)
    backends = options.names(args.backends)
    for name in backends or []:
        get_backend(name)
    peers = options.names(args.peers)
    if peers == ["none"]:
        peers = []
    if peers is None:
        from ..sweep.peers import available_peers

        peers = available_peers()

    densities = options.fractions(args.density, "--density") if args.density else None
    print(
        f"rbmperf bench: sizes {', '.join(f'{n:,}' for n in sorted(set(sizes)))}; "
        f"dtypes {args.dtypes}; {repeats} repeats; budget {budget:g} s per point; "
        f"{args.threads} BLAS thread(s); peers: {', '.join(peers) or 'none'}"
        + (f"; densities {', '.join(f'{d:g}' for d in densities)}" if densities else ""),
        file=sys.stderr,
    )
    if densities:
        from ..bench import density_results_path

        paths = [density_results_path(results, d) for d in densities]
        print(f"results: {', '.join(str(p) for p in paths)}", file=sys.stderr)
    else:
        print(f"results: {results}", file=sys.stderr)
    result = run_bench(
        out,
        backends=backends,
        peers=peers,
        sizes=sizes,
        dtypes=options.names(args.dtypes) or [],
        repeats=repeats,
        budget_seconds=budget,
        threads=args.threads,
        batch_size=args.batch_size,
        n_hidden=args.n_hidden,
        seed=args.seed,
        densities=densities,
        results_path=results,
        resume=not args.fresh,
        profile_n=args.profile_n,
        clock=args.clock,
        progress=not args.no_progress,
    )
    if result.resumed_epochs:
        print(f"resumed: {result.resumed_epochs} epochs were already measured", file=sys.stderr)
    print()
    print(summary_text(result.report.summary))
    print()
    print(f"report: {result.report.html} and {result.report.markdown}")
    print(f"wall time: {time.perf_counter() - began:.0f} s")
    return 0
