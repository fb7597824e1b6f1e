"""Which cancel reasons a seller may use for an order, and why.

Amazon's 2022 change to seller-fulfilled cancellations turns on the cancel reason:

- a *formal* buyer request (Your Orders > Request cancellation) cancelled with ``BuyerCanceled``
  does not count against the cancellation-rate metric;
- ``BuyerCanceled`` on anything else is a mislabelled seller cancellation and harms the metric;
- out of stock is ``NoInventory``, and the seller must not ask the buyer to file a request;
- a request made only in buyer-seller messages is informal: cancelling on it counts, so the
  seller should ask the buyer to use the formal route (:data:`INFORMAL_REQUEST_REPLY`);
- only the unshipped quantity of a seller-fulfilled (MFN) order can be cancelled.

:func:`allowed_cancel_reasons` answers this for an :class:`~amzcancel.models.Order` (and
optionally one item); :func:`evaluate_cancel_reasons` answers it from plain facts.
:func:`approve_cancellation` is the guard: it turns a wish to cancel into a
:class:`CancelDecision` or raises :class:`~amzcancel.errors.PolicyViolation`. A decision is a
plain value (it survives JSON, pickling and a queue between processes); the submission of a
cancellation feed judges every decision again with :func:`recheck_decision`, from the order as
Amazon holds it, so a decision that is wrong (hand-made, altered, or made before the order
shipped) is refused because it is wrong.

Sources: Seller Central help G201722390 (buyer-requested cancellations), 200198080 (cancel an
order), 200285210 (Cancellation Rate); see docs/policy.md.

Added in 0.1.0.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from enum import Enum
from typing import TypeVar

from pydantic import BaseModel

from amzcancel._policy_rules import (
    FEED_CANCEL_REASONS,
    MODEL_CONFIG,
    SELLER_CENTRAL_CANCEL_REASONS,
    CancelReason,
    ReasonVerdict,
    formal_request,
    judge,
    scope_blocker,
)
from amzcancel._policy_text import INFORMAL_REQUEST_REPLY, BuyerReply, status_blocker
from amzcancel.errors import ConfigError, PolicyViolation
from amzcancel.models import FulfillmentChannel, Order, OrderItem, OrderStatus

__all__ = [
    "FEED_CANCEL_REASONS",
    "INFORMAL_REQUEST_REPLY",
    "SELLER_CENTRAL_CANCEL_REASONS",
    "BuyerReply",
    "CancelDecision",
    "CancelReason",
    "ReasonVerdict",
    "allowed_cancel_reasons",
    "approve_cancellation",
    "evaluate_cancel_reasons",
    "parse_cancel_reason",
    "parse_fulfillment_channel",
    "parse_order_status",
    "recheck_decision",
    "recommended_reason",
]


logger = logging.getLogger("amzcancel.policy")

_ALIASES = {"buyercancelled": CancelReason.BUYER_CANCELED}
# Orders 2026-01-01 spells statuses differently (UNSHIPPED, CANCELLED); accept both vocabularies.
_STATUS_ALIASES = {"cancelled": OrderStatus.CANCELED}
_CHANNEL_ALIASES = {"merchant": FulfillmentChannel.MFN, "amazon": FulfillmentChannel.AFN}

E = TypeVar("E", bound=Enum)


def _member(enum_cls: type[E], text: str, aliases: Mapping[str, E]) -> E | None:
    """The member whose value ``text`` names, forgiving case, spaces, ``_`` and ``-``."""
    key = "".join(text.split()).replace("_", "").replace("-", "").lower()
    for member in enum_cls:
        if str(member.value).lower() == key:
            return member
    return aliases.get(key)


def parse_cancel_reason(text: str | CancelReason) -> CancelReason:
    """Read a cancel reason code, forgiving case, spaces and the British "Cancelled".

    Raises:
        PolicyViolation: ``text`` is not one of Amazon's cancel reason codes.

    Added in 0.1.0.
    """
    if isinstance(text, CancelReason):
        return text
    if not isinstance(text, str):
        codes = ", ".join(reason.value for reason in CancelReason)
        why = f"a cancel reason is one of {codes}; got {text!r}."
        raise PolicyViolation(why, reason=str(text), why=why)
    found = _member(CancelReason, text, _ALIASES)
    if found is not None:
        return found
    codes = ", ".join(reason.value for reason in CancelReason)
    why = f"{text!r} is not an Amazon cancel reason code; use one of {codes}."
    raise PolicyViolation(why, reason=text, why=why)


def parse_order_status(value: str | OrderStatus | None) -> OrderStatus | None:
    """An order status from its name in any case or vocabulary (``PARTIALLY_SHIPPED``).

    Raises:
        ConfigError: not an order status Amazon uses.

    Added in 0.1.0.
    """
    if value is None or isinstance(value, OrderStatus):
        return value
    if isinstance(value, str) and (status := _member(OrderStatus, value, _STATUS_ALIASES)):
        return status
    names = ", ".join(s.value for s in OrderStatus)
    raise ConfigError(f"unknown order status {value!r} (use one of {names})")


def parse_fulfillment_channel(value: str | FulfillmentChannel | None) -> FulfillmentChannel | None:
    """A fulfilment channel: ``MFN``/``AFN`` or ``MERCHANT``/``AMAZON``, any case.

    Raises:
        ConfigError: neither.

    Added in 0.1.0.
    """
    if value is None or isinstance(value, FulfillmentChannel):
        return value
    channel = (
        _member(FulfillmentChannel, value, _CHANNEL_ALIASES) if isinstance(value, str) else None
    )
    if channel is not None:
        return channel
    raise ConfigError(f"unknown fulfilment channel {value!r} (use MFN or AFN)")


def evaluate_cancel_reasons(
    *,
    status: OrderStatus | str | None,
    channel: FulfillmentChannel | str | None,
    buyer_requested: bool,
    informal_request: bool = False,
    out_of_stock: bool = False,
) -> list[ReasonVerdict]:
    """Judge every cancel reason from plain facts about an order.

    Use this when there is no :class:`~amzcancel.models.Order` at hand (the ``reasons``
    command does). For a partially shipped order the answer is about its unshipped items.

    Args:
        status: the order status (an :class:`OrderStatus`, or its name as v0 or 2026-01-01
            spells it).
        channel: MFN (seller-fulfilled) or AFN (Amazon-fulfilled), or MERCHANT/AMAZON.
        buyer_requested: whether the buyer filed a *formal* cancellation request.
        informal_request: whether the buyer asked only through buyer-seller messages.
        out_of_stock: whether the seller cannot fulfil because the goods are out of stock.

    Returns:
        One verdict per :class:`CancelReason`, in the enum's order.

    Raises:
        ConfigError: an unknown status or channel, or a fact that is not a bool.

    Added in 0.1.0.
    """
    status = parse_order_status(status)
    channel = parse_fulfillment_channel(channel)
    for name, fact in (
        ("buyer_requested", buyer_requested),
        ("informal_request", informal_request),
        ("out_of_stock", out_of_stock),
    ):
        if not isinstance(fact, bool):
            raise ConfigError(f"{name} must be True or False, got {fact!r}")
    blocker = status_blocker(status, channel)
    note = None
    if status is OrderStatus.PARTIALLY_SHIPPED:
        note = "Only the unshipped items of this partly shipped order can be cancelled, by item."
    return judge(
        blocker,
        buyer_requested=buyer_requested,
        informal_request=informal_request,
        out_of_stock=out_of_stock,
        note=note,
    )


def allowed_cancel_reasons(
    order: Order,
    item: OrderItem | None = None,
    *,
    informal_request: bool = False,
    out_of_stock: bool = False,
) -> list[ReasonVerdict]:
    """Judge every cancel reason for cancelling ``order`` (or only ``item`` of it).

    The buyer's formal request is read from the items: for the whole order, every item must
    carry it; for one item, that item must.

    Args:
        order: the order as last fetched (status and channel decide whether it can be cancelled).
        item: the one item to cancel; ``None`` for the whole order.
        informal_request: the buyer asked only through buyer-seller messages.
        out_of_stock: the seller cannot fulfil because the goods are out of stock.

    Returns:
        One verdict per :class:`CancelReason`, in the enum's order.

    Added in 0.1.0.
    """
    blocker = status_blocker(order.status, order.fulfillment_channel) or scope_blocker(order, item)
    buyer_requested, note = formal_request(order, item)
    return judge(
        blocker,
        buyer_requested=buyer_requested,
        informal_request=informal_request,
        out_of_stock=out_of_stock,
        note=note,
    )


def recommended_reason(
    order: Order,
    item: OrderItem | None = None,
    *,
    informal_request: bool = False,
    out_of_stock: bool = False,
) -> str | None:
    """The one recommended reason code for ``order`` (or ``item``), or ``None``.

    ``None`` means there is no reason to recommend: the order cannot be cancelled, or nothing
    says why it should be (with an informal request: send :data:`INFORMAL_REQUEST_REPLY`).

    Added in 0.1.0.
    """
    verdicts = allowed_cancel_reasons(
        order, item, informal_request=informal_request, out_of_stock=out_of_stock
    )
    return next((v.reason.value for v in verdicts if v.recommended), None)


class CancelDecision(BaseModel):
    """A cancellation the guard approved: what to cancel, with which reason, on which facts.

    Build it with :func:`approve_cancellation`. It is a plain value: it can be stored, sent to
    another process and read back. Nothing trusts it blindly: submitting a feed judges it
    again (:func:`recheck_decision`) against the order as Amazon holds it then.

    Added in 0.1.0 (a plain value since 0.2.0).
    """

    model_config = MODEL_CONFIG

    amazon_order_id: str
    """The order to cancel."""
    order_item_ids: tuple[str, ...]
    """The items to cancel: the named item, or every item of the order for a whole order."""
    whole_order: bool
    """True when the whole order is cancelled."""
    reason: CancelReason
    """The cancel reason written into the feed."""
    verdict: ReasonVerdict
    """The policy's verdict on ``reason`` at the time of the decision."""
    override_justification: str | None = None
    """Set when the caller overrode a refusal; the justification they gave."""
    informal_request: bool = False
    """The caller said the buyer asked only through buyer-seller messages."""
    out_of_stock: bool = False
    """The caller said the goods are out of stock."""

    @property
    def overridden(self) -> bool:
        """Whether the policy refused this reason and the caller overrode it."""
        return self.override_justification is not None


