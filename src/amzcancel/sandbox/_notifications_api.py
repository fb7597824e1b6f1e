"""The Notifications API v1, as far as ORDER_CHANGE over SQS goes: destinations, subscriptions.

Shapes follow Amazon's ``notifications.json``: ``{"payload": ...}`` answers, the model's
``errors`` list for refusals. Destinations and ``deleteSubscriptionById`` take a grantless token
(scope ``sellingpartnerapi::notifications``), ``createSubscription`` and ``getSubscription``
the seller's (the marketplace checks which). A second destination for the same ARN, or a
second subscription to one notification type, is refused with 409 as Amazon does. The
subscription's ``orderChangeTypes`` filter is what the marketplace's push honours.

Added in 0.2.0.
"""

from __future__ import annotations

import random
import re
import threading
import uuid
from typing import Any

from amzcancel.sandbox._core import Route
from amzcancel.sandbox._http import SandboxRequest, SandboxResponse, json_response, spapi_error
from amzcancel.transport import NOTIFICATIONS_SCOPE, ORDER_CHANGE_TYPES

__all__ = ["GRANTLESS", "NotificationsApi"]

GRANTLESS = "grantless"
"""The ``Route.api`` of operations that take a grantless token."""

_PREFIX = "/notifications/v1"
_ARN = re.compile(r"^arn:aws:sqs:\S+:\S+:\S+")
_ORDER_CHANGE = "ORDER_CHANGE"


