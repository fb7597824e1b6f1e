"""``amzcancel sync``: bring the store up to date with Amazon.

Added in 0.1.0.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn

from amzcancel._commands._options import (
    add_paths,
    add_region,
    add_since,
    add_store,
    refuse_endpoints_with_sandbox,
    sandbox_marketplace,
    store_target,
)
from amzcancel._commands._shared import duration_arg
from amzcancel.clock import Clock
from amzcancel.errors import AmzCancelError, ConfigError
from amzcancel.sync import OrderSync, SyncProgress, SyncResult

__all__ = ["register"]


def register(subparsers: Any) -> None:
    """Add ``sync`` to the CLI."""
    parser = subparsers.add_parser(
        "sync",
        help="bring the local store up to date with Amazon",
        description=(
            "Poll Amazon for orders updated since the last sync and record every buyer "
            "cancellation request. Credentials come from LWA_APP_ID, LWA_CLIENT_SECRET, "
            "SP_API_REFRESH_TOKEN (MWS: MWS_ACCESS_KEY, MWS_SECRET_KEY, MWS_SELLER_ID)."
        ),
    )
    parser.add_argument(
        "--api",
        choices=("auto", "2026", "v0", "mws"),
        default="auto",
        help="orders API (default auto: Orders 2026-01-01, else v0)",
    )
    add_paths(parser)
    add_store(parser)
    add_since(
        parser, "where the first sync starts (default 7 days back; UTC if no offset is given)"
    )
    parser.add_argument(
        "--marketplace",
        action="append",
        dest="marketplaces",
        metavar="ID",
        help="marketplace id, repeatable (default ATVPDKIKX0DER)",
    )
    add_region(parser)
    parser.add_argument("--endpoint", metavar="URL", help="SP-API (or MWS) base URL")
    parser.add_argument("--lwa-endpoint", metavar="URL", help="LWA token URL")
    parser.add_argument(
        "--sandbox", action="store_true", help="sync the built-in simulated marketplace"
    )
    parser.add_argument(
        "--every",
        type=duration_arg,
        metavar="DURATION",
        help="keep syncing, this long apart (90s, 5m, 1h) until SIGTERM/Ctrl+C; a failed run "
        "is logged and tried again next time, refused credentials end it",
    )
    parser.add_argument("--json", action="store_true", help="print a JSON summary on stdout")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Run one sync with the parsed arguments; returns the exit status."""
    refuse_endpoints_with_sandbox(args)
    if args.every is not None and args.sandbox:
        raise ConfigError(
            "--every runs against Amazon; the built-in sandbox lives on simulated time "
            "(serve one with 'amzcancel sandbox serve' and pass its URL instead)"
        )
    progress = _ProgressRelay()
    if not args.sandbox:
        from amzcancel.sync import OrderSync

        options = _options(args, progress)
        sync = OrderSync(
            endpoint=args.endpoint, lwa_endpoint=args.lwa_endpoint, region=args.region, **options
        )
        return _run(args, sync, progress, None)
    with sandbox_marketplace(store_target(args), marketplace_ids=args.marketplaces) as market:
        options = _options(args, progress, default_marketplaces=market.marketplace_ids)
        return _run(args, market.order_sync(**options), progress, market.clock)


def _options(
    args: argparse.Namespace,
    progress: _ProgressRelay,
    *,
    default_marketplaces: Sequence[str] | None = None,
) -> dict[str, Any]:
    from amzcancel.sync import DEFAULT_MARKETPLACE

    return {
        "store": store_target(args),
        "api": args.api,
        "paths": args.paths,
        "since": args.since,
        "marketplaces": args.marketplaces or list(default_marketplaces or [DEFAULT_MARKETPLACE]),
        "on_progress": progress,
    }


def _run(
    args: argparse.Namespace,
    sync: OrderSync,
    progress: _ProgressRelay,
    sandbox_clock: Clock | None,
) -> int:
    """Run ``sync`` once with a progress line; ``sandbox_clock``: the simulated clock."""
    with sync:
        _ = sync.account  # resolves the credentials: a missing variable fails before any output
        console = Console(stderr=True)
        if not console.is_terminal:
            console.width = max(console.width, 160)  # a log line, not a screen: do not cut it
        if args.every is not None:
            return _run_every(sync, args)
        started = None if sandbox_clock is None else sandbox_clock.monotonic()
        try:
            with _progress(console) as progress.target:
                result = sync.run_once()
        except AmzCancelError as exc:
            _record(sync, exc)
            _report_partial(sync.last_result, as_json=args.json)
            raise
        _record(sync, None)
    simulated = None if sandbox_clock is None else sandbox_clock.monotonic() - (started or 0.0)
    _print_result(result, args.json, simulated)
    return 0


def _run_every(sync: OrderSync, args: argparse.Namespace) -> int:
    """Sync every ``--every`` until stopped: one line (or JSON object) per run, a log rather
    than a progress screen; each run is recorded for ``amzcancel status``."""

    def report(result: SyncResult) -> None:
        _record(sync, None)
        _print_result(result, args.json, None)

    sync.run_forever(interval=args.every, on_result=report)
    return 0


def _record(sync: OrderSync, error: AmzCancelError | None) -> None:
    """Record the run for ``amzcancel status`` (a store that cannot be written says so once)."""
    try:
        sync.store.record_run(
            sync.account, ok=error is None, error=None if error is None else str(error)
        )
    except AmzCancelError as exc:
        print(f"amzcancel sync: could not record the run: {exc}", file=sys.stderr)


