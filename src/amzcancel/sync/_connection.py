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
        """Close the clients (each in its own loop, when that loop is idle) and the private loop.

        A run stopped half-way (Ctrl-C, SIGTERM) leaves its tasks suspended in the private
        loop, holding the client's connections: they are cancelled first, as ``asyncio.run``
        does, so closing the client cannot wait on them for ever.
        """
        try:
            if self.client is not None and self._client_loop is not None:
                self._stale.append((self.client, self._client_loop))
            self.client = self._client_loop = None
            stale, self._stale = self._stale, []
            if self._loop is not None and not self._loop.is_running():
                _cancel_all_tasks(self._loop)
            for client, loop in stale:
                if loop.is_closed() or loop.is_running() or _in_a_running_loop():
                    _log.debug("a client of another event loop is dropped without closing")
                    continue
                loop.run_until_complete(_bounded_close(client))
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


_CLOSE_SECONDS = 5.0
"""How long closing a client may take (its connections closed politely) before it is dropped."""


def _in_a_running_loop() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def _cancel_all_tasks(loop: asyncio.AbstractEventLoop) -> None:
    """Cancel what a stopped run left suspended in ``loop`` and let it unwind."""
    tasks = [task for task in asyncio.all_tasks(loop) if not task.done()]
    if not tasks:
        return
    for task in tasks:
        task.cancel()
    try:
        loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))
    except (KeyboardInterrupt, SystemExit):
        # A task awaiting the one a stop was raised in meets that stop again as it unwinds:
        # the stop has been reported already; closing goes on.
        _log.debug("a stopped run's tasks ended with the stop again while being cancelled")


async def _bounded_close(client: _Closable) -> None:
    try:
        await asyncio.wait_for(client.aclose(), _CLOSE_SECONDS)
    except (TimeoutError, OSError):
        _log.debug("closing a client took too long or failed; its connections are dropped")
