"""The objects behind the pytest plugin's fixtures (imported only when a fixture is used).

Added in 0.1.0.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

import httpx

from amzcancel.clock import FakeClock
from amzcancel.sandbox import (
    SANDBOX_ENDPOINT,
    SANDBOX_LWA_CREDENTIALS,
    SANDBOX_MWS_CREDENTIALS,
    Marketplace,
)
from amzcancel.sync import Api, OrderSync
from amzcancel.testing import shapes
from amzcancel.testing._clients import (
    REPLAY_ENDPOINT,
    REPLAY_LWA_CREDENTIALS,
    lwa_client_options,
    replay_async_client,
    replay_client,
    replay_mws_client,
    replay_order_sync,
)
from amzcancel.testing._record_sync import RecordResult, record_sync
from amzcancel.testing._recorder import RecordingTransport
from amzcancel.testing._replay import ReplayTransport
from amzcancel.transport import AsyncSpApiClient, MwsClient, SpApiClient

__all__ = ["ReplayKit", "RespxKit", "SandboxKit"]

PathLike = str | os.PathLike[str]

STUB_ACCESS_TOKEN = "Atza|stub-access-token"  # noqa: S105 - a stub, not a credential

T = TypeVar("T")


class _Closing:
    """Keeps what a fixture made so teardown can close it."""

    def __init__(self) -> None:
        self._sync: list[Any] = []
        self._async: list[Any] = []

    def keep_sync(self, thing: T) -> T:
        self._sync.append(thing)
        return thing

    def keep_async(self, thing: T) -> T:
        self._async.append(thing)
        return thing

    def close(self) -> None:
        for thing in reversed(self._sync):
            thing.close()
        if self._async:

            async def close_all() -> None:
                for client in reversed(self._async):
                    await client.aclose()

            asyncio.run(close_all())
        self._sync.clear()
        self._async.clear()


class ReplayKit(_Closing):
    """``amzcancel_replay``: clients answered from recorded fixture files.

    Relative fixture paths are resolved against the directory of the test module.

    Added in 0.1.0.
    """

    def __init__(self, *, base_dir: Path, tmp_path: Path) -> None:
        super().__init__()
        self.base_dir = base_dir
        self.tmp_path = tmp_path
        self.transports: list[ReplayTransport] = []
        self._strict: list[ReplayTransport] = []
        self._stores = 0

    def path(self, fixture: PathLike) -> Path:
        """Where ``fixture`` is: absolute, or relative to the test module's directory."""
        candidate = Path(fixture)
        return candidate if candidate.is_absolute() else self.base_dir / candidate

    def transport(
        self, fixture: PathLike, *, strict: bool = False, **options: Any
    ) -> ReplayTransport:
        """A :class:`ReplayTransport` for ``fixture`` (``strict``: all exchanges must be used)."""
        transport = ReplayTransport(self.path(fixture), **options)
        self.transports.append(transport)
        if strict:
            self._strict.append(transport)
        return transport

    def __call__(
        self,
        fixture: PathLike,
        *,
        strict: bool = False,
        replay: Mapping[str, Any] | None = None,
        **client_options: Any,
    ) -> SpApiClient:
        """A blocking SP-API client answered from ``fixture``.

        Args:
            fixture: the fixture file.
            strict: fail the test at teardown if recorded exchanges were never requested.
            replay: :class:`ReplayTransport` options (``allow_repeats``, ``ignore_times``...).
            **client_options: :class:`SpApiClient` arguments.
        """
        transport = self.transport(fixture, strict=strict, **(replay or {}))
        return self.keep_sync(replay_client(transport, **client_options))

    def async_client(
        self,
        fixture: PathLike,
        *,
        strict: bool = False,
        replay: Mapping[str, Any] | None = None,
        **client_options: Any,
    ) -> AsyncSpApiClient:
        """An async SP-API client answered from ``fixture``."""
        transport = self.transport(fixture, strict=strict, **(replay or {}))
        return self.keep_async(replay_async_client(transport, **client_options))

    def mws_client(
        self,
        fixture: PathLike,
        *,
        strict: bool = False,
        replay: Mapping[str, Any] | None = None,
        **client_options: Any,
    ) -> MwsClient:
        """A blocking MWS client answered from ``fixture``."""
        transport = self.transport(fixture, strict=strict, **(replay or {}))
        return self.keep_sync(replay_mws_client(transport, **client_options))

    def order_sync(
        self,
        fixture: PathLike,
        *,
        store: Any = None,
        api: Api = "auto",
        strict: bool = False,
        replay: Mapping[str, Any] | None = None,
        **sync_options: Any,
    ) -> OrderSync:
        """An :class:`OrderSync` replaying ``fixture``, by default with a store of its own under
        ``tmp_path`` (each call a fresh store: two replays in one test do not share a cursor)."""
        if store is None:
            self._stores += 1
            store = self.tmp_path / f"amzcancel-replay-{self._stores}.db"
        sync = replay_order_sync(
            self.transport(fixture, strict=strict, **(replay or {})),
            store=store,
            api=api,
            **sync_options,
        )
        return self.keep_sync(sync)

    def check_strict(self) -> None:
        """Raise :class:`UnusedExchanges` for a strict replay that left exchanges unused."""
        for transport in self._strict:
            transport.assert_all_used()


