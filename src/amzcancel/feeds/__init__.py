"""The OrderAcknowledgement feed that carries a cancellation out, and its submission.

Build a feed only from the guard's decisions, check it, submit it::

    from amzcancel.policy import approve_cancellation
    from amzcancel.feeds import build_cancellation_feed, submit_cancellation_feed

    decision = approve_cancellation(order, "BuyerCanceled", item=item_id)
    feed = build_cancellation_feed([decision], merchant_id="A2EXAMPLE")
    result = submit_cancellation_feed(client, feed, marketplace_ids=["ATVPDKIKX0DER"])
    print(result.report.summary())

Added in 0.1.0.
"""

from __future__ import annotations

from amzcancel.feeds._build import DOCUMENT_VERSION, build_cancellation_feed
from amzcancel.feeds._model import (
    CancellationFeed,
    FeedError,
    FeedMessage,
    FeedResult,
    FeedSubmission,
    ProcessingReport,
    ProcessingResult,
)
from amzcancel.feeds._progress import FeedProgress, FeedStage
from amzcancel.feeds._protocol import FEED_CONTENT_TYPE, FEED_TYPE
from amzcancel.feeds._report import parse_processing_report
from amzcancel.feeds._schema import check_order_acknowledgement_feed
from amzcancel.feeds._submit import (
    DEFAULT_POLL_INTERVAL_SECONDS,
    DEFAULT_TIMEOUT_SECONDS,
    asubmit_cancellation_feed,
    await_feed,
    submit_cancellation_feed,
    wait_for_feed,
)

__all__ = [
    "DEFAULT_POLL_INTERVAL_SECONDS",
    "DEFAULT_TIMEOUT_SECONDS",
    "DOCUMENT_VERSION",
    "FEED_CONTENT_TYPE",
    "FEED_TYPE",
    "CancellationFeed",
    "FeedError",
    "FeedMessage",
    "FeedProgress",
    "FeedResult",
    "FeedStage",
    "FeedSubmission",
    "ProcessingReport",
    "ProcessingResult",
    "asubmit_cancellation_feed",
    "await_feed",
    "build_cancellation_feed",
    "check_order_acknowledgement_feed",
    "parse_processing_report",
    "submit_cancellation_feed",
    "wait_for_feed",
]