class NotificationsApi:
    """Destinations and subscriptions of the sandbox's one application and seller.

    Added in 0.2.0.
    """

    scope = NOTIFICATIONS_SCOPE

    def __init__(self, *, seed: int) -> None:
        self._ids = random.Random(f"notifications-api:{seed}")
        self._lock = threading.Lock()
        self.destinations: dict[str, dict[str, Any]] = {}
        """destinationId -> the Destination object."""
        self.subscriptions: dict[str, dict[str, Any]] = {}
        """notificationType -> the Subscription object."""

    def route(self, request: SandboxRequest) -> Route | None:
        """The route of a Notifications API path, or None."""
        path, method = request.path.rstrip("/"), request.method
        if not path.startswith(_PREFIX):
            return None
        parts = path[len(_PREFIX) :].strip("/").split("/")
        if parts == ["destinations"]:
            if method == "POST":
                return self._route("createDestination", GRANTLESS, self.create_destination)
            if method == "GET":
                return self._route("getDestinations", GRANTLESS, self.get_destinations)
        if len(parts) == 2 and parts[0] == "destinations" and method == "DELETE":
            return self._route("deleteDestination", GRANTLESS, self.delete_destination)
        if len(parts) == 2 and parts[0] == "subscriptions":
            if method == "POST":
                return self._route("createSubscription", "spapi", self.create_subscription)
            if method == "GET":
                return self._route("getSubscription", "spapi", self.get_subscription)
        if len(parts) == 3 and parts[0] == "subscriptions" and method == "DELETE":
            return self._route("deleteSubscriptionById", GRANTLESS, self.delete_subscription)
        return None

    @staticmethod
    def _route(operation: str, api: str, handler: Any) -> Route:
        return Route(operation, f"notifications.{operation}", api, handler)

    def _new_id(self) -> str:
        return str(uuid.UUID(int=self._ids.getrandbits(128), version=4))

    def order_change_types(self) -> frozenset[str] | None:
        """The change types the ORDER_CHANGE subscription asks for (``None``: no filter)."""
        with self._lock:
            found = self.subscriptions.get(_ORDER_CHANGE)
        if found is None:
            return None
        event_filter = (found.get("processingDirective") or {}).get("eventFilter") or {}
        kinds = event_filter.get("orderChangeTypes")
        return frozenset(kinds) if kinds else None

    # --- destinations ----------------------------------------------------------------------

    def create_destination(self, request: SandboxRequest, request_id: str) -> SandboxResponse:
        """``POST /notifications/v1/destinations``."""
        body = _json(request)
        name = body.get("name") if body else None
        spec = body.get("resourceSpecification") if body else None
        sqs = spec.get("sqs") if isinstance(spec, dict) else None
        arn = sqs.get("arn") if isinstance(sqs, dict) else None
        if not isinstance(name, str) or not name or not isinstance(arn, str):
            return _invalid(request_id, "name and resourceSpecification.sqs.arn are required")
        if len(arn) > 1000 or not _ARN.match(arn):
            return _invalid(request_id, f"Invalid SQS ARN: {arn[:100]}")
        with self._lock:
            for existing in self.destinations.values():
                if existing["resource"]["sqs"]["arn"] == arn:
                    return spapi_error(
                        409,
                        "Conflict",
                        "A destination with the same resource already exists.",
                        f"destinationId {existing['destinationId']}",
                        headers=_rid(request_id),
                    )
            destination_id = self._new_id()
            destination: dict[str, Any] = {
                "name": name,
                "destinationId": destination_id,
                "resource": {"sqs": {"arn": arn}},
            }
            self.destinations[destination_id] = destination
        return json_response(200, {"payload": destination}, _rid(request_id))

    def get_destinations(self, _request: SandboxRequest, request_id: str) -> SandboxResponse:
        """``GET /notifications/v1/destinations``."""
        with self._lock:
            found = list(self.destinations.values())
        return json_response(200, {"payload": found}, _rid(request_id))

    def delete_destination(self, request: SandboxRequest, request_id: str) -> SandboxResponse:
        """``DELETE /notifications/v1/destinations/{destinationId}``."""
        destination_id = request.path.rstrip("/").rsplit("/", 1)[-1]
        with self._lock:
            if self.destinations.pop(destination_id, None) is None:
                return _not_found(request_id, f"No destination {destination_id}")
        return json_response(200, {}, _rid(request_id))

    # --- subscriptions ---------------------------------------------------------------------

    def create_subscription(self, request: SandboxRequest, request_id: str) -> SandboxResponse:
        """``POST /notifications/v1/subscriptions/{notificationType}``."""
        kind = request.path.rstrip("/").rsplit("/", 1)[-1]
        if kind != _ORDER_CHANGE:
            return _invalid(request_id, f"The sandbox serves ORDER_CHANGE only, not {kind}")
        body = _json(request) or {}
        destination_id = body.get("destinationId")
        version = body.get("payloadVersion")
        directive = body.get("processingDirective")
        problem = _check_directive(directive)
        if problem is not None:
            return _invalid(request_id, problem)
        if version != "1.0":
            return _invalid(request_id, f"Unsupported payloadVersion {version!r}")
        with self._lock:
            if destination_id not in self.destinations:
                return _invalid(request_id, f"Invalid destinationId {destination_id!r}")
            existing = self.subscriptions.get(kind)
            if existing is not None:
                return spapi_error(
                    409,
                    "Conflict",
                    "A subscription already exists for this notification type.",
                    f"subscriptionId {existing['subscriptionId']}",
                    headers=_rid(request_id),
                )
            subscription: dict[str, Any] = {
                "subscriptionId": self._new_id(),
                "payloadVersion": version,
                "destinationId": destination_id,
            }
            if directive is not None:
                subscription["processingDirective"] = directive
            self.subscriptions[kind] = subscription
        return json_response(200, {"payload": subscription}, _rid(request_id))

    def get_subscription(self, request: SandboxRequest, request_id: str) -> SandboxResponse:
        """``GET /notifications/v1/subscriptions/{notificationType}``."""
        kind = request.path.rstrip("/").rsplit("/", 1)[-1]
        with self._lock:
            found = self.subscriptions.get(kind)
        if found is None:
            return _not_found(request_id, f"No subscription for {kind}")
        return json_response(200, {"payload": found}, _rid(request_id))

    def delete_subscription(self, request: SandboxRequest, request_id: str) -> SandboxResponse:
        """``DELETE /notifications/v1/subscriptions/{notificationType}/{subscriptionId}``."""
        kind, subscription_id = request.path.rstrip("/").rsplit("/", 2)[-2:]
        with self._lock:
            found = self.subscriptions.get(kind)
            if found is None or found["subscriptionId"] != subscription_id:
                return _not_found(request_id, f"No subscription {subscription_id}")
            del self.subscriptions[kind]
        return json_response(200, {}, _rid(request_id))


def _check_directive(directive: Any) -> str | None:
    if directive is None:
        return None
    event_filter = directive.get("eventFilter") if isinstance(directive, dict) else None
    if not isinstance(event_filter, dict) or event_filter.get("eventFilterType") != _ORDER_CHANGE:
        return "processingDirective.eventFilter.eventFilterType must be ORDER_CHANGE"
    kinds = event_filter.get("orderChangeTypes")
    if kinds is not None and (
        not isinstance(kinds, list) or any(kind not in ORDER_CHANGE_TYPES for kind in kinds)
    ):
        return f"orderChangeTypes must be some of {', '.join(ORDER_CHANGE_TYPES)}"
    return None


def _json(request: SandboxRequest) -> dict[str, Any] | None:
    try:
        body = request.json_body()
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


def _rid(request_id: str) -> list[tuple[str, str]]:
    return [("x-amzn-RequestId", request_id)]


def _invalid(request_id: str, details: str) -> SandboxResponse:
    return spapi_error(
        400,
        "InvalidInput",
        "Request has missing or invalid parameters and cannot be parsed.",
        details,
        headers=_rid(request_id),
    )


def _not_found(request_id: str, details: str) -> SandboxResponse:
    return spapi_error(
        404, "NotFound", "The resource specified does not exist.", details, headers=_rid(request_id)
    )
