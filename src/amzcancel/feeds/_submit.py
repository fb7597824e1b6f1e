"""Submit a cancellation feed through the Feeds API 2021-06-30 (sync and async).

The flow (:mod:`amzcancel.feeds._flow`): judge every decision again against the order as
Amazon holds it (given, or read with Orders 2026-01-01 getOrder, falling back to v0 getOrder +
getOrderItems), rebuild the document from the decisions, then createFeedDocument, upload the XML
to the presigned URL (same Content-Type), createFeed, poll getFeed until DONE/CANCELLED/FATAL,
then getFeedDocument and download and parse the processing report. Pacing, retries and error
mapping are the client's (``client.request``); waits between polls run on the client's clock,
so a FakeClock makes tests instant. The drivers here only send the flow's calls and take its
sleeps.

Added in 0.1.0.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Protocol, TypeVar

import httpx

from amzcancel.clock import Clock, SystemClock
from amzcancel.errors import AmzCancelError
from amzcancel.feeds._flow import Flow, Sleep, resume_flow, submission_flow
from amzcancel.feeds._model import CancellationFeed, FeedResult, FeedSubmission
from amzcancel.feeds._progress import ProgressCallback
from amzcancel.models import Order

__all__ = [
    "DEFAULT_POLL_INTERVAL_SECONDS",
    "DEFAULT_TIMEOUT_SECONDS",
    "AsyncFeedsClient",
    "FeedsClient",
    "asubmit_cancellation_feed",
    "await_feed",
    "submit_cancellation_feed",
    "wait_for_feed",
]

T = TypeVar("T")

DEFAULT_POLL_INTERVAL_SECONDS = 30.0
"""Seconds between getFeed calls (getFeed allows 2 per second; a feed takes minutes)."""
DEFAULT_TIMEOUT_SECONDS = 1800.0
"""Seconds to wait for processing to end before giving up (the feed may still be applied)."""


class FeedsClient(Protocol):
    """What the flow needs of :class:`~amzcancel.transport.SpApiClient`."""

    def request(
        self,
        method: str,
        path_or_url: str,
        *,
        operation: str | None,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        content: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        authenticate: bool = True,
    ) -> httpx.Response: ...


class AsyncFeedsClient(Protocol):
    """What the flow needs of :class:`~amzcancel.transport.AsyncSpApiClient`."""

    async def request(
        self,
        method: str,
        path_or_url: str,
        *,
        operation: str | None,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        content: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        authenticate: bool = True,
    ) -> httpx.Response: ...


def submit_cancellation_feed(
    client: FeedsClient,
    feed: CancellationFeed,
    *,
    marketplace_ids: Sequence[str],
    orders: Iterable[Order] | None = None,
    poll_interval: float = DEFAULT_POLL_INTERVAL_SECONDS,
    timeout: float = DEFAULT_TIMEOUT_SECONDS,
    clock: Clock | None = None,
    before_create: Callable[[], None] | None = None,
    on_created: Callable[[str], None] | None = None,
    on_progress: ProgressCallback | None = None,
) -> FeedSubmission:
    """Judge ``feed``'s decisions again, submit it, and wait for Amazon's processing report.

    Before anything is uploaded, every decision is judged again
    (:func:`~amzcancel.policy.recheck_decision`) against its order as Amazon holds it: from
    ``orders`` when given (just read), else read through ``client`` (Orders 2026-01-01
    getOrder, or v0 getOrder and getOrderItems when the app lacks 2026-01-01). The document
    sent is rebuilt from the decisions; a feed whose XML does not match them is refused.

    Args:
        client: an SP-API client (:class:`~amzcancel.transport.SpApiClient`).
        feed: the feed from :func:`~amzcancel.feeds.build_cancellation_feed`.
        marketplace_ids: the marketplaces the feed applies to (1 to 25).
        orders: the orders the decisions are about, as just read from Amazon (optional).
        poll_interval: seconds between getFeed calls.
        timeout: seconds to wait for processing to end.
        clock: the clock to wait on; by default the client's clock.
        before_create: called right before createFeed is sent.
        on_created: called with the feed id as soon as createFeed answered (record it: from
            then on the cancellation may happen; :func:`wait_for_feed` resumes the wait).
        on_progress: called with a :class:`~amzcancel.feeds.FeedProgress` at each step,
            including every getFeed answer while Amazon processes the feed (which takes
            minutes): what a progress display shows.

    Returns:
        The submission, with the parsed processing report.

    Raises:
        PolicyViolation: a decision is wrong for its order as it is now (nothing is sent).
        FeedError: the document does not match its decisions; processing ended CANCELLED or
            FATAL, or did not end within ``timeout``.
        APIError: Amazon refused a call (after the client's retries).
        ParseError: an answer or the report could not be read.

    Added in 0.1.0 (the check at the boundary, ``orders`` and the callbacks in 0.2.0).
    """
    wait = _clock_of(client, clock)
    return _drive(
        client,
        wait,
        submission_flow(
            feed,
            marketplace_ids,
            orders,
            wait,
            poll_interval,
            timeout,
            before_create=before_create,
            on_created=on_created,
            progress=on_progress,
        ),
    )


async def asubmit_cancellation_feed(
    client: AsyncFeedsClient,
    feed: CancellationFeed,
    *,
    marketplace_ids: Sequence[str],
    orders: Iterable[Order] | None = None,
    poll_interval: float = DEFAULT_POLL_INTERVAL_SECONDS,
    timeout: float = DEFAULT_TIMEOUT_SECONDS,
    clock: Clock | None = None,
    before_create: Callable[[], None] | None = None,
    on_created: Callable[[str], None] | None = None,
    on_progress: ProgressCallback | None = None,
) -> FeedSubmission:
    """The async twin of :func:`submit_cancellation_feed` (same arguments and result).

    Added in 0.1.0 (``on_progress`` in 0.2.0).
    """
    wait = _clock_of(client, clock)
    return await _adrive(
        client,
        wait,
        submission_flow(
            feed,
            marketplace_ids,
            orders,
            wait,
            poll_interval,
            timeout,
            before_create=before_create,
            on_created=on_created,
            progress=on_progress,
        ),
    )


def wait_for_feed(
    client: FeedsClient,
    feed_id: str,
    *,
    poll_interval: float = DEFAULT_POLL_INTERVAL_SECONDS,
    timeout: float = DEFAULT_TIMEOUT_SECONDS,
    clock: Clock | None = None,
    on_progress: ProgressCallback | None = None,
) -> FeedResult:
    """Wait for a feed created earlier (by a submission that was stopped) and read its report.

    Returns the outcome whatever it is (``DONE``, ``CANCELLED`` or ``FATAL``). ``on_progress``
    is told each getFeed answer, as for :func:`submit_cancellation_feed`.

    Raises:
        FeedError: processing did not end within ``timeout``.
        APIError: Amazon refused a call (``NotFoundError``: no such feed).

    Added in 0.2.0.
    """
    wait = _clock_of(client, clock)
    return _drive(client, wait, resume_flow(feed_id, wait, poll_interval, timeout, on_progress))


async def await_feed(
    client: AsyncFeedsClient,
    feed_id: str,
    *,
    poll_interval: float = DEFAULT_POLL_INTERVAL_SECONDS,
    timeout: float = DEFAULT_TIMEOUT_SECONDS,
    clock: Clock | None = None,
    on_progress: ProgressCallback | None = None,
) -> FeedResult:
    """The async twin of :func:`wait_for_feed`.

    Added in 0.2.0.
    """
    wait = _clock_of(client, clock)
    return await _adrive(
        client, wait, resume_flow(feed_id, wait, poll_interval, timeout, on_progress)
    )


def _drive(client: FeedsClient, wait: Clock, flow: Flow[T]) -> T:
    """Run ``flow`` with blocking calls and sleeps; a call's error is thrown into the flow."""
    answer: httpx.Response | None = None
    failure: AmzCancelError | None = None
    while True:
        try:
            step = flow.send(answer) if failure is None else flow.throw(failure)
        except StopIteration as done:
            result: T = done.value
            return result
        answer, failure = None, None
        if isinstance(step, Sleep):
            wait.sleep(step.seconds)
            continue
        try:
            answer = client.request(step.method, step.path, **step.options)
        except AmzCancelError as exc:
            failure = exc  # the flow decides: e.g. Orders 2026-01-01 refused -> read v0


async def _adrive(client: AsyncFeedsClient, wait: Clock, flow: Flow[T]) -> T:
    """The async twin of :func:`_drive`."""
    answer: httpx.Response | None = None
    failure: AmzCancelError | None = None
    while True:
        try:
            step = flow.send(answer) if failure is None else flow.throw(failure)
        except StopIteration as done:
            result: T = done.value
            return result
        answer, failure = None, None
        if isinstance(step, Sleep):
            await wait.asleep(step.seconds)
            continue
        try:
            answer = await client.request(step.method, step.path, **step.options)
        except AmzCancelError as exc:
            failure = exc


def _clock_of(client: object, clock: Clock | None) -> Clock:
    if clock is not None:
        return clock
    found = getattr(client, "clock", None)
    return found if isinstance(found, Clock) else SystemClock()
