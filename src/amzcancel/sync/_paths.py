"""The order paths of a multi-path sync: their names, which are enabled, which Amazon refused.

A *path* is a way to get an order with its items, each metered by a rate budget of its own:

- ``searchOrders`` (Orders 2026-01-01): a page of up to 100 orders with items per call;
- ``getOrder`` (Orders 2026-01-01): one order with items per call, by order id;
- ``getOrderItems`` (Orders v0): the items of one order listed by v0 ``getOrders``.

Added in 0.1.0 (split out of the multi-path module in 0.2.0).
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Iterable

from amzcancel.errors import ConfigError

__all__ = [
    "ALL_PATHS",
    "ID_PATHS",
    "LISTING_OPERATION",
    "PATH_GET_ORDER",
    "PATH_ORDER_ITEMS",
    "PATH_SEARCH",
    "PathRefused",
    "PathStates",
    "SearchUnavailableError",
    "resolve_paths",
]

_log = logging.getLogger("amzcancel.sync.multipath")

PATH_SEARCH = "searchOrders"
"""Orders 2026-01-01 searchOrders pages over claimed sub-windows."""
PATH_GET_ORDER = "getOrder"
"""Orders 2026-01-01 getOrder, one listed order id per call."""
PATH_ORDER_ITEMS = "getOrderItems"
"""Orders v0 getOrderItems, one listed order per call (all item pages)."""
ALL_PATHS = (PATH_SEARCH, PATH_GET_ORDER, PATH_ORDER_ITEMS)
"""Every path, in the order a summary lists them."""
ID_PATHS = (PATH_GET_ORDER, PATH_ORDER_ITEMS)
"""The paths that fetch one listed order id per call."""
LISTING_OPERATION = "getOrders"
"""Orders v0 getOrders: lists the window's order ids (100 per call) for the per-id paths."""

_ALIASES = {
    "search": PATH_SEARCH,
    "searchorders": PATH_SEARCH,
    "getorder": PATH_GET_ORDER,
    "get-order": PATH_GET_ORDER,
    "getorderitems": PATH_ORDER_ITEMS,
    "order-items": PATH_ORDER_ITEMS,
    "items": PATH_ORDER_ITEMS,
}


def resolve_paths(spec: str | Iterable[str]) -> tuple[str, ...]:
    """The paths named by ``spec``: ``auto`` (all), or names separated by commas.

    Names are ``searchOrders``, ``getOrder``, ``getOrderItems`` (any case; ``search``,
    ``get-order``, ``order-items`` also work).

    Raises:
        ConfigError: an unknown name, or none at all.

    Added in 0.1.0.
    """
    names = spec.split(",") if isinstance(spec, str) else list(spec)
    cleaned = [n.strip() for n in names if n.strip()]
    if [n.lower() for n in cleaned] in (["auto"], ["all"]):
        return ALL_PATHS
    chosen: set[str] = set()
    for name in cleaned:
        path = _ALIASES.get(name.lower())
        if path is None:
            raise ConfigError(
                f"unknown path {name!r}: use auto or a list of searchOrders, getOrder, "
                "getOrderItems"
            )
        chosen.add(path)
    if not chosen:
        raise ConfigError("no path given: use auto or a list of searchOrders, getOrder, ...")
    return tuple(p for p in ALL_PATHS if p in chosen)


class SearchUnavailableError(Exception):
    """searchOrders answered 403/404 to its first call: Orders 2026-01-01 is not enabled.

    The engine then falls back to its next source (v0). ``__cause__`` is Amazon's answer.

    Added in 0.1.0.
    """


class PathRefused(Exception):
    """An operation answered 403/404 to its first call: the seller's app cannot use it.

    ``__cause__`` is Amazon's answer.
    """


class PathStates:
    """Which paths a seller's syncs use: enabled, refused by Amazon, confirmed by an answer.

    Kept for the life of a :class:`~amzcancel.sync._multipath.MultiPathCoverer`, so a path
    Amazon refused once is not tried again on every window.

    Args:
        paths: the paths the user enabled.
    """

    def __init__(self, paths: Collection[str]) -> None:
        if not paths:
            raise ValueError("at least one path is needed")
        self.enabled = [p for p in ALL_PATHS if p in paths]
        self.disabled: list[str] = []
        self.confirmed: set[str] = set()
        """Operations that answered at least once: a later 403 is an error, not a refusal."""

    def __contains__(self, path: object) -> bool:
        return path in self.enabled

    @property
    def has_id_path(self) -> bool:
        """True while a per-id path is enabled."""
        return any(p in self.enabled for p in ID_PATHS)

    def disable(self, path: str, error: BaseException) -> None:
        """Stop using ``path`` (Amazon refused it)."""
        if path in self.enabled:
            self.enabled.remove(path)
            self.disabled.append(path)
            _log.warning("%s is not available for this seller (%s); not using it", path, error)
