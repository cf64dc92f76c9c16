"""``rbmperf backends``: list the registered backends and peers, and whether each can run here."""

from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "backends", help="list backends and their availability", description=__doc__
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from ..backends import auto_backend, backend_status
    from ..sweep.peers import peer_status

    for status in backend_status():
        detail = status.description if status.available else f"unavailable: {status.reason}"
        print(f"{status.name:10s} {detail}")
    print(f"\nauto       = {auto_backend()} here (the default: the fastest backend that loads)")
    print("\npeers (rbmperf bench --peers NAME,...):")
    for name, reason in peer_status():
        print(f"{name:10s} {'available' if reason is None else f'unavailable: {reason}'}")
    return 0
