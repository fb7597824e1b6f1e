"""``amzcancel ack``: acknowledge events, by id or through an id.

Added in 0.2.0.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from amzcancel._commands._options import add_store
from amzcancel._commands._shared import open_existing_store, parse_event_id
from amzcancel.errors import ConfigError

__all__ = ["register"]


def register(subparsers: Any) -> None:
    """Add ``ack`` to the CLI."""
    parser = subparsers.add_parser(
        "ack",
        help="acknowledge events (by id, or every one up to an id)",
        description=(
            "Acknowledge events so `amzcancel events` no longer prints them: the given ids, or "
            "with --through every event up to and including that id (of one --account, or of "
            "all). Acknowledging an event twice is harmless."
        ),
    )
    parser.add_argument("ids", nargs="*", type=parse_event_id, metavar="ID", help="event ids")
    parser.add_argument(
        "--through",
        type=parse_event_id,
        metavar="ID",
        help="acknowledge every event up to and including this id",
    )
    parser.add_argument("--account", metavar="NAME", help="with --through: only this account's")
    add_store(parser)
    parser.add_argument("--json", action="store_true", help='print {"acknowledged": N}')
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Acknowledge the events; returns the exit status."""
    if bool(args.ids) == (args.through is not None):
        raise ConfigError("give event ids, or --through ID (not both)")
    if args.account is not None and args.through is None:
        raise ConfigError("--account goes with --through (ids name their events already)")
    with open_existing_store(args, read_only=False) as store:
        if args.through is not None:
            changed = store.ack_through(args.through, account=args.account)
        else:
            changed = store.ack(args.ids)
    if args.json:
        print(json.dumps({"acknowledged": changed}))
    else:
        print(f"acknowledged {changed} event{'s' if changed != 1 else ''}", file=sys.stdout)
    return 0
