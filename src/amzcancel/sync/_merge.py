"""How an incoming order is merged into the stored one, and which events the change causes.

Pure functions, no I/O: :class:`~amzcancel.sync.store.SqliteStore` (and any other store) calls
:func:`merge_order` then :func:`changes` inside its transaction.

Merge rules (documented in ``docs/store-and-events.md``):

- Freshness of a stored order is ``min(last_update_date, when we received that date)``:
  Amazon cannot have changed an order after we received it, so a date in the future (clock
  skew, a bad source) never freezes the order. An incoming order dated *earlier* than that
  freshness is stale and ignored whole. A dated order at least as new (or any order over an
  undated stored one) is *authoritative*: its values win.
- A buyer-cancel request is withdrawn only by a *strictly newer* dated order: two copies of
  one order at the same update time (two listing pages) never cancel each other's request.
- An *undated* order over a dated stored one (a report row, a notification without a date)
  only fills gaps: it never overwrites a known value, and it may raise a buyer-cancel flag but
  never lower it. A request is news we must not lose; a withdrawal needs dated evidence.
- Either way, ``None`` never wipes a known value (a notification carries flags but no titles),
  and stored items the incoming order does not list are kept (items never leave an order).
- A buyer-cancel flag that arrives without a reason keeps the reason already stored.

Added in 0.1.0.
"""

from __future__ import annotations

from datetime import datetime
from operator import itemgetter
from typing import Any, NamedTuple

from amzcancel.models import BuyerCancel, Order, OrderItem, OrderStatus
from amzcancel.sync._protocol import EventType

__all__ = ["Change", "Merge", "changes", "merge", "merge_order", "received_freshness"]

_ORDER_FIELDS = tuple(
    name for name in Order.model_fields if name not in {"amazon_order_id", "source", "items"}
)
_ITEM_FIELDS = tuple(
    name
    for name in OrderItem.model_fields
    if name not in {"order_item_id", "buyer_cancel", "cancelled"}
)
_item_values = itemgetter(*_ITEM_FIELDS)
_NOT_REQUESTED = BuyerCancel()  # built once: a model per item per apply showed in profiles
_STATUS_EVENTS = {
    OrderStatus.CANCELED: EventType.ORDER_CANCELED,
    OrderStatus.SHIPPED: EventType.ORDER_SHIPPED,
}


class Change(NamedTuple):
    """One event a merge causes, before the store gives it an id.

    A named tuple, not a frozen dataclass: one is made per event, and tuples are built faster.
    """

    type: EventType
    order_item_id: str | None = None
    reason: str | None = None


def _prefer(primary: Any, secondary: Any, names: tuple[str, ...]) -> dict[str, Any]:
    """Field values from ``primary``, falling back to ``secondary`` where ``primary`` is None."""
    # Through __dict__: this runs for every order and item of every sync.
    first, second = primary.__dict__, secondary.__dict__
    return {name: second[name] if first[name] is None else first[name] for name in names}


class Merge(NamedTuple):
    """The outcome of merging an incoming order into the stored one (one per order applied)."""

    order: Order
    """The order to store."""
    freshness: datetime | None
    """Its effective freshness: ``min(last_update_date, received)`` of the deciding date."""
    authoritative: bool
    """Whether the incoming order's values won (False: it only filled gaps)."""


def received_freshness(last_update_date: datetime | None, received_at: datetime) -> datetime | None:
    """The freshness of a date received at ``received_at``: never later than that moment."""
    if last_update_date is None:
        return None
    return min(last_update_date, received_at)


def _merge_cancel(
    stored: BuyerCancel, incoming: BuyerCancel, *, authoritative: bool, may_withdraw: bool
) -> BuyerCancel:
    if not authoritative or not incoming.reported:
        # Gap filling (an undated source, or one that did not carry the flag at all): a
        # request may be raised, never withdrawn.
        if stored.requested or not incoming.requested:
            return stored
        return incoming
    if stored.requested and not incoming.requested and not may_withdraw:
        return stored  # a copy no newer than ours: its other values win, not a withdrawal
    if incoming.requested and incoming.reason is None and stored.requested and stored.reason:
        return incoming.model_copy(update={"reason": stored.reason})
    return incoming


