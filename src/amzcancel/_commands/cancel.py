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

from rich.console import Console

from amzcancel._commands._cancel_journal import CancelJournal, Resumed
from amzcancel._commands._feed_progress import feed_progress
from amzcancel._commands._options import (
    add_region,
    add_store,
    refuse_endpoints_with_sandbox,
    sandbox_marketplace,
    store_target,
)
from amzcancel.errors import AmzCancelError, AuthError, ConfigError, PolicyViolation
from amzcancel.feeds import (
    DEFAULT_POLL_INTERVAL_SECONDS,
    CancellationFeed,
    FeedError,
    FeedResult,
    FeedSubmission,
    build_cancellation_feed,
    submit_cancellation_feed,
)
from amzcancel.models import Order
from amzcancel.policy import CancelDecision, approve_cancellation, parse_cancel_reason
from amzcancel.sync import (
    DEFAULT_MARKETPLACE,
    CancellationRecord,
    default_account,
    open_store,
)
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
    add_store(parser, "where cancellations are recorded before they are submitted")
    parser.add_argument(
        "--poll-interval",
        type=float,
        default=DEFAULT_POLL_INTERVAL_SECONDS,
        metavar="SECONDS",
        help=f"seconds between getFeed calls (default {DEFAULT_POLL_INTERVAL_SECONDS:g})",
    )
    parser.add_argument("--json", action="store_true", help="print a JSON object on stdout")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Cancel as asked (or finish an earlier, interrupted cancellation); the exit status."""
    reason = parse_cancel_reason(args.reason)  # a typo fails before any request
    refuse_endpoints_with_sandbox(args)
    with (
        _client(args) as (client, default_merchant, account),
        open_store(store_target(args)) as store,
    ):
        merchant = args.merchant_id or os.environ.get(ENV_SELLER_ID) or default_merchant
        if not merchant:
            raise ConfigError(
                f"the feed needs the merchant identifier: pass --merchant-id or set {ENV_SELLER_ID}"
            )
        journal = CancelJournal(store, account, client.clock)  # the sandbox's, with --sandbox
        console = Console(stderr=True)
        if not args.dry_run:
            with feed_progress(args.order_id, console) as on_progress:
                resumed = journal.resume(
                    client,
                    args.order_id,
                    lambda: _fetch(client, args.order_id, args.api),
                    poll_interval=args.poll_interval,
                    on_progress=on_progress,
                )
            if resumed is not None:
                return _report_resumed(resumed, as_json=args.json)
        order = _fetch(client, args.order_id, args.api)
        wanted = args.items or [item.order_item_id for item in order.items]
        done = None if args.dry_run else journal.already_done(order, wanted)
        if done is not None:
            return _report_done_before(done, order, as_json=args.json)
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
        item_ids = [i for d in decisions for i in d.order_item_ids]
        record = journal.begin(order.amazon_order_id, item_ids, reason.value)
        before_create, on_created = journal.hooks(record)
        try:
            with feed_progress(order.amazon_order_id, console) as on_progress:
                submission = submit_cancellation_feed(
                    client,
                    feed,
                    marketplace_ids=marketplaces,
                    orders=[order],
                    poll_interval=args.poll_interval,
                    before_create=before_create,
                    on_created=on_created,
                    on_progress=on_progress,
                )
        except (PolicyViolation, FeedError) as exc:
            journal.finish(record, ok=False, detail=str(exc))
            raise
        errors = submission.errors_for(order.amazon_order_id)
        journal.finish(record, ok=not errors, detail=_summary(submission))
        after = _refetch(client, args.order_id, args.api)
    _print_submission(submission, after, as_json=args.json)
    if errors:
        raise FeedError(
            f"Amazon refused {len(errors)} message(s) of feed {submission.feed_id}: "
            f"{errors[0].description or errors[0].result_message_code}"
        )
    return 0


def _summary(result: FeedResult) -> str:
    return result.report.summary() if result.report is not None else "no processing report"


def _report_done_before(record: CancellationRecord, order: Order, *, as_json: bool) -> int:
    """The items are cancelled already, by a cancellation this store recorded: say so, exit 0."""
    status = None if order.status is None else order.status.value
    if as_json:
        body = {
            "dry_run": False,
            "already_cancelled": True,
            "feed_id": record.feed_id,
            "state": record.state.value,
            "order_status": status,
        }
        print(json.dumps(body))
    else:
        feed = f"feed {record.feed_id}" if record.feed_id else "an earlier feed"
        print(
            f"order {record.amazon_order_id}: already cancelled by {feed} "
            f"({record.created_at:%Y-%m-%d %H:%M:%S}Z); nothing sent"
        )
    return 0


def _report_resumed(resumed: Resumed, *, as_json: bool) -> int:
    """Say how an earlier, interrupted cancellation of the order ended; the exit status."""
    record, result = resumed.record, resumed.result
    status = None if resumed.order is None or resumed.order.status is None else resumed.order.status
    if as_json:
        body = {
            "dry_run": False,
            "resumed": True,
            "feed_id": record.feed_id,
            "processing_status": None if result is None else result.processing_status,
            "report": None
            if result is None or result.report is None
            else result.report.model_dump(mode="json"),
            "state": record.state.value,
            "order_status": None if status is None else status.value,
        }
        print(json.dumps(body))
    else:
        started = f"{record.created_at:%Y-%m-%d %H:%M:%S}Z"
        if result is not None:
            print(
                f"an earlier cancellation of order {record.amazon_order_id} (started {started}) "
                f"was interrupted; its feed {record.feed_id} {result.processing_status}: "
                f"{_summary(result)}"
            )
        else:
            print(
                f"an earlier cancellation of order {record.amazon_order_id} (started {started}) "
                f"was interrupted; Amazon shows the order {status.value if status else 'cancelled'}"
            )
    if not resumed.done:
        detail = record.detail or "the earlier feed did not cancel the order"
        raise FeedError(
            f"the earlier cancellation of order {record.amazon_order_id} did not happen "
            f"({detail}); run the command again to submit a new one"
        )
    print(f"order {record.amazon_order_id}: cancelled, no second feed sent", file=sys.stderr)
    return 0


@contextmanager
def _client(args: argparse.Namespace) -> Iterator[tuple[SpApiClient, str | None, str]]:
    """The SP-API client, the default merchant id and the store account of the target."""
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
            yield client, None, default_account(client.credentials)
        return
    from amzcancel.sandbox import SANDBOX_ACCOUNT, SANDBOX_MWS_SELLER_ID

    # The marketplace `amzcancel sync --sandbox` on the same store sees, and what this command
    # cancels stays cancelled for the next one.
    with sandbox_marketplace(store_target(args)) as market, market.client() as client:
        yield client, SANDBOX_MWS_SELLER_ID, SANDBOX_ACCOUNT


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
