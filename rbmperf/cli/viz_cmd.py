"""``rbmperf viz``: draw the reconstruction and probe pictures of a saved DBN.

Writes reconstructions.png (inputs over their reconstructions through 1, 2, ... layers),
bias_probes.png (mean image beside each layer's reverse-bias probe) and probes_layer<k>.png
(single hidden units, bias probe subtracted) into the output directory.
"""

from __future__ import annotations

import argparse

from . import UsageError, options


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "viz",
        help="draw reconstructions and unit probes of a saved DBN",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("model", metavar="MODEL.npz", help="a model saved by `rbmperf train`")
    options.add_data_options(parser)
    parser.add_argument("--seed", type=int, default=0, help="seed for --data synthetic (0)")
    parser.add_argument("--out", default="dbn-pictures", help="output directory")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from ..data import load_dataset
    from ..dbn import DBN
    from ..paths import check_input_file, prepare_output_dir
    from ..viz import write_pictures

    options.at_least(args.n, "--n", 1)
    check_input_file(args.model, "model file")
    options.check_data_paths(args)
    out = prepare_output_dir(args.out, "--out")
    model = DBN.load(args.model)
    n_features = model.rbms[0].n_visible
    X, _ = load_dataset(args.data, labels=args.labels, n=args.n, seed=args.seed, dtype=model.dtype)
    if X.shape[1] != n_features:
        raise UsageError(
            f"the data have {X.shape[1]} features but the model {args.model!r} expects {n_features}"
        )
    for path in write_pictures(model, X, out):
        print(f"picture: {path}")
    return 0
