"""Wiring the core's clients and :class:`~amzcancel.sync.OrderSync` to a simulated marketplace.

The core never knows the sandbox exists: it takes an endpoint, credentials, an httpx transport
and a clock like for Amazon. This module hands it the sandbox's: its in-process transport, its
clock and the fixed fake credentials it accepts.

Added in 0.2.0 (before, ``OrderSync.sandbox`` did this from inside the core).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, Protocol

import httpx

from amzcancel.clock import Clock, FakeClock
from amzcancel.sandbox._auth import (
    SANDBOX_LWA_CLIENT_ID,
    SANDBOX_LWA_CLIENT_SECRET,
    SANDBOX_LWA_REFRESH_TOKEN,
    SANDBOX_MWS_ACCESS_KEY,
    SANDBOX_MWS_SECRET_KEY,
    SANDBOX_MWS_SELLER_ID,
)
from amzcancel.sync import Api, OrderSync, Store
from amzcancel.transport import (
    AsyncSpApiClient,
    LwaCredentials,
    MwsClient,
    MwsCredentials,
    SpApiClient,
)

__all__ = [
    "DEMO_OPTIONS",
    "SANDBOX_ACCOUNT",
    "SANDBOX_ENDPOINT",
    "SANDBOX_LWA_CREDENTIALS",
    "SANDBOX_LWA_ENDPOINT",
    "SANDBOX_MWS_CREDENTIALS",
    "async_sp_api_client",
    "demo_clock",
    "mws_client",
    "order_sync",
    "sp_api_client",
]

SANDBOX_LWA_CREDENTIALS = LwaCredentials(
    SANDBOX_LWA_CLIENT_ID, SANDBOX_LWA_CLIENT_SECRET, SANDBOX_LWA_REFRESH_TOKEN
)
"""LWA credentials the sandbox accepts (fixed, fake, documented)."""

SANDBOX_MWS_CREDENTIALS = MwsCredentials(
    SANDBOX_MWS_ACCESS_KEY, SANDBOX_MWS_SECRET_KEY, SANDBOX_MWS_SELLER_ID
)
"""MWS keys the sandbox accepts (fixed, fake, documented)."""

SANDBOX_ENDPOINT = "https://sandbox.amzcancel.invalid"
"""The base URL in-process sandbox clients are given; the in-process transport answers any host
(``.invalid`` can never resolve, so a client wired wrongly fails instead of reaching a network)."""

SANDBOX_LWA_ENDPOINT = SANDBOX_ENDPOINT + "/auth/o2/token"
"""The LWA token URL of in-process sandbox clients."""

SANDBOX_ACCOUNT = "sandbox"
"""The account name sandbox syncs store their rows under (never mixed with a real seller's)."""

DEMO_OPTIONS: dict[str, Any] = {"seed": 7, "orders": 300, "speed": 2000.0, "days": 6.0}
"""The demo marketplace: fixed seed, a few hundred orders, fast enough to finish in seconds."""


def demo_clock() -> FakeClock:
    """A simulated clock starting at today's midnight UTC.

    The demo marketplace is generated relative to its clock's start; starting every run of a
    day at the same instant makes it the same marketplace each time, so a second
    ``amzcancel sync --sandbox`` finds nothing new, as a second sync against Amazon would. On
    simulated time rate-limit waits pass at once, while client and marketplace still agree on
    every bucket.
    """
    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return FakeClock(today)


class _Served(Protocol):
    """What wiring needs of a marketplace."""

    @property
    def clock(self) -> Clock: ...

    def transport(self) -> httpx.MockTransport: ...


def order_sync(
    marketplace: _Served,
    *,
    store: Store | str | os.PathLike[str],
    api: Api,
    marketplaces: Sequence[str] | str | None,
    options: dict[str, Any],
) -> OrderSync:
    """An :class:`OrderSync` that talks to ``marketplace`` in-process, on its clock."""
    options.setdefault("account", SANDBOX_ACCOUNT)
    if marketplaces is not None:
        options["marketplaces"] = [marketplaces] if isinstance(marketplaces, str) else marketplaces
    return OrderSync(
        store=store,
        credentials=SANDBOX_MWS_CREDENTIALS if api == "mws" else SANDBOX_LWA_CREDENTIALS,
        api=api,
        clock=marketplace.clock,
        transport=marketplace.transport(),
        endpoint=SANDBOX_ENDPOINT,
        lwa_endpoint=SANDBOX_LWA_ENDPOINT,
        **options,
    )


def sp_api_client(marketplace: _Served, **options: Any) -> SpApiClient:
    """A blocking SP-API client that talks to ``marketplace`` in-process."""
    return SpApiClient(
        credentials=SANDBOX_LWA_CREDENTIALS,
        endpoint=SANDBOX_ENDPOINT,
        lwa_endpoint=SANDBOX_LWA_ENDPOINT,
        transport=marketplace.transport(),
        clock=marketplace.clock,
        **options,
    )


def async_sp_api_client(marketplace: _Served, **options: Any) -> AsyncSpApiClient:
    """An async SP-API client that talks to ``marketplace`` in-process."""
    return AsyncSpApiClient(
        credentials=SANDBOX_LWA_CREDENTIALS,
        endpoint=SANDBOX_ENDPOINT,
        lwa_endpoint=SANDBOX_LWA_ENDPOINT,
        transport=marketplace.transport(),
        clock=marketplace.clock,
        **options,
    )


def mws_client(marketplace: _Served, **options: Any) -> MwsClient:
    """A blocking MWS client that talks to ``marketplace`` in-process."""
    return MwsClient(
        credentials=SANDBOX_MWS_CREDENTIALS,
        endpoint=SANDBOX_ENDPOINT,
        transport=marketplace.transport(),
        clock=marketplace.clock,
        **options,
    )
