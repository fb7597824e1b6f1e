"""Page tokens (NextToken, paginationToken) that remember their query and expire.

A token stores a snapshot of the ids the first page matched, so later pages never skip or
repeat an order whose LastUpdateDate moves while the client pages. Tokens look like Amazon's:
base64 text that may contain ``+``, ``/`` and ``=``, so a client that does not URL-encode them
fails here as it would against Amazon.

Added in 0.1.0.
"""

from __future__ import annotations

import base64
import random
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta

__all__ = ["PageCursor", "PageTokens"]


@dataclass(frozen=True)
class PageCursor:
    """What a page token stands for.

    Attributes:
        kind: which listing (``orders-v0``, ``items-v0``, ``orders-2026``, ``mws-orders``...).
        ids: the ids the first page matched, in order.
        offset: where the next page starts.
        page_size: results per page.
        context: what the listing must repeat (filters, echoed upper bound).
        expires: when the token stops working.

    Added in 0.1.0.
    """

    kind: str
    ids: tuple[str, ...]
    offset: int
    page_size: int
    context: tuple[tuple[str, str], ...]
    expires: datetime


class PageTokens:
    """Issues and resolves page tokens.

    Added in 0.1.0.
    """

    def __init__(self, seed: int) -> None:
        self._rng = random.Random(f"tokens:{seed}")
        self._cursors: dict[str, PageCursor] = {}
        self._lock = threading.Lock()

    def issue(
        self,
        kind: str,
        ids: tuple[str, ...],
        *,
        offset: int,
        page_size: int,
        context: tuple[tuple[str, str], ...],
        now: datetime,
        ttl_seconds: float,
    ) -> str:
        """A new token for the page of ``ids`` starting at ``offset``."""
        with self._lock:
            token = base64.b64encode(self._rng.randbytes(36)).decode("ascii")
            self._cursors[token] = PageCursor(
                kind, ids, offset, page_size, context, now + timedelta(seconds=ttl_seconds)
            )
        return token

    def resolve(self, token: str, kind: str, now: datetime) -> PageCursor | None:
        """The cursor behind ``token``; None when unknown, of another kind, or expired."""
        with self._lock:
            cursor = self._cursors.get(token)
        if cursor is None or cursor.kind != kind or now >= cursor.expires:
            return None
        return cursor
