"""What the cancellation feed code hands back: the feed, its processing report, the outcome.

Added in 0.1.0.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from amzcancel.errors import AmzCancelError
from amzcancel.policy import CancelDecision, CancelReason

__all__ = [
    "CancellationFeed",
    "FeedError",
    "FeedMessage",
    "FeedResult",
    "FeedSubmission",
    "ProcessingReport",
    "ProcessingResult",
]

_MODEL_CONFIG = ConfigDict(frozen=True, strict=True, extra="forbid", use_attribute_docstrings=True)


class FeedError(AmzCancelError):
    """A cancellation feed that cannot be built or that Amazon did not process.

    Raised for a decision that is not consistent, a reason the feed schema lacks
    (PricingError), a document that breaks the OrderAcknowledgement schema or does not match its
    decisions, and a feed whose processing ended CANCELLED or FATAL.

    Added in 0.1.0.
    """


class FeedMessage(BaseModel):
    """One ``Message`` of the feed: one order's acknowledgement."""

    model_config = _MODEL_CONFIG

    message_id: int
    """The ``MessageID``: 1, 2, ... in document order; the processing report refers to it."""
    amazon_order_id: str
    """The order the message cancels (in whole or in part)."""
    order_item_ids: tuple[str, ...]
    """The items it cancels, each with ``reason``."""
    reason: CancelReason
    """The ``CancelReason`` written on every item of the message."""
    whole_order: bool
    """True when every item of the order is cancelled."""


class CancellationFeed(BaseModel):
    """An OrderAcknowledgement feed document that cancels orders or items.

    Added in 0.1.0.
    """

    model_config = _MODEL_CONFIG

    merchant_id: str
    """The ``MerchantIdentifier`` in the header (the seller's merchant token)."""
    xml: str
    """The feed document, UTF-8 XML text."""
    messages: tuple[FeedMessage, ...]
    """What each message cancels."""
    decisions: tuple[CancelDecision, ...]
    """The guard's decisions the feed was built from (overrides included); the submission
    judges them again and sends the document they make, nothing else."""

    @property
    def content(self) -> bytes:
        """The document as the bytes to upload."""
        return self.xml.encode("utf-8")

    @property
    def overrides(self) -> tuple[CancelDecision, ...]:
        """The decisions the caller forced through against the policy."""
        return tuple(d for d in self.decisions if d.overridden)


class ProcessingResult(BaseModel):
    """One ``Result`` of a processing report: an error or warning about one message."""

    model_config = _MODEL_CONFIG

    message_id: int | None
    """The ``MessageID`` it is about (0 or missing for document-level results)."""
    result_code: str
    """``Error`` or ``Warning``."""
    result_message_code: str | None = None
    """Amazon's numeric code for the message, e.g. ``18028``."""
    description: str | None = None
    """Amazon's explanation."""
    amazon_order_id: str | None = None
    """``AdditionalInfo/AmazonOrderID``, when given."""


class ProcessingReport(BaseModel):
    """The processing report of an XML feed (``AmazonEnvelope/Message/ProcessingReport``).

    Added in 0.1.0.
    """

    model_config = _MODEL_CONFIG

    document_transaction_id: str | None
    """Amazon's id of the processed document."""
    status_code: str | None
    """``Complete`` when processing finished."""
    messages_processed: int
    """``ProcessingSummary/MessagesProcessed``."""
    messages_successful: int
    """``ProcessingSummary/MessagesSuccessful``."""
    messages_with_error: int
    """``ProcessingSummary/MessagesWithError``."""
    messages_with_warning: int
    """``ProcessingSummary/MessagesWithWarning``."""
    results: tuple[ProcessingResult, ...] = ()
    """Errors and warnings, one per ``Result``."""

    @property
    def errors(self) -> tuple[ProcessingResult, ...]:
        """The results with ``ResultCode`` Error."""
        return tuple(r for r in self.results if r.result_code == "Error")

    def summary(self) -> str:
        """A one-line summary, e.g. ``processed 2, successful 1, errors 1, warnings 0``."""
        return (
            f"processed {self.messages_processed}, successful {self.messages_successful}, "
            f"errors {self.messages_with_error}, warnings {self.messages_with_warning}"
        )


class FeedResult(BaseModel):
    """How Amazon processed a feed: its final status and processing report.

    Added in 0.2.0.
    """

    model_config = _MODEL_CONFIG

    feed_id: str
    """The ``feedId`` createFeed returned."""
    processing_status: str
    """The final ``processingStatus`` (``DONE``, ``CANCELLED`` or ``FATAL``)."""
    result_feed_document_id: str | None
    """The processing report's document id."""
    report: ProcessingReport | None
    """The parsed processing report (``None`` when Amazon gave none)."""

    def errors_for(self, amazon_order_id: str) -> tuple[ProcessingResult, ...]:
        """The report's errors about one order (by its message's ``AmazonOrderID``)."""
        if self.report is None:
            return ()
        return tuple(r for r in self.report.errors if r.amazon_order_id in (None, amazon_order_id))


class FeedSubmission(FeedResult):
    """The outcome of submitting a cancellation feed through the Feeds API.

    Added in 0.1.0.
    """

    feed_document_id: str
    """The ``feedDocumentId`` the feed was uploaded to."""
    feed: CancellationFeed
    """The feed that was submitted, with its decisions and overrides."""