def _print_result(result: SyncResult, as_json: bool, simulated_seconds: float | None) -> None:
    if as_json:
        print(json.dumps(result.to_json()), flush=True)
    else:
        _print_summary(result, simulated_seconds=simulated_seconds)
        sys.stdout.flush()


class _ProgressRelay:
    """The engine's progress callback, forwarding to the display once it is up."""

    def __init__(self) -> None:
        self.target: Callable[[SyncProgress], None] | None = None

    def __call__(self, progress: SyncProgress) -> None:
        if self.target is not None:
            self.target(progress)


@contextmanager
def _progress(console: Console) -> Iterator[Callable[[SyncProgress], None]]:
    """A rich progress line on stderr; yields the engine's ``on_progress`` callback."""
    progress = Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.fields[fetched]}"),
        TextColumn("{task.fields[detail]}"),
        console=console,
        transient=False,
    )
    task = progress.add_task("sync", total=None, fetched="", detail="")

    def update(p: SyncProgress) -> None:
        total = p.item_fetches_planned or None
        progress.update(
            task,
            description=f"sync {p.api}",
            total=total,
            completed=p.item_fetches_done,
            fetched=f"item calls {p.item_fetches_done}/{total} ·" if total else "",
            detail=progress_detail(p),
        )

    with progress:
        try:
            yield update
        except BaseException:
            # An error is reported on one line of its own; the bar leaves nothing behind.
            progress.live.transient = True
            raise


def _report_partial(result: SyncResult | None, *, as_json: bool) -> None:
    """Say what a failed run kept: what it read is stored, and the next run goes on from it."""
    if result is None:
        return
    if as_json:
        print(json.dumps(result.to_json()))
    if result.orders_changed or result.events:
        print(
            f"amzcancel sync: stored {result.orders_changed} new or changed orders and "
            f"{result.events} events before the failure; "
            f"{result.buyer_cancel_requests} open buyer cancel requests are in the store; "
            "the next sync goes on from there",
            file=sys.stderr,
        )


def progress_detail(p: SyncProgress) -> str:
    """The counters of the progress line.

    "API calls", not "requests": the summary's "open buyer cancel requests" are another thing.
    Time waited for rate limits is clock time with at least one call waiting, so it never
    exceeds the run's time however many calls wait at once.

    Added in 0.2.0.
    """
    detail = (
        f"pages {p.pages} · orders {p.orders_seen} · items {p.items_seen} · "
        f"API calls {p.requests} ({p.throttled} throttled) · "
        f"waited for rate limits {duration(p.rate_limited_seconds)}"
    )
    if p.restarts:
        detail += f" · restarts {p.restarts}"
    if p.orders_by_path:
        detail += " · " + _orders_by_path(p.orders_by_path)
        waits = ", ".join(
            f"{op} {duration(s)}" for op, s in p.rate_limited_seconds_by_operation.items()
        )
        detail += f" · waits: {waits}" if waits else ""
    return detail


def duration(seconds: float) -> str:
    """``0.4s``, ``12.3s``, ``9m 26s``, ``2h 05m``: a span of time as a person reads it.

    Added in 0.2.0.
    """
    if seconds < 60:
        return f"{seconds:.1f}s"
    whole = round(seconds)
    if whole < 3600:
        return f"{whole // 60}m {whole % 60:02d}s"
    return f"{whole // 3600}h {whole % 3600 // 60:02d}m"


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _orders_by_path(counts: Mapping[str, int]) -> str:
    return "orders by path: " + ", ".join(f"{path} {n}" for path, n in counts.items())


def took_text(result: SyncResult, simulated_seconds: float | None) -> str:
    """How long a run took, and how much of it went to waiting for rate limits.

    In the sandbox the waits pass on its simulated clock, not the wall clock: both are named.

    Added in 0.2.0.
    """
    waited = result.rate_limited_seconds
    waits = f"{duration(waited)} of it waiting for rate limits" if waited >= 0.05 else ""
    if simulated_seconds is not None and simulated_seconds >= 1:
        clock = f"sandbox clock {duration(simulated_seconds)}" + (f", {waits}" if waits else "")
        return f"{duration(result.seconds)} ({clock})"
    return duration(result.seconds) + (f" ({waits})" if waits else "")


def _print_summary(result: SyncResult, *, simulated_seconds: float | None) -> None:
    out = sys.stdout
    took = took_text(result, simulated_seconds)
    out.write(
        f"synced {_count(result.orders_seen, 'order')} ({result.orders_changed} new or changed, "
        f"{_count(result.items_seen, 'item')}) via {result.api} in {took}; "
        f"{_count(result.requests, 'API call')}, {result.throttled} throttled\n"
    )
    if result.orders_by_path:
        out.write(_orders_by_path(result.orders_by_path) + "\n")
    out.write(
        f"{_count(result.events, 'new event')}; "
        f"{_count(result.buyer_cancel_requests, 'open buyer cancel request')} "
        "(see: amzcancel pending" + (")\n" if simulated_seconds is None else "; sandbox account)\n")
    )
    if result.set_aside:
        ids = ", ".join(order_id for order_id, _ in result.set_aside[:10])
        more = f" and {len(result.set_aside) - 10} more" if len(result.set_aside) > 10 else ""
        out.write(
            f"{len(result.set_aside)} orders could not be read and are set aside; the next sync "
            f"reads them again: {ids}{more}\n"
        )
    if result.set_aside_recovered:
        out.write(
            f"{result.set_aside_recovered} orders set aside earlier read well and are stored\n"
        )
    if result.unreadable_without_id:
        out.write(
            f"{result.unreadable_without_id} listed orders could not be read and carry no "
            "order id (see the warnings above)\n"
        )
