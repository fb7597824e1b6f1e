"""The submission of a cancellation feed as steps, without I/O.

The flow is a generator: it yields the calls it needs answered (``_Call``) and the pauses it
needs taken (``_Sleep``), and receives each answer; the sync and async drivers in
:mod:`amzcancel.feeds._submit` only send and sleep. An error a call raised is thrown into the
flow, which may handle it (Orders 2026-01-01 refused: read the order with v0 instead).

Added in 0.2.0 (split out of the submission module).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Generator, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx

from amzcancel.clock import Clock
from amzcancel.errors import AuthError
from amzcancel.feeds._build import build_cancellation_feed
from amzcancel.feeds._model import (
    CancellationFeed,
    FeedError,
    FeedResult,
    FeedSubmission,
    ProcessingReport,
)
from amzcancel.feeds._progress import FeedProgress, ProgressCallback
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

__all__ = ["Flow", "Sleep", "Step", "resume_flow", "submission_flow"]

logger = logging.getLogger("amzcancel.feeds")

T = TypeVar("T")


@dataclass(frozen=True)
class Call:
    """One ``client.request`` the flow needs answered."""

    method: str
    path: str
    options: dict[str, Any]


@dataclass(frozen=True)
class Sleep:
    """A pause between polls, on the flow's clock."""

    seconds: float


Step = Call | Sleep
"""What a flow yields."""

Flow = Generator[Step, httpx.Response | None, T]
"""A flow that ends with a ``T``; it is sent each call's answer (``None`` after a sleep)."""


def _call(method: str, path: str, **options: Any) -> Generator[Step, Any, httpx.Response]:
    response: httpx.Response = yield Call(method, path, options)
    return response


def _api(call: ApiCall[T]) -> Generator[Step, Any, T]:
    """One prepared API call (the clients' own request builders), answered and parsed."""
    spec = call.spec
    response = yield from _call(
        spec.method, spec.path, operation=spec.operation, params=spec.params
    )
    return call.parse(response.content)


def read_order(order_id: str) -> Generator[Step, Any, Order]:
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


def _tell(progress: ProgressCallback | None, step: FeedProgress) -> None:
    if progress is not None:
        progress(step)


def _checked(
    feed: CancellationFeed, orders: Iterable[Order] | None
) -> Generator[Step, Any, CancellationFeed]:
    """The feed to send: its decisions judged again, its document rebuilt from them."""
    if not isinstance(feed, CancellationFeed):
        raise FeedError("submit a feed made by build_cancellation_feed")
    facts = {order.amazon_order_id: order for order in orders or ()}
    for order_id in dict.fromkeys(d.amazon_order_id for d in feed.decisions):
        order = facts.get(order_id)
        if order is None:
            order = facts[order_id] = yield from read_order(order_id)
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


def submission_flow(
    feed: CancellationFeed,
    marketplace_ids: Sequence[str],
    orders: Iterable[Order] | None,
    clock: Clock,
    poll_interval: float,
    timeout: float,
    *,
    before_create: Callable[[], None] | None = None,
    on_created: Callable[[str], None] | None = None,
    progress: ProgressCallback | None = None,
) -> Flow[FeedSubmission]:
    """Judge, rebuild, upload, create, and wait: the whole submission of ``feed``.

    ``before_create`` is called right before createFeed is sent, ``on_created`` with the feed
    id as soon as Amazon answered it: from then on the cancellation may happen whatever comes
    next, so a caller records it there (``amzcancel cancel`` does, for a rerun to resume).
    ``progress`` is told each step (:class:`~amzcancel.feeds.FeedProgress`).
    """
    body = create_feed_body("-", marketplace_ids)  # validates marketplaces before any call
    _tell(progress, FeedProgress("checking"))
    feed = yield from _checked(feed, orders)
    _log_overrides(feed)
    _tell(progress, FeedProgress("uploading"))
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
    if before_create is not None:
        before_create()
    feed_id = parse_create_feed(
        (yield from _call("POST", f"{FEEDS_PATH}/feeds", operation="createFeed", json=body))
    )
    if on_created is not None:
        on_created(feed_id)
    _tell(progress, FeedProgress("submitted", feed_id=feed_id))
    logger.info("feed %s created; polling every %.0f s", feed_id, poll_interval)
    result = yield from _until_processed(feed_id, clock, poll_interval, timeout, progress)
    if result.processing_status != "DONE":
        detail = f" ({result.report.summary()})" if result.report is not None else ""
        raise FeedError(
            f"feed {feed_id} ended {result.processing_status}{detail}: nothing was cancelled"
        )
    logger.info("feed %s done: %s", feed_id, result.report.summary() if result.report else "-")
    return FeedSubmission(
        **result.model_dump(), feed_document_id=document.feed_document_id, feed=feed
    )


def resume_flow(
    feed_id: str,
    clock: Clock,
    poll_interval: float,
    timeout: float,
    progress: ProgressCallback | None = None,
) -> Flow[FeedResult]:
    """Wait for a feed created earlier (by a run that was stopped) and read its report."""
    return (yield from _until_processed(feed_id, clock, poll_interval, timeout, progress))


def _until_processed(
    feed_id: str,
    clock: Clock,
    poll_interval: float,
    timeout: float,
    progress: ProgressCallback | None,
) -> Generator[Step, Any, FeedResult]:
    """Poll getFeed until processing ends, then read the processing report."""
    began = clock.monotonic()
    deadline = began + timeout
    polls = 1
    status = parse_feed((yield from _call("GET", feed_path(feed_id), operation="getFeed")))
    while not status.is_final:
        _check_deadline(clock, deadline, poll_interval, status)
        _tell(
            progress,
            FeedProgress(
                "processing",
                feed_id=feed_id,
                processing_status=status.processing_status,
                polls=polls,
                waited_seconds=clock.monotonic() - began,
                next_poll_seconds=poll_interval,
            ),
        )
        yield Sleep(poll_interval)
        polls += 1
        status = parse_feed((yield from _call("GET", feed_path(feed_id), operation="getFeed")))
    report = None
    waited = clock.monotonic() - began
    if status.result_feed_document_id is not None:
        _tell(
            progress,
            FeedProgress(
                "downloading",
                feed_id=feed_id,
                processing_status=status.processing_status,
                polls=polls,
                waited_seconds=waited,
            ),
        )
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
    _tell(
        progress,
        FeedProgress(
            "done",
            feed_id=feed_id,
            processing_status=status.processing_status,
            polls=polls,
            waited_seconds=waited,
        ),
    )
    return FeedResult(
        feed_id=status.feed_id,
        processing_status=status.processing_status,
        result_feed_document_id=status.result_feed_document_id,
        report=report,
    )


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
