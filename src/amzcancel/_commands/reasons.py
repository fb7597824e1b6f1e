"""``amzcancel reasons``: which cancel reasons the policy allows, from plain facts.

    amzcancel reasons --status STATUS --channel MFN|AFN --buyer-requested yes|no
                      [--informal] [--out-of-stock] [--json]

With ``--json`` it prints a JSON array, one object per cancel reason code (contract, see
DESIGN.md): ``reason``, ``allowed``, ``counts_against_cancellation_rate``, ``recommended``,
``why``, plus ``in_feed_schema`` and ``buyer_reply``. With ``--informal`` the reply asking the
buyer to file a formal request is printed (English and Chinese).
"""

from __future__ import annotations

import argparse
import json
import textwrap
from collections.abc import Callable
from typing import Any, TypeVar

from amzcancel.errors import ConfigError
from amzcancel.models import FulfillmentChannel, OrderStatus
from amzcancel.policy import (
    ReasonVerdict,
    evaluate_cancel_reasons,
    parse_fulfillment_channel,
    parse_order_status,
)

__all__ = ["parse_channel", "parse_status", "register"]

_YES = frozenset({"yes", "y", "true"})
_NO = frozenset({"no", "n", "false"})


T = TypeVar("T")


def _argument(parse: Callable[[str], T | None], text: str) -> T:
    """``parse(text)`` as an argparse ``type=``: its ConfigError becomes a usage error."""
    try:
        value = parse(text)
    except ConfigError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    assert value is not None  # text is a str
    return value


def parse_status(text: str) -> OrderStatus:
    """Read an order status, forgiving case and the 2026-01-01 spelling (``PARTIALLY_SHIPPED``)."""
    return _argument(parse_order_status, text)


def parse_channel(text: str) -> FulfillmentChannel:
    """Read a fulfilment channel: MFN or AFN (or MERCHANT/AMAZON), any case."""
    return _argument(parse_fulfillment_channel, text)


def _yes_no(text: str) -> bool:
    key = text.lower()
    if key in _YES:
        return True
    if key in _NO:
        return False
    raise argparse.ArgumentTypeError(f"expected yes or no, got {text!r}")


def register(subparsers: Any) -> None:
    """Add the ``reasons`` subcommand."""
    parser = subparsers.add_parser(
        "reasons",
        help="show which cancel reasons the policy allows",
        description="Show, for every cancel reason code, whether the seller may use it, whether "
        "it counts against the cancellation rate, which one is recommended, and why.",
    )
    parser.add_argument(
        "--status", required=True, type=parse_status, help="order status, e.g. Unshipped"
    )
    parser.add_argument(
        "--channel", required=True, type=parse_channel, help="MFN (seller) or AFN (Amazon)"
    )
    parser.add_argument(
        "--buyer-requested",
        required=True,
        type=_yes_no,
        metavar="yes|no",
        help="whether the buyer filed a formal cancellation request through Amazon",
    )
    parser.add_argument(
        "--informal",
        action="store_true",
        help="the buyer asked only through buyer-seller messages (prints the reply to send)",
    )
    parser.add_argument("--out-of-stock", action="store_true", help="the goods are out of stock")
    parser.add_argument("--json", action="store_true", help="print a JSON array")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Print the verdicts for the given facts."""
    verdicts = evaluate_cancel_reasons(
        status=args.status,
        channel=args.channel,
        buyer_requested=args.buyer_requested,
        informal_request=args.informal,
        out_of_stock=args.out_of_stock,
    )
    if args.json:
        print(json.dumps([v.model_dump(mode="json") for v in verdicts], ensure_ascii=False))
        return 0
    print(render_verdicts(verdicts))
    if args.informal:
        print()
        print(render_reply(verdicts))
    return 0


def render_verdicts(verdicts: list[ReasonVerdict]) -> str:
    """The verdicts as a plain-text table with each why under its reason."""
    lines = [f"{'REASON':<34} {'ALLOWED':<8} {'COUNTS':<7} RECOMMENDED"]
    for verdict in verdicts:
        lines.append(
            f"{verdict.reason.value:<34} {_word(verdict.allowed):<8} "
            f"{_word(verdict.counts_against_cancellation_rate):<7} "
            f"{'<- use this' if verdict.recommended else ''}".rstrip()
        )
        lines.extend(
            textwrap.wrap(verdict.why, width=96, initial_indent="    ", subsequent_indent="    ")
        )
    return "\n".join(lines)


def render_reply(verdicts: list[ReasonVerdict]) -> str:
    """The reply to send the buyer of an informal request, or why not to send one."""
    reply = next((v.buyer_reply for v in verdicts if v.buyer_reply is not None), None)
    if reply is None:
        chosen = next((v.reason.value for v in verdicts if v.recommended), None)
        if chosen == "BuyerCanceled":
            return (
                "No reply needed: the buyer's formal request is on record; cancel with "
                "BuyerCanceled."
            )
        if chosen is not None:
            return (
                f"No reply: cancel with {chosen}, and do not ask the buyer to file a "
                "cancellation request."
            )
        return "No reply: the seller cannot cancel this order."
    return f"Reply to the buyer (English):\n{reply.en}\n\nReply to the buyer (中文):\n{reply.zh}"


def _word(flag: bool) -> str:
    return "yes" if flag else "no"
