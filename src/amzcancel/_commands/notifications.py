"""``amzcancel notifications setup|status|remove``: the ORDER_CHANGE subscription to an SQS queue.

    amzcancel notifications setup --queue-arn ARN [--name NAME] [--json]
    amzcancel notifications status [--json]
    amzcancel notifications remove [--queue-arn ARN] [--json]

Each runs the Notifications API v1 with the seller's credentials from the environment
(``LWA_APP_ID``, ``LWA_CLIENT_SECRET``, ``SP_API_REFRESH_TOKEN``); the destination calls take the
application's grantless token, which the client fetches itself. ``setup`` and ``remove`` are
idempotent: run again, they say what was already there (or already gone) and succeed.

Added in 0.2.0.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from amzcancel._commands._options import add_region
from amzcancel.errors import ConfigError, NotFoundError
from amzcancel.transport import Destination, SpApiClient, Subscription

__all__ = ["register"]

_DEFAULT_NAME = "amzcancel"


def register(subparsers: Any) -> None:
    """Add ``notifications`` (setup, status, remove) to the CLI."""
    parser = subparsers.add_parser(
        "notifications",
        help="subscribe the seller's ORDER_CHANGE notifications to an SQS queue",
        description="Create, show or remove the seller's ORDER_CHANGE subscription to a queue.",
    )
    actions = parser.add_subparsers(dest="notifications_command", metavar="ACTION")
    actions.required = True
    setup = actions.add_parser(
        "setup", help="create the SQS destination and the ORDER_CHANGE subscription"
    )
    setup.add_argument("--queue-arn", required=True, metavar="ARN", help="the SQS queue's ARN")
    setup.add_argument(
        "--name", default=_DEFAULT_NAME, help=f"the destination's name (default {_DEFAULT_NAME})"
    )
    setup.set_defaults(handler=_setup)
    status = actions.add_parser("status", help="show the subscription and the destinations")
    status.set_defaults(handler=_status)
    remove = actions.add_parser(
        "remove", help="delete the ORDER_CHANGE subscription and its destination"
    )
    remove.add_argument(
        "--queue-arn",
        metavar="ARN",
        help="delete this queue's destination (default: the one the subscription delivers to)",
    )
    remove.set_defaults(handler=_remove)
    for action in (setup, status, remove):
        add_region(action)
        action.add_argument("--endpoint", metavar="URL", help="SP-API base URL")
        action.add_argument("--lwa-endpoint", metavar="URL", help="LWA token URL")
        action.add_argument("--json", action="store_true", help="print one JSON object")


def _client(args: argparse.Namespace) -> SpApiClient:
    options: dict[str, Any] = {"endpoint": args.endpoint, "lwa_endpoint": args.lwa_endpoint}
    if args.region:
        options["region"] = args.region
    return SpApiClient(**options)


def _subscription(client: SpApiClient) -> Subscription | None:
    try:
        return client.notifications.get_subscription()
    except NotFoundError:
        return None


def _change_types(subscription: Subscription | None) -> list[str] | None:
    if subscription is None or not subscription.processing_directive:
        return None
    event_filter = subscription.processing_directive.get("eventFilter") or {}
    kinds = event_filter.get("orderChangeTypes") if isinstance(event_filter, dict) else None
    return list(kinds) if isinstance(kinds, list) else None


def _find(
    destinations: list[Destination], *, arn: str | None = None, ident: str | None = None
) -> Destination | None:
    for destination in destinations:
        if (arn is not None and destination.sqs_arn == arn) or (
            ident is not None and destination.destination_id == ident
        ):
            return destination
    return None


def _emit(args: argparse.Namespace, summary: dict[str, Any], lines: list[str]) -> int:
    if args.json:
        print(json.dumps(summary, sort_keys=True))
    else:
        print("\n".join(lines))
    return 0


def _setup(args: argparse.Namespace) -> int:
    from amzcancel.transport import order_change_filter

    with _client(args) as client:
        destination = _find(client.notifications.get_destinations(), arn=args.queue_arn)
        made_destination = destination is None
        if destination is None:
            destination = client.notifications.create_destination(args.queue_arn, name=args.name)
        subscription = _subscription(client)
        made_subscription = subscription is None
        if subscription is None:
            subscription = client.notifications.create_subscription(
                destination.destination_id, processing_directive=order_change_filter()
            )
        elif subscription.destination_id != destination.destination_id:
            raise ConfigError(
                f"the seller's ORDER_CHANGE subscription {subscription.subscription_id} delivers "
                f"to destination {subscription.destination_id}, not to {args.queue_arn}; run "
                "'amzcancel notifications remove' first to move it"
            )
    summary = {
        "queue_arn": args.queue_arn,
        "destination_id": destination.destination_id,
        "destination": "created" if made_destination else "existing",
        "subscription_id": subscription.subscription_id,
        "subscription": "created" if made_subscription else "existing",
        "payload_version": subscription.payload_version,
        "order_change_types": _change_types(subscription),
    }
    said = {True: "created", False: "already there"}
    return _emit(
        args,
        summary,
        [
            (
                f"destination {destination.destination_id} ({args.queue_arn}): "
                f"{said[made_destination]}"
            ),
            f"ORDER_CHANGE subscription {subscription.subscription_id}: {said[made_subscription]}",
            (
                "Amazon now delivers ORDER_CHANGE notifications to the queue; "
                "run 'amzcancel listen --queue-url URL' to consume them."
            ),
        ],
    )


def _status(args: argparse.Namespace) -> int:
    with _client(args) as client:
        subscription = _subscription(client)
        destinations = client.notifications.get_destinations()
    target = (
        None if subscription is None else _find(destinations, ident=subscription.destination_id)
    )
    summary = {
        "subscribed": subscription is not None,
        "subscription_id": None if subscription is None else subscription.subscription_id,
        "destination_id": None if subscription is None else subscription.destination_id,
        "queue_arn": None if target is None else target.sqs_arn,
        "payload_version": None if subscription is None else subscription.payload_version,
        "order_change_types": _change_types(subscription),
        "destinations": [
            {"destination_id": d.destination_id, "name": d.name, "queue_arn": d.sqs_arn}
            for d in destinations
        ],
    }
    if subscription is None:
        lines = ["no ORDER_CHANGE subscription: run 'amzcancel notifications setup'"]
    else:
        kinds = ", ".join(_change_types(subscription) or ["every change type"])
        lines = [
            (
                f"ORDER_CHANGE subscription {subscription.subscription_id} "
                f"(payload {subscription.payload_version}; {kinds})"
            ),
            (
                f"  delivers to destination {subscription.destination_id} "
                f"({'unknown' if target is None else target.sqs_arn})"
            ),
        ]
    lines += [f"destination {d.destination_id} {d.name!r}: {d.sqs_arn}" for d in destinations]
    return _emit(args, summary, lines)


def _remove(args: argparse.Namespace) -> int:
    with _client(args) as client:
        subscription = _subscription(client)
        removed_subscription = None
        if subscription is not None:
            try:
                client.notifications.delete_subscription_by_id(subscription.subscription_id)
            except NotFoundError:
                pass  # gone meanwhile: what we wanted
            else:
                removed_subscription = subscription.subscription_id
        destinations = client.notifications.get_destinations()
        if args.queue_arn:
            target = _find(destinations, arn=args.queue_arn)
        elif subscription is not None:
            target = _find(destinations, ident=subscription.destination_id)
        else:
            target = None
        removed_destination = None
        if target is not None:
            try:
                client.notifications.delete_destination(target.destination_id)
            except NotFoundError:
                pass
            else:
                removed_destination = target.destination_id
    summary = {
        "subscription_removed": removed_subscription,
        "destination_removed": removed_destination,
    }
    lines = [
        f"ORDER_CHANGE subscription {removed_subscription}: removed"
        if removed_subscription
        else "no ORDER_CHANGE subscription to remove",
        f"destination {removed_destination}: removed"
        if removed_destination
        else "no destination to remove",
    ]
    if not (removed_subscription or removed_destination):
        print("amzcancel notifications: nothing to remove", file=sys.stderr)
    return _emit(args, summary, lines)
