"""What every client shares: options checked and kept, views, the engine core, closing.

:class:`BaseClient` takes a client's keyword arguments (its API's TypedDict, which extends
:class:`~amzcancel.transport._settings.ClientOptions`), refuses unknown ones, and resolves the
shared ones into :class:`~amzcancel.transport._settings.ClientSettings`. :class:`SyncClient` and
:class:`AsyncClient` add what differs only in I/O (``call``, ``with_options``, closing and the
context manager).

Added in 0.1.0 (as ``_client_base.py``; renamed, and the options typed once, in 0.2.0).
"""

from __future__ import annotations

import functools
import ssl
from collections.abc import Mapping
from types import TracebackType
from typing import Any, ClassVar, Self, TypeVar

import httpx

from amzcancel.clock import Clock
from amzcancel.errors import ConfigError
from amzcancel.transport._auth import LwaAuth
from amzcancel.transport._calls import ApiCall
from amzcancel.transport._deadline import bind_deadlines
from amzcancel.transport._ratelimit import RateLimiter
from amzcancel.transport._sender import AsyncSender, Sender, SenderCore
from amzcancel.transport._settings import ClientOptions, ClientSettings
from amzcancel.transport._stats import TransportStats
from amzcancel.transport._wire_protocols import WireProtocol

__all__ = ["AsyncClient", "BaseClient", "SyncClient"]

R = TypeVar("R")


@functools.cache
def shared_ssl_context() -> ssl.SSLContext:
    """The TLS context every client of this process shares (httpx's default settings).

    Building one loads the certificate bundle (about 40 ms of CPU): a worker keeping a client
    per seller for a thousand sellers paid it a thousand times. Made once, on first use, so
    ``SSL_CERT_FILE``/``SSL_CERT_DIR`` are read as httpx reads them.
    """
    return httpx.create_ssl_context()


class BaseClient:
    """Options, read-only views and the engine core shared by every client (no I/O)."""

    endpoint: str
    option_names: ClassVar[frozenset[str]] = frozenset(ClientOptions.__optional_keys__)
    """The keyword arguments the client takes besides ``transport`` (its API's TypedDict)."""

    def __init__(self, options: Mapping[str, Any], transport: object) -> None:
        unknown = sorted(set(options) - self.option_names)
        if unknown:
            raise ConfigError(
                f"{type(self).__name__} got unknown option(s) {', '.join(unknown)}; "
                f"it takes transport, {', '.join(sorted(self.option_names))}"
            )
        # Kept as given (transport included) for with_options.
        self._arguments: dict[str, Any] = {**options, "transport": transport}
        self._settings = ClientSettings.resolve(options)
        self._stats = TransportStats()

    def _sender_core(
        self, protocol: WireProtocol, *, partner: str, auth: LwaAuth | None
    ) -> SenderCore:
        return SenderCore(
            protocol=protocol,
            settings=self._settings,
            stats=self._stats,
            partner=partner,
            auth=auth,
        )

    def _copy_arguments(self, overrides: Mapping[str, Any]) -> dict[str, Any]:
        """Arguments for a copy: the same seller's limiter and clock unless others are given."""
        return {
            **self._arguments,
            "clock": self.clock,
            "rate_limiter": self.rate_limiter,
            **overrides,
        }

    @property
    def settings(self) -> ClientSettings:
        """The options this client runs with, resolved.

        Added in 0.2.0.
        """
        return self._settings

    @property
    def stats(self) -> TransportStats:
        """What this client has done so far (requests, throttles, retries, pacing time)."""
        return self._stats

    @property
    def rate_limiter(self) -> RateLimiter:
        """The token buckets this client paces itself with."""
        return self._settings.rate_limiter

    @property
    def clock(self) -> Clock:
        """The clock pacing and backoff run on."""
        return self._settings.clock

    def __repr__(self) -> str:
        # A gateway URL may carry "user:password@"; the repr must not.
        endpoint = str(httpx.URL(self.endpoint).copy_with(userinfo=b""))
        return f"{type(self).__name__}(endpoint={endpoint!r})"


class SyncClient(BaseClient):
    """A blocking client's sending and closing, over one :class:`httpx.Client`."""

    def _connect(self, core: SenderCore, transport: httpx.BaseTransport | None) -> None:
        self._http = httpx.Client(
            transport=transport, timeout=self._settings.timeout, verify=shared_ssl_context()
        )
        if transport is None:
            bind_deadlines(self._http)
        self._sender = Sender(core, self._http)

    def call(self, call: ApiCall[R]) -> R:
        """Send a prepared call and parse its answer (used by the resource namespaces)."""
        return call.parse(self._sender.send(call.spec).content)

    def with_options(self, **overrides: Any) -> Self:
        """A new client with some constructor arguments changed (same seller's limiter).

        Added in 0.1.0.
        """
        return type(self)(**self._copy_arguments(overrides))

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class AsyncClient(BaseClient):
    """An async client's sending and closing, over one :class:`httpx.AsyncClient`."""

    def _connect(self, core: SenderCore, transport: httpx.AsyncBaseTransport | None) -> None:
        self._http = httpx.AsyncClient(
            transport=transport, timeout=self._settings.timeout, verify=shared_ssl_context()
        )
        if transport is None:
            bind_deadlines(self._http)
        self._sender = AsyncSender(core, self._http)

    async def call(self, call: ApiCall[R]) -> R:
        """Send a prepared call and parse its answer (used by the resource namespaces)."""
        response = await self._sender.send(call.spec)
        return call.parse(response.content)

    def with_options(self, **overrides: Any) -> Self:
        """A new client with some constructor arguments changed (same seller's limiter).

        Added in 0.1.0.
        """
        return type(self)(**self._copy_arguments(overrides))

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._http.aclose()

    async def close(self) -> None:
        """Close the connection pool (same as :meth:`aclose`)."""
        await self.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()
