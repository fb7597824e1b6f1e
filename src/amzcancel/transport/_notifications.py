"""Notifications API v1 calls: SQS destinations and the ORDER_CHANGE subscription.

Exactly the operations and shapes of Amazon's ``notifications.json`` (v1):

- createDestination: ``POST /notifications/v1/destinations`` (grantless)
- getDestinations: ``GET /notifications/v1/destinations`` (grantless)
- deleteDestination: ``DELETE /notifications/v1/destinations/{destinationId}`` (grantless)
- createSubscription: ``POST /notifications/v1/subscriptions/{notificationType}`` (seller)
- getSubscription: ``GET /notifications/v1/subscriptions/{notificationType}`` (seller)
- deleteSubscriptionById: ``DELETE /notifications/v1/subscriptions/{notificationType}/
  {subscriptionId}`` (grantless)

Every operation's usage plan is 1 request/s with a burst of 5. The grantless ones take the
application's ``client_credentials`` token of scope ``sellingpartnerapi::notifications``
("Grantless operations" in the SP-API developer guide); the others the seller's.

Added in 0.2.0.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from amzcancel.errors import InvalidInputError, ParseError
from amzcancel.transport._calls import ApiCall, RequestSpec
from amzcancel.transport._params import path_segment
from amzcancel.wire._json import load_json_object

__all__ = [
    "NOTIFICATIONS_SCOPE",
    "ORDER_CHANGE",
    "ORDER_CHANGE_TYPES",
    "Destination",
    "Subscription",
    "create_destination",
    "create_subscription",
    "delete_destination",
    "delete_subscription_by_id",
    "get_destinations",
    "get_subscription",
    "order_change_filter",
]

NOTIFICATIONS_SCOPE = "sellingpartnerapi::notifications"
"""The LWA scope of the Notifications API's grantless operations."""

ORDER_CHANGE = "ORDER_CHANGE"
"""The notification type amzcancel subscribes to."""

ORDER_CHANGE_TYPES: tuple[str, ...] = ("BuyerRequestedChange", "OrderStatusChange")
"""The ``orderChangeTypes`` of amzcancel's subscription: buyer requests and status changes."""

_BASE = "/notifications/v1"
_SOURCE = "notifications-api"
# The model's SqsResource.arn: maxLength 1000, pattern ^arn:aws:sqs:\S+:\S+:\S+
_SQS_ARN = re.compile(r"^arn:aws:sqs:\S+:\S+:\S+")
_SQS_ARN_MAX = 1000
_NAME_MAX = 256  # Destination.name maxLength

_MODEL = ConfigDict(frozen=True, populate_by_name=True, extra="ignore")


class Destination(BaseModel):
    """A destination (``Destination`` in the model); amzcancel only makes SQS ones.

    Added in 0.2.0.
    """

    model_config = _MODEL

    destination_id: str = Field(alias="destinationId")
    """The identifier Amazon generated."""
    name: str
    """The developer-defined name."""
    sqs_arn: str | None = None
    """The queue's ARN (``resource.sqs.arn``), ``None`` for an EventBridge destination."""


class Subscription(BaseModel):
    """A subscription (``Subscription`` in the model).

    Added in 0.2.0.
    """

    model_config = _MODEL

    subscription_id: str = Field(alias="subscriptionId")
    """The identifier Amazon generated."""
    payload_version: str = Field(alias="payloadVersion")
    """The payload version notifications are sent in."""
    destination_id: str = Field(alias="destinationId")
    """Where notifications are delivered."""
    processing_directive: Mapping[str, Any] | None = Field(
        default=None, alias="processingDirective"
    )
    """The event filter, as Amazon returned it."""


def order_change_filter(change_types: Sequence[str] = ORDER_CHANGE_TYPES) -> dict[str, Any]:
    """The ``processingDirective`` of an ORDER_CHANGE subscription for ``change_types``.

    No ``marketplaceIds``: a subscription covers every marketplace of the seller.
    """
    unknown = [kind for kind in change_types if kind not in ORDER_CHANGE_TYPES]
    if unknown or not change_types:
        raise InvalidInputError(
            f"orderChangeTypes must be some of {', '.join(ORDER_CHANGE_TYPES)}, "
            f"got {list(change_types)!r}"
        )
    return {
        "eventFilter": {"eventFilterType": ORDER_CHANGE, "orderChangeTypes": list(change_types)}
    }


def _payload(content: bytes, operation: str) -> Any:
    data = load_json_object(content, source=_SOURCE)
    if "payload" not in data:
        raise ParseError(f"{operation}: the answer has no payload", source=_SOURCE, location="$")
    return data["payload"]


def _destination(value: Any, location: str) -> Destination:
    if not isinstance(value, Mapping):
        raise ParseError("expected a destination object", source=_SOURCE, location=location)
    resource = value.get("resource")
    sqs = resource.get("sqs") if isinstance(resource, Mapping) else None
    arn = sqs.get("arn") if isinstance(sqs, Mapping) else None
    try:
        return Destination.model_validate(
            {**value, "sqs_arn": arn if isinstance(arn, str) else None}
        )
    except ValidationError as exc:
        raise ParseError(
            f"not a destination: {exc.errors()[0]['msg']}", source=_SOURCE, location=location
        ) from None


