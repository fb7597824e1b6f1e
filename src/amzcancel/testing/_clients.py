"""Ready-made clients that replay a fixture: dummy credentials, a fake clock at recording time.

The credentials are fake and never leave the process: the replayer redacts them to the same
placeholders the recording holds. The clock is a :class:`~amzcancel.clock.FakeClock` started at
the fixture's ``recorded_at``, so rate-limit pacing and backoff take no real time and window
parameters computed from "now" land where the recording's did.

Added in 0.1.0.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from amzcancel.clock import Clock, FakeClock
from amzcancel.testing._fixture_file import Fixture
from amzcancel.testing._replay import ReplayTransport
from amzcancel.transport import (
    AsyncSpApiClient,
    LwaCredentials,
    MwsClient,
    MwsCredentials,
    SpApiClient,
)

if TYPE_CHECKING:
    from amzcancel.sync import Api, OrderSync

__all__ = [
    "REPLAY_ENDPOINT",
    "REPLAY_LWA_CREDENTIALS",
    "REPLAY_MWS_CREDENTIALS",
    "lwa_client_options",
    "replay_async_client",
    "replay_client",
    "replay_clock",
    "replay_mws_client",
    "replay_order_sync",
    "replay_transport",
]

REPLAY_ENDPOINT = "https://replay.amzcancel.invalid"
"""The base URL replay clients use; matching ignores the host, so any recording fits."""

REPLAY_LWA_CREDENTIALS = LwaCredentials(
    "amzn1.application-oa2-client.replay",
    "replay-client-secret-not-a-secret",
    "Atzr|replay-refresh-token-not-a-token",
)
"""Fake LWA credentials for replays (redacted to the recording's placeholders on the way in)."""

REPLAY_MWS_CREDENTIALS = MwsCredentials(
    "AKIAREPLAYEXAMPLE000", "replay/mws/secret/key/not-a-secret", "A1REPLAYSELLER"
)
"""Fake MWS keys for replays."""

FixtureSource = Fixture | ReplayTransport | str | os.PathLike[str]


def lwa_client_options(
    options: dict[str, Any], *, credentials: LwaCredentials, endpoint: str
) -> dict[str, Any]:
    """``options`` with an SP-API client's credentials, endpoint and LWA token URL defaulted.

    One base URL serves the API and the token call, as the sandbox and the replayer do.
    """
    options.setdefault("credentials", credentials)
    options.setdefault("endpoint", endpoint)
    options.setdefault("lwa_endpoint", endpoint + "/auth/o2/token")
    return options


def replay_transport(fixture: FixtureSource, **options: Any) -> ReplayTransport:
    """A :class:`ReplayTransport` for ``fixture`` (returned as is if it already is one).

    Added in 0.1.0.
    """
    if isinstance(fixture, ReplayTransport):
        return fixture
    return ReplayTransport(fixture, **options)


def replay_clock(transport: ReplayTransport) -> FakeClock:
    """A fake clock started at the recording's ``recorded_at`` (or FakeClock's default).

    Added in 0.1.0.
    """
    return FakeClock(start=transport.fixture.recorded_at)


def replay_client(
    fixture: FixtureSource, *, clock: Clock | None = None, **client_options: Any
) -> SpApiClient:
    """A blocking :class:`~amzcancel.transport.SpApiClient` answering from ``fixture``.

    Args:
        fixture: a fixture path, :class:`Fixture` or :class:`ReplayTransport`.
        clock: the client's clock; a :class:`FakeClock` at ``recorded_at`` by default.
        **client_options: further :class:`SpApiClient` arguments (``max_retries``...).

    Added in 0.1.0.
    """
    transport = replay_transport(fixture)
    options = lwa_client_options(
        client_options, credentials=REPLAY_LWA_CREDENTIALS, endpoint=REPLAY_ENDPOINT
    )
    return SpApiClient(transport=transport, clock=clock or replay_clock(transport), **options)


def replay_async_client(
    fixture: FixtureSource, *, clock: Clock | None = None, **client_options: Any
) -> AsyncSpApiClient:
    """An :class:`~amzcancel.transport.AsyncSpApiClient` answering from ``fixture``.

    Added in 0.1.0.
    """
    transport = replay_transport(fixture)
    options = lwa_client_options(
        client_options, credentials=REPLAY_LWA_CREDENTIALS, endpoint=REPLAY_ENDPOINT
    )
    return AsyncSpApiClient(transport=transport, clock=clock or replay_clock(transport), **options)


def replay_mws_client(
    fixture: FixtureSource, *, clock: Clock | None = None, **client_options: Any
) -> MwsClient:
    """A blocking :class:`~amzcancel.transport.MwsClient` answering from ``fixture``.

    Added in 0.1.0.
    """
    transport = replay_transport(fixture)
    client_options.setdefault("credentials", REPLAY_MWS_CREDENTIALS)
    client_options.setdefault("endpoint", REPLAY_ENDPOINT)
    return MwsClient(transport=transport, clock=clock or replay_clock(transport), **client_options)


def replay_order_sync(
    fixture: FixtureSource,
    *,
    store: Any,
    api: Api = "auto",
    clock: Clock | None = None,
    **sync_options: Any,
) -> OrderSync:
    """An :class:`~amzcancel.sync.facade.OrderSync` whose runs are answered from ``fixture``.

    Replays what ``amzcancel record`` (or :func:`~amzcancel.testing.record_sync`) recorded.

    Args:
        fixture: a fixture path, :class:`Fixture` or :class:`ReplayTransport`.
        store: the store (a path or a :class:`~amzcancel.sync.Store`), e.g. under ``tmp_path``.
        api: the API the recording used (``mws`` selects MWS credentials).
        clock: a :class:`FakeClock` at ``recorded_at`` by default.
        **sync_options: further :class:`OrderSync` arguments (``since``, ``marketplaces``...).

    Added in 0.1.0.
    """
    from amzcancel.sync import OrderSync

    transport = replay_transport(fixture)
    if api == "mws":
        sync_options.setdefault("credentials", REPLAY_MWS_CREDENTIALS)
    lwa_client_options(sync_options, credentials=REPLAY_LWA_CREDENTIALS, endpoint=REPLAY_ENDPOINT)
    return OrderSync(
        store=store,
        api=api,
        transport=transport,
        clock=clock or replay_clock(transport),
        **sync_options,
    )
