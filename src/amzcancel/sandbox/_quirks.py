"""Quirks: the ways a real marketplace misbehaves that a client must survive, on request.

Faults (:mod:`amzcancel.sandbox._faults`) break single requests; quirks bend what the APIs
answer, consistently, so that a client's handling of them stays covered by tests:

- ``index_lag_seconds``: listings select orders by the last-update time a lagging index still
  holds, while the documents show the current state, so a page queried up to 08:20:52 carries
  an order updated at 08:24:14 (on Amazon the index and the document are not read at the same
  moment either);
- ``repeat_page_tokens``: ``"same"`` answers a listing page with the token it was asked with,
  ``"alternate"`` with the token before it, for ever (the listing would never end);
- ``duplicate_share``: that share of listing pages also carries the previous page's last order
  again;
- ``future_dated_share``: that share of the initial orders shows a ``LastUpdateDate`` 400 days
  ahead until its next real change;
- ``malformed_share``: that share of the initial orders is rendered without its first item's id
  (a document the client cannot read) until its next real change;
- ``drip_share`` and ``drip_seconds``: that share of answers is sent one byte every
  ``drip_seconds`` by the served sandbox (the in-process transport answers at once).

Added in 0.2.0.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from amzcancel.errors import ConfigError

__all__ = ["FUTURE_DAYS", "Quirks", "TokenRepeater"]

FUTURE_DAYS = 400
"""How far ahead a future-dated order's shown ``LastUpdateDate`` lies."""

RepeatMode = Literal["", "same", "alternate"]


@dataclass(frozen=True)
class Quirks:
    """What the marketplace bends (all off by default). See the module docstring.

    Added in 0.2.0.
    """

    index_lag_seconds: float = 0.0
    repeat_page_tokens: RepeatMode = ""
    duplicate_share: float = 0.0
    future_dated_share: float = 0.0
    malformed_share: float = 0.0
    drip_share: float = 0.0
    drip_seconds: float = 2.0

    def __post_init__(self) -> None:
        if self.index_lag_seconds < 0:
            raise ConfigError(
                f"index_lag_seconds must not be negative, got {self.index_lag_seconds}"
            )
        if self.repeat_page_tokens not in ("", "same", "alternate"):
            raise ConfigError(
                f"repeat_page_tokens must be '', 'same' or 'alternate', got "
                f"{self.repeat_page_tokens!r}"
            )
        for name in ("duplicate_share", "future_dated_share", "malformed_share", "drip_share"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ConfigError(f"{name} must be a share within 0..1, got {value}")
        if self.drip_seconds <= 0:
            raise ConfigError(f"drip_seconds must be positive, got {self.drip_seconds}")


class TokenRepeater:
    """Decides the next-page token of a listing answer under ``repeat_page_tokens``."""

    def __init__(self, mode: RepeatMode) -> None:
        self._mode = mode
        self._previous: dict[str, str] = {}
        self._next: dict[str, str] = {}
        self._lock = threading.Lock()

    def next_token(self, asked_with: str | None, issue: Callable[[], str]) -> str:
        """The token to answer a page asked ``asked_with`` (``None``: the first page)."""
        with self._lock:
            if asked_with is not None and self._mode == "same":
                return asked_with
            if asked_with is not None and self._mode == "alternate":
                if asked_with in self._previous:
                    return self._previous[asked_with]
                if asked_with in self._next:
                    return self._next[asked_with]
            token = issue()
            if asked_with is not None:
                self._previous[token] = asked_with
                self._next[asked_with] = token
            return token


class Chance:
    """A seeded, thread-safe coin for the share-based quirks."""

    def __init__(self, seed: int) -> None:
        self._rng = random.Random(f"quirks:{seed}")
        self._lock = threading.Lock()

    def __call__(self, share: float) -> bool:
        """True with probability ``share``."""
        if share <= 0.0:
            return False
        with self._lock:
            return self._rng.random() < share
