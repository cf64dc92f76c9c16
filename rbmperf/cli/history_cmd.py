"""``rbmperf history [RESULTS_DIR] --out DIR``: growth across commits from asv's results.

Reads the results `asv run` saved (every machine; default: the ``results_dir`` of the
``asv.conf.json`` in the current folder), fits at each commit the growth exponent of every
benchmark with a size parameter over that parameter (the other parameters held fixed),
flags the commits where the verdict changes or the exponent steps beyond its interval,
and writes history.json, index.html (offline: inline SVG, no script) and HISTORY.md.

examples:
  asv run --record-samples HEAD~5..HEAD && rbmperf history --out history
  rbmperf history path/to/project/.asv/results --repo path/to/project --size-param n
"""

from __future__ import annotations

import argparse
from pathlib import Path

from . import UsageError

ASV_CONFIG = "asv.conf.json"


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "history",
        help="growth exponents across commits from asv results, and where they changed",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "results_dir",
        nargs="?",
        help=f"asv results folder (default: the results_dir of ./{ASV_CONFIG})",
    )
    parser.add_argument("--out", default="history", help="output folder (default: history)")
    parser.add_argument(
        "--size-param",
        help="name of the size parameter (default: n, n_samples, size or N, else the only "
        "numeric parameter)",
    )
    parser.add_argument(
        "--repo",
        help="the project's git repository, for the order of commits (default: the repo of "
        f"./{ASV_CONFIG}, else the repository holding RESULTS_DIR; without one, the dates)",
    )
    parser.add_argument(
        "--min-step",
        type=float,
        default=None,
        help="smallest exponent step flagged as a change (default 0.15)",
    )
    parser.set_defaults(handler=run)


def _from_config() -> tuple[Path, Path | None]:
    from ..history import read_asv_config

    config_path = Path(ASV_CONFIG)
    if not config_path.is_file():
        raise UsageError(
            f"give RESULTS_DIR, or run where {ASV_CONFIG} is (none in {str(Path.cwd())!r})"
        )
    config = read_asv_config(config_path)
    results_dir = Path(str(config.get("results_dir", "results")))
    repo_value = config.get("repo")
    repo = Path(str(repo_value)) if isinstance(repo_value, str) else None
    if repo is not None and not repo.is_dir():
        repo = None  # a URL: asv clones it; commit dates then give the order
    return results_dir, repo


def run(args: argparse.Namespace) -> int:
    from ..history import build_history, write_history
    from ..history.changes import DEFAULT_MIN_STEP
    from ..history.series import repo_of
    from ..paths import prepare_output_dir

    min_step = DEFAULT_MIN_STEP if args.min_step is None else args.min_step
    if not min_step >= 0:
        raise UsageError(f"--min-step must be >= 0; got {args.min_step}")
    guessed = False
    if args.results_dir is None:
        results_dir, repo = _from_config()
    else:
        results_dir, repo = Path(args.results_dir), None
        if results_dir.is_dir():
            repo, guessed = repo_of(results_dir), True
    if args.repo is not None:
        repo, guessed = Path(args.repo), False
        if not repo.is_dir():
            raise UsageError(f"--repo {args.repo!r} is not a directory")
    prepare_output_dir(args.out)
    history = build_history(
        results_dir,
        size_param=args.size_param,
        repo=repo,
        min_step=min_step,
        warn_order=not guessed,
    )
    paths = write_history(history, args.out)
    order = "git history" if history.order == "git" else "commit dates"
    print(
        f"rbmperf history: {results_dir}: {len(history.commit_order)} commits ({order}), "
        f"{len(history.series)} series, {len(history.changes)} change(s)"
    )
    for one in history.series:
        fits = [f for f in one.fits if f.has_exponent]
        if not fits:
            continue
        first, last = fits[0], fits[-1]
        span = (
            f"{_k(first)} at {first.commit[:8]} … {_k(last)} at {last.commit[:8]}"
            if len(fits) > 1
            else f"{_k(last)} at {last.commit[:8]}"
        )
        print(f"  {one.label} [{one.machine}, {last.source}]: {span}")
    for change in history.changes:
        print(f"change: {change.describe()}")
    print(f"wrote {paths['html']}, {paths['markdown']}, {paths['json']}")
    return 0


def _k(fit) -> str:
    return f"k = {fit.exponent:.2f} [{fit.ci_low:.2f}, {fit.ci_high:.2f}] {fit.verdict}"
