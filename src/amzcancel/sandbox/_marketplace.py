"""The simulated marketplace: state, scenario, routing and the rules every request meets.

Added in 0.1.0.
"""

from __future__ import annotations

import logging
import os
import random
import threading
import uuid
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import httpx

from amzcancel.clock import Clock, FakeClock, SystemClock
from amzcancel.errors import ConfigError
from amzcancel.sandbox._adapters import WsgiApp, make_transport, serve
from amzcancel.sandbox._auth import (
    SANDBOX_LWA_CLIENT_ID,
    SANDBOX_LWA_CLIENT_SECRET,
    SANDBOX_LWA_REFRESH_TOKEN,
    SANDBOX_MWS_ACCESS_KEY,
    SANDBOX_MWS_SECRET_KEY,
    SANDBOX_MWS_SELLER_ID,
    LwaTokens,
    SandboxLwaCredentials,
)
from amzcancel.sandbox._catalog import MARKETPLACES, make_catalog
from amzcancel.sandbox._changes import ChangeLog, ExplicitChanges, feed_change
from amzcancel.sandbox._connect import (
    DEMO_OPTIONS,
    async_sp_api_client,
    demo_clock,
    mws_client,
    order_sync,
    sp_api_client,
)
from amzcancel.sandbox._core import MarketState, Route
from amzcancel.sandbox._faults import FaultKind, Faults
from amzcancel.sandbox._feeds import FeedsApi
from amzcancel.sandbox._http import (
    DroppedConnection,
    SandboxRequest,
    SandboxResponse,
    json_response,
    spapi_error,
)
from amzcancel.sandbox._limits import RateLimits
from amzcancel.sandbox._mws import MwsOrders
from amzcancel.sandbox._notifications import OrderChangeFeed
from amzcancel.sandbox._notifications_api import GRANTLESS, NotificationsApi
from amzcancel.sandbox._pages import PageTokens
from amzcancel.sandbox._push import PushOptions, SqsPusher
from amzcancel.sandbox._quirks import FUTURE_DAYS, Quirks
from amzcancel.sandbox._scenario import LiveScenario, OrderFactory, generate_orders
from amzcancel.sandbox._spapi_2026 import Orders2026Api
from amzcancel.sandbox._spapi_v0 import OrdersV0Api
from amzcancel.sandbox._state import SimOrder
from amzcancel.sandbox._truth import Truth
from amzcancel.sync import Api, OrderSync, Store
from amzcancel.transport import AsyncSpApiClient, MwsClient, SpApiClient

__all__ = ["Marketplace"]

logger = logging.getLogger("amzcancel.sandbox")

_QUOTA = "You exceeded your quota for the requested resource."


