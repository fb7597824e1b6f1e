"""``amzcancel pending``: the open buyer cancel requests in the store, with the allowed reasons.

Both forms stream from the store (:meth:`~amzcancel.sync.Store.iter_pending_requests`): ``--json``
writes each object as it is read (constant memory, however many requests are open); the table
keeps one short row of text per request, since its column widths depend on every row.

Added in 0.1.0 (streaming and the table that fits the terminal in 0.2.0).
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import textwrap
from collections.abc import Iterable
from pathlib import Path
from typing import IO, Any

from amzcancel._commands._columns import Column, render
from amzcancel._commands._options import add_store, store_target
from amzcancel.errors import ConfigError, StoreError, printable
from amzcancel.models import format_utc
from amzcancel.policy import allowed_cancel_reasons, recommended_reason
from amzcancel.sync import PendingRequest, Store, is_postgres_url, open_store

__all__ = ["pending_row", "register", "run"]

# Table order; the priority says what is left out first when the terminal is narrow (SKU,
# then the date, then the status): ids and the reason to cancel with are never left out.
_COLUMNS = (
    Column("ACCOUNT", priority=3),
    Column("ORDER", priority=0),
    Column("ITEM", priority=0),
    Column("SKU", priority=6),
    Column("STATUS", priority=4),
    Column("UPDATED (UTC)", priority=5),
    Column("BUYER'S REASON", priority=2, wrap_to=20),
    Column("CANCEL WITH", priority=1),
)


def register(subparsers: Any) -> None:
    """Add ``pending`` to the CLI."""
    parser = subparsers.add_parser(
        "pending",
        help="list open buyer cancel requests and the reasons you may cancel them with",
        description=(
            "List the items whose buyer formally requested cancellation and whose order is "
            "neither shipped nor canceled, with the cancel reasons the policy allows. "
            "Amazon-fulfilled (AFN) orders are left out unless --include-afn: the seller "
            "cannot cancel them."
        ),
    )
    add_store(parser, "the store `amzcancel sync` writes")
    parser.add_argument("--account", help="only this account's requests (default: all)")
    parser.add_argument(
        "--include-afn", action="store_true", help="also list Amazon-fulfilled orders"
    )
    parser.add_argument("--json", action="store_true", help="print a JSON array on stdout")
    parser.set_defaults(handler=run)


def pending_row(request: PendingRequest) -> dict[str, Any]:
    """The JSON object ``amzcancel pending --json`` prints for one open request.

    Added in 0.1.0.
    """
    order, item = request.order, request.item
    verdicts = allowed_cancel_reasons(order, item)
    return {
        "account": request.account,
        "amazon_order_id": request.amazon_order_id,
        "order_item_id": request.order_item_id,
        "reason": request.reason,
        "allowed_reasons": [v.reason.value for v in verdicts if v.allowed],
        # What recommended_reason() answers, from the verdicts at hand (judged once, not twice).
        "recommended_reason": next((v.reason.value for v in verdicts if v.recommended), None),
        "status": None if request.status is None else request.status.value,
        "fulfillment_channel": (
            None if request.fulfillment_channel is None else request.fulfillment_channel.value
        ),
        "marketplace_id": order.marketplace_id,
        "purchase_date": None if order.purchase_date is None else format_utc(order.purchase_date),
        "last_update_date": (
            None if request.last_update_date is None else format_utc(request.last_update_date)
        ),
        "seller_sku": item.seller_sku,
        "asin": item.asin,
        "title": item.title,
        "quantity_ordered": item.quantity_ordered,
        "quantity_shipped": item.quantity_shipped,
    }


def run(args: argparse.Namespace) -> int:
    """List the open requests; returns the exit status."""
    target = store_target(args)
    # Checked here so that reading never creates an empty database at a mistyped path.
    if not is_postgres_url(target) and not Path(target).is_file():
        raise StoreError(f"{target}: no such store (run `amzcancel sync` first)")
    with open_store(target, create=False, read_only=True) as store:
        if args.account is not None:
            _check_account(store, args.account, target)
        requests = store.iter_pending_requests(account=args.account, include_afn=args.include_afn)
        if args.json:
            write_json_array(sys.stdout, (pending_row(request) for request in requests))
        else:
            _print_table(requests, sys.stdout)
    return 0


def _check_account(store: Store, account: str, target: str) -> None:
    """An account the store has never heard of is a typo, not an account with no requests."""
    known = store.known_accounts()
    if account not in known:
        listed = ", ".join(known) if known else "none yet"
        raise ConfigError(f"no account {account!r} in {target} (its accounts: {listed})")


def write_json_array(out: IO[str], rows: Iterable[dict[str, Any]]) -> None:
    """Write ``rows`` as ``json.dump(list(rows), out, indent=2)`` would, one row at a time.

    Added in 0.2.0.
    """
    out.write("[")
    empty = True
    for row in rows:
        out.write("\n  " if empty else ",\n  ")
        # JSON strings never hold a raw newline, so indenting every line is exact.
        out.write(json.dumps(row, indent=2).replace("\n", "\n  "))
        empty = False
    out.write("]\n" if empty else "\n]\n")


def _cells(request: PendingRequest) -> tuple[str, ...]:
    """One row of the table. What Amazon wrote (ids, SKU, the buyer's reason) is shown with
    control characters escaped: a reason holding ``ESC [2J`` must not clear the terminal."""
    updated = request.last_update_date
    return (
        printable(request.account),
        printable(request.amazon_order_id),
        printable(request.order_item_id),
        printable(request.item.seller_sku or ""),
        "?" if request.status is None else printable(request.status.value),
        "" if updated is None else f"{updated:%Y-%m-%d %H:%M}",
        printable(request.reason or ""),
        recommended_reason(request.order, request.item) or "(none allowed)",
    )


def _width(out: IO[str]) -> int | None:
    """The terminal's width, or ``None`` when the output is piped or redirected."""
    try:
        if not out.isatty():
            return None
    except (AttributeError, ValueError):  # a closed or unusual stream: treat as a pipe
        return None
    return shutil.get_terminal_size().columns  # honours $COLUMNS


def _print_table(requests: Iterable[PendingRequest], out: IO[str]) -> None:
    rows = [_cells(request) for request in requests]
    if not rows:
        out.write("No open buyer cancel requests.\n")
        return
    columns: tuple[Column, ...] = _COLUMNS
    if len({row[0] for row in rows}) == 1:  # one account: the column says nothing
        columns, rows = columns[1:], [row[1:] for row in rows]
    width = _width(out)
    lines, hidden = render(columns, rows, width)
    out.write(f"Open buyer cancel requests: {len(rows)}\n")
    out.write("\n".join(lines) + "\n")
    if hidden:
        note = (
            f"(not shown at {width} columns: {', '.join(hidden)}; widen the terminal, or use "
            "--json for every field)"
        )
        out.write(textwrap.fill(note, width or len(note)) + "\n")
