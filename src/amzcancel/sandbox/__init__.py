"""A simulated Amazon marketplace that speaks the real wire formats.

Use it in-process as an httpx transport, as a WSGI app, or on loopback as a real server::

    from amzcancel.sandbox import Marketplace, SANDBOX_LWA_CREDENTIALS

    mp = Marketplace(seed=7, orders=200)
    client = httpx.Client(transport=mp.transport(), base_url="https://sandbox.local")
    with mp.serve(port=0) as base_url:
        ...                       # curl "$base_url/orders/v0/orders?..."
    mp.truth()                    # what really is there: open buyer cancel requests, counts, 429s
    fleet = SellerFleet(50)       # 50 sellers behind one host, each with its own refresh token

It serves SP-API Orders v0 and 2026-01-01, the Feeds API (order acknowledgement feeds), Login
with Amazon and MWS Orders 2013-09-01, with Amazon's rate limits, token expiry, page tokens,
optional faults and, in live mode, orders that keep changing. See docs/sandbox.md.

Added in 0.1.0.
"""

from __future__ import annotations

from amzcancel.sandbox._auth import (
    SANDBOX_LWA_CLIENT_ID,
    SANDBOX_LWA_CLIENT_SECRET,
    SANDBOX_LWA_REFRESH_TOKEN,
    SANDBOX_MWS_ACCESS_KEY,
    SANDBOX_MWS_SECRET_KEY,
    SANDBOX_MWS_SELLER_ID,
)
from amzcancel.sandbox._catalog import BUYER_CANCEL_REASONS, MARKETPLACES
from amzcancel.sandbox._connect import (
    DEMO_OPTIONS,
    SANDBOX_ACCOUNT,
    SANDBOX_ENDPOINT,
    SANDBOX_LWA_CREDENTIALS,
    SANDBOX_LWA_ENDPOINT,
    SANDBOX_MWS_CREDENTIALS,
)
from amzcancel.sandbox._faults import FaultKind
from amzcancel.sandbox._fleet import Overlap, SellerFleet
from amzcancel.sandbox._http import SandboxRequest, SandboxResponse
from amzcancel.sandbox._marketplace import Marketplace
from amzcancel.sandbox._push import PushOptions, SqsPusher
from amzcancel.sandbox._quirks import Quirks
from amzcancel.sandbox._session import MIN_STEP_SECONDS, demo_session, demo_state_path
from amzcancel.sandbox._state import SandboxStateError, SimItem, SimOrder
from amzcancel.sandbox._truth import Truth

__all__ = [
    "BUYER_CANCEL_REASONS",
    "DEMO_OPTIONS",
    "MARKETPLACES",
    "MIN_STEP_SECONDS",
    "SANDBOX_ACCOUNT",
    "SANDBOX_ENDPOINT",
    "SANDBOX_LWA_CLIENT_ID",
    "SANDBOX_LWA_CLIENT_SECRET",
    "SANDBOX_LWA_CREDENTIALS",
    "SANDBOX_LWA_ENDPOINT",
    "SANDBOX_LWA_REFRESH_TOKEN",
    "SANDBOX_MWS_ACCESS_KEY",
    "SANDBOX_MWS_CREDENTIALS",
    "SANDBOX_MWS_SECRET_KEY",
    "SANDBOX_MWS_SELLER_ID",
    "FaultKind",
    "Marketplace",
    "Overlap",
    "PushOptions",
    "Quirks",
    "SandboxRequest",
    "SandboxResponse",
    "SandboxStateError",
    "SellerFleet",
    "SimItem",
    "SimOrder",
    "SqsPusher",
    "Truth",
    "demo_session",
    "demo_state_path",
]