def approve_cancellation(
    order: Order,
    reason: CancelReason | str,
    *,
    item: OrderItem | str | None = None,
    informal_request: bool = False,
    out_of_stock: bool = False,
    override_policy: str | None = None,
) -> CancelDecision:
    """The guard: approve cancelling ``order`` (or one item) with ``reason``, or refuse.

    Args:
        order: the order as last fetched, with its items.
        reason: the cancel reason code.
        item: the item (or its order item id) to cancel; ``None`` for the whole order.
        informal_request: the buyer asked only through buyer-seller messages.
        out_of_stock: the goods are out of stock.
        override_policy: a justification for cancelling although the policy refuses; the
            override is logged as a warning and recorded in the decision.

    Raises:
        PolicyViolation: the policy does not allow ``reason`` here (and no override was given),
            ``reason`` is not a cancel reason code, the item is not in the order, or the
            override justification is blank.

    Added in 0.1.0.
    """
    code = parse_cancel_reason(reason)
    target = _find_item(order, item) if isinstance(item, str) else item
    verdict = next(
        v
        for v in allowed_cancel_reasons(
            order, target, informal_request=informal_request, out_of_stock=out_of_stock
        )
        if v.reason is code
    )
    what = f"order {order.amazon_order_id}" + (
        f" item {target.order_item_id}" if target is not None else ""
    )
    justification = None
    if not verdict.allowed:
        if override_policy is None:
            raise PolicyViolation(
                f"{code.value} is not allowed for {what}: {verdict.why}",
                reason=code.value,
                why=verdict.why,
            )
        justification = (
            " ".join(override_policy.split()) if isinstance(override_policy, str) else ""
        )
        if not justification:
            why = "an override of the cancellation policy needs a justification"
            raise PolicyViolation(why, reason=code.value, why=why)
        logger.warning(
            "policy override: cancelling %s with %s although the policy refuses it (%s); "
            "justification: %s",
            what,
            code.value,
            verdict.why,
            justification,
        )
    if target is None:
        item_ids = tuple(i.order_item_id for i in order.items)
    else:
        item_ids = (target.order_item_id,)
    decision = CancelDecision(
        amazon_order_id=order.amazon_order_id,
        order_item_ids=item_ids,
        whole_order=target is None,
        reason=code,
        verdict=verdict,
        override_justification=justification,
        informal_request=informal_request,
        out_of_stock=out_of_stock,
    )
    logger.info("approved cancelling %s with %s", what, code.value)
    return decision


