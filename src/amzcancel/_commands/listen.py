"""``amzcancel listen``: consume ORDER_CHANGE notifications from SQS until stopped.

    amzcancel listen --queue-url URL [--store PATH|URL] [--seller-id ID] [--account NAME]
                     [--marketplace ID]... [--endpoint URL] [--lwa-endpoint URL]
                     [--reconcile-every DURATION] [--no-confirm] [--wait-seconds N] [--json]

One account from the usual credential variables. AWS credentials, region and endpoint come
from the AWS SDK's standard configuration (``AWS_ENDPOINT_URL_SQS`` for a local server).
Each notification is applied to the store (its events reach the outbox) before its message is
deleted; each notified order is then confirmed with ``getOrder``; the account's polling sync
runs every ``--reconcile-every`` as the safety net. SIGTERM or Ctrl-C ends it after a summary.

Added in 0.2.0.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from dataclasses import asdict
from typing import Any

from amzcancel._commands._options import add_region, add_store, store_target
from amzcancel._commands._shared import duration_arg, sqs_wait_arg
from amzcancel._commands._stop import Terminated
from amzcancel.errors import ConfigError

__all__ = ["register"]


def register(subparsers: Any) -> None:
    """Add ``listen`` to the CLI."""
    parser = subparsers.add_parser(
        "listen",
        help="consume ORDER_CHANGE notifications from an SQS queue until stopped",
        description=(
            "Apply ORDER_CHANGE notifications from an SQS queue to the store within seconds, "
            "confirm each notified order with getOrder, and keep polling as reconciliation. "
            "Seller credentials come from LWA_APP_ID, LWA_CLIENT_SECRET, SP_API_REFRESH_TOKEN; "
            "AWS credentials, region and endpoint from the AWS SDK's configuration."
        ),
    )
    parser.add_argument("--queue-url", required=True, metavar="URL", help="the SQS queue's URL")
    add_store(parser)
    parser.add_argument(
        "--seller-id",
        metavar="ID",
        help="apply only this seller's notifications (default: every seller's, for a queue "
        "that serves one seller)",
    )
    parser.add_argument("--account", metavar="NAME", help="the store's account name")
    parser.add_argument(
        "--marketplace",
        action="append",
        dest="marketplaces",
        metavar="ID",
        help="marketplace id the reconciling sync covers, repeatable (default ATVPDKIKX0DER)",
    )
    add_region(parser)
    parser.add_argument("--endpoint", metavar="URL", help="SP-API base URL")
    parser.add_argument("--lwa-endpoint", metavar="URL", help="LWA token URL")
    parser.add_argument(
        "--reconcile-every",
        type=duration_arg,
        default=900.0,
        metavar="DURATION",
        help="how often polling reconciles (90s, 5m, 1h; default 15m)",
    )
    parser.add_argument(
        "--no-reconcile", action="store_true", help="apply notifications only, never poll"
    )
    parser.add_argument(
        "--no-confirm", action="store_true", help="do not fetch notified orders with getOrder"
    )
    parser.add_argument(
        "--wait-seconds",
        type=sqs_wait_arg,
        default=20,
        metavar="N",
        help="SQS long-poll wait (0 to 20, default 20)",
    )
    parser.add_argument(
        "--json", action="store_true", help="print a JSON summary on stdout when stopped"
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Listen until SIGTERM/SIGINT; returns the exit status (the stop is re-raised)."""
    from amzcancel.push import Listener, PushAccount, SqsQueue
    from amzcancel.sync import DEFAULT_MARKETPLACE, NotifiedOrders, OrderSync

    queue = SqsQueue(args.queue_url, wait_seconds=args.wait_seconds)
    # Notified ids not confirmed yet feed a reconciling backlog's getOrder path.
    notified = NotifiedOrders()
    sync = OrderSync(
        notified=notified,
        store=store_target(args),
        marketplaces=args.marketplaces or [DEFAULT_MARKETPLACE],
        account=args.account,
        endpoint=args.endpoint,
        lwa_endpoint=args.lwa_endpoint,
        region=args.region,
    )
    listener = Listener(
        queue=queue,
        store=sync.store,
        accounts=[PushAccount(sync.account, seller_id=args.seller_id, sync=sync)],
        confirm=not args.no_confirm,
        reconcile_seconds=None if args.no_reconcile else args.reconcile_every,
        notified=notified,
    )
    polling = (
        "no reconciliation" if args.no_reconcile else f"reconcile every {args.reconcile_every:.0f}s"
    )
    print(
        f"amzcancel listen: {args.queue_url} -> account {sync.account} ({polling})",
        file=sys.stderr,
    )

    async def main() -> None:
        try:
            await listener.run(asyncio.Event())
        finally:
            await sync.aclose()

    try:
        asyncio.run(main())
    except (KeyboardInterrupt, Terminated):
        _summary(args, listener.stats)
        raise
    except ConfigError:
        sync.close()
        raise
    return 0  # pragma: no cover - run() returns only when stopped


def _summary(args: argparse.Namespace, stats: Any) -> None:
    figures = asdict(stats)
    if args.json:
        print(json.dumps(figures, sort_keys=True), flush=True)
    text = ", ".join(f"{name.replace('_', ' ')} {value}" for name, value in figures.items())
    print(f"amzcancel listen: {text}", file=sys.stderr)
