"""Reading a listing page order by order, so that one unreadable order never costs the others.

A listing page (MWS ListOrders, v0 getOrders, 2026-01-01 searchOrders) carries many orders.
What the job needs of each (its id, every item id, the buyer-cancel flag) is read strictly, and
before this module an order lacking it failed the whole page: on every run, so that no other
order of that page was ever stored again. Now each order is read on its own; one that cannot be
read is set aside as an :class:`~amzcancel.models.UnreadableOrder` (with a warning naming it)
and the others are returned. A caller that wants the old all-or-nothing answer (``amzcancel
parse``, :func:`amzcancel.wire.detect.parse_document`) asks for ``strict`` and gets the first
order's :class:`~amzcancel.errors.ParseError`, now naming the order.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from amzcancel.errors import ParseError
from amzcancel.models import UnreadableOrder

__all__ = ["read_each_order"]

logger = logging.getLogger("amzcancel.wire")

T = TypeVar("T")


def read_each_order(
    entries: Iterable[tuple[Any, str]],
    read: Callable[[Any, str], T],
    order_id: Callable[[Any], str | None],
    *,
    source: str,
    strict: bool,
) -> tuple[list[T], list[UnreadableOrder]]:
    """Read every ``(raw order, location)`` of a page with ``read``; set aside what fails.

    Args:
        entries: each order as it is on the wire, with the location that names it in errors.
        read: reads one order strictly; raises :class:`ParseError` when it cannot.
        order_id: the order's id read leniently (``None`` when there is none); never raises.
        source: the wire format, for the warning.
        strict: raise the first unreadable order's error (naming the order) instead.

    Returns:
        The orders read, in page order, and the ones set aside.

    Raises:
        ParseError: only when ``strict``, for the first order that cannot be read.
    """
    orders: list[T] = []
    unreadable: list[UnreadableOrder] = []
    for raw, where in entries:
        try:
            orders.append(read(raw, where))
        except ParseError as exc:
            found = order_id(raw)
            if strict:
                if found is None:
                    raise  # the id is what is missing; the location says which order
                raise _naming_the_order(exc, found) from exc
            error = str(exc).removeprefix(f"{exc.source}: ")
            logger.warning(
                "%s: %s cannot be read and is set aside: %s",
                source,
                f"order {found}" if found else "an order without a readable id",
                error,
            )
            unreadable.append(UnreadableOrder(amazon_order_id=found, error=error))
    return orders, unreadable


def _naming_the_order(exc: ParseError, found: str) -> ParseError:
    return ParseError(
        f"order {found}: {exc.message}",
        source=exc.source,
        location=exc.location,
        fragment=exc.fragment,
        path=exc.path,
    )
