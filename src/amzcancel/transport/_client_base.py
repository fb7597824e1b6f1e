"""What every client shares: options, timeouts, the engine core, closing.

:class:`BaseClient` resolves the options every client takes; :class:`SyncClient` and
:class:`AsyncClient` add what differs only in I/O (``call``, ``with_options``, closing and the
context manager), so ``SpApiClient``/``MwsClient`` and their async twins hold nothing but
their API's own configuration and operations.

Added in 0.1.0.
"""

from __future__ import annotations

from datetime import timedelta
from types import TracebackType
from typing import Any, Self, TypeVar

import httpx

from amzcancel.clock import Clock, SystemClock
from amzcancel.errors import ConfigError
from amzcancel.transport._auth import LwaAuth
from amzcancel.transport._base import ApiCall, WireProtocol
from amzcancel.transport._ratelimit import RateLimiter
from amzcancel.transport._retry import RetryPolicy
from amzcancel.transport._sender import AsyncSender, Sender, SenderCore
from amzcancel.transport._stats import TransportStats

__all__ = [
    "AsyncClient",
    "BaseClient",
    "ClientOptions",
    "SyncClient",
    "constructor_arguments",
    "resolve_timeout",
]

R = TypeVar("R")

Timeout = float | timedelta | httpx.Timeout


def resolve_timeout(value: Timeout | None) -> httpx.Timeout:
    """A finite timeout: ``None`` or a non-positive value would let a call hang for ever."""
    if isinstance(value, httpx.Timeout):
        parts = (value.connect, value.read, value.write, value.pool)
        if any(part is None or part <= 0 for part in parts):
            raise ConfigError("every part of timeout must be a positive number of seconds")
        return value
    if isinstance(value, timedelta):
        value = value.total_seconds()
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        raise ConfigError(f"timeout must be a positive number of seconds, got {value!r}")
    return httpx.Timeout(float(value))


class ClientOptions:
    """Constructor arguments kept for :meth:`with_options`, plus what they resolve to."""

    def __init__(
        self,
        arguments: dict[str, Any],
        *,
        clock: Clock | None,
        rate_limiter: RateLimiter | None,
        timeout: Timeout | None,
        max_retries: int,
        max_retry_seconds: float,
    ) -> None:
        if isinstance(max_retries, bool) or not isinstance(max_retries, int) or max_retries < 0:
            raise ConfigError(f"max_retries must be a whole number >= 0, got {max_retries!r}")
        if max_retry_seconds <= 0:
            raise ConfigError("max_retry_seconds must be positive")
        self.arguments = arguments
        self.clock: Clock = clock or SystemClock()
        self.rate_limiter = rate_limiter or RateLimiter(clock=self.clock)
        self.timeout = resolve_timeout(timeout)
        self.policy = RetryPolicy(max_retries=max_retries, max_retry_seconds=max_retry_seconds)
        self.stats = TransportStats()

    def merged(self, overrides: dict[str, Any]) -> dict[str, Any]:
        """Arguments for a copy: the same seller's limiter unless one is given."""
        merged = dict(self.arguments)
        merged.setdefault("rate_limiter", None)
        if merged["rate_limiter"] is None:
            merged["rate_limiter"] = self.rate_limiter
        merged.update(overrides)
        return merged


def constructor_arguments(frame_locals: dict[str, Any]) -> dict[str, Any]:
    """A constructor's own arguments, from its ``locals()`` (kept for :meth:`with_options`)."""
    arguments = dict(frame_locals)
    arguments.pop("self")
    arguments.pop("__class__", None)
    return arguments


class BaseClient:
    """Options, read-only views and the engine core shared by every client (no I/O)."""

    endpoint: str

    def __init__(
        self,
        arguments: dict[str, Any],
        *,
        clock: Clock | None,
        rate_limiter: RateLimiter | None,
        timeout: Timeout,
        max_retries: int,
        max_retry_seconds: float,
    ) -> None:
        self._options = ClientOptions(
            arguments,
            clock=clock,
            rate_limiter=rate_limiter,
            timeout=timeout,
            max_retries=max_retries,
            max_retry_seconds=max_retry_seconds,
        )

    def _sender_core(
        self, protocol: WireProtocol, *, partner: str, auth: LwaAuth | None
    ) -> SenderCore:
        opts = self._options
        return SenderCore(
            protocol=protocol,
            limiter=opts.rate_limiter,
            partner=partner,
            policy=opts.policy,
            clock=opts.clock,
            stats=opts.stats,
            auth=auth,
            timeout=opts.timeout,
        )

    @property
    def stats(self) -> TransportStats:
        """What this client has done so far (requests, throttles, retries, pacing time)."""
        return self._options.stats

    @property
    def rate_limiter(self) -> RateLimiter:
        """The token buckets this client paces itself with."""
        return self._options.rate_limiter

    @property
    def clock(self) -> Clock:
        """The clock pacing and backoff run on."""
        return self._options.clock

    def __repr__(self) -> str:
        # A gateway URL may carry "user:password@"; the repr must not.
        endpoint = str(httpx.URL(self.endpoint).copy_with(userinfo=b""))
        return f"{type(self).__name__}(endpoint={endpoint!r})"


class SyncClient(BaseClient):
    """A blocking client's sending and closing, over one :class:`httpx.Client`."""

    def _connect(self, core: SenderCore, transport: httpx.BaseTransport | None) -> None:
        self._http = httpx.Client(transport=transport, timeout=self._options.timeout)
        self._sender = Sender(core, self._http)

    def call(self, call: ApiCall[R]) -> R:
        """Send a prepared call and parse its answer (used by the resource namespaces)."""
        return call.parse(self._sender.send(call.spec).content)

    def with_options(self, **overrides: Any) -> Self:
        """A new client with some constructor arguments changed (same seller's limiter).

        Added in 0.1.0.
        """
        return type(self)(**self._options.merged(overrides))

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
        self._http = httpx.AsyncClient(transport=transport, timeout=self._options.timeout)
        self._sender = AsyncSender(core, self._http)

    async def call(self, call: ApiCall[R]) -> R:
        """Send a prepared call and parse its answer (used by the resource namespaces)."""
        response = await self._sender.send(call.spec)
        return call.parse(response.content)

    def with_options(self, **overrides: Any) -> Self:
        """A new client with some constructor arguments changed (same seller's limiter).

        Added in 0.1.0.
        """
        return type(self)(**self._options.merged(overrides))

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
