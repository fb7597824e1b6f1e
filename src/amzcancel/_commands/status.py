"""``amzcancel status``: per account, how far in step it is and who syncs it now.

Added in 0.2.0.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime
from typing import Any

from rich.console import Console
from rich.table import Table

from amzcancel._commands._options import add_store
from amzcancel._commands._shared import add_account, open_existing_store
from amzcancel.models import format_utc
from amzcancel.sync import AccountStatus, Store

__all__ = ["register", "status_row"]

_PIPE_WIDTH = 240


def register(subparsers: Any) -> None:
    """Add ``status`` to the CLI."""
    parser = subparsers.add_parser(
        "status",
        help="show each account's last sync, cursor age, open requests, errors and worker",
        description=(
            "Show, per account: the last successful sync, the cursor's age, open buyer cancel "
            "requests, unacknowledged events, the last error, orders set aside because they "
            "could not be read, and the worker holding it now."
        ),
    )
    add_store(parser)
    add_account(parser, "status")
    parser.add_argument("--json", action="store_true", help="print a JSON array on stdout")
    parser.set_defaults(handler=run)


def _when(value: datetime | None) -> str | None:
    return None if value is None else format_utc(value)


def status_row(status: AccountStatus, set_aside_ids: list[str], now: datetime) -> dict[str, Any]:
    """The JSON object ``status --json`` prints for one account.

    Added in 0.2.0.
    """
    held = status.holder is not None and status.lease_until is not None and status.lease_until > now
    return {
        "account": status.name,
        "interval_seconds": status.interval_seconds,
        "last_success_at": _when(status.last_success_at),
        "last_run_at": _when(status.last_run_at),
        "cursor": _when(status.cursor),
        "cursor_age_seconds": (
            None if status.cursor is None else round((now - status.cursor).total_seconds(), 3)
        ),
        "open_requests": status.open_requests,
        "unacked_events": status.unacked_events,
        "last_error": status.last_error,
        "last_error_at": _when(status.last_error_at),
        "set_aside": status.set_aside,
        "set_aside_order_ids": set_aside_ids,
        "worker": status.holder if held else None,
        "lease_until": _when(status.lease_until) if held else None,
        "next_due": _when(status.next_due),
    }


def run(args: argparse.Namespace) -> int:
    """Print the status; returns the exit status."""
    with open_existing_store(args, read_only=True) as store:
        rows = _rows(store, args.account)
    if args.json:
        json.dump(rows, sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        _print_table(rows)
    return 0


def _rows(store: Store, account: str | None) -> list[dict[str, Any]]:
    now = datetime.now(UTC)
    aside: dict[str, list[str]] = {}
    for order in store.set_aside_orders(account):
        aside.setdefault(order.account, []).append(order.amazon_order_id)
    return [
        status_row(status, aside.get(status.name, []), now)
        for status in store.account_status(account)
    ]


def _age(seconds: float | None) -> str:
    if seconds is None:
        return "never"
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds / size:.1f}{unit}"
    return f"{max(seconds, 0):.0f}s"


def _print_table(rows: list[dict[str, Any]]) -> None:
    console = Console(file=sys.stdout, highlight=False)
    if not console.is_terminal:
        console = Console(file=sys.stdout, highlight=False, width=_PIPE_WIDTH)
    if not rows:
        console.print("No accounts in the store yet (run `amzcancel sync` or a worker).")
        return
    table = Table()
    for column in (
        "Account",
        "Last success (UTC)",
        "Cursor age",
        "Open requests",
        "Unacked events",
        "Set aside",
        "Worker",
        "Last error",
    ):
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(
            row["account"],
            row["last_success_at"] or "never",
            _age(row["cursor_age_seconds"]),
            str(row["open_requests"]),
            str(row["unacked_events"]),
            str(row["set_aside"]),
            row["worker"] or "-",
            row["last_error"] or "",
        )
    console.print(table)
