"""``rbmperf bench``: time every backend across data sizes, fit growth, write the report.

The default sweep: every available backend and installed peer, N = 500 doubling to 16,000,
float32 and float64, 3 interleaved repeats, 1 BLAS thread, points predicted over 10 s
skipped. Results go to ``OUT/results.jsonl`` (an interrupted run resumes from it) and the
report (``scaling.png``, ``floor.png``, ``index.html``, ``REPORT.md``, profiles) to OUT.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from . import UsageError
from .report_cmd import add_clock_option

DEFAULT_SIZES = "500,1000,2000,4000,8000,16000"
QUICK = {"sizes": "500,1000,2000,4000", "repeats": 2, "budget": 8.0}


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
    parser.add_argument("--sizes", help=f"comma-separated data sizes (default {DEFAULT_SIZES})")
    parser.add_argument(
        "--dtypes", "--dtype", default="float32,float64", help="default float32,float64"
    )
    parser.add_argument("--repeats", type=int, help="timed epochs per point (default 3)")
    parser.add_argument(
        "--budget",
        type=float,
        help="seconds one point (all repeats) may be predicted to take (default 10)",
    )
    parser.add_argument("--threads", type=int, default=1, help="BLAS threads (default 1)")
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
        "--profile-n",
        type=int,
        default=1000,
        help="profile each backend's epoch at this N into OUT/profiles (0: no profiles)",
    )
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    add_clock_option(parser)
    parser.set_defaults(handler=run)


def _names(text: str | None) -> list[str] | None:
    if text is None:
        return None
    return [part.strip() for part in text.split(",") if part.strip()]


def _sizes(text: str) -> list[int]:
    try:
        return [int(part.replace("_", "")) for part in _names(text) or []]
    except ValueError as error:
        raise UsageError(f"--sizes must be comma-separated integers; got {text!r}") from error


def run(args: argparse.Namespace) -> int:
    from ..backends import get_backend
    from ..profiling import profile_epoch, write_profile
    from ..report import write_report
    from ..report.console import summary_text
    from ..scaling.peers import available_peers
    from ..scaling.sweep import run_sweep

    began = time.perf_counter()
    sizes = _sizes(args.sizes or (QUICK["sizes"] if args.quick else DEFAULT_SIZES))
    repeats = args.repeats if args.repeats is not None else (QUICK["repeats"] if args.quick else 3)
    budget = args.budget if args.budget is not None else (QUICK["budget"] if args.quick else 10.0)
    peers = available_peers() if args.peers is None else _names(args.peers)
    if peers == ["none"]:
        peers = []
    out = Path(args.out)
    results = Path(args.results) if args.results else out / "results.jsonl"
    backends = _names(args.backends)
    # Unknown or unavailable backends are refused before anything is printed or created.
    for name in backends or []:
        get_backend(name)

    print(
        f"rbmperf bench: sizes {', '.join(f'{n:,}' for n in sorted(set(sizes)))}; "
        f"dtypes {args.dtypes}; {repeats} repeats; budget {budget:g} s per point; "
        f"{args.threads} BLAS thread(s); peers: {', '.join(peers) or 'none'}",
        file=sys.stderr,
    )
    print(f"results: {results}", file=sys.stderr)
    records = run_sweep(
        backends,
        sizes,
        _names(args.dtypes) or [],
        peers=peers,
        repeats=repeats,
        budget_seconds=budget,
        threads=args.threads,
        batch_size=args.batch_size,
        n_hidden=args.n_hidden,
        seed=args.seed,
        results_path=results,
        resume=not args.fresh,
        progress=not args.no_progress,
    )
    resumed = sum(
        1 for r in records if r["kind"] == "epoch" and r["run_id"] != records[-1]["run_id"]
    )
    if resumed:
        print(f"resumed: {resumed} epochs were already measured", file=sys.stderr)

    if args.profile_n > 0:
        measured = sorted(
            {r["name"] for r in records if r["kind"] == "epoch" and r["role"] == "backend"}
        )
        dtype = (_names(args.dtypes) or ["float64"])[0]
        profile_n = min(args.profile_n, max(sizes))
        for name in measured:
            result = profile_epoch(
                name,
                profile_n,
                dtype=dtype,
                threads=args.threads,
                batch_size=args.batch_size,
                n_hidden=args.n_hidden,
                seed=args.seed,
            )
            write_profile(result, out)

    files = write_report(records, out, clock=args.clock)
    print()
    print(summary_text(files.summary))
    print()
    print(f"report: {files.html} and {files.markdown}")
    print(f"wall time: {time.perf_counter() - began:.0f} s")
    return 0