def _merge_item(
    stored: OrderItem, incoming: OrderItem, *, authoritative: bool, may_withdraw: bool
) -> OrderItem:
    cancel = _merge_cancel(
        stored.buyer_cancel,
        incoming.buyer_cancel,
        authoritative=authoritative,
        may_withdraw=may_withdraw,
    )
    # An executed cancellation is never undone, and most sources cannot tell of it at all.
    cancelled = stored.cancelled or incoming.cancelled
    same_flags = cancel is incoming.buyer_cancel and cancelled == incoming.cancelled
    if authoritative and same_flags and None not in _item_values(incoming.__dict__):
        return incoming  # authoritative and complete: every value is the incoming one
    primary, secondary = (incoming, stored) if authoritative else (stored, incoming)
    values = _prefer(primary, secondary, _ITEM_FIELDS)
    if same_flags and _all_from(values, incoming):
        return incoming  # no copy to build
    values["buyer_cancel"], values["cancelled"] = cancel, cancelled
    return stored.model_copy(update=values)


def _all_from(values: dict[str, Any], model: Any) -> bool:
    """Whether every value in ``values`` is ``model``'s own (the merge changed nothing)."""
    own = model.__dict__
    return all(value is own[name] for name, value in values.items())


def merge_order(
    stored: Order | None, incoming: Order, *, freshness: datetime | None = None
) -> Order | None:
    """The order to store after ``incoming`` arrives, or ``None`` when it is stale.

    Args:
        stored: the order as stored (with its items), or ``None`` if new.
        incoming: the order just read from Amazon (with the items it carries).
        freshness: the stored order's effective freshness (default: its
            ``last_update_date``, for an order whose date was never in the future).
    """
    if stored is None:
        return incoming
    fresh = stored.last_update_date if freshness is None else freshness
    result = merge(stored, incoming, freshness=fresh, received_at=None)
    return None if result is None else result.order


def merge(
    stored: Order | None,
    incoming: Order,
    *,
    freshness: datetime | None,
    received_at: datetime | None,
) -> Merge | None:
    """Merge ``incoming`` into ``stored``; ``None`` when it is older than ``freshness``.

    Args:
        stored: the order as stored (with its items), or ``None`` if new.
        incoming: the order just read.
        freshness: the stored order's effective freshness (``None``: undated).
        received_at: when ``incoming`` was received; caps the new freshness (``None``: no cap).
    """
    incoming_date = incoming.last_update_date
    new_freshness = (
        incoming_date if received_at is None else received_freshness(incoming_date, received_at)
    )
    if stored is None:
        return Merge(incoming, new_freshness, authoritative=True)
    stored_date = stored.last_update_date if freshness is None else freshness
    if stored_date is not None and incoming_date is not None and incoming_date < stored_date:
        return None
    authoritative = incoming_date is not None or stored_date is None
    # A withdrawal needs dated evidence newer than what we hold; equal dates are two copies.
    may_withdraw = authoritative and (
        stored_date is None or (incoming_date is not None and incoming_date > stored_date)
    )
    primary, secondary = (incoming, stored) if authoritative else (stored, incoming)
    values = _prefer(primary, secondary, _ORDER_FIELDS)
    values["source"] = incoming.source if authoritative else stored.source

    incoming_items = {item.order_item_id: item for item in incoming.items}
    items: list[OrderItem] = []
    for item in stored.items:
        new = incoming_items.pop(item.order_item_id, None)
        if new is not None:
            item = _merge_item(item, new, authoritative=authoritative, may_withdraw=may_withdraw)
        items.append(item)
    items.extend(incoming_items.values())
    fresh: datetime | None = stored_date
    if authoritative and new_freshness is not None:
        fresh = new_freshness if stored_date is None else max(new_freshness, stored_date)
    if (
        values["source"] is incoming.source
        and len(items) == len(incoming.items)
        and all(a is b for a, b in zip(items, incoming.items, strict=True))
        and _all_from(values, incoming)
    ):
        return Merge(incoming, fresh, authoritative)  # the incoming order as it came
    values["items"] = items
    return Merge(stored.model_copy(update=values), fresh, authoritative)


def changes(stored: Order | None, merged: Order) -> list[Change]:
    """The events that going from ``stored`` to ``merged`` causes, items first."""
    before = {} if stored is None else {i.order_item_id: i.buyer_cancel for i in stored.items}
    result: list[Change] = []
    for item in merged.items:
        was = before.get(item.order_item_id, _NOT_REQUESTED).requested
        now = item.buyer_cancel.requested
        if now and not was:
            result.append(
                Change(
                    EventType.BUYER_CANCEL_REQUESTED, item.order_item_id, item.buyer_cancel.reason
                )
            )
        elif was and not now:
            result.append(Change(EventType.BUYER_CANCEL_WITHDRAWN, item.order_item_id))
    old_status = None if stored is None else stored.status
    if merged.status != old_status and merged.status in _STATUS_EVENTS:
        result.append(Change(_STATUS_EVENTS[merged.status]))
    return result
