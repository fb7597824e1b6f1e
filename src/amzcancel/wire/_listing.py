"""Reading a listing page order by order, so that one unreadable order never costs the others.

A listing page (MWS ListOrders, v0 getOrders, 2026-01-01 searchOrders) carries many orders.
What the job needs of each (its id, every item id, the buyer-cancel flag) is read strictly, and
before 0.2.0 an order lacking it failed the whole page: on every run, so that no other order of
that page was ever stored again. Now each order is read on its own; one that cannot be read is
set aside as an :class:`~amzcancel.models.UnreadableOrder` (with a warning naming it) and the
others are returned. A caller that wants the all-or-nothing answer (``amzcancel parse``,
:func:`amzcancel.wire.detect.parse_document`) asks for ``strict`` and gets the first order's
:class:`~amzcancel.errors.ParseError`, now naming the order.

Each order is offered to the wire's fast reader first (see :mod:`amzcancel.wire._clean`) and,
if it is not clean, to its careful reader; the page and all its orders then become models in
one validation.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from amzcancel.errors import ParseError
from amzcancel.models import Order, OrdersPage, UnreadableOrder
from amzcancel.wire._clean import NotClean

__all__ = ["read_listing"]

logger = logging.getLogger("amzcancel.wire")


def read_listing(
    raw_orders: Iterable[Any],
    *,
    locate: Callable[[int], str],
    clean: Callable[[Any], Mapping[str, Any]],
    careful: Callable[[Any, str], Order | Mapping[str, Any]],
    order_id: Callable[[Any], str | None],
    page: Callable[[], Mapping[str, Any]],
    source: str,
    strict: bool,
) -> OrdersPage:
    """Read every order of a listing page; set aside the ones that cannot be read.

    Args:
        raw_orders: the orders as they are on the wire, in page order.
        locate: the location naming the order at an index, for errors and warnings.
        clean: the fast reader: an order's fields, or :class:`NotClean`.
        careful: the careful reader; raises :class:`ParseError` when the order cannot be read.
        order_id: the order's id read leniently (``None`` when there is none); never raises.
        page: the page's own fields (``next_token``, the window bounds), read after the orders
            so that warnings come in document order.
        source: the wire format, for the warning.
        strict: raise the first unreadable order's error (naming the order) instead.

    Raises:
        ParseError: only when ``strict``, for the first order that cannot be read.
    """
    orders: list[Order | Mapping[str, Any]] = []
    unreadable: list[UnreadableOrder] = []
    for index, raw in enumerate(raw_orders):
        try:
            orders.append(clean(raw))
            continue
        except NotClean:
            pass
        try:
            orders.append(careful(raw, locate(index)))
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
    # One validation for the page and every order and item on it: pydantic builds the models
    # in one call instead of one per object.
    return OrdersPage.model_validate({"orders": orders, "unreadable": unreadable, **page()})


def _naming_the_order(exc: ParseError, found: str) -> ParseError:
    return ParseError(
        f"order {found}: {exc.message}",
        source=exc.source,
        location=exc.location,
        fragment=exc.fragment,
        path=exc.path,
    )
