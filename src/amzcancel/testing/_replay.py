"""ReplayTransport: serve a recorded fixture back to an httpx client, deterministically.

A request matches a recorded exchange on method, path and parameters (query string plus a form
body), compared as a multiset so their order does not matter, after the same redaction the
recorder applied, so a client that sends real credentials still matches the placeholders.
Identical requests are served in recorded order. Signing noise (MWS ``Timestamp``) is ignored;
window parameters (``LastUpdatedBefore``...) match within a tolerance, because code under test
computes them from its clock.

Added in 0.1.0.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit

import httpx

from amzcancel.errors import AmzCancelError
from amzcancel.testing._fixture_file import (
    Exchange,
    Fixture,
    decode_body,
    encode_body,
    form_pairs,
    load_fixture,
)
from amzcancel.testing._redact import Redactor

__all__ = [
    "DEFAULT_IGNORED_PARAMS",
    "DEFAULT_TIME_TOLERANCE_SECONDS",
    "TIME_PARAMS",
    "ReplayMismatch",
    "ReplayTransport",
    "UnusedExchanges",
]

DEFAULT_IGNORED_PARAMS = frozenset({"timestamp"})
"""Parameters left out of matching (lower case): they change on every call by design."""

DEFAULT_TIME_TOLERANCE_SECONDS = 60.0
"""How far apart a replayed and a recorded window parameter may be and still match."""

_NEAREST = 3


class ReplayMismatch(AmzCancelError):
    """A replayed client sent a request the fixture has no (unused) exchange for.

    Attributes:
        method, url: the request that was asked (redacted).
        candidates: short descriptions of the nearest recorded exchanges.

    Added in 0.1.0.
    """

    def __init__(self, message: str, *, method: str, url: str, candidates: Sequence[str]) -> None:
        self.method = method
        self.url = url
        self.candidates = list(candidates)
        super().__init__(message)


class UnusedExchanges(AmzCancelError):
    """A strict replay ended with recorded exchanges nobody asked for.

    Added in 0.1.0.
    """


TIME_PARAMS = frozenset(
    {
        "CreatedAfter",
        "CreatedBefore",
        "LastUpdatedAfter",
        "LastUpdatedBefore",
        "createdAfter",
        "createdBefore",
        "lastUpdatedAfter",
        "lastUpdatedBefore",
    }
)
"""Window parameters (v0, MWS, 2026-01-01) compared as times, within a tolerance."""


@dataclass(frozen=True)
class _Key:
    method: str
    path: str
    params: tuple[tuple[str, str], ...]
    times: tuple[tuple[str, str], ...] = ()

    def describe(self) -> str:
        query = urlencode(sorted(self.params + self.times))
        return f"{self.method} {self.path}" + (f"?{query}" if query else "")

    def matches(self, other: _Key, tolerance_seconds: float) -> bool:
        if (self.method, self.path, self.params) != (other.method, other.path, other.params):
            return False
        if [name for name, _ in self.times] != [name for name, _ in other.times]:
            return False
        return all(
            _close(mine, theirs, tolerance_seconds)
            for (_, mine), (_, theirs) in zip(self.times, other.times, strict=True)
        )


def _close(mine: str, theirs: str, tolerance_seconds: float) -> bool:
    if mine == theirs:
        return True
    try:
        delta = datetime.fromisoformat(mine) - datetime.fromisoformat(theirs)
    except (ValueError, TypeError):
        return False
    return abs(delta.total_seconds()) <= tolerance_seconds


class ReplayTransport(httpx.BaseTransport, httpx.AsyncBaseTransport):
    """An httpx transport (sync and async) that answers from a recorded fixture.

    Args:
        fixture: a :class:`Fixture` or the path of a fixture file.
        allow_repeats: when every exchange matching a request has been served, serve the last
            one again (true) or raise :class:`ReplayMismatch` (false).
        ignore_params: parameter names (case-insensitive) left out of matching, in addition to
            :data:`DEFAULT_IGNORED_PARAMS`.
        ignore_times: leave the window parameters (:data:`TIME_PARAMS`) out of matching; for
            code under test that derives its window from the wall clock.
        time_tolerance_seconds: how far a window parameter may be from the recorded one and
            still match (code run on a fake clock started at the fixture's ``recorded_at``
            lands within milliseconds of the recording).

    Raises:
        ReplayMismatch: from a request no recorded exchange matches; the message says what was
            asked and which recorded exchanges come nearest.

    Added in 0.1.0.
    """

    def __init__(
        self,
        fixture: Fixture | str | os.PathLike[str],
        *,
        allow_repeats: bool = True,
        ignore_params: Iterable[str] = (),
        ignore_times: bool = False,
        time_tolerance_seconds: float = DEFAULT_TIME_TOLERANCE_SECONDS,
    ) -> None:
        if isinstance(fixture, Fixture):
            self.fixture, self.origin = fixture, "fixture"
        else:
            self.fixture, self.origin = load_fixture(fixture), str(Path(fixture))
        self.allow_repeats = allow_repeats
        self._ignored = DEFAULT_IGNORED_PARAMS | {name.lower() for name in ignore_params}
        if ignore_times:
            self._ignored |= {name.lower() for name in TIME_PARAMS}
        self._tolerance = time_tolerance_seconds
        # Matching redacts like the recorder did, without learning anything from the environment.
        self._redactor = Redactor(from_env=False)
        self._keys = [self._recorded_key(exchange) for exchange in self.fixture.exchanges]
        # Candidates by method and path, so each request compares only a handful of keys.
        self._by_route: dict[tuple[str, str], list[int]] = {}
        for index, recorded in enumerate(self._keys):
            self._by_route.setdefault((recorded.method, recorded.path), []).append(index)
        self._used = [0] * len(self._keys)
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"ReplayTransport({self.origin!r}, exchanges={len(self._keys)})"

    @property
    def served(self) -> int:
        """How many requests have been answered so far."""
        return sum(self._used)

    def unused(self) -> list[int]:
        """Indexes of recorded exchanges not served yet."""
        return [index for index, count in enumerate(self._used) if count == 0]

    def assert_all_used(self) -> None:
        """Raise :class:`UnusedExchanges` if any recorded exchange was never asked for."""
        unused = self.unused()
        if unused:
            listed = "; ".join(f"#{i} {self._keys[i].describe()}" for i in unused[:_NEAREST])
            more = f" and {len(unused) - _NEAREST} more" if len(unused) > _NEAREST else ""
            raise UnusedExchanges(
                f"{self.origin}: {len(unused)} recorded exchange(s) never requested: {listed}{more}"
            )

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """Answer ``request`` from the fixture."""
        return self._serve(request, request.read())

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Answer ``request`` from the fixture."""
        return self._serve(request, await request.aread())

    def _serve(self, request: httpx.Request, body: bytes) -> httpx.Response:
        stored = encode_body(body, request.headers.get("content-type"))
        form = form_pairs(stored) if stored is not None else []
        key = self._key(request.method, str(request.url), form)
        exchange = self._take(key)
        recorded = exchange.response
        if recorded.error is not None:
            raise _transport_error(recorded.error, request)
        return httpx.Response(
            recorded.status,
            headers=recorded.headers,
            content=decode_body(recorded.body),
            request=request,
        )

    def _take(self, key: _Key) -> Exchange:
        with self._lock:
            matching = [
                index
                for index in self._by_route.get((key.method, key.path), [])
                if key.matches(self._keys[index], self._tolerance)
            ]
            fresh = [index for index in matching if self._used[index] == 0]
            if fresh:
                chosen = fresh[0]
            elif matching and self.allow_repeats:
                chosen = matching[-1]
            else:
                raise self._mismatch(key, exhausted=len(matching))
            self._used[chosen] += 1
            return self.fixture.exchanges[chosen]

    def _recorded_key(self, exchange: Exchange) -> _Key:
        body = exchange.request.body
        form = form_pairs(body) if body is not None else []
        return self._key(exchange.request.method, exchange.request.url, form)

    def _key(self, method: str, url: str, form: list[tuple[str, str]]) -> _Key:
        parts = urlsplit(url)
        pairs = parse_qsl(parts.query, keep_blank_values=True) + form
        kept = [
            (name, value)
            for name, value in self._redactor.params(pairs)
            if name.lower() not in self._ignored
        ]
        params = tuple(sorted(pair for pair in kept if pair[0] not in TIME_PARAMS))
        times = tuple(sorted(pair for pair in kept if pair[0] in TIME_PARAMS))
        return _Key(method.upper(), unquote(parts.path) or "/", params, times)

    def _mismatch(self, key: _Key, *, exhausted: int) -> ReplayMismatch:
        asked = key.describe()
        if exhausted:
            head = (
                f"{asked} was asked again, but {self.origin} has only {exhausted} recorded "
                f"exchange(s) for it and all were served (allow_repeats=False)"
            )
            return ReplayMismatch(head, method=key.method, url=asked, candidates=[])
        ranked = sorted(range(len(self._keys)), key=lambda i: (_distance(key, self._keys[i]), i))
        candidates = [
            f"#{i} {self._keys[i].describe()}{_difference(key, self._keys[i])}"
            for i in ranked[:_NEAREST]
        ]
        listing = "; ".join(candidates) if candidates else "(the fixture is empty)"
        message = (
            f"no recorded exchange in {self.origin} matches {asked}; nearest recorded: {listing}"
        )
        return ReplayMismatch(message, method=key.method, url=asked, candidates=candidates)


