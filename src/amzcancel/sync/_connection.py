"""The long-lived client of one OrderSync, and the event loop its connections belong to.

An :class:`~amzcancel.sync.OrderSync` keeps one client for its whole life: one LWA access
token (fetched once, refreshed when Amazon says it expired), one connection pool, one set of
rate-limit buckets. Blocking runs share one private event loop, because an async client's
connections belong to the loop that opened them; ``asyncio.run`` per run would open a new pool
and fetch a new token every time.

Added in 0.2.0.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import Any, Generic, Protocol, TypeVar

__all__ = ["ClientHolder"]

_log = logging.getLogger("amzcancel.sync")

T = TypeVar("T")


class _Closable(Protocol):
    async def aclose(self) -> None: ...


C = TypeVar("C", bound=_Closable)


class ClientHolder(Generic[C]):
    """Holds a client, the loop it was opened in, and the private loop of blocking runs.

    It holds no reference to its owner, so ``weakref.finalize(owner, holder.close)`` can end
    the client and the loop of an owner that was dropped without ``close()``.
    """

    def __init__(self) -> None:
        self.client: C | None = None
        self._client_loop: asyncio.AbstractEventLoop | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        # Clients of another loop, replaced while a loop ran: closed by close() if possible.
        self._stale: list[tuple[C, asyncio.AbstractEventLoop]] = []

    def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        """Run ``coroutine`` to completion on the private loop (made on first use)."""
        if self._loop is None:
            self._loop = asyncio.new_event_loop()
        return self._loop.run_until_complete(coroutine)

    def client_for_running_loop(self, make: Callable[[], C]) -> tuple[C, bool]:
        """The client for the running loop: ``(client, made_now)``.

        A client opened in another loop is closed (when that loop can still run it) or dropped,
        and a new one is made: connections cannot move between loops.
        """
        loop = asyncio.get_running_loop()
        if self.client is not None and self._client_loop is loop:
            return self.client, False
        if self.client is not None and self._client_loop is not None:
            # Its loop cannot run while this one does: close it later, in close().
            self._stale.append((self.client, self._client_loop))
        self.client, self._client_loop = make(), loop
        return self.client, True

    def close(self) -> None:
        """Close the clients (each in its own loop, when that loop is idle) and the private loop."""
        try:
            if self.client is not None and self._client_loop is not None:
                self._stale.append((self.client, self._client_loop))
            self.client = self._client_loop = None
            stale, self._stale = self._stale, []
            for client, loop in stale:
                if loop.is_closed() or loop.is_running():
                    _log.debug("a client of another event loop is dropped without closing")
                    continue
                try:
                    asyncio.get_running_loop()
                except RuntimeError:
                    loop.run_until_complete(client.aclose())
        finally:
            if self._loop is not None and not self._loop.is_running():
                self._loop.close()
                self._loop = None

    async def aclose(self) -> None:
        """Close the client from inside the running loop it belongs to."""
        client, loop = self.client, self._client_loop
        if client is not None and loop is asyncio.get_running_loop():
            self.client = self._client_loop = None
            await client.aclose()
        self.close()
