"""From a buyer's request at "Amazon" to its event in the outbox: push + polling vs polling alone.

    python benchmarks/bench_latency.py                        # 200 requests over 5 minutes
    python benchmarks/bench_latency.py --requests 20 --spread 60 --json     # a smoke run

Each variant runs a fresh sandbox in live mode on a simulated clock (``FakeClock``), stocked
with orders and already synced once; then ``--requests`` buyer requests land at random moments
over ``--spread`` seconds. The clock moves in steps of ``--step`` seconds. Per step:

* the marketplace applies what became due and pushes the notifications whose delivery is due
  to a real SQS-compatible server on 127.0.0.1 (moto), through boto3, as Amazon would: the
  delay is 0.5x to 1.5x of ``--push-delay``;
* the listener receives from that queue (the same boto3 client it uses against AWS), applies
  each message to a SQLite store and deletes it, and confirms notified orders with ``getOrder``
  when the 0.5/s bucket has a token (confirmation runs beside receiving, as in ``listen``);
  the real time the consumer spent is added to the simulated clock, so its own work counts;
* the polling sync runs when its interval is due (windows end two minutes and the safety margin
  before "now", as Amazon requires).

A request's latency is the simulated time at the end of the step in which its event appeared in
the outbox, minus the moment the buyer asked (the store's ``recorded_at`` keeps whole seconds
only, so it is not used). Recall is the share of requests with an event; duplicates are
requests with more than one ``buyer_cancel_requested`` event.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import random
import sys
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

from local_sqs import aws_environment, local_sqs  # noqa: E402

from amzcancel.clock import FakeClock  # noqa: E402
from amzcancel.models import FulfillmentChannel, OrderStatus  # noqa: E402
from amzcancel.push import DEFAULT_RECONCILE_SECONDS, Listener, PushAccount, SqsQueue  # noqa: E402
from amzcancel.sandbox import SANDBOX_MWS_SELLER_ID, Marketplace, PushOptions  # noqa: E402
from amzcancel.sync import EventType, SqliteStore  # noqa: E402
from amzcancel.sync.facade import DEFAULT_INTERVAL_SECONDS  # noqa: E402

REASONS = ("Found a better price", "Ordered by mistake", "Need it sooner")


@dataclass(frozen=True)
class Variant:
    name: str
    push: bool
    poll_seconds: float
    loss: float = 0.0
    duplicates: float = 0.0


VARIANTS = (
    Variant("push + polling", True, DEFAULT_RECONCILE_SECONDS),
    Variant("push + polling, 10% lost", True, DEFAULT_RECONCILE_SECONDS, loss=0.1),
    Variant("push + polling, 10% duplicated", True, DEFAULT_RECONCILE_SECONDS, duplicates=0.1),
    Variant("polling alone, every 180 s (default)", False, DEFAULT_INTERVAL_SECONDS),
    Variant("polling alone, every 60 s", False, 60.0),
)


@dataclass
class Outcome:
    variant: str
    requests: int
    recall: float
    duplicates: int
    p50: float | None
    p95: float | None
    max: float | None
    sent: int
    lost: int
    simulated_seconds: float
    real_seconds: float


def percentile(values: list[float], share: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


async def run_variant(
    variant: Variant, args: argparse.Namespace, sqs: Any, folder: Path
) -> Outcome:
    started = time.perf_counter()
    clock = FakeClock(datetime(2026, 11, 20, 8, 0, tzinfo=UTC))
    queue_url = sqs.create_queue(QueueName=f"bench-{uuid.uuid4().hex[:10]}")["QueueUrl"]
    push = (
        PushOptions(
            queue_url,
            delay_seconds=args.push_delay,
            loss=variant.loss,
            duplicates=variant.duplicates,
        )
        if variant.push
        else None
    )
    mp = Marketplace(
        seed=args.seed, orders=args.orders, clock=clock, live=True, days=2.0, push=push
    )
    store = SqliteStore(folder / f"{uuid.uuid4().hex[:8]}.db", clock=clock)
    sync = mp.order_sync(store=store)
    await sync.arun_once()  # the backlog is in step before the first request
    listener = (
        Listener(
            queue=SqsQueue(queue_url, wait_seconds=0),
            store=store,
            accounts=[PushAccount(sync.account, seller_id=SANDBOX_MWS_SELLER_ID, sync=sync)],
            clock=clock,
            reconcile_seconds=None,
        )
        if variant.push
        else None
    )
    client = await sync.aclient()
    rng = random.Random(f"latency:{args.seed}")
    start = clock.monotonic()
    moments = sorted(rng.uniform(0, args.spread) for _ in range(args.requests))
    asked: dict[tuple[str, str], datetime] = {}
    seen: Counter[tuple[str, str]] = Counter()
    latencies: list[float] = []
    next_poll = start + variant.poll_seconds
    last_event = max((e.id for e in store.events(include_acked=True)), default=0)
    give_up = start + args.spread + variant.poll_seconds * 2 + 600
    while clock.monotonic() < give_up:
        now = clock.monotonic() - start
        while moments and moments[0] <= now:
            moments.pop(0)
            # Requests land on whole seconds: the sandbox stamps changes (and so the
            # notifications' delivery) in whole seconds, as Amazon writes its dates.
            clock.advance(math.ceil(clock.monotonic()) - clock.monotonic())
            target = _pick(mp, rng, asked)
            if target is not None:
                mp.request_cancel(*target, rng.choice(REASONS))
                asked[target] = clock.now()
        if listener is not None:
            mp.push_due()
            spent = time.perf_counter()
            await listener.poll_once()
            if (
                client.rate_limiter.time_until_token(client.credentials.partner_key, "getOrder")
                == 0
            ):
                await listener.confirmer.drain(limit=1)
            clock.advance(time.perf_counter() - spent)  # the consumer's own time counts
        if clock.monotonic() >= next_poll:
            await sync.arun_once()
            next_poll += variant.poll_seconds
        for event in store.events(after_id=last_event, include_acked=True):
            last_event = event.id
            key = (event.amazon_order_id, event.order_item_id or "")
            if event.type is EventType.BUYER_CANCEL_REQUESTED and key in asked:
                seen[key] += 1
                if seen[key] == 1:
                    # Seen now, at the end of the step that wrote it: the store's recorded_at
                    # keeps whole seconds only.
                    latencies.append((clock.now() - asked[key]).total_seconds())
        if not moments and len(seen) == len(asked):
            break
        clock.advance(_next_step(args.step, listener, mp, moments, start, clock, next_poll))
    await sync.aclose()
    store.close()
    pusher = mp.pusher
    return Outcome(
        variant=variant.name,
        requests=len(asked),
        recall=round(len(seen) / len(asked), 3) if asked else 0.0,
        duplicates=sum(1 for count in seen.values() if count > 1),
        p50=_round(percentile(latencies, 0.5)),
        p95=_round(percentile(latencies, 0.95)),
        max=_round(max(latencies) if latencies else None),
        sent=0 if pusher is None else pusher.sent,
        lost=0 if pusher is None else pusher.lost,
        simulated_seconds=round(clock.monotonic() - start, 1),
        real_seconds=round(time.perf_counter() - started, 1),
    )


def _next_step(
    step: float,
    listener: Listener | None,
    mp: Marketplace,
    moments: list[float],
    start: float,
    clock: FakeClock,
    next_poll: float,
) -> float:
    """A small step while anything may arrive; else straight to the next request or poll."""
    pusher = mp.pusher
    if listener is not None and (pusher is None or pusher.waiting or listener.confirmer.pending):
        return step
    upcoming = [next_poll]
    if moments:
        upcoming.append(start + moments[0])
    return max(step, min(upcoming) - clock.monotonic())


def _pick(
    mp: Marketplace, rng: random.Random, asked: dict[tuple[str, str], datetime]
) -> tuple[str, str] | None:
    """An unshipped, seller-fulfilled item nobody asked to cancel yet."""
    candidates = [
        (order.amazon_order_id, item.order_item_id)
        for order in mp.orders()
        if order.status is OrderStatus.UNSHIPPED and order.channel is FulfillmentChannel.MFN
        for item in order.items
        if item.quantity_shipped == 0
        and not item.buyer_requested
        and (order.amazon_order_id, item.order_item_id) not in asked
    ]
    return rng.choice(candidates) if candidates else None


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def _table(outcomes: list[Outcome]) -> str:
    lines = [
        "| variant | requests | recall | duplicate events | p50 s | p95 s | max s |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for o in outcomes:
        lines.append(
            f"| {o.variant} | {o.requests} | {o.recall:.3f} | {o.duplicates} | "
            f"{_fmt(o.p50)} | {_fmt(o.p95)} | {_fmt(o.max)} |"
        )
    return "\n".join(lines)


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200, help="buyer requests (default 200)")
    parser.add_argument(
        "--spread", type=float, default=300.0, help="seconds they are spread over (default 300)"
    )
    parser.add_argument("--orders", type=int, default=1500, help="orders the sandbox starts with")
    parser.add_argument(
        "--push-delay", type=float, default=1.0, help="mean delivery delay (default 1 s)"
    )
    parser.add_argument("--step", type=float, default=0.25, help="clock step in seconds")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--only", nargs="*", help="variants whose name contains one of these")
    parser.add_argument("--json", action="store_true", help="print JSON lines, not a table")
    args = parser.parse_args(argv)
    import os

    import boto3

    variants = [v for v in VARIANTS if not args.only or any(word in v.name for word in args.only)]
    outcomes: list[Outcome] = []
    with local_sqs() as endpoint, tempfile.TemporaryDirectory() as folder:
        os.environ.update(aws_environment(endpoint))
        sqs = boto3.client("sqs")
        for variant in variants:
            outcome = asyncio.run(run_variant(variant, args, sqs, Path(folder)))
            outcomes.append(outcome)
            if args.json:
                print(json.dumps(outcome.__dict__), flush=True)
            else:
                print(
                    f"{variant.name}: recall {outcome.recall:.3f}, p95 {_fmt(outcome.p95)} s "
                    f"({outcome.real_seconds} s real)",
                    file=sys.stderr,
                )
    if not args.json:
        print(_table(outcomes))
    failed = [o for o in outcomes if o.recall < 1.0 or o.duplicates]
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
