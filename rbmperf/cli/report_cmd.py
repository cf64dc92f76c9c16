"""``rbmperf report RESULTS... --out DIR``: figures, index.html and REPORT.md from results files.

Reads only what a sweep recorded; it measures nothing. Profiles already in DIR/profiles
are linked. Unusable lines of a results file (garbage, cut short, foreign) are skipped
with a warning naming the file and the lines; the good ones are all used.

Several files (one per machine: CI runners, a laptop, a workstation) make one report with
their latest sweeps side by side: each series is labelled NAME @ MACHINE (the host name
recorded with the sweep, or --labels) and compared with its own machine's floor.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from . import UsageError, options


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "report",
        help="write the report from results files (several: machines side by side)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "results", nargs="+", help="results file(s) (JSON lines) written by rbmperf bench"
    )
    parser.add_argument("--out", help="report folder (default: the (first) results file's folder)")
    parser.add_argument(
        "--labels",
        help="comma-separated machine labels, one per results file (default: host names)",
    )
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

    paths = [_checked_results_path(text) for text in args.results]
    labels = options.names(args.labels)
    if labels is not None and (len(labels) != len(paths) or len(set(labels)) != len(labels)):
        raise UsageError(
            f"--labels needs one distinct label per results file ({len(paths)}); "
            f"got {args.labels!r}"
        )
    out = prepare_output_dir(args.out if args.out else paths[0].parent, "report folder")
    results = paths[0] if len(paths) == 1 and labels is None else paths
    files = write_report(results, out, clock=args.clock, labels=labels)
    print(summary_text(files.summary))
    print()
    print(f"report: {files.html} and {files.markdown}")
    return 0
