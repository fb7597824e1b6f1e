"""``amzcancel cancel``'s progress while Amazon processes the feed (usually a few minutes).

On a terminal, one status line on stderr that keeps changing (spinner, feed status, time
waited, next check); piped or redirected, a line at each step and each change of status, and
every few minutes while nothing changes, so a log shows the command is alive.

Added in 0.2.0.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console

from amzcancel.feeds import FeedProgress

__all__ = ["LOG_EVERY_SECONDS", "describe", "feed_progress"]

LOG_EVERY_SECONDS = 300.0
"""Piped output repeats an unchanged status this often."""


def _duration(seconds: float) -> str:
    whole = round(seconds)
    return f"{whole // 60}m {whole % 60:02d}s" if whole >= 60 else f"{whole}s"


def describe(step: FeedProgress, order_id: str) -> str:
    """The line that tells a person where the cancellation of ``order_id`` is."""
    feed = f"feed {step.feed_id}"
    if step.stage == "checking":
        return f"order {order_id}: reading it again to check the cancellation against the policy"
    if step.stage == "uploading":
        return f"order {order_id}: uploading the cancellation feed"
    if step.stage == "submitted":
        return f"{feed} submitted; Amazon usually processes a feed within a few minutes"
    if step.stage == "processing":
        nxt = (
            "" if step.next_poll_seconds is None else f"; next check in {step.next_poll_seconds:g}s"
        )
        return (
            f"{feed} {step.processing_status} after {_duration(step.waited_seconds)}{nxt} "
            "(Ctrl-C stops waiting, not the feed: run the same command again to pick it up)"
        )
    if step.stage == "downloading":
        return f"{feed} {step.processing_status}; reading the processing report"
    return f"{feed} {step.processing_status} after {_duration(step.waited_seconds)}"


@contextmanager
def feed_progress(order_id: str, console: Console) -> Iterator[Callable[[FeedProgress], None]]:
    """Yield the ``on_progress`` callback that shows the submission's steps on ``console``."""
    if console.is_terminal:
        with console.status("", spinner="dots") as status:

            def update(step: FeedProgress) -> None:
                status.update(describe(step, order_id))

            yield update
        return
    last: list[tuple[str, str | None, float]] = []

    def log(step: FeedProgress) -> None:
        key = (step.stage, step.processing_status)
        if last and last[0][:2] == key and step.waited_seconds - last[0][2] < LOG_EVERY_SECONDS:
            return
        last[:] = [(*key, step.waited_seconds)]
        console.print(describe(step, order_id), highlight=False, soft_wrap=True)

    yield log