class SandboxKit(_Closing):
    """``amzcancel_sandbox``: an in-process marketplace on a fake clock, and clients for it.

    Added in 0.1.0.
    """

    def __init__(
        self,
        *,
        tmp_path: Path,
        base_dir: Path | None = None,
        seed: int = 7,
        orders: int = 20,
        **options: Any,
    ) -> None:
        super().__init__()
        self.tmp_path = tmp_path
        self.base_dir = base_dir
        self.clock: FakeClock = options.pop("clock", None) or FakeClock()
        self.marketplace = Marketplace(seed=seed, orders=orders, clock=self.clock, **options)
        self.endpoint = SANDBOX_ENDPOINT
        self._client: SpApiClient | None = None

    @property
    def client(self) -> SpApiClient:
        """A blocking SP-API client wired to the marketplace (made on first use)."""
        if self._client is None:
            self._client = self.spapi_client()
        return self._client

    def spapi_client(
        self, transport: httpx.BaseTransport | None = None, **options: Any
    ) -> SpApiClient:
        """A new blocking SP-API client (``transport`` wraps the sandbox, e.g. a recorder)."""
        client = SpApiClient(
            **self._spapi_options(options), transport=transport or self.marketplace.transport()
        )
        return self.keep_sync(client)

    def async_client(self, **options: Any) -> AsyncSpApiClient:
        """A new async SP-API client wired to the marketplace."""
        client = AsyncSpApiClient(
            **self._spapi_options(options), transport=self.marketplace.transport()
        )
        return self.keep_async(client)

    def mws_client(self, **options: Any) -> MwsClient:
        """A new blocking MWS client wired to the marketplace."""
        options.setdefault("credentials", SANDBOX_MWS_CREDENTIALS)
        options.setdefault("endpoint", self.endpoint)
        options.setdefault("clock", self.clock)
        return self.keep_sync(MwsClient(transport=self.marketplace.transport(), **options))

    def order_sync(self, *, store: Any = None, api: Api = "auto", **options: Any) -> OrderSync:
        """An :class:`OrderSync` against the marketplace (store under ``tmp_path`` by default)."""
        sync = self.marketplace.order_sync(
            store=store if store is not None else self.tmp_path / "amzcancel-sandbox.db",
            api=api,
            **options,
        )
        return self.keep_sync(sync)

    def record(self, fixture: PathLike, **options: Any) -> SpApiClient:
        """An SP-API client whose traffic with the sandbox is recorded to ``fixture``.

        The file is written when the client is closed (at the latest at teardown).
        """
        recorder = RecordingTransport(
            self._path(fixture), transport=self.marketplace.transport(), clock=self.clock
        )
        return self.spapi_client(transport=recorder, **options)

    def record_sync(self, fixture: PathLike, **options: Any) -> RecordResult:
        """Record one sync run against the marketplace to ``fixture``."""
        options.setdefault("store", self.tmp_path / "amzcancel-record.db")
        return record_sync(self._path(fixture), marketplace=self.marketplace, **options)

    def _path(self, fixture: PathLike) -> Path:
        """Relative paths start at the test module's folder, as for ``amzcancel_replay``."""
        candidate = Path(fixture)
        if candidate.is_absolute() or self.base_dir is None:
            return candidate
        return self.base_dir / candidate

    def _spapi_options(self, options: dict[str, Any]) -> dict[str, Any]:
        options.setdefault("clock", self.clock)
        return lwa_client_options(
            options, credentials=SANDBOX_LWA_CREDENTIALS, endpoint=self.endpoint
        )


