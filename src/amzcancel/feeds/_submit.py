"""Submit a cancellation feed through the Feeds API 2021-06-30 (sync and async).

The flow: judge every decision again against the order as Amazon holds it (given, or read with
Orders 2026-01-01 getOrder, falling back to v0 getOrder + getOrderItems), rebuild the document
from the decisions, then createFeedDocument, upload the XML to the presigned URL (same
Content-Type), createFeed, poll getFeed until DONE/CANCELLED/FATAL, then getFeedDocument and
download and parse the processing report. Pacing, retries and error mapping are the client's
(``client.request``); waits between polls run on the client's clock, so a FakeClock makes
tests instant. The flow itself is written once, as a generator of steps (:func:`_flow`); the
sync and async functions only send its calls and take its sleeps, and every decision about the
wire lives in :mod:`amzcancel.feeds._protocol`.

Added in 0.1.0.
"""

from __future__ import annotations

import logging
from collections.abc import Generator, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

import httpx

from amzcancel.clock import Clock, SystemClock
from amzcancel.errors import AmzCancelError, AuthError
from amzcancel.feeds._build import build_cancellation_feed
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
from amzcancel.models import Order
from amzcancel.policy import recheck_decision
from amzcancel.transport import ORDERS_2026_INCLUDED_DATA, _orders_2026, _orders_v0
from amzcancel.transport._calls import ApiCall

__all__ = [
    "DEFAULT_POLL_INTERVAL_SECONDS",
    "DEFAULT_TIMEOUT_SECONDS",
    "AsyncFeedsClient",
    "FeedsClient",
    "asubmit_cancellation_feed",
    "submit_cancellation_feed",
]

logger = logging.getLogger("amzcancel.feeds")

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

    Returns:
        The submission, with the parsed processing report.

    Raises:
        PolicyViolation: a decision is wrong for its order as it is now (nothing is sent).
        FeedError: the document does not match its decisions; processing ended CANCELLED or
            FATAL, or did not end within ``timeout``.
        APIError: Amazon refused a call (after the client's retries).
        ParseError: an answer or the report could not be read.

    Added in 0.1.0 (the check at the boundary and ``orders`` in 0.2.0).
    """
    wait = _clock_of(client, clock)
    flow = _flow(feed, marketplace_ids, orders, wait, poll_interval, timeout)
    answer: httpx.Response | None = None
    failure: AmzCancelError | None = None
    while True:
        try:
            step = flow.send(answer) if failure is None else flow.throw(failure)
        except StopIteration as done:
            submission: FeedSubmission = done.value
            return submission
        answer, failure = None, None
        if isinstance(step, _Sleep):
            wait.sleep(step.seconds)
            continue
        try:
            answer = client.request(step.method, step.path, **step.options)
        except AmzCancelError as exc:
            failure = exc  # the flow decides: e.g. Orders 2026-01-01 refused -> read v0


async def asubmit_cancellation_feed(
    client: AsyncFeedsClient,
    feed: CancellationFeed,
    *,
    marketplace_ids: Sequence[str],
    orders: Iterable[Order] | None = None,
    poll_interval: float = DEFAULT_POLL_INTERVAL_SECONDS,
    timeout: float = DEFAULT_TIMEOUT_SECONDS,
    clock: Clock | None = None,
) -> FeedSubmission:
    """The async twin of :func:`submit_cancellation_feed` (same arguments and result).

    Added in 0.1.0.
    """
    wait = _clock_of(client, clock)
    flow = _flow(feed, marketplace_ids, orders, wait, poll_interval, timeout)
    answer: httpx.Response | None = None
    failure: AmzCancelError | None = None
    while True:
        try:
            step = flow.send(answer) if failure is None else flow.throw(failure)
        except StopIteration as done:
            submission: FeedSubmission = done.value
            return submission
        answer, failure = None, None
        if isinstance(step, _Sleep):
            await wait.asleep(step.seconds)
            continue
        try:
            answer = await client.request(step.method, step.path, **step.options)
        except AmzCancelError as exc:
            failure = exc


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


def _api(call: ApiCall[T]) -> Generator[_Call, Any, T]:
    """One prepared API call (the clients' own request builders), answered and parsed."""
    spec = call.spec
    response = yield from _call(
        spec.method, spec.path, operation=spec.operation, params=spec.params
    )
    return call.parse(response.content)


def _read_order(order_id: str) -> Generator[_Call, Any, Order]:
    """The order with its items as Amazon holds it now (2026-01-01, else v0)."""
    try:
        return (
            yield from _api(
                _orders_2026.get_order(order_id, included_data=ORDERS_2026_INCLUDED_DATA)
            )
        )
    except AuthError as exc:
        if exc.status_code not in (403, 404):
            raise
        logger.info("Orders 2026-01-01 refused (%s); reading order %s with v0", exc, order_id)
    header = yield from _api(_orders_v0.get_order(order_id))
    items = []
    token: str | None = None
    seen: set[str] = set()
    while True:
        page = yield from _api(_orders_v0.get_order_items(order_id, next_token=token))
        items.extend(page.items)
        token = page.next_token or None
        if token is None:
            return header.with_items(items)
        if token in seen:
            raise FeedError(f"order {order_id}: Amazon repeated an items page token")
        seen.add(token)


def _checked(
    feed: CancellationFeed, orders: Iterable[Order] | None
) -> Generator[_Call, Any, CancellationFeed]:
    """The feed to send: its decisions judged again, its document rebuilt from them."""
    if not isinstance(feed, CancellationFeed):
        raise FeedError("submit a feed made by build_cancellation_feed")
    facts = {order.amazon_order_id: order for order in orders or ()}
    for order_id in dict.fromkeys(d.amazon_order_id for d in feed.decisions):
        order = facts.get(order_id)
        if order is None:
            order = facts[order_id] = yield from _read_order(order_id)
        for decision in feed.decisions:
            if decision.amazon_order_id == order_id:
                recheck_decision(decision, order)
    rebuilt = build_cancellation_feed(feed.decisions, merchant_id=feed.merchant_id)
    if rebuilt.xml != feed.xml or rebuilt.messages != feed.messages:
        # A document altered after it was built would cancel what no decision says.
        raise FeedError(
            "the feed document does not match its decisions; build it with "
            "build_cancellation_feed and submit it unchanged"
        )
    return rebuilt


def _flow(
    feed: CancellationFeed,
    marketplace_ids: Sequence[str],
    orders: Iterable[Order] | None,
    clock: Clock,
    poll_interval: float,
    timeout: float,
) -> _Flow:
    """The submission as steps, without I/O: both drivers send its calls and take its sleeps."""
    body = create_feed_body("-", marketplace_ids)  # validates marketplaces before any call
    feed = yield from _checked(feed, orders)
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
