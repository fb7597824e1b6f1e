"""One demo marketplace across processes: what a command changed, the next one still sees.

Every ``amzcancel ... --sandbox`` command runs in a process of its own. Each used to get a
freshly generated demo marketplace, so an order cancelled by ``amzcancel cancel --sandbox`` was
open again for the next ``sync``. Now the demo is kept in a small JSON file next to the store
(:func:`demo_state_path`): the clock's start, how far the clock got, and the log of what was done
to the marketplace (:mod:`amzcancel.sandbox._changes`). Opening it generates the same
marketplace from the same start and replays the log at the clock times it happened; then time
moves on: by the real time since the file was saved, and at least :data:`MIN_STEP_SECONDS`, so
that a change the last command made is older than the two minutes a sync's window leaves out.

Two commands that run at once each add their own changes when they save (the log is merged by
change id); the clock keeps the later time.

Added in 0.2.0.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from amzcancel.clock import Clock, FakeClock, SystemClock
from amzcancel.errors import ConfigError
from amzcancel.sandbox._changes import Change, feed_of
from amzcancel.sandbox._marketplace import Marketplace

__all__ = ["MIN_STEP_SECONDS", "STATE_VERSION", "demo_session", "demo_state_path"]

STATE_VERSION = 1
"""The ``amzcancel_sandbox`` version of the state file this release reads and writes."""

MIN_STEP_SECONDS = 300.0
"""The least simulated time between the end of one command and the start of the next.

