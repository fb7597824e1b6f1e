"""Submit a cancellation feed through the Feeds API 2021-06-30 (sync and async).

The flow: createFeedDocument, upload the XML to the presigned URL (same Content-Type),
createFeed, poll getFeed until DONE/CANCELLED/FATAL, then getFeedDocument and download and
parse the processing report. Pacing, retries and error mapping are the client's
(``client.request``); waits between polls run on the client's clock, so a FakeClock makes
tests instant. The flow itself is written once, as a generator of steps (:func:`_flow`); the
sync and async functions only send its calls and take its sleeps, and every decision about the
wire lives in :mod:`amzcancel.feeds._protocol`.

Added in 0.1.0.
"""

from __future__ import annotations

import logging
from collections.abc import Generator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import httpx

from amzcancel.clock import Clock, SystemClock
from amzcancel.feeds._model import CancellationFeed, FeedError, FeedSubmission, ProcessingReport
from amzcancel.feeds._protocol import (
    FEED_CONTENT_TYPE,
    FEEDS_PATH,
    FeedDocument,
    FeedStatus,
    create_document_body,
    create_feed_body,
    document_path,
    feed_path,
    parse_create_document,
    parse_create_feed,
    parse_feed,
    parse_feed_document,
)
from amzcancel.feeds._report import decode_report_document, parse_processing_report

__all__ = [
    "DEFAULT_POLL_INTERVAL_SECONDS",
    "DEFAULT_TIMEOUT_SECONDS",
    "AsyncFeedsClient",
    "FeedsClient",
    "asubmit_cancellation_feed",
    "submit_cancellation_feed",
]

logger = logging.getLogger("amzcancel.feeds")

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
    poll_interval: float = DEFAULT_POLL_INTERVAL_SECONDS,
    timeout: float = DEFAULT_TIMEOUT_SECONDS,
    clock: Clock | None = None,
) -> FeedSubmission:
    """Submit ``feed`` and wait for Amazon's processing report.

    Args:
        client: an SP-API client (:class:`~amzcancel.transport.SpApiClient`).
        feed: the feed from :func:`~amzcancel.feeds.build_cancellation_feed`.
        marketplace_ids: the marketplaces the feed applies to (1 to 25).
        poll_interval: seconds between getFeed calls.
        timeout: seconds to wait for processing to end.
        clock: the clock to wait on; by default the client's clock.

    Returns:
        The submission, with the parsed processing report.

    Raises:
        FeedError: processing ended CANCELLED or FATAL, or did not end within ``timeout``.
        APIError: Amazon refused a call (after the client's retries).
        ParseError: an answer or the report could not be read.

    Added in 0.1.0.
    """
    wait = _clock_of(client, clock)
    flow = _flow(feed, marketplace_ids, wait, poll_interval, timeout)
    answer: httpx.Response | None = None
    while True:
        try:
            step = flow.send(answer)
        except StopIteration as done:
            submission: FeedSubmission = done.value
            return submission
        if isinstance(step, _Sleep):
            wait.sleep(step.seconds)
            answer = None
        else:
            answer = client.request(step.method, step.path, **step.options)


async def asubmit_cancellation_feed(
    client: AsyncFeedsClient,
    feed: CancellationFeed,
    *,
    marketplace_ids: Sequence[str],
    poll_interval: float = DEFAULT_POLL_INTERVAL_SECONDS,
    timeout: float = DEFAULT_TIMEOUT_SECONDS,
    clock: Clock | None = None,
) -> FeedSubmission:
    """The async twin of :func:`submit_cancellation_feed` (same arguments and result).

    Added in 0.1.0.
    """
    wait = _clock_of(client, clock)
    flow = _flow(feed, marketplace_ids, wait, poll_interval, timeout)
    answer: httpx.Response | None = None
    while True:
        try:
            step = flow.send(answer)
        except StopIteration as done:
            submission: FeedSubmission = done.value
            return submission
        if isinstance(step, _Sleep):
            await wait.asleep(step.seconds)
            answer = None
        else:
            answer = await client.request(step.method, step.path, **step.options)


@dataclass(frozen=True)
class _Call:
    """One ``client.request`` the flow needs answered."""

    method: str
    path: str
    options: dict[str, Any]