def _subscription(content: bytes, operation: str) -> Subscription:
    value = _payload(content, operation)
    if not isinstance(value, Mapping):
        raise ParseError("expected a subscription object", source=_SOURCE, location="$.payload")
    try:
        return Subscription.model_validate(value)
    except ValidationError as exc:
        raise ParseError(
            f"not a subscription: {exc.errors()[0]['msg']}", source=_SOURCE, location="$.payload"
        ) from None


def _parse_destination(content: bytes) -> Destination:
    return _destination(_payload(content, "createDestination"), "$.payload")


def _parse_destinations(content: bytes) -> list[Destination]:
    value = _payload(content, "getDestinations")
    if not isinstance(value, list):
        raise ParseError("expected a list of destinations", source=_SOURCE, location="$.payload")
    return [_destination(item, f"$.payload[{i}]") for i, item in enumerate(value)]


def _parse_created_subscription(content: bytes) -> Subscription:
    return _subscription(content, "createSubscription")


def _parse_subscription(content: bytes) -> Subscription:
    return _subscription(content, "getSubscription")


def _parse_nothing(_content: bytes) -> None:
    return None


def _checked_arn(arn: str) -> str:
    if not isinstance(arn, str) or len(arn) > _SQS_ARN_MAX or not _SQS_ARN.match(arn):
        raise InvalidInputError(
            f"not an SQS queue ARN (arn:aws:sqs:REGION:ACCOUNT:NAME): {str(arn)[:120]!r}"
        )
    return arn


def create_destination(arn: str, *, name: str) -> ApiCall[Destination]:
    """``POST /notifications/v1/destinations`` (createDestination, grantless) for an SQS queue.

    Raises:
        InvalidInputError: ``arn`` is not an SQS ARN, or ``name`` is empty or too long.

    Added in 0.2.0.
    """
    if not isinstance(name, str) or not name.strip() or len(name) > _NAME_MAX:
        raise InvalidInputError(f"a destination name must be 1 to {_NAME_MAX} characters")
    body = {"name": name, "resourceSpecification": {"sqs": {"arn": _checked_arn(arn)}}}
    spec = RequestSpec(
        "POST",
        f"{_BASE}/destinations",
        "createDestination",
        json=body,
        scope=NOTIFICATIONS_SCOPE,
    )
    return ApiCall(spec, _parse_destination)


def get_destinations() -> ApiCall[list[Destination]]:
    """``GET /notifications/v1/destinations`` (getDestinations, grantless).

    Added in 0.2.0.
    """
    spec = RequestSpec("GET", f"{_BASE}/destinations", "getDestinations", scope=NOTIFICATIONS_SCOPE)
    return ApiCall(spec, _parse_destinations)


def delete_destination(destination_id: str) -> ApiCall[None]:
    """``DELETE /notifications/v1/destinations/{destinationId}`` (deleteDestination, grantless).

    Added in 0.2.0.
    """
    path = f"{_BASE}/destinations/{path_segment(destination_id, 'destination_id')}"
    spec = RequestSpec("DELETE", path, "deleteDestination", scope=NOTIFICATIONS_SCOPE)
    return ApiCall(spec, _parse_nothing)


def create_subscription(
    destination_id: str,
    *,
    notification_type: str = ORDER_CHANGE,
    payload_version: str = "1.0",
    processing_directive: Mapping[str, Any] | None = None,
) -> ApiCall[Subscription]:
    """``POST /notifications/v1/subscriptions/{notificationType}`` (createSubscription).

    Takes the seller's token: a subscription is the seller's. By default ORDER_CHANGE,
    payload 1.0, filtered to :data:`ORDER_CHANGE_TYPES`.

    Added in 0.2.0.
    """
    if processing_directive is None and notification_type == ORDER_CHANGE:
        processing_directive = order_change_filter()
    if not isinstance(destination_id, str) or not destination_id.strip():
        raise InvalidInputError("destination_id must be a non-empty string")
    body: dict[str, Any] = {
        "payloadVersion": payload_version,
        "destinationId": destination_id,
    }
    if processing_directive is not None:
        body["processingDirective"] = dict(processing_directive)
    path = f"{_BASE}/subscriptions/{path_segment(notification_type, 'notification_type')}"
    spec = RequestSpec("POST", path, "createSubscription", json=body)
    return ApiCall(spec, _parse_created_subscription)


def get_subscription(
    *, notification_type: str = ORDER_CHANGE, payload_version: str | None = None
) -> ApiCall[Subscription]:
    """``GET /notifications/v1/subscriptions/{notificationType}`` (getSubscription).

    Takes the seller's token. Amazon answers 404 (:class:`~amzcancel.errors.NotFoundError`)
    when the seller has no such subscription.

    Added in 0.2.0.
    """
    path = f"{_BASE}/subscriptions/{path_segment(notification_type, 'notification_type')}"
    params = None if payload_version is None else [("payloadVersion", payload_version)]
    spec = RequestSpec("GET", path, "getSubscription", params=params)
    return ApiCall(spec, _parse_subscription)


def delete_subscription_by_id(
    subscription_id: str, *, notification_type: str = ORDER_CHANGE
) -> ApiCall[None]:
    """``DELETE .../subscriptions/{notificationType}/{subscriptionId}`` (grantless).

    Added in 0.2.0.
    """
    kind = path_segment(notification_type, "notification_type")
    path = f"{_BASE}/subscriptions/{kind}/{path_segment(subscription_id, 'subscription_id')}"
    spec = RequestSpec("DELETE", path, "deleteSubscriptionById", scope=NOTIFICATIONS_SCOPE)
    return ApiCall(spec, _parse_nothing)