A sync's window ends 2.5 minutes before its clock's now (Amazon's two minutes and a margin):
five minutes puts what the previous command did (a feed applied a minute after it was created)
inside the next sync's window."""

_SUFFIX = ".sandbox.json"
_ELSEWHERE = "amzcancel" + _SUFFIX  # beside a PostgreSQL store: in the working directory


def demo_state_path(store: str | os.PathLike[str]) -> Path:
    """Where the demo marketplace of ``store`` is kept: ``<store>.sandbox.json``.

    A ``postgresql://`` store has no file to sit next to: its demo is kept in
    ``./amzcancel.sandbox.json``.

    Added in 0.2.0.
    """
    text = os.fspath(store)
    if text.startswith(("postgresql://", "postgres://")):
        return Path(_ELSEWHERE)
    return Path(text + _SUFFIX)


@dataclass(frozen=True)
class _Saved:
    marketplace_ids: tuple[str, ...]
    start: datetime
    elapsed: float
    saved_at: datetime
    changes: tuple[Change, ...]


@contextmanager
def demo_session(
    path: str | os.PathLike[str],
    *,
    marketplace_ids: Sequence[str] | None = None,
    wall_clock: Clock | None = None,
) -> Iterator[Marketplace]:
    """The demo marketplace saved in the file ``path``, saved again when the block ends.

    The first session makes a new :meth:`Marketplace.demo` (of ``marketplace_ids``, default
    the US marketplace); each later one is the same marketplace with everything done to it
    since (cancellation feeds, buyer requests, shipments), its clock moved on by the real time
    since it was saved and at least :data:`MIN_STEP_SECONDS`. Every ``amzcancel ... --sandbox``
    command works this way, with the file next to its store (:func:`demo_state_path`)::

        from amzcancel.sandbox import demo_session

        with demo_session("amzcancel.db.sandbox.json") as mp:
            with mp.order_sync(store="amzcancel.db") as sync:
                sync.run_once()

    Args:
        path: the state file (created on first use).
        marketplace_ids: the marketplaces of a new demo; a saved one must have the same.
        wall_clock: the real clock, whose time between two sessions moves the demo's on
            (tests pass a :class:`~amzcancel.clock.FakeClock`).

    Raises:
        ConfigError: the file cannot be read or written, or holds a marketplace of other
            ``marketplace_ids``.

    Added in 0.2.0.
    """
    cls = Marketplace
    target = Path(path)
    wall = wall_clock or SystemClock()
    saved = _read(target)
    if saved is None:
        market = cls.demo(
            **({} if marketplace_ids is None else {"marketplace_ids": marketplace_ids})
        )
    else:
        if marketplace_ids is not None and tuple(marketplace_ids) != saved.marketplace_ids:
            raise ConfigError(
                f"the sandbox in {target} is a marketplace of {', '.join(saved.marketplace_ids)}, "
                f"not of {', '.join(marketplace_ids)}; leave out --marketplace, or remove "
                f"{target} (and the store's sandbox rows) to start a new sandbox"
            )
        market = _rebuild(cls, saved)
        away = (wall.now() - saved.saved_at).total_seconds()
        market.advance(max(away, MIN_STEP_SECONDS))
    try:
        yield market
    finally:
        _write(target, market, wall.now())


def _rebuild(cls: type[Marketplace], saved: _Saved) -> Marketplace:
    clock = FakeClock(saved.start)
    market = cls.demo(marketplace_ids=saved.marketplace_ids, clock=clock)
    market._changes.paused = True  # replayed changes are in the log already
    try:
        for change in sorted(saved.changes, key=lambda c: c.at):
            clock.advance(max(change.at - clock.monotonic(), 0.0))
            if change.kind == "feed":
                # createFeed was answered after the marketplace caught up with its clock.
                market.advance(0)
                market._feeds.restore(feed_of(change))
            else:
                market._apply(change)
        market.advance(max(saved.elapsed - clock.monotonic(), 0.0))
    finally:
        market._changes.paused = False
    for change in saved.changes:
        market._changes.record_change(change)
    market.notifications()  # news of earlier sessions is not news again
    return market


def _read(path: Path) -> _Saved | None:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the saved sandbox: {exc.strerror}") from exc
    try:
        doc = json.loads(text)
        if doc.get("amzcancel_sandbox") != STATE_VERSION:
            raise ValueError(f"version {doc.get('amzcancel_sandbox')!r}")
        return _Saved(
            marketplace_ids=tuple(str(m) for m in doc["marketplace_ids"]),
            start=_utc(doc["start"]),
            elapsed=float(doc["elapsed_seconds"]),
            saved_at=_utc(doc["saved_at"]),
            changes=tuple(
                Change(str(c["kind"]), float(c["at"]), dict(c["args"]), str(c["id"]))
                for c in doc["changes"]
            ),
        )
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise ConfigError(
            f"{path}: not a saved sandbox this amzcancel can read ({exc}); remove it (and the "
            "store's sandbox rows) to start a new sandbox"
        ) from exc


def _utc(text: Any) -> datetime:
    value = datetime.fromisoformat(str(text))
    if value.tzinfo is None:
        raise ValueError(f"a time without a zone: {text!r}")
    return value.astimezone(UTC)


def _write(path: Path, market: Marketplace, now: datetime) -> None:
    clock = market.clock
    if not isinstance(clock, FakeClock):  # pragma: no cover - demo() always makes one
        raise ConfigError("only a demo marketplace on a FakeClock can be saved")
    elapsed = clock.monotonic()
    changes = {change.id: change for change in market._changes.changes()}
    try:
        current = _read(path)
    except ConfigError:
        current = None  # unreadable: ours replaces it
    if current is not None and current.start == _start(clock):
        # Another command saved meanwhile: keep its changes and the later of the two clocks.
        changes = {c.id: c for c in current.changes} | changes
        elapsed = max(elapsed, current.elapsed)
    doc = {
        "amzcancel_sandbox": STATE_VERSION,
        "marketplace_ids": list(market.marketplace_ids),
        "start": _start(clock).isoformat(),
        "elapsed_seconds": elapsed,
        "saved_at": now.astimezone(UTC).isoformat(),
        "changes": [c.to_json() for c in sorted(changes.values(), key=lambda c: c.at)],
    }
    _replace(path, json.dumps(doc, indent=1) + "\n")


def _start(clock: FakeClock) -> datetime:
    return clock.now() - timedelta(seconds=clock.monotonic())


def _replace(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` atomically (a reader sees the old file or the new one)."""
    partial: str | None = None
    try:
        handle, partial = tempfile.mkstemp(prefix=path.name, suffix=".partial", dir=path.parent)
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(partial, path)
    except OSError as exc:
        if partial is not None:
            Path(partial).unlink(missing_ok=True)
        raise ConfigError(f"{path}: cannot save the sandbox: {exc.strerror}") from exc
