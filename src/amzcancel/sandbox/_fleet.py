"""Many simulated sellers behind one host: one LWA, one SP-API, each seller on its own.

Each seller is a :class:`Marketplace` of its own (its orders from its own seed, its own rate
budgets, its own refresh token). LWA maps a refresh token to its seller and remembers which
seller each access token it issued belongs to; every SP-API call is then routed by its
``x-amz-access-token``, as Amazon meters and serves by seller and application.

The fleet also watches what workers must never do: two clients calling for one seller at
the same moment. Every call is counted in flight under its access token while the seller
answers it; a call that starts while a call of another access token is in flight for the
same seller is recorded as an :class:`Overlap`.

Added in 0.2.0.
"""

from __future__ import annotations

import hashlib
import json
import random
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx

from amzcancel.clock import Clock, SystemClock
from amzcancel.errors import ConfigError
from amzcancel.sandbox._adapters import make_transport, serve
from amzcancel.sandbox._auth import SANDBOX_LWA_CLIENT_ID, SANDBOX_LWA_CLIENT_SECRET
from amzcancel.sandbox._http import SandboxRequest, SandboxResponse, json_response, spapi_error
from amzcancel.sandbox._marketplace import Marketplace
from amzcancel.sandbox._truth import Truth

__all__ = ["Overlap", "SellerFleet"]

_DENIED = "Access to requested resource is denied."
MAX_SELLERS = 10_000
"""The most sellers one fleet serves."""


@dataclass(frozen=True)
class Overlap:
    """Two clients called for one seller at the same moment.

    Attributes:
        seller: the seller.
        operation_path: the path of the call that started second.
        tokens: how many other access tokens had a call in flight then.

    Added in 0.2.0.
    """

    seller: str
    operation_path: str
    tokens: int


