"""``amzcancel events``: the outbox's unacknowledged events, oldest first, for any language.

Added in 0.2.0.
"""

from __future__ import annotations

import argparse
import json
import sys
from functools import partial
from typing import Any

from amzcancel._commands._options import add_store
from amzcancel._commands._shared import add_account, open_existing_store, parse_event_id
from amzcancel._commands._stop import Terminated
from amzcancel.models import format_utc
from amzcancel.sync import Event, Store

__all__ = ["FOLLOW_WAIT_SECONDS", "event_row", "register"]

FOLLOW_WAIT_SECONDS = 5.0
"""How long ``--follow`` waits for news in one go before it looks again."""


def register(subparsers: Any) -> None:
    """Add ``events`` to the CLI."""
    parser = subparsers.add_parser(
        "events",
        help="print unacknowledged events (buyer cancel requests, cancellations, shipments)",
        description=(
            "Print the outbox's unacknowledged events, oldest first, streamed in constant "
            "memory. Delivery is at least once, in order per account: handle each event "
            "idempotently by its id, then acknowledge it with `amzcancel ack`."
        ),
    )
    add_store(parser)
    add_account(parser, "events")
    parser.add_argument(
        "--after",
        type=partial(parse_event_id, minimum=0),
        default=0,
        metavar="ID",
        help="only events with a larger id (a consumer's last id)",
    )
    parser.add_argument("--json", action="store_true", help="one JSON object per line")
    parser.add_argument(
        "--follow",
        action="store_true",
        help="keep waiting for new events until SIGTERM or Ctrl+C (exit 0)",
    )
    parser.set_defaults(handler=run)


def event_row(event: Event) -> dict[str, Any]:
    """The JSON object ``events --json`` prints for one event (a contract).

    Added in 0.2.0.
    """
    return {
        "id": event.id,
        "type": event.type.value,
        "account": event.account,
        "amazon_order_id": event.amazon_order_id,
        "order_item_id": event.order_item_id,
        "reason": event.reason,
        "occurred_at": format_utc(event.occurred_at),
        "recorded_at": format_utc(event.recorded_at),
    }


def _line(event: Event) -> str:
    item = event.order_item_id or "-"
    reason = f"  {event.reason}" if event.reason else ""
    return (
        f"{event.id}\t{event.type.value}\t{event.account}\t{event.amazon_order_id}\t{item}\t"
        f"{format_utc(event.occurred_at)}{reason}"
    )


def run(args: argparse.Namespace) -> int:
    """Print the events (and, with ``--follow``, wait for more); returns the exit status."""
    with open_existing_store(args, read_only=True) as store:
        last = _print_from(store, args, args.after)
        if not args.follow:
            return 0
        try:
            while True:
                if store.wait_for_events(last, FOLLOW_WAIT_SECONDS):
                    last = _print_from(store, args, last)
        except (KeyboardInterrupt, Terminated):
            # Following ends only this way: it is the normal end, not a failure.
            print("amzcancel events: stopped", file=sys.stderr)
            return 0


def _print_from(store: Store, args: argparse.Namespace, after: int) -> int:
    """Print the unacknowledged events above ``after``; returns the last id seen."""
    last = after
    out = sys.stdout
    for event in store.iter_events(after_id=after, account=args.account):
        out.write((json.dumps(event_row(event)) if args.json else _line(event)) + "\n")
        last = event.id
    out.flush()
    # wait_for_events wakes for any account's event: skip past the ids already looked at.
    return last
