"""Store calls from the event loop, without holding it up.

A call to a store that waits on the network (PostgreSQL: a round trip per statement) blocks:
made from the event loop, it stops every other seller's requests in a worker for that long (a
worker serving forty sellers spent a seventh of its time waiting on the database inside the
loop), and requests sent late bunch up at Amazon's bucket. Such stores say so
(``waits_on_network = True``) and the engine hands their calls to a thread; stores are
thread-safe (PostgreSQL has its pool). A local SQLite file answers in microseconds and is
called in place.

Added in 0.2.0.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from typing import ParamSpec, TypeVar

__all__ = ["off_loop"]

P = ParamSpec("P")
R = TypeVar("R")


async def off_loop(call: Callable[P, R], /, *args: P.args, **kwargs: P.kwargs) -> R:
    """``call(*args, **kwargs)``: in a worker thread when its store waits on the network (the
    loop serves other tasks meanwhile), else in place."""
    store = getattr(call, "__self__", None)
    if not getattr(store, "waits_on_network", False):
        return call(*args, **kwargs)
    return await asyncio.get_running_loop().run_in_executor(
        None, functools.partial(call, *args, **kwargs)
    )
