"""The sync window: bounds from the cursor, the overlap and Amazon's two-minute rule."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from amzcancel.sync._window import (
    AMAZON_MIN_LAG,
    DEFAULT_LOOKBACK,
    DEFAULT_SAFETY,
    Window,
    next_window,
)

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


def test_upper_bound_stays_two_minutes_and_a_margin_before_now() -> None:
    """LastUpdatedBefore is never later than two minutes (plus safety) before now."""
    window = next_window(cursor=None, now=NOW)
    assert window.before == NOW - AMAZON_MIN_LAG - DEFAULT_SAFETY
    assert NOW - window.before > timedelta(minutes=2)


def test_first_run_starts_at_since_or_the_default_lookback() -> None:
    """Without a cursor the window starts at --since, else seven days back."""
    since = datetime(2026, 11, 1, tzinfo=UTC)
    assert next_window(cursor=None, now=NOW, since=since).after == since
    assert next_window(cursor=None, now=NOW).after == NOW - DEFAULT_LOOKBACK


def test_cursor_wins_over_since_and_is_moved_back_by_the_overlap() -> None:
    """A stored cursor decides the lower bound; --since only applies to the first run."""
    cursor = NOW - timedelta(hours=1)
    window = next_window(
        cursor=cursor, now=NOW, since=datetime(2026, 1, 1, tzinfo=UTC), overlap=timedelta(minutes=5)
    )
    assert window.after == cursor - timedelta(minutes=5)


def test_window_is_empty_when_the_cursor_is_recent() -> None:
    """Nothing is asked of Amazon when the cursor is already within the lag of now."""
    window = next_window(cursor=NOW - timedelta(seconds=30), now=NOW, overlap=timedelta(0))
    assert window.is_empty


def test_first_part_is_capped_at_the_span() -> None:
    """A window split after token expiry covers at most the span, never past its end."""
    window = Window(NOW - timedelta(hours=10), NOW)
    assert window.first_part(timedelta(hours=4)) == Window(
        window.after, window.after + timedelta(hours=4)
    )
    assert window.first_part(timedelta(days=1)) == window
