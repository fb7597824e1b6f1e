"""``amzcancel cancel``: cancel an order (or items) through the guard and the acknowledgement feed.

    amzcancel cancel ORDER_ID [--item ID]... --reason REASON [--dry-run]
                     [--informal] [--out-of-stock] [--override-policy JUSTIFICATION]
                     [--merchant-id ID] [--marketplace ID]... [--api auto|2026|v0]
                     [--region na|eu|fe] [--endpoint URL] [--lwa-endpoint URL] [--sandbox]
                     [--json]

The order's current state is fetched first (credentials from ``LWA_APP_ID``,
``LWA_CLIENT_SECRET``, ``SP_API_REFRESH_TOKEN``), the policy judges the reason, and the feed is
printed (``--dry-run``: nothing is submitted) or submitted and its processing summary printed.
The merchant identifier for the feed header comes from ``--merchant-id`` or ``SP_API_SELLER_ID``.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from amzcancel._commands._options import add_region, refuse_endpoints_with_sandbox
from amzcancel.errors import AmzCancelError, AuthError, ConfigError
from amzcancel.feeds import (
    CancellationFeed,
    FeedError,
    FeedSubmission,
    build_cancellation_feed,
    submit_cancellation_feed,
)
from amzcancel.models import Order
from amzcancel.policy import CancelDecision, approve_cancellation, parse_cancel_reason
from amzcancel.sync import DEFAULT_MARKETPLACE
from amzcancel.transport import (
    ORDERS_2026_INCLUDED_DATA,
    Region,
    SpApiClient,
    region_for_marketplaces,
)

__all__ = ["ENV_SELLER_ID", "register"]

ENV_SELLER_ID = "SP_API_SELLER_ID"
"""The environment variable holding the merchant identifier (the seller's merchant token)."""

logger = logging.getLogger("amzcancel.cli.cancel")


def register(subparsers: Any) -> None:
    """Add the ``cancel`` subcommand."""
    parser = subparsers.add_parser(
        "cancel",
        help="cancel an order or items with a cancel reason the policy allows",
        description="Fetch the order, check the cancel reason against the policy, and print "
        "(--dry-run) or submit the OrderAcknowledgement feed that cancels it. Credentials come "
        f"from LWA_APP_ID, LWA_CLIENT_SECRET, SP_API_REFRESH_TOKEN; the merchant id from "
        f"--merchant-id or {ENV_SELLER_ID}.",
    )
    parser.add_argument("order_id", metavar="ORDER_ID", help="the Amazon order id")
    parser.add_argument(
        "--item",
        action="append",
        dest="items",
        metavar="ID",
        help="cancel only this order item (repeatable); default: the whole order",
    )
    parser.add_argument(
        "--reason", required=True, help="the cancel reason code, e.g. BuyerCanceled"
    )
    parser.add_argument("--dry-run", action="store_true", help="print the feed, submit nothing")
    parser.add_argument(
        "--informal", action="store_true", help="the buyer asked only through messages"
    )
    parser.add_argument("--out-of-stock", action="store_true", help="the goods are out of stock")
    parser.add_argument(
        "--override-policy",
        metavar="JUSTIFICATION",
        help="cancel although the policy refuses the reason; the justification is logged",
    )
    parser.add_argument(
        "--merchant-id", metavar="ID", help=f"merchant identifier (default ${ENV_SELLER_ID})"
    )
    parser.add_argument(
        "--marketplace",
        action="append",
        dest="marketplaces",
        metavar="ID",
        help="marketplace the feed applies to (repeatable; default the order's)",
    )
    parser.add_argument(
        "--api", choices=("auto", "2026", "v0"), default="auto", help="orders API to read with"
    )
    add_region(parser)
    parser.add_argument("--endpoint", metavar="URL", help="SP-API base URL")
    parser.add_argument("--lwa-endpoint", metavar="URL", help="LWA token URL")
    parser.add_argument(
        "--sandbox", action="store_true", help="run against the built-in simulated marketplace"
    )
    parser.add_argument("--json", action="store_true", help="print a JSON object on stdout")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Cancel as asked; returns the exit status."""
    reason = parse_cancel_reason(args.reason)  # a typo fails before any request
    refuse_endpoints_with_sandbox(args)
    with _client(args) as (client, default_merchant):
        merchant = args.merchant_id or os.environ.get(ENV_SELLER_ID) or default_merchant
        if not merchant:
            raise ConfigError(
                f"the feed needs the merchant identifier: pass --merchant-id or set {ENV_SELLER_ID}"
            )
        order = _fetch(client, args.order_id, args.api)
        decisions = [
            approve_cancellation(
                order,
                reason,
                item=item,
                informal_request=args.informal,
                out_of_stock=args.out_of_stock,
                override_policy=args.override_policy,
            )
            for item in (args.items or [None])
        ]
        feed = build_cancellation_feed(decisions, merchant_id=merchant)
        if args.dry_run:
            _print_dry_run(feed, as_json=args.json)
            return 0
        marketplaces = args.marketplaces or [order.marketplace_id or DEFAULT_MARKETPLACE]
        print(
            f"submitting the cancellation feed for order {order.amazon_order_id}", file=sys.stderr
        )
        submission = submit_cancellation_feed(
            client, feed, marketplace_ids=marketplaces, orders=[order]
        )
        after = _refetch(client, args.order_id, args.api)
    _print_submission(submission, after, as_json=args.json)
    report = submission.report
    if report is not None and report.errors:
        first = report.errors[0]
        raise FeedError(
            f"Amazon refused {len(report.errors)} message(s) of feed {submission.feed_id}: "
            f"{first.description or first.result_message_code}"
        )
    return 0


@contextmanager
def _client(args: argparse.Namespace) -> Iterator[tuple[SpApiClient, str | None]]:
    """The SP-API client (and the default merchant id) for the chosen target."""
    if not args.sandbox:
        # The endpoint, when given, overrides the region (which is then not checked).
        region = (
            Region.NA
            if args.endpoint
            else region_for_marketplaces(args.marketplaces or [], args.region)
        )
        with SpApiClient(
            endpoint=args.endpoint, lwa_endpoint=args.lwa_endpoint, region=region
        ) as client:
            yield client, None
        return
    from amzcancel.sandbox import SANDBOX_MWS_SELLER_ID, Marketplace

    # The same marketplace `amzcancel sync --sandbox` sees today (same seed, same clock start).
    with Marketplace.demo().client() as client:
        yield client, SANDBOX_MWS_SELLER_ID


def _fetch(client: SpApiClient, order_id: str, api: str) -> Order:
    if api == "2026" or api == "auto":
        try:
            return client.orders_2026.get_order(order_id, included_data=ORDERS_2026_INCLUDED_DATA)
        except AuthError as exc:
            if api == "2026":
                raise
            # As `sync --api auto`: an app whose role lacks Orders 2026-01-01 reads v0.
            logger.info("Orders 2026-01-01 refused (%s); reading order %s with v0", exc, order_id)
    order = client.orders_v0.get_order(order_id)
    return order.with_items(client.orders_v0.list_order_items(order_id))


def _refetch(client: SpApiClient, order_id: str, api: str) -> Order | None:
    """The order after the feed, or None: the cancellation is done, so only warn on failure."""
    try:
        return _fetch(client, order_id, api)
    except AmzCancelError as exc:
        logger.warning("the feed was applied, but reading order %s again failed: %s", order_id, exc)
        return None


def _decision_json(decision: CancelDecision) -> dict[str, Any]:
    return {
        "amazon_order_id": decision.amazon_order_id,
        "order_item_ids": list(decision.order_item_ids),
        "whole_order": decision.whole_order,
        "reason": decision.reason.value,
        "allowed": decision.verdict.allowed,
        "counts_against_cancellation_rate": decision.verdict.counts_against_cancellation_rate,
        "why": decision.verdict.why,
        "override_justification": decision.override_justification,
    }


def _print_dry_run(feed: CancellationFeed, *, as_json: bool) -> None:
    if as_json:
        body = {
            "dry_run": True,
            "feed": feed.xml,
            "decisions": [_decision_json(d) for d in feed.decisions],
        }
        print(json.dumps(body))
    else:
        sys.stdout.write(feed.xml)
    print("dry run: nothing was submitted", file=sys.stderr)


def _print_submission(submission: FeedSubmission, after: Order | None, *, as_json: bool) -> None:
    report = submission.report
    if as_json:
        body = {
            "dry_run": False,
            "feed_id": submission.feed_id,
            "processing_status": submission.processing_status,
            "report": None if report is None else report.model_dump(mode="json"),
            "decisions": [_decision_json(d) for d in submission.feed.decisions],
            "order_status": None if after is None or after.status is None else after.status.value,
        }
        print(json.dumps(body))
        return
    summary = report.summary() if report is not None else "no processing report"
    print(f"feed {submission.feed_id} {submission.processing_status}: {summary}")
    if report is not None:
        for result in report.results:
            print(
                f"  message {result.message_id}: {result.result_code} "
                f"{result.result_message_code or ''} {result.description or ''}".rstrip()
            )
    for decision in submission.feed.overrides:
        print(f"  policy override recorded: {decision.override_justification}")
    if after is not None:
        status = after.status.value if after.status is not None else "unknown"
        print(f"order {after.amazon_order_id} is now {status}")
