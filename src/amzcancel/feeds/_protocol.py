"""The Feeds API 2021-06-30 calls of a cancellation, without I/O.

Request bodies and response parsing shared by the sync and async submission flows
(:mod:`amzcancel.feeds._submit`). Paths, field names and statuses follow Amazon's
``feeds_2021-06-30.json`` model.

Added in 0.1.0.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import httpx

from amzcancel.errors import ParseError
from amzcancel.feeds._model import FeedError
from amzcancel.wire._json import load_json_object

__all__ = [
    "FEEDS_PATH",
    "FEED_CONTENT_TYPE",
    "FEED_TYPE",
    "FINAL_STATUSES",
    "FeedDocument",
    "FeedStatus",
    "create_document_body",
    "create_feed_body",
    "document_path",
    "feed_path",
    "parse_create_document",
    "parse_create_feed",
    "parse_feed",
    "parse_feed_document",
]

FEEDS_PATH = "/feeds/2021-06-30"
FEED_TYPE = "POST_ORDER_ACKNOWLEDGEMENT_DATA"
"""The feed type of the OrderAcknowledgement XML feed."""
FEED_CONTENT_TYPE = "text/xml; charset=UTF-8"
"""The content type declared in createFeedDocument and sent again on the upload."""
FINAL_STATUSES = frozenset({"DONE", "CANCELLED", "FATAL"})
_STATUSES = FINAL_STATUSES | {"IN_QUEUE", "IN_PROGRESS"}
_SOURCE = "feeds"


@dataclass(frozen=True)
class FeedDocument:
    """A feed document: where to upload to, or where to download a result from."""

    feed_document_id: str
    url: str
    compression_algorithm: str | None = None

    def __repr__(self) -> str:
        # The presigned URL is a bearer credential for the document: keep it out of logs.
        return f"FeedDocument(feed_document_id={self.feed_document_id!r}, url=<presigned>)"


@dataclass(frozen=True)
class FeedStatus:
    """The fields of ``getFeed`` the flow needs."""

    feed_id: str
    processing_status: str
    result_feed_document_id: str | None

    @property
    def is_final(self) -> bool:
        """Whether processing has ended (DONE, CANCELLED or FATAL)."""
        return self.processing_status in FINAL_STATUSES


def create_document_body() -> dict[str, str]:
    """The createFeedDocument request body."""
    return {"contentType": FEED_CONTENT_TYPE}


def create_feed_body(feed_document_id: str, marketplace_ids: Sequence[str]) -> dict[str, Any]:
    """The createFeed request body.

    Raises:
        FeedError: no marketplace, or more than the model's 25.
    """
    ids = list(marketplace_ids)
    if not 1 <= len(ids) <= 25:
        raise FeedError("createFeed needs between 1 and 25 marketplace ids")
    return {"feedType": FEED_TYPE, "marketplaceIds": ids, "inputFeedDocumentId": feed_document_id}


def feed_path(feed_id: str) -> str:
    """The getFeed path for ``feed_id``."""
    return f"{FEEDS_PATH}/feeds/{_segment(feed_id)}"


def document_path(feed_document_id: str) -> str:
    """The getFeedDocument path for ``feed_document_id``."""
    return f"{FEEDS_PATH}/documents/{_segment(feed_document_id)}"


def parse_create_document(response: httpx.Response) -> FeedDocument:
    """Read createFeedDocument's answer: ``{feedDocumentId, url}``."""
    body = _body(response, "createFeedDocument")
    return FeedDocument(_text(body, "feedDocumentId"), _text(body, "url"))


def parse_create_feed(response: httpx.Response) -> str:
    """Read createFeed's answer: ``{feedId}``."""
    return _text(_body(response, "createFeed"), "feedId")


def parse_feed(response: httpx.Response) -> FeedStatus:
    """Read getFeed's answer (a ``Feed``)."""
    body = _body(response, "getFeed")
    status = _text(body, "processingStatus")
    if status not in _STATUSES:
        raise ParseError(
            "unknown processingStatus",
            source=_SOURCE,
            location="getFeed.processingStatus",
            fragment=status,
        )
    result = body.get("resultFeedDocumentId")
    return FeedStatus(
        _text(body, "feedId"), status, result if isinstance(result, str) and result else None
    )


def parse_feed_document(response: httpx.Response) -> FeedDocument:
    """Read getFeedDocument's answer: ``{feedDocumentId, url, compressionAlgorithm?}``."""
    body = _body(response, "getFeedDocument")
    compression = body.get("compressionAlgorithm")
    return FeedDocument(
        _text(body, "feedDocumentId"),
        _text(body, "url"),
        compression if isinstance(compression, str) else None,
    )


def _segment(value: str) -> str:
    if not value or "/" in value or "?" in value or "#" in value:
        raise FeedError(f"not a usable Feeds API id: {value!r}")
    return value


def _body(response: httpx.Response, operation: str) -> Mapping[str, Any]:
    try:
        return load_json_object(response.content, source=_SOURCE)
    except ParseError as exc:
        exc.location = f"{operation} response"
        raise


def _text(body: Mapping[str, Any], name: str) -> str:
    value = body.get(name)
    if not isinstance(value, str) or not value:
        raise ParseError(f"missing {name}", source=_SOURCE, location=name)
    return value
