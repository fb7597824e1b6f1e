"""Row codecs shared by the SQL stores: datetimes as text, money, events, pending requests.

Added in 0.1.0.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from amzcancel.errors import StoreError
from amzcancel.models import Money, Order
from amzcancel.sync._protocol import Event, EventType, PendingRequest

__all__ = [
    "EVENT_COLUMNS",
    "event_from_row",
    "money",
    "parse_ts",
    "pending_for",
    "ts",
    "ts_or_none",
]

_TS_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"
EVENT_COLUMNS = (
    "id, type, account, amazon_order_id, order_item_id, reason, occurred_at, recorded_at, acked_at"
)


def ts(value: datetime) -> str:
    """Fixed-width UTC text, so stored stamps sort like time; naive datetimes are refused."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise StoreError(f"datetime {value.isoformat()} must be timezone-aware")
    return value.astimezone(UTC).strftime(_TS_FORMAT)


def ts_or_none(value: datetime | None) -> str | None:
    """:func:`ts`, passing ``None`` through."""
    return None if value is None else ts(value)


def parse_ts(text: str) -> datetime:
    """The aware UTC datetime written by :func:`ts`."""
    return datetime.strptime(text, _TS_FORMAT).replace(tzinfo=UTC)


def money(currency: str | None, amount: Any) -> Money | None:
    """A :class:`Money` from its two columns, or ``None`` when either is missing.

    Built without re-validation: the columns were written from a validated :class:`Money`.
    """
    if currency is None or amount is None:
        return None
    try:
        value = amount if isinstance(amount, Decimal) else Decimal(amount)
    except (InvalidOperation, TypeError) as exc:
        raise StoreError(f"stored amount {amount!r} is not a decimal") from exc
    return Money.model_construct(currency_code=currency, amount=value)


def pending_for(account: str, order: Order) -> Iterator[PendingRequest]:
    """The open requests of one open order: requested items with something left to cancel.

    Left out: items Amazon already cancelled, items with nothing ordered any more, and items
    fully shipped (already left the warehouse).
    """
    for item in order.buyer_cancel_items:
        ordered, shipped = item.quantity_ordered, item.quantity_shipped
        if item.cancelled or ordered == 0:
            continue
        if ordered and shipped is not None and shipped >= ordered:
            continue
        yield PendingRequest(
            account=account,
            amazon_order_id=order.amazon_order_id,
            order_item_id=item.order_item_id,
            reason=item.buyer_cancel.reason,
            status=order.status,
            fulfillment_channel=order.fulfillment_channel,
            last_update_date=order.last_update_date,
            order=order,
            item=item,
        )


def event_from_row(row: tuple[Any, ...], dt: Callable[[Any], datetime]) -> Event:
    """An :class:`Event` from a row of :data:`EVENT_COLUMNS`; ``dt`` decodes the stamps."""
    event_id, kind, account, order_id, item_id, reason, occurred, recorded, acked = row
    return Event(
        id=event_id,
        type=EventType(kind),
        account=account,
        amazon_order_id=order_id,
        order_item_id=item_id,
        reason=reason,
        occurred_at=dt(occurred),
        recorded_at=dt(recorded),
        acked=acked is not None,
    )
