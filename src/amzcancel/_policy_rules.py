"""The rules of the cancellation policy: reason codes, verdicts and how they are reached.

Private to :mod:`amzcancel.policy`, which is the public face (import from there).

Added in 0.1.0.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from amzcancel._policy_text import INFORMAL_REQUEST_REPLY, BuyerReply, reason_purpose
from amzcancel.models import Order, OrderItem, OrderStatus

__all__ = [
    "FEED_CANCEL_REASONS",
    "MODEL_CONFIG",
    "SELLER_CENTRAL_CANCEL_REASONS",
    "CancelReason",
    "ReasonVerdict",
    "formal_request",
    "judge",
    "scope_blocker",
]


class CancelReason(StrEnum):
    """Amazon's cancel reason codes, as written in the OrderAcknowledgement feed.

    The first six are Seller Central's list (Manage Orders > Cancel order); the rest are the
    further values of the feed schema's ``CancelReason`` enumeration.

    Added in 0.1.0.
    """

    NO_INVENTORY = "NoInventory"
    BUYER_CANCELED = "BuyerCanceled"
    GENERAL_ADJUSTMENT = "GeneralAdjustment"
    SHIPPING_ADDRESS_UNDELIVERABLE = "ShippingAddressUndeliverable"
    CUSTOMER_EXCHANGE = "CustomerExchange"
    PRICING_ERROR = "PricingError"
    CARRIER_CREDIT_DECISION = "CarrierCreditDecision"
    RISK_ASSESSMENT_INFORMATION_NOT_VALID = "RiskAssessmentInformationNotValid"
    CARRIER_COVERAGE_FAILURE = "CarrierCoverageFailure"
    CUSTOMER_RETURN = "CustomerReturn"
    MERCHANDISE_NOT_RECEIVED = "MerchandiseNotReceived"


SELLER_CENTRAL_CANCEL_REASONS: frozenset[CancelReason] = frozenset(list(CancelReason)[:6])
"""The six reasons Seller Central offers when a seller cancels an order."""

# The XSD copy of Amazon's OrderAcknowledgement schema (release_1_9) enumerates exactly these
# ten; PricingError is Seller Central-only until a release_4_1 copy shows otherwise.
FEED_CANCEL_REASONS: frozenset[CancelReason] = frozenset(CancelReason) - {
    CancelReason.PRICING_ERROR
}
"""The reasons the OrderAcknowledgement feed schema accepts in ``CancelReason``."""

# Reasons that describe what happens to delivered goods; an unshipped item cannot have them.
_AFTER_DELIVERY = frozenset({CancelReason.CUSTOMER_RETURN, CancelReason.MERCHANDISE_NOT_RECEIVED})

MODEL_CONFIG = ConfigDict(frozen=True, strict=True, extra="forbid", use_attribute_docstrings=True)


class ReasonVerdict(BaseModel):
    """The policy's answer for one cancel reason.

    Added in 0.1.0.
    """

    model_config = MODEL_CONFIG

    reason: CancelReason
    """The reason code (Amazon's feed code)."""
    allowed: bool
    """Whether the seller may cancel with this reason."""
    counts_against_cancellation_rate: bool
    """Whether a cancellation with this reason counts against the cancellation-rate metric
    (false when no cancellation is possible at all)."""
    recommended: bool
    """Whether this is the reason to use; at most one verdict is recommended."""
    why: str
    """One plain sentence (or two) explaining the verdict."""
    in_feed_schema: bool
    """Whether the OrderAcknowledgement feed accepts this code (PricingError does not)."""
    buyer_reply: BuyerReply | None = None
    """For an informal request: the reply asking the buyer to file the formal request."""


def scope_blocker(order: Order, item: OrderItem | None) -> str | None:
    """Why the chosen part of an order (whole order or one item) cannot be cancelled."""
    if item is None:
        if order.status is OrderStatus.PARTIALLY_SHIPPED:
            return (
                "Part of this order has shipped: only its unshipped items can be cancelled, "
                "each by its order item id, not the whole order."
            )
        return None
    item_id = item.order_item_id
    if order.items and all(i.order_item_id != item_id for i in order.items):
        return f"Item {item_id} is not part of order {order.amazon_order_id}."
    ordered, shipped = item.quantity_ordered, item.quantity_shipped
    if ordered is not None and ordered <= 0:
        return f"Item {item_id} has no units left to cancel."
    if shipped is None and order.status is OrderStatus.PARTIALLY_SHIPPED:
        return (
            f"How much of item {item_id} has shipped is unknown on this partly shipped order; "
            "fetch the order items before cancelling."
        )
    if shipped:
        if ordered is not None and shipped >= ordered:
            return f"Item {item_id} has shipped: it can only be refunded, not cancelled."
        # The acknowledgement feed cancels whole item lines; units left after a partial
        # shipment are settled by a refund/adjustment once shipment is confirmed.
        return (
            f"Item {item_id} has partly shipped ({shipped} of {ordered} units): a cancellation "
            "covers whole items only, so the rest must be refunded, not cancelled."
        )
    return None


def formal_request(order: Order, item: OrderItem | None) -> tuple[bool, str | None]:
    """Whether a formal buyer request covers what is being cancelled, and a note if not."""
    if item is not None:
        return item.buyer_cancel.requested, None
    if not order.items:
        return False, "The order's items are not loaded, so no formal request is on record."
    asked = [i.order_item_id for i in order.items if i.buyer_cancel.requested]
    if asked and len(asked) == len(order.items):
        return True, None
    if asked:
        return False, (
            f"The buyer formally asked to cancel only item(s) {', '.join(asked)}: cancel those "
            "items with BuyerCanceled, not the whole order."
        )
    return False, None


def judge(
    blocker: str | None,
    *,
    buyer_requested: bool,
    informal_request: bool,
    out_of_stock: bool,
    note: str | None,
) -> list[ReasonVerdict]:
    verdicts = []
    for reason in CancelReason:
        in_feed = reason in FEED_CANCEL_REASONS
        if blocker is not None:
            verdicts.append(
                ReasonVerdict(
                    reason=reason,
                    allowed=False,
                    counts_against_cancellation_rate=False,
                    recommended=False,
                    why=blocker,
                    in_feed_schema=in_feed,
                )
            )
            continue
        if reason is CancelReason.BUYER_CANCELED:
            verdict = _buyer_canceled(buyer_requested, informal_request, out_of_stock, note)
        else:
            verdict = _seller_reason(reason, buyer_requested, out_of_stock, note)
        verdicts.append(verdict)
    return verdicts


def _buyer_canceled(
    buyer_requested: bool, informal: bool, out_of_stock: bool, note: str | None
) -> ReasonVerdict:
    reply = None
    if buyer_requested:
        why = (
            "The buyer filed a formal cancellation request through Amazon: cancel with "
            "BuyerCanceled and it does not count against your cancellation rate."
        )
    elif informal and out_of_stock:
        why = (
            "The buyer asked only by message and you are out of stock: cancel with NoInventory "
            "and do not ask the buyer to file a cancellation request."
        )
    elif informal:
        why = (
            "The buyer asked only through buyer-seller messages, which is informal: "
            "BuyerCanceled would mislabel the cancellation and it would count against your "
            "cancellation rate; ask the buyer to request cancellation in Your Orders instead."
        )
        reply = INFORMAL_REQUEST_REPLY
    else:
        why = (
            "No formal buyer cancellation request is on record: BuyerCanceled would mislabel "
            "your own cancellation and harms your cancellation-rate metric."
        )
    return ReasonVerdict(
        reason=CancelReason.BUYER_CANCELED,
        allowed=buyer_requested,
        counts_against_cancellation_rate=not buyer_requested,
        recommended=buyer_requested,
        why=_with_note(why, note),
        in_feed_schema=True,
        buyer_reply=reply,
    )


def _seller_reason(
    reason: CancelReason, buyer_requested: bool, out_of_stock: bool, note: str | None
) -> ReasonVerdict:
    purpose = reason_purpose(reason.value)
    in_feed = reason in FEED_CANCEL_REASONS
    if reason in _AFTER_DELIVERY:
        return ReasonVerdict(
            reason=reason,
            allowed=False,
            counts_against_cancellation_rate=True,
            recommended=False,
            why=f"{purpose} An item that has not shipped cannot have that happen to it.",
            in_feed_schema=in_feed,
        )
    recommended = reason is CancelReason.NO_INVENTORY and out_of_stock and not buyer_requested
    if recommended:
        why = (
            "You are out of stock: cancel with NoInventory; it counts against your cancellation "
            "rate, and you must not ask the buyer to file a cancellation request instead."
        )
    elif buyer_requested:
        why = (
            f"{purpose} Allowed, but the buyer formally asked to cancel: BuyerCanceled is "
            "accurate and free, while this reason counts against your cancellation rate."
        )
    else:
        why = f"{purpose} It counts against your cancellation rate."
    if not in_feed:
        why += (
            " The OrderAcknowledgement feed schema has no such code, so amzcancel cannot send "
            "it: cancel in Seller Central instead."
        )
    return ReasonVerdict(
        reason=reason,
        allowed=True,
        counts_against_cancellation_rate=True,
        recommended=recommended,
        why=_with_note(why, note),
        in_feed_schema=in_feed,
    )


def _with_note(why: str, note: str | None) -> str:
    return why if note is None else f"{why} {note}"