@dataclass(frozen=True)
class _Sleep:
    """A pause between polls, on the flow's clock."""

    seconds: float


_Flow = Generator[_Call | _Sleep, httpx.Response | None, FeedSubmission]


def _call(method: str, path: str, **options: Any) -> Generator[_Call, Any, httpx.Response]:
    response: httpx.Response = yield _Call(method, path, options)
    return response


def _flow(
    feed: CancellationFeed,
    marketplace_ids: Sequence[str],
    clock: Clock,
    poll_interval: float,
    timeout: float,
) -> _Flow:
    """The submission as steps, without I/O: both drivers send its calls and take its sleeps."""
    if not isinstance(feed, CancellationFeed) or not feed.is_built:
        # A hand-written or altered document would cancel without the guard's say.
        raise FeedError(
            "only a feed from build_cancellation_feed, unchanged, can be submitted: "
            "every cancellation goes through approve_cancellation"
        )
    body = create_feed_body("-", marketplace_ids)  # validates marketplaces before any call
    _log_overrides(feed)
    document = parse_create_document(
        (
            yield from _call(
                "POST",
                f"{FEEDS_PATH}/documents",
                operation="createFeedDocument",
                json=create_document_body(),
            )
        )
    )
    yield from _call(
        "PUT",
        document.url,
        operation=None,
        content=feed.content,
        headers={"Content-Type": FEED_CONTENT_TYPE},
        authenticate=False,
    )
    body["inputFeedDocumentId"] = document.feed_document_id
    feed_id = parse_create_feed(
        (yield from _call("POST", f"{FEEDS_PATH}/feeds", operation="createFeed", json=body))
    )
    logger.info("feed %s created; polling every %.0f s", feed_id, poll_interval)
    deadline = clock.monotonic() + timeout
    status = parse_feed((yield from _call("GET", feed_path(feed_id), operation="getFeed")))
    while not status.is_final:
        _check_deadline(clock, deadline, poll_interval, status)
        yield _Sleep(poll_interval)
        status = parse_feed((yield from _call("GET", feed_path(feed_id), operation="getFeed")))
    report = None
    if status.result_feed_document_id is not None:
        result = parse_feed_document(
            (
                yield from _call(
                    "GET",
                    document_path(status.result_feed_document_id),
                    operation="getFeedDocument",
                )
            )
        )
        download = yield from _call("GET", result.url, operation=None, authenticate=False)
        report = _report(result, download)
    return _outcome(feed, document, status, report)


def _clock_of(client: object, clock: Clock | None) -> Clock:
    if clock is not None:
        return clock
    found = getattr(client, "clock", None)
    return found if isinstance(found, Clock) else SystemClock()


def _log_overrides(feed: CancellationFeed) -> None:
    for decision in feed.overrides:
        logger.warning(
            "submitting a policy override: order %s with %s; justification: %s",
            decision.amazon_order_id,
            decision.reason.value,
            decision.override_justification,
        )


def _check_deadline(clock: Clock, deadline: float, interval: float, status: FeedStatus) -> None:
    if clock.monotonic() + interval > deadline:
        raise FeedError(
            f"feed {status.feed_id} still {status.processing_status} when the wait ran out; "
            "it may still be applied: check it later with getFeed"
        )


def _report(document: FeedDocument, download: httpx.Response) -> ProcessingReport:
    content = decode_report_document(download.content, document.compression_algorithm)
    return parse_processing_report(content)


def _outcome(
    feed: CancellationFeed,
    document: FeedDocument,
    status: FeedStatus,
    report: ProcessingReport | None,
) -> FeedSubmission:
    if status.processing_status != "DONE":
        detail = f" ({report.summary()})" if report is not None else ""
        raise FeedError(
            f"feed {status.feed_id} ended {status.processing_status}{detail}: nothing was cancelled"
        )
    logger.info("feed %s done: %s", status.feed_id, report.summary() if report else "no report")
    return FeedSubmission(
        feed_id=status.feed_id,
        feed_document_id=document.feed_document_id,
        processing_status=status.processing_status,
        result_feed_document_id=status.result_feed_document_id,
        report=report,
        feed=feed,
    )