class SellerFleet:
    """``sellers`` simulated sellers served from one host.

    Args:
        sellers: how many (1 to 10,000).
        seed: seller ``i`` uses ``seed + i`` for its orders, page tokens and faults.
        orders: orders each seller starts with.
        clock: one clock for every seller (default the real one).
        days: how far back the initial orders were placed (inside a first sync's 7 days).
        **options: further :class:`Marketplace` arguments for every seller (``speed``,
            ``faults``, ``live``, ``quirks``...).

    Added in 0.2.0.
    """

    def __init__(
        self,
        sellers: int,
        *,
        seed: int = 7,
        orders: int = 200,
        clock: Clock | None = None,
        days: float = 6.0,
        **options: Any,
    ) -> None:
        if isinstance(sellers, bool) or not isinstance(sellers, int):
            raise ConfigError(f"sellers must be a whole number, got {sellers!r}")
        if not 1 <= sellers <= MAX_SELLERS:
            raise ConfigError(f"sellers must be within 1..{MAX_SELLERS}, got {sellers}")
        self.clock: Clock = clock or SystemClock()
        width = max(3, len(str(sellers - 1)))
        rng = random.Random(f"fleet:{seed}")
        self._tokens: dict[str, str] = {}
        self._markets: dict[str, Marketplace] = {}
        for index in range(sellers):
            name = f"seller-{index:0{width}d}"
            token = f"Atzr|sandbox-{name}-{rng.getrandbits(64):016x}"
            self._tokens[name] = token
            self._markets[name] = Marketplace(
                seed=seed + index,
                orders=orders,
                clock=self.clock,
                days=days,
                lwa_refresh_token=token,
                **options,
            )
        self._by_refresh = {token: name for name, token in self._tokens.items()}
        self._by_access: dict[str, str] = {}
        self._lock = threading.Lock()
        self._in_flight: dict[str, Counter[str]] = {name: Counter() for name in self._markets}
        self._used: dict[str, set[str]] = {name: set() for name in self._markets}
        self._overlaps: list[Overlap] = []
        self._requests = 0

    # --- who is who ------------------------------------------------------------------------

    @property
    def sellers(self) -> list[str]:
        """The sellers' names (also their account names in :meth:`accounts_file`)."""
        return list(self._markets)

    def marketplace(self, seller: str) -> Marketplace:
        """One seller's marketplace (change its orders through it; ``KeyError`` if unknown)."""
        return self._markets[seller]

    def refresh_token(self, seller: str) -> str:
        """The seller's refresh token (fake: it opens nothing but this fleet)."""
        return self._tokens[seller]

    @staticmethod
    def token_variable(seller: str) -> str:
        """The environment variable :meth:`accounts_file` names for the seller's token."""
        return "SANDBOX_" + seller.upper().replace("-", "_") + "_REFRESH_TOKEN"

    def environment(self) -> dict[str, str]:
        """``LWA_APP_ID``, ``LWA_CLIENT_SECRET`` and every seller's token variable."""
        env = {"LWA_APP_ID": SANDBOX_LWA_CLIENT_ID, "LWA_CLIENT_SECRET": SANDBOX_LWA_CLIENT_SECRET}
        env.update({self.token_variable(name): token for name, token in self._tokens.items()})
        return env

    def accounts_file(
        self, base_url: str, *, interval: str = "5m", api: str = "auto", marketplace: str = ""
    ) -> str:
        """An accounts file (TOML) with one ``[[accounts]]`` table per seller at ``base_url``."""
        marketplaces = marketplace or "ATVPDKIKX0DER"
        tables = []
        for name in self._markets:
            tables.append(
                "[[accounts]]\n"
                f'name = "{name}"\n'
                f'api = "{api}"\n'
                f'marketplaces = ["{marketplaces}"]\n'
                f'refresh_token_env = "{self.token_variable(name)}"\n'
                f'interval = "{interval}"\n'
                f'endpoint = "{base_url}"\n'
                f'lwa_endpoint = "{base_url}/auth/o2/token"\n'
            )
        return "\n".join(tables)

    # --- serving ---------------------------------------------------------------------------

    def handle(self, request: SandboxRequest) -> SandboxResponse:
        """Answer one request: LWA by refresh token, SP-API by access token."""
        with self._lock:
            self._requests += 1
        path = request.path.rstrip("/")
        if path == "/auth/o2/token":
            return self._token(request)
        if path == "/_sandbox/truth" and request.method == "GET":
            return self._truth_route(request)
        if path == "/_sandbox/fleet" and request.method == "GET":
            return json_response(200, self.report())
        token = request.headers.get("x-amz-access-token", "")
        with self._lock:
            seller = self._by_access.get(token)
            if seller is not None:
                self._enter(seller, token, path)
        if seller is None:
            return spapi_error(403, "Unauthorized", _DENIED)
        try:
            return self._markets[seller].handle(request)
        finally:
            with self._lock:
                self._in_flight[seller][token] -= 1

    def _enter(self, seller: str, token: str, path: str) -> None:
        flying = self._in_flight[seller]
        others = sum(1 for other, count in flying.items() if count > 0 and other != token)
        if others:
            self._overlaps.append(Overlap(seller, path, others))
        flying[token] += 1
        self._used[seller].add(_digest(token))

    def _token(self, request: SandboxRequest) -> SandboxResponse:
        form = dict(request.form())
        seller = self._by_refresh.get(form.get("refresh_token", ""))
        if seller is None:
            return json_response(
                400,
                {
                    "error": "invalid_grant",
                    "error_description": "The request has an invalid grant parameter : "
                    "refresh_token",
                },
                [("Cache-Control", "no-store")],
            )
        answer = self._markets[seller].handle(request)
        if answer.status == 200:
            access = json.loads(answer.body).get("access_token")
            if isinstance(access, str):
                with self._lock:
                    self._by_access[access] = seller
        return answer

    def _truth_route(self, request: SandboxRequest) -> SandboxResponse:
        seller = dict(request.query).get("seller", "")
        if seller not in self._markets:
            return spapi_error(
                404, "NotFound", f"no seller {seller!r}: ask /_sandbox/truth?seller=NAME"
            )
        return json_response(200, self.truth(seller).to_json())

    def transport(self) -> httpx.MockTransport:
        """An ``httpx.MockTransport`` serving the fleet in-process."""
        return make_transport(self)

    @contextmanager
    def serve(self, port: int = 0, host: str = "127.0.0.1") -> Iterator[str]:
        """Serve on ``host:port`` in a background thread; yields the base URL."""
        with serve(self, host=host, port=port) as base_url:
            yield base_url

    # --- ground truth ----------------------------------------------------------------------

    def truth(self, seller: str) -> Truth:
        """What one seller's marketplace really holds now."""
        return self._markets[seller].truth()

    @property
    def overlaps(self) -> list[Overlap]:
        """Every moment two clients called for one seller (empty when workers behaved)."""
        with self._lock:
            return list(self._overlaps)

    def access_tokens_used(self, seller: str) -> int:
        """How many different access tokens called for the seller (one per client)."""
        with self._lock:
            return len(self._used[seller])

    @property
    def requests_served(self) -> int:
        """Every request the fleet received (LWA and its own paths included)."""
        with self._lock:
            return self._requests

    def report(self) -> dict[str, Any]:
        """Sellers, requests, 429s, overlaps and tokens in use (``GET /_sandbox/fleet``)."""
        by_operation: Counter[str] = Counter()
        throttled = 0
        for market in self._markets.values():
            truth = market.truth()
            by_operation.update(truth.requests_by_operation)
            throttled += truth.throttled
        with self._lock:
            return {
                "requests_by_operation": dict(sorted(by_operation.items())),
                "throttled": throttled,
                "sellers": len(self._markets),
                "requests": self._requests,
                "overlaps": [
                    {"seller": o.seller, "path": o.operation_path, "tokens": o.tokens}
                    for o in self._overlaps
                ],
                "access_tokens": {name: len(used) for name, used in self._used.items()},
            }

    def __repr__(self) -> str:
        return f"SellerFleet(sellers={len(self._markets)})"


def _digest(token: str) -> str:
    # Kept to tell clients apart, without holding every token issued.
    return hashlib.blake2b(token.encode(), digest_size=8).hexdigest()
