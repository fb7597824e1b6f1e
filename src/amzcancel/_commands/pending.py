"""``amzcancel pending``: the open buyer cancel requests in the store, with the allowed reasons.

Added in 0.1.0.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from amzcancel._commands._options import add_store, store_target
from amzcancel.errors import StoreError
from amzcancel.models import format_utc
from amzcancel.policy import allowed_cancel_reasons, recommended_reason
from amzcancel.sync import PendingRequest, is_postgres_url, open_store

__all__ = ["pending_row", "register", "run"]

_PIPE_WIDTH = 240


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
        "recommended_reason": recommended_reason(order, item),
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
        requests = store.pending_requests(account=args.account, include_afn=args.include_afn)
    rows = [pending_row(request) for request in requests]
    if args.json:
        json.dump(rows, sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        _print_table(rows)
    return 0


class _Console(Console):
    """rich's Console, but a closed pipe ends the command like every other one (exit 0).

    rich's own handler raises ``SystemExit(1)``, so ``amzcancel pending | head -1`` failed.
    """

    def on_broken_pipe(self) -> None:
        self.quiet = True
        raise BrokenPipeError


def _print_table(rows: list[dict[str, Any]]) -> None:
    console = _Console(file=sys.stdout, highlight=False)
    if not console.is_terminal:
        # Piped or redirected: one line per request (grep-able) instead of 80-column wrapping.
        console = _Console(file=sys.stdout, highlight=False, width=_PIPE_WIDTH)
    if not rows:
        console.print("No open buyer cancel requests.")
        return
    many_accounts = len({row["account"] for row in rows}) > 1
    console.print(f"Open buyer cancel requests: {len(rows)}")
    table = Table()
    if many_accounts:
        table.add_column("Account", overflow="fold")
    # Ids fold rather than end in "…": a shortened order id is worse than a taller row.
    table.add_column("Order", min_width=19, overflow="fold")
    table.add_column("Item", overflow="fold")
    table.add_column("SKU", overflow="fold")
    table.add_column("Status")
    table.add_column("Updated (UTC)")
    table.add_column("Buyer's reason")
    table.add_column("Cancel with", overflow="fold")
    for row in rows:
        cells = [
            row["amazon_order_id"],
            row["order_item_id"],
            row["seller_sku"] or "",
            row["status"] or "?",
            row["last_update_date"] or "",
            row["reason"] or "",
            row["recommended_reason"] or "(none allowed)",
        ]
        table.add_row(*([row["account"], *cells] if many_accounts else cells))
    console.print(table)
