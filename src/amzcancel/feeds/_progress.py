"""What a feed submission is doing, told as it goes (a feed can take minutes to process).

Added in 0.2.0.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

__all__ = ["FeedProgress", "FeedStage", "ProgressCallback"]

FeedStage = Literal["checking", "uploading", "submitted", "processing", "downloading", "done"]
"""The steps of a submission, in order (a resumed wait starts at ``processing``)."""


@dataclass(frozen=True)
class FeedProgress:
    """One step of a cancellation feed's submission, handed to ``on_progress``.

    Added in 0.2.0.
    """

    stage: FeedStage
    """``checking`` the orders again, ``uploading`` the document, ``submitted`` (createFeed
    answered), ``processing`` (each getFeed answer while Amazon works on it), ``downloading``
    the processing report, ``done`` (processing ended, whatever its status)."""
    feed_id: str | None = None
    """The feed id, from ``submitted`` on."""
    processing_status: str | None = None
    """Amazon's ``processingStatus`` (IN_QUEUE, IN_PROGRESS, DONE, CANCELLED, FATAL)."""
    polls: int = 0
    """getFeed calls so far."""
    waited_seconds: float = 0.0
    """Clock time since the wait for processing began."""
    next_poll_seconds: float | None = None
    """When the next getFeed call is made (``processing`` only)."""


ProgressCallback = Callable[[FeedProgress], None]
"""What ``on_progress`` is called with."""
