"""``rbmperf report RESULTS --out DIR``: figures, index.html and REPORT.md from a results file.

Reads only what a sweep recorded; it measures nothing. Profiles already in DIR/profiles
are linked.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from . import UsageError, options


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "report", help="write the report from a results file", description=__doc__
    )
    parser.add_argument("results", help="results file (JSON lines) written by rbmperf bench")
    parser.add_argument("--out", help="report folder (default: the results file's folder)")
    options.add_clock_option(parser)
    parser.set_defaults(handler=run)


def _checked_results_path(text: str) -> Path:
    """The results file named on the command line; a folder holding one gets a hint."""
    from ..paths import check_input_file

    path = Path(text)
    if path.is_dir() and (path / "results.jsonl").is_file():
        raise UsageError(
            f"results file {text!r} is a directory; did you mean {str(path / 'results.jsonl')!r}?"
        )
    return check_input_file(path, "results file")


def run(args: argparse.Namespace) -> int:
    from ..paths import prepare_output_dir
    from ..report import write_report
    from ..report.console import summary_text

    results = _checked_results_path(args.results)
    out = prepare_output_dir(args.out if args.out else results.parent, "report folder")
    files = write_report(results, out, clock=args.clock)
    print(summary_text(files.summary))
    print()
    print(f"report: {files.html} and {files.markdown}")
    return 0