class RespxKit(_Closing):
    """``amzcancel_respx``: stub single SP-API calls with model-shaped bodies.

    Stubs answer on :data:`~amzcancel.testing.REPLAY_ENDPOINT`; :meth:`client` is wired to it,
    and the LWA token call is stubbed already. Builders for the bodies are in
    :mod:`amzcancel.testing.shapes` (also reachable as ``amzcancel_respx.shapes``).

    Added in 0.1.0.
    """

    shapes = shapes

    def __init__(self) -> None:
        import respx

        super().__init__()
        self.endpoint = REPLAY_ENDPOINT
        self.clock = FakeClock()
        self.router: Any = respx.mock(assert_all_called=False, assert_all_mocked=True)
        self.token()

    def token(self, access_token: str = STUB_ACCESS_TOKEN, *, expires_in: int = 3600) -> Any:
        """Stub the LWA token endpoint."""
        body = {"access_token": access_token, "token_type": "bearer", "expires_in": expires_in}
        return self._stub("POST", "/auth/o2/token", body)

    def get_orders(
        self,
        orders: Sequence[Mapping[str, Any]],
        *,
        next_token: str | None = None,
        last_updated_before: str | None = None,
        params: Mapping[str, str] | None = None,
    ) -> Any:
        """Stub v0 getOrders (``params``: only when the query contains these)."""
        body = shapes.get_orders_body(
            [dict(o) for o in orders],
            next_token=next_token,
            last_updated_before=last_updated_before,
        )
        return self._stub("GET", "/orders/v0/orders", body, params=params)

    def get_order_items(
        self,
        amazon_order_id: str,
        items: Sequence[Mapping[str, Any]],
        *,
        next_token: str | None = None,
        params: Mapping[str, str] | None = None,
    ) -> Any:
        """Stub v0 getOrderItems for one order."""
        body = shapes.get_order_items_body(
            amazon_order_id, [dict(i) for i in items], next_token=next_token
        )
        path = f"/orders/v0/orders/{amazon_order_id}/orderItems"
        return self._stub("GET", path, body, params=params)

    def search_orders(
        self,
        orders: Sequence[Mapping[str, Any]],
        *,
        next_token: str | None = None,
        last_updated_before: str | None = None,
        params: Mapping[str, str] | None = None,
    ) -> Any:
        """Stub Orders 2026-01-01 searchOrders."""
        body = shapes.search_orders_body(
            [dict(o) for o in orders],
            next_token=next_token,
            last_updated_before=last_updated_before,
        )
        return self._stub("GET", "/orders/2026-01-01/orders", body, params=params)

    def error(
        self,
        method: str,
        path: str,
        status_code: int,
        *,
        code: str = "InvalidInput",
        message: str = "Invalid Input",
        headers: Mapping[str, str] | None = None,
    ) -> Any:
        """Stub an SP-API error answer (``{"errors": [{code, message}]}``)."""
        body = {"errors": [{"code": code, "message": message}]}
        return self._stub(method, path, body, status_code=status_code, headers=headers)

    def client(self, **options: Any) -> SpApiClient:
        """A blocking SP-API client wired to the stubs (fake credentials, fake clock)."""
        return self.keep_sync(SpApiClient(**self._options(options)))

    def async_client(self, **options: Any) -> AsyncSpApiClient:
        """An async SP-API client wired to the stubs."""
        return self.keep_async(AsyncSpApiClient(**self._options(options)))

    def _options(self, options: dict[str, Any]) -> dict[str, Any]:
        options.setdefault("clock", self.clock)
        return lwa_client_options(
            options, credentials=REPLAY_LWA_CREDENTIALS, endpoint=self.endpoint
        )

    def _stub(
        self,
        method: str,
        path: str,
        body: Any,
        *,
        status_code: int = 200,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Any:
        lookups: dict[str, Any] = {}
        if params:
            lookups["params__contains"] = dict(params)
        route = self.router.route(method=method, url=self.endpoint + path, **lookups)
        route.mock(return_value=httpx.Response(status_code, json=body, headers=dict(headers or {})))
        return route
