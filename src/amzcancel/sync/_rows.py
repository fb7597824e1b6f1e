"""Row codecs shared by the SQL stores: datetimes as text, money, events, pending requests.

Added in 0.1.0.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any, TypeVar

from pydantic import BaseModel

from amzcancel.errors import StoreError
from amzcancel.models import BuyerCancel, Money, Order
from amzcancel.sync._protocol import Event, EventType, PendingRequest

__all__ = [
    "EVENT_COLUMNS",
    "buyer_cancel",
    "event_from_row",
    "money",
    "parse_ts",
    "pending_for",
    "ts",
    "ts_or_none",
]

_TS_LENGTH = len("2026-11-20T08:00:00.000000Z")
EVENT_COLUMNS = (
    "id, type, account, amazon_order_id, order_item_id, reason, occurred_at, recorded_at, acked_at"
)


@lru_cache(maxsize=1024)
def ts(value: datetime) -> str:
    """Fixed-width UTC text, so stored stamps sort like time; naive datetimes are refused.

    ``YYYY-MM-DDTHH:MM:SS.ffffffZ``, built by ``isoformat`` (faster than ``strftime``, and it
    pads years below 1000 as the format needs). Cached: one apply writes the same times many
    times over (its own stamp, purchase dates, an order's date again in its events).
    """
    if value.tzinfo is not UTC:  # validated models hold UTC already: skip the conversion
        if value.tzinfo is None or value.utcoffset() is None:
            raise StoreError(f"datetime {value.isoformat()} must be timezone-aware")
        value = value.astimezone(UTC)
    return value.replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def ts_or_none(value: datetime | None) -> str | None:
    """:func:`ts`, passing ``None`` through."""
    return None if value is None else ts(value)


def parse_ts(text: str) -> datetime:
    """The aware UTC datetime written by :func:`ts`."""
    if not isinstance(text, str) or len(text) != _TS_LENGTH or text[-1] != "Z":
        raise StoreError(f"stored time {text!r} is not in the store's format")
    # fromisoformat (which reads the Z as UTC) is ~30 times faster than strptime; the length
    # check keeps it to the one format ts() writes.
    return datetime.fromisoformat(text)


def money(currency: str | None, amount: Any) -> Money | None:
    """A :class:`Money` from its two columns, or ``None`` when either is missing.

    Shared: Money is frozen, and a store holds few distinct prices.
    """
    if currency is None or amount is None:
        return None
    return _money(currency, amount if isinstance(amount, str) else str(amount))


@lru_cache(maxsize=4096)
def _money(currency: str, amount: str) -> Money:
    try:
        value = Decimal(amount)
    except (InvalidOperation, ValueError) as exc:
        raise StoreError(f"stored amount {amount!r} is not a decimal") from exc
    return Money(currency_code=currency, amount=value)


def trusted(model: type[_M], values: dict[str, Any]) -> _M:
    """An instance of ``model`` holding ``values``, without validating them.

    Only for the store's own rows, written from validated instances and decoded into the
    exact types (enums, aware UTC datetimes, Decimals) by the caller: pydantic's validation
    (and its ``model_construct``) costs more than the rest of reading an item back. ``values``
    must name every field.
    """
    instance = model.__new__(model)
    _set(instance, "__dict__", values)
    _set(instance, "__pydantic_fields_set__", set(values))
    _set(instance, "__pydantic_extra__", None)
    _set(instance, "__pydantic_private__", None)
    return instance


_set = object.__setattr__
_M = TypeVar("_M", bound=BaseModel)


@lru_cache(maxsize=4096)
def buyer_cancel(requested: bool, reason: str | None) -> BuyerCancel:
    """A stored buyer-cancel flag and reason, shared (BuyerCancel is frozen)."""
    return BuyerCancel(requested=requested, reason=reason)


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