def recheck_decision(decision: CancelDecision, order: Order) -> ReasonVerdict:
    """Judge ``decision`` again against ``order`` as it is now; the boundary check.

    The decision's own verdict is not trusted: the reason is judged from ``order`` (status,
    channel, the buyer's formal request on each item) and the facts the decision states
    (informal request, out of stock). A refusal passes only with an override justification,
    and is logged.

    Args:
        decision: what is about to be submitted.
        order: the order, with its items, as just read from Amazon.

    Returns:
        The verdict now (the decision's reason).

    Raises:
        PolicyViolation: the decision is for another order, names items the order lacks,
            cancels "the whole order" without all its items, or uses a reason the policy
            refuses now without a justification.

    Added in 0.2.0.
    """
    what = f"order {decision.amazon_order_id}"
    if decision.amazon_order_id != order.amazon_order_id:
        why = f"the decision is for {what}, not order {order.amazon_order_id}."
        raise PolicyViolation(why, reason=decision.reason.value, why=why)
    known = {item.order_item_id: item for item in order.items}
    missing = [i for i in decision.order_item_ids if i not in known]
    if missing or not decision.order_item_ids:
        why = f"{what} has no item {', '.join(missing) or '(none named)'}."
        raise PolicyViolation(why, reason=decision.reason.value, why=why)
    if decision.whole_order and set(decision.order_item_ids) != set(known):
        why = f"a whole-order cancellation of {what} must name every item of the order."
        raise PolicyViolation(why, reason=decision.reason.value, why=why)
    targets = [None] if decision.whole_order else [known[i] for i in decision.order_item_ids]
    verdict: ReasonVerdict | None = None
    for target in targets:
        verdict = next(
            v
            for v in allowed_cancel_reasons(
                order,
                target,
                informal_request=decision.informal_request,
                out_of_stock=decision.out_of_stock,
            )
            if v.reason is decision.reason
        )
        if verdict.allowed:
            continue
        where = what + ("" if target is None else f" item {target.order_item_id}")
        justification = decision.override_justification
        if not (isinstance(justification, str) and justification.strip()):
            raise PolicyViolation(
                f"{decision.reason.value} is not allowed for {where}: {verdict.why}",
                reason=decision.reason.value,
                why=verdict.why,
            )
        logger.warning(
            "policy override at submission: %s with %s (%s); justification: %s",
            where,
            decision.reason.value,
            verdict.why,
            justification,
        )
    assert verdict is not None
    return verdict


def _find_item(order: Order, item_id: str) -> OrderItem:
    for item in order.items:
        if item.order_item_id == item_id:
            return item
    why = f"item {item_id} is not part of order {order.amazon_order_id}."
    raise PolicyViolation(why, reason="", why=why)