class Marketplace(ExplicitChanges):
    """A simulated Amazon marketplace that speaks the real wire formats.

    One object serves SP-API Orders v0 and 2026-01-01, the Feeds API (order acknowledgement),
    LWA and MWS Orders, in-process (:meth:`transport`), as a WSGI app (:attr:`wsgi_app`) or on
    loopback (:meth:`serve`); :meth:`truth` tells what it really holds.

    Args:
        seed: makes orders, live changes, page tokens and faults reproducible.
        orders: how many orders the scenario starts with.
        speed: multiplies every rate limit (bursts unchanged) and the pace of live changes.
        faults: probability of a fault per Amazon-shaped request (0 for none).
        clock: the marketplace's clock; :class:`~amzcancel.clock.SystemClock` by default.
        live: keep changing orders as the clock advances (new orders, buyer requests, shipments,
            cancellations).
        marketplace_ids: the seller's marketplaces; orders are spread over them.
        days: how far back the initial orders were placed.
        rate_limits: False switches throttling off (fast unit tests).
        token_ttl_seconds: lifetime of an LWA access token.
        next_token_ttl_seconds: lifetime of a v0/MWS NextToken (Amazon documents none; 2026
            paginationTokens always live 24 hours).
        items_page_size: order items per getOrderItems/ListOrderItems page.
        feed_processing_seconds: clock time from createFeed to DONE.
        slow_seconds: the delay of a "slow answer" fault.
        live_interval_seconds: mean time between live changes at speed 1.
        quirks: what the APIs bend on purpose (index lag, repeated page tokens, duplicated,
            future-dated or unreadable orders, slow-drip answers): :class:`Quirks`.
        lwa_refresh_token: the one refresh token LWA accepts (a :class:`SellerFleet` gives each
            seller its own). Added in 0.2.0.
        push: deliver ORDER_CHANGE notifications to a local SQS queue (:class:`PushOptions`;
            added in 0.2.0). :meth:`push_due` sends what is due; a served sandbox's command
            runs it in a thread. Notifications pushed are no longer returned by
            :meth:`notifications`.

    Added in 0.1.0.
    """

    def __init__(
        self,
        *,
        seed: int = 0,
        orders: int = 200,
        speed: float = 1.0,
        faults: float = 0.0,
        clock: Clock | None = None,
        live: bool = False,
        marketplace_ids: tuple[str, ...] = ("ATVPDKIKX0DER",),
        days: float = 7.0,
        rate_limits: bool = True,
        token_ttl_seconds: float = 3600.0,
        next_token_ttl_seconds: float = 900.0,
        items_page_size: int = 10,
        feed_processing_seconds: float = 60.0,
        slow_seconds: float = 1.0,
        live_interval_seconds: float = 30.0,
        quirks: Quirks | None = None,
        lwa_refresh_token: str = SANDBOX_LWA_REFRESH_TOKEN,
        push: PushOptions | None = None,
    ) -> None:
        if speed <= 0:
            raise ConfigError(f"speed must be positive, got {speed}")
        if orders < 0:
            raise ConfigError(f"orders must not be negative, got {orders}")
        if not 0.0 <= faults <= 1.0:
            raise ConfigError(f"faults must be a probability within 0..1, got {faults}")
        unknown = [m for m in marketplace_ids if m not in MARKETPLACES]
        if unknown or not marketplace_ids:
            raise ConfigError(f"unknown marketplace ids: {', '.join(unknown) or '(none)'}")
        self.seed = seed
        self.speed = speed
        self.clock: Clock = clock or SystemClock()
        rng = random.Random(f"scenario:{seed}")
        factory = OrderFactory(rng, make_catalog(rng), tuple(marketplace_ids))
        start = self.clock.now()
        initial = generate_orders(factory, rng, count=orders, now=start, days=days)
        self.quirks = quirks or Quirks()
        _bend(initial, self.quirks, seed)
        # Changes from here on are news: they become ORDER_CHANGE notifications.
        self._order_changes = OrderChangeFeed(seed=seed, seller_id=SANDBOX_MWS_SELLER_ID)
        factory.listener = self._order_changes
        for order in initial:
            order.listener = self._order_changes
        self._state = MarketState(
            self.clock,
            initial,
            marketplace_ids=tuple(marketplace_ids),
            tokens=PageTokens(seed),
            next_token_ttl_seconds=next_token_ttl_seconds,
            items_page_size=items_page_size,
            quirks=self.quirks,
            seed=seed,
        )
        self._live = (
            LiveScenario(
                random.Random(f"live:{seed}"),
                factory,
                self._state.orders,
                start=start,
                speed=speed,
                mean_interval_seconds=live_interval_seconds,
            )
            if live
            else None
        )
        self._limits = RateLimits(self.clock, speed=speed, enabled=rate_limits)
        self._faults = Faults(faults, seed=seed, slow_seconds=slow_seconds)
        self._lwa = LwaTokens(
            self.clock,
            ttl_seconds=token_ttl_seconds,
            credentials=SandboxLwaCredentials(
                SANDBOX_LWA_CLIENT_ID, SANDBOX_LWA_CLIENT_SECRET, lwa_refresh_token
            ),
        )
        self._v0 = OrdersV0Api(self._state, self._limits)
        self._v2026 = Orders2026Api(self._state, self._limits)
        self._feeds = FeedsApi(
            self._state, self._limits, processing_seconds=feed_processing_seconds
        )
        # Everything done to the marketplace from outside, for a saved demo to replay.
        self._changes = ChangeLog()
        self._feeds.on_created = lambda created: self._changes.record_change(
            feed_change(created, self.clock.monotonic())
        )
        self._mws = MwsOrders(
            self._state,
            access_key=SANDBOX_MWS_ACCESS_KEY,
            secret_key=SANDBOX_MWS_SECRET_KEY,
            seller_id=SANDBOX_MWS_SELLER_ID,
        )
        self._notifications_api = NotificationsApi(seed=seed)
        self._push = None if push is None else SqsPusher(push, clock=self.clock, seed=seed)
        self._counts: Counter[str] = Counter()
        self._throttled: Counter[str] = Counter()
        self._requests = 0
        self._ids = random.Random(f"request-ids:{seed}")
        self._count_lock = threading.Lock()

    @classmethod
    def demo(
        cls, *, marketplace_ids: Sequence[str] | str = ("ATVPDKIKX0DER",), **options: Any
    ) -> Marketplace:
        """The demo marketplace ``amzcancel sync --sandbox`` syncs.

        A fixed seed, a few hundred orders and a high speed factor (:data:`DEMO_OPTIONS`), on a
        :class:`~amzcancel.clock.FakeClock` that starts at today's midnight UTC, so every demo
        of a day is the same marketplace.

        Args:
            marketplace_ids: where its orders are placed (one id or several).
            **options: further :class:`Marketplace` arguments, overriding the demo's.

        Added in 0.2.0.
        """
        ids = (marketplace_ids,) if isinstance(marketplace_ids, str) else tuple(marketplace_ids)
        merged = {**DEMO_OPTIONS, "clock": demo_clock(), **options}
        return cls(marketplace_ids=ids, **merged)

    @property
    def marketplace_ids(self) -> tuple[str, ...]:
        """The seller's marketplaces this marketplace places orders in.

        Added in 0.2.0.
        """
        return self._state.marketplace_ids

    # --- the core's clients, wired to this marketplace --------------------------------------

    def order_sync(
        self,
        *,
        store: Store | str | os.PathLike[str] = "amzcancel.db",
        api: Api = "auto",
        marketplaces: Sequence[str] | str | None = None,
        **options: Any,
    ) -> OrderSync:
        """An :class:`~amzcancel.sync.OrderSync` that syncs this marketplace, on its clock.

        The sandbox's fake credentials are used (MWS keys for ``api="mws"``), rows are stored
        under the account ``sandbox`` unless ``account=`` says otherwise, and ``marketplaces``
        defaults to this marketplace's own.

        Args:
            store: a :class:`~amzcancel.sync.Store` or a SQLite path.
            api: as for :class:`~amzcancel.sync.OrderSync`.
            marketplaces: the marketplaces to sync (default: all of this marketplace's).
            **options: further :class:`~amzcancel.sync.OrderSync` arguments.

        Added in 0.2.0 (replaces ``OrderSync.sandbox``).
        """
        if marketplaces is None:
            marketplaces = list(self._state.marketplace_ids)
        return order_sync(
            self, store=store, api=api, marketplaces=marketplaces, options=dict(options)
        )

    def client(self, **options: Any) -> SpApiClient:
        """A blocking :class:`~amzcancel.transport.SpApiClient` talking to this marketplace.

        Added in 0.2.0.
        """
        return sp_api_client(self, **options)

    def async_client(self, **options: Any) -> AsyncSpApiClient:
        """An :class:`~amzcancel.transport.AsyncSpApiClient` talking to this marketplace.

        Added in 0.2.0.
        """
        return async_sp_api_client(self, **options)

    def mws_client(self, **options: Any) -> MwsClient:
        """A blocking :class:`~amzcancel.transport.MwsClient` talking to this marketplace.

        Added in 0.2.0.
        """
        return mws_client(self, **options)

    # --- the HTTP core ---------------------------------------------------------------------

    def handle(self, request: SandboxRequest) -> SandboxResponse:
        """Answer one request (the core both adapters call).

        Raises:
            DroppedConnection: when a fault says to close the connection unanswered.
        """
        with self._count_lock:
            self._requests += 1
            request_id = str(uuid.UUID(int=self._ids.getrandbits(128), version=4))
        route = self._route(request)
        if route is None:
            return spapi_error(
                404,
                "NotFound",
                "The requested resource was not found.",
                headers=[("x-amzn-RequestId", request_id)],
            )
        if route.api in ("spapi", "mws", GRANTLESS):
            with self._count_lock:
                self._counts[route.operation] += 1
            fault = self._faults.draw()
            if fault is not None:
                logger.debug("fault %s on %s", fault.kind.value, route.operation)
                if fault.kind is FaultKind.DROP:
                    raise DroppedConnection(route.operation)
                if fault.kind is FaultKind.SLOW:
                    # Sleep outside the state lock: other clients keep being served meanwhile.
                    self.clock.sleep(self._faults.slow_seconds)
                else:
                    return fault.response(request_id, mws=route.api == "mws")
        with self._state.lock:
            self._catch_up()
            try:
                answer = self._answer(route, request, request_id)
            except Exception:
                # A sandbox bug must look like an Amazon 500 to the client, not kill the server.
                logger.exception("sandbox failed on %s %s", request.method, request.path)
                return spapi_error(
                    500,
                    "InternalFailure",
                    "We encountered an internal error. Please try again.",
                    headers=[("x-amzn-RequestId", request_id)],
                )
        if route.api in ("spapi", "mws") and self._state.chance(self.quirks.drip_share):
            answer.drip_seconds = self.quirks.drip_seconds  # the served sandbox trickles it
        return answer

    def _route(self, request: SandboxRequest) -> Route | None:
        if request.path.rstrip("/") == "/auth/o2/token":
            return Route("lwaToken", None, "lwa", lambda req, _rid: self._lwa.handle(req))
        if request.path.rstrip("/") == "/_sandbox/truth" and request.method == "GET":
            return Route("truth", None, "sandbox", self._truth_route)
        for api in (self._v0, self._v2026, self._feeds, self._notifications_api, self._mws):
            route = api.route(request)
            if route is not None:
                return route
        return None

    def _answer(self, route: Route, request: SandboxRequest, request_id: str) -> SandboxResponse:
        if route.api in ("spapi", GRANTLESS):
            scope = NotificationsApi.scope if route.api == GRANTLESS else None
            denied = self._lwa.check(request, request_id, scope=scope)
            if denied is not None:
                return denied
        elif route.api == "mws":
            refused = self._mws.verify(request, request_id)
            if refused is not None:
                return refused
        if route.bucket is not None and not self._limits.try_take(route.bucket):
            with self._count_lock:
                self._throttled[route.operation] += 1
            logger.debug("throttled %s", route.operation)
            if route.api == "mws":
                return self._mws.error(503, "RequestThrottled", "Request is throttled", request_id)
            return spapi_error(
                429, "QuotaExceeded", _QUOTA, headers=[("x-amzn-RequestId", request_id)]
            )
        return route.handler(request, request_id)

    def _truth_route(self, _request: SandboxRequest, _request_id: str) -> SandboxResponse:
        return json_response(200, self.truth().to_json())

    def _catch_up(self) -> None:
        now = self.clock.now()
        if self._live is not None:
            self._live.advance_to(now)
        self._feeds.process_due(now)
        if self._push is not None:
            kinds = self._notifications_api.order_change_types()
            self._push.offer(self._order_changes.drain_timed(), kinds=kinds)

    # --- adapters --------------------------------------------------------------------------

    def transport(self) -> httpx.MockTransport:
        """An ``httpx.MockTransport`` serving this marketplace, for sync and async clients.

        Added in 0.1.0.
        """
        return make_transport(self)

    @property
    def wsgi_app(self) -> WsgiApp:
        """This marketplace as a WSGI application.

        Added in 0.1.0.
        """
        return WsgiApp(self)

    @contextmanager
    def serve(self, port: int = 0, host: str = "127.0.0.1") -> Iterator[str]:
        """Serve on ``host:port`` (0 picks a free port) in a background thread; yields the URL.

        Added in 0.1.0.
        """
        with serve(self, host=host, port=port) as base_url:
            yield base_url

    # --- ground truth and explicit changes -------------------------------------------------

    @property
    def requests_served(self) -> int:
        """Amazon-shaped requests answered so far: :attr:`Truth.requests` without the snapshot.

        Cheap enough to poll while a client syncs (``truth()`` copies every order).

        Added in 0.1.0.
        """
        with self._count_lock:
            return self._requests

    def truth(self) -> Truth:
        """What the marketplace really holds now (live changes due so far applied first).

        Added in 0.1.0.
        """
        with self._state.lock:
            self._catch_up()
            orders = sorted(self._state.orders.values(), key=lambda o: o.amazon_order_id)
            requests = {
                (o.amazon_order_id, item_id): reason
                for o in orders
                for item_id, reason in o.open_requests().items()
            }
            domain = [o.to_domain() for o in orders]
            cancellations = dict(self._feeds.cancellations)
        with self._count_lock:
            return Truth(
                buyer_cancel_requests=requests,
                orders=domain,
                requests_by_operation=dict(self._counts),
                throttled=sum(self._throttled.values()),
                throttled_by_operation=dict(self._throttled),
                requests=self._requests,
                faults=dict(self._faults.injected),
                seller_cancellations=cancellations,
                tokens_issued=self._lwa.issued,
            )

    def advance(self, seconds: float | timedelta) -> None:
        """Move a :class:`~amzcancel.clock.FakeClock` forward and apply what became due.

        Args:
            seconds: how far, in seconds or as a timedelta.

        Added in 0.1.0.
        """
        if not isinstance(self.clock, FakeClock):
            raise ConfigError("advance() needs the marketplace to run on a FakeClock")
        self.clock.advance(seconds)
        with self._state.lock:
            self._catch_up()

    def notifications(self) -> list[dict[str, Any]]:
        """ORDER_CHANGE notifications of the changes since the last call, oldest first.

        Each is a dict in the shape of Amazon's ``OrderChangeNotification.json``, as received
        from an SQS queue: buyer requests (``BuyerRequestedChange``) and status changes
        (``OrderStatusChange``) from live mode, feeds and the explicit methods.

        Added in 0.1.0.
        """
        with self._state.lock:
            self._catch_up()
            return self._order_changes.drain()

    @property
    def pusher(self) -> SqsPusher | None:
        """The push delivery of this marketplace, when it was made with ``push=``.

        Added in 0.2.0.
        """
        return self._push

    def push_due(self) -> int:
        """Apply the changes due by now and send the notifications whose delivery is due.

        Returns:
            How many messages were sent (0 without ``push=``).

        Raises:
            QueueError: the local queue refused a message or could not be reached.

        Added in 0.2.0.
        """
        if self._push is None:
            return 0
        with self._state.lock:
            self._catch_up()
        return self._push.pump()

    def catch_up(self) -> None:
        """Apply every change due by now (live changes, feeds, notifications to push).

        Added in 0.2.0.
        """
        with self._state.lock:
            self._catch_up()

    def orders(self) -> list[SimOrder]:
        """The simulation's own order objects (read them; change them through the methods).

        Added in 0.1.0.
        """
        with self._state.lock:
            return list(self._state.orders.values())

    def __repr__(self) -> str:
        return (
            f"Marketplace(seed={self.seed}, orders={len(self._state.orders)}, "
            f"speed={self.speed}, faults={self._faults.probability}, live={self._live is not None})"
        )


def _bend(orders: list[SimOrder], quirks: Quirks, seed: int) -> None:
    """Future-date and garble the shares of the initial orders the quirks ask for.

    A generator of its own keeps the scenario (orders, live changes) the same for a seed
    whatever the quirks.
    """
    if not (quirks.future_dated_share or quirks.malformed_share):
        return
    rng = random.Random(f"bend:{seed}")
    for order in orders:
        if rng.random() < quirks.future_dated_share:
            order.shown_update_date = order.last_update_date + timedelta(days=FUTURE_DAYS)
        if order.items and rng.random() < quirks.malformed_share:
            order.garbled = True
