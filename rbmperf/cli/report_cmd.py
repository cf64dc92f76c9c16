"""``rbmperf report RESULTS --out DIR``: figures, index.html and REPORT.md from a results file.

Reads only what a sweep recorded; it measures nothing. Profiles already in DIR/profiles
are linked.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from . import options


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "report", help="write the report from a results file", description=__doc__
    )
    parser.add_argument("results", help="results file (JSON lines) written by rbmperf bench")
    parser.add_argument("--out", help="report folder (default: the results file's folder)")
    options.add_clock_option(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from ..report import write_report
    from ..report.console import summary_text

    results = Path(args.results)
    out = Path(args.out) if args.out else results.parent
    files = write_report(results, out, clock=args.clock)
    print(summary_text(files.summary))
    print()
    print(f"report: {files.html} and {files.markdown}")
    return 0