def _distance(asked: _Key, recorded: _Key) -> int:
    score = 0 if asked.method == recorded.method else 10
    # Paths are compared segment by segment, so /orders/{id} is near /orders, far from /items.
    mine_path, their_path = asked.path.split("/"), recorded.path.split("/")
    differing = sum(a != b for a, b in zip(mine_path, their_path, strict=False))
    score += 3 * (differing + abs(len(mine_path) - len(their_path)))
    mine, theirs = set(asked.params + asked.times), set(recorded.params + recorded.times)
    return score + len(mine ^ theirs)


def _difference(asked: _Key, recorded: _Key) -> str:
    notes = []
    if asked.method != recorded.method:
        notes.append(f"method {recorded.method}")
    if asked.path != recorded.path:
        notes.append("path")
    asked_params = dict(asked.params + asked.times)
    recorded_params = dict(recorded.params + recorded.times)
    for name in sorted(set(asked_params) | set(recorded_params)):
        mine, theirs = asked_params.get(name), recorded_params.get(name)
        if mine == theirs:
            continue
        if theirs is None:
            notes.append(f"{name} not recorded")
        elif mine is None:
            notes.append(f"{name}={theirs!r} recorded but not asked")
        else:
            notes.append(f"{name} recorded {theirs!r}, asked {mine!r}")
    return f" (differs: {', '.join(notes)})" if notes else ""


def _transport_error(name: str, request: httpx.Request) -> httpx.TransportError:
    cls = getattr(httpx, name, None)
    if not (isinstance(cls, type) and issubclass(cls, httpx.TransportError)):
        cls = httpx.TransportError
    return cls(f"recorded {name} (replayed)", request=request)
