"""The cancellation policy: every rule, the guard and its override."""

from __future__ import annotations

import logging

import pytest
from hypothesis import given
from hypothesis import strategies as st

from amzcancel.errors import PolicyViolation
from amzcancel.models import (
    BuyerCancel,
    FulfillmentChannel,
    Order,
    OrderItem,
    OrderStatus,
    Source,
)
from amzcancel.policy import (
    FEED_CANCEL_REASONS,
    INFORMAL_REQUEST_REPLY,
    SELLER_CENTRAL_CANCEL_REASONS,
    CancelReason,
    ReasonVerdict,
    allowed_cancel_reasons,
    approve_cancellation,
    evaluate_cancel_reasons,
    parse_cancel_reason,
    recommended_reason,
)

MFN, AFN = FulfillmentChannel.MFN, FulfillmentChannel.AFN
BC = CancelReason.BUYER_CANCELED
NI = CancelReason.NO_INVENTORY
SELLER = frozenset(CancelReason) - {
    BC,
    CancelReason.CUSTOMER_RETURN,
    CancelReason.MERCHANDISE_NOT_RECEIVED,
}
"""The reasons a seller may use on a cancellable order without a formal buyer request."""
NOT_CANCELLABLE = [
    OrderStatus.PENDING,
    OrderStatus.PENDING_AVAILABILITY,
    OrderStatus.SHIPPED,
    OrderStatus.CANCELED,
    OrderStatus.UNFULFILLABLE,
    OrderStatus.INVOICE_UNCONFIRMED,
]


def _allowed(verdicts: list[ReasonVerdict]) -> set[CancelReason]:
    return {v.reason for v in verdicts if v.allowed}


def _recommended(verdicts: list[ReasonVerdict]) -> CancelReason | None:
    chosen = [v.reason for v in verdicts if v.recommended]
    assert len(chosen) <= 1
    return chosen[0] if chosen else None


RULES = [
    pytest.param(OrderStatus.UNSHIPPED, MFN, True, False, False, SELLER | {BC}, BC, id="formal"),
    pytest.param(OrderStatus.UNSHIPPED, MFN, False, False, False, SELLER, None, id="no-request"),
    pytest.param(OrderStatus.UNSHIPPED, MFN, False, True, False, SELLER, None, id="informal"),
    pytest.param(OrderStatus.UNSHIPPED, MFN, False, False, True, SELLER, NI, id="out-of-stock"),
    pytest.param(OrderStatus.UNSHIPPED, MFN, False, True, True, SELLER, NI, id="informal-oos"),
    pytest.param(OrderStatus.UNSHIPPED, MFN, True, False, True, SELLER | {BC}, BC, id="formal-oos"),
    pytest.param(
        OrderStatus.PARTIALLY_SHIPPED, MFN, True, False, False, SELLER | {BC}, BC, id="partial"
    ),
    *[
        pytest.param(status, MFN, True, False, False, set(), None, id=f"{status.value}-mfn")
        for status in NOT_CANCELLABLE
    ],
    *[
        pytest.param(status, AFN, True, False, False, set(), None, id=f"{status.value}-afn")
        for status in OrderStatus
    ],
    pytest.param(None, MFN, True, False, False, set(), None, id="unknown-status"),
    pytest.param(
        OrderStatus.UNSHIPPED, None, True, False, False, set(), None, id="unknown-channel"
    ),
]


@pytest.mark.parametrize(
    ("status", "channel", "formal", "informal", "oos", "allowed", "recommended"), RULES
)
def test_rule_table(
    status: OrderStatus | None,
    channel: FulfillmentChannel | None,
    formal: bool,
    informal: bool,
    oos: bool,
    allowed: set[CancelReason],
    recommended: CancelReason | None,
) -> None:
    """Each set of facts allows exactly the expected reasons and recommends the right one."""
    verdicts = evaluate_cancel_reasons(
        status=status,
        channel=channel,
        buyer_requested=formal,
        informal_request=informal,
        out_of_stock=oos,
    )
    assert [v.reason for v in verdicts] == list(CancelReason)
    assert _allowed(verdicts) == set(allowed)
    assert _recommended(verdicts) == recommended
    assert all(v.why.strip().endswith(".") for v in verdicts)


def test_buyer_canceled_is_harmless_only_on_a_formal_request() -> None:
    """BuyerCanceled on a formal request does not count; every other allowed reason does."""
    verdicts = evaluate_cancel_reasons(
        status=OrderStatus.UNSHIPPED, channel=MFN, buyer_requested=True
    )
    by_reason = {v.reason: v for v in verdicts}
    assert by_reason[BC].counts_against_cancellation_rate is False
    assert "does not count" in by_reason[BC].why
    assert all(v.counts_against_cancellation_rate for v in verdicts if v.reason is not BC)


def test_buyer_canceled_without_request_says_it_harms_the_metric() -> None:
    """Without a formal request BuyerCanceled is refused with a why about the metric."""
    verdicts = evaluate_cancel_reasons(
        status=OrderStatus.UNSHIPPED, channel=MFN, buyer_requested=False
    )
    verdict = next(v for v in verdicts if v.reason is BC)
    assert not verdict.allowed
    assert verdict.counts_against_cancellation_rate
    assert "cancellation-rate" in verdict.why


def test_informal_request_carries_the_reply_in_both_languages() -> None:
    """An informal request refuses BuyerCanceled and hands over the EN and ZH reply."""
    verdicts = evaluate_cancel_reasons(
        status=OrderStatus.UNSHIPPED, channel=MFN, buyer_requested=False, informal_request=True
    )
    verdict = next(v for v in verdicts if v.reason is BC)
    assert verdict.buyer_reply == INFORMAL_REQUEST_REPLY
    assert "Your Orders" in INFORMAL_REQUEST_REPLY.en
    assert "Request cancellation" in INFORMAL_REQUEST_REPLY.en
    assert "请求取消" in INFORMAL_REQUEST_REPLY.zh
    assert "我的订单" in INFORMAL_REQUEST_REPLY.zh


def test_out_of_stock_never_suggests_asking_the_buyer() -> None:
    """Out of stock with an informal request: NoInventory, and no reply asking for a request."""
    verdicts = evaluate_cancel_reasons(
        status=OrderStatus.UNSHIPPED,
        channel=MFN,
        buyer_requested=False,
        informal_request=True,
        out_of_stock=True,
    )
    assert all(v.buyer_reply is None for v in verdicts)
    assert "must not ask" in next(v for v in verdicts if v.reason is NI).why


def test_partially_shipped_facts_say_only_unshipped_items() -> None:
    """For a partly shipped order the answer is limited to its unshipped items."""
    verdicts = evaluate_cancel_reasons(
        status=OrderStatus.PARTIALLY_SHIPPED, channel=MFN, buyer_requested=False
    )
    assert all("unshipped items" in v.why for v in verdicts if v.allowed)


@pytest.mark.parametrize(
    ("status", "fragment"),
    [
        pytest.param(OrderStatus.PENDING, "only once it is Unshipped", id="pending"),
        pytest.param(OrderStatus.PENDING_AVAILABILITY, "only once it is Unshipped", id="preorder"),
        pytest.param(OrderStatus.SHIPPED, "only refunded", id="shipped"),
        pytest.param(OrderStatus.INVOICE_UNCONFIRMED, "only refunded", id="invoice"),
        pytest.param(OrderStatus.CANCELED, "already canceled", id="canceled"),
        pytest.param(OrderStatus.UNFULFILLABLE, "Multi-Channel Fulfillment", id="mcf"),
    ],
)
def test_blocked_orders_explain_and_count_nothing(status: OrderStatus, fragment: str) -> None:
    """An order the seller cannot cancel says why for every reason, and nothing counts."""
    verdicts = evaluate_cancel_reasons(status=status, channel=MFN, buyer_requested=True)
    assert {v.why for v in verdicts} == {verdicts[0].why}
    assert fragment in verdicts[0].why
    assert not any(v.counts_against_cancellation_rate for v in verdicts)


def test_afn_orders_are_amazons() -> None:
    """Amazon-fulfilled orders allow no reason and say why."""
    verdicts = evaluate_cancel_reasons(
        status=OrderStatus.UNSHIPPED, channel=AFN, buyer_requested=True
    )
    assert not _allowed(verdicts)
    assert "AFN" in verdicts[0].why


@given(
    status=st.sampled_from([*OrderStatus, None]),
    channel=st.sampled_from([*FulfillmentChannel, None]),
    formal=st.booleans(),
    informal=st.booleans(),
    oos=st.booleans(),
)
def test_invariants(
    status: OrderStatus | None,
    channel: FulfillmentChannel | None,
    formal: bool,
    informal: bool,
    oos: bool,
) -> None:
    """Whatever the facts: BuyerCanceled only on a formal request, recommended implies allowed."""
    verdicts = evaluate_cancel_reasons(
        status=status,
        channel=channel,
        buyer_requested=formal,
        informal_request=informal,
        out_of_stock=oos,
    )
    by_reason = {v.reason: v for v in verdicts}
    assert not by_reason[BC].allowed or formal
    assert all(v.allowed for v in verdicts if v.recommended)
    assert sum(v.recommended for v in verdicts) <= 1
    assert all(v.in_feed_schema == (v.reason in FEED_CANCEL_REASONS) for v in verdicts)


def test_reason_lists_match_amazon() -> None:
    """Seller Central offers six codes and the feed schema ten; PricingError is Seller Central's."""
    assert {r.value for r in SELLER_CENTRAL_CANCEL_REASONS} == {
        "NoInventory",
        "BuyerCanceled",
        "GeneralAdjustment",
        "ShippingAddressUndeliverable",
        "CustomerExchange",
        "PricingError",
    }
    assert len(FEED_CANCEL_REASONS) == 10
    assert CancelReason.PRICING_ERROR not in FEED_CANCEL_REASONS


# ---- orders and items -------------------------------------------------------------------


def _item(
    item_id: str, *, requested: bool = False, ordered: int = 1, shipped: int | None = 0
) -> OrderItem:
    return OrderItem(
        order_item_id=item_id,
        quantity_ordered=ordered,
        quantity_shipped=shipped,
        buyer_cancel=BuyerCancel(requested=requested, reason="Changed mind" if requested else None),
    )


def _order(
    *items: OrderItem,
    status: OrderStatus = OrderStatus.UNSHIPPED,
    channel: FulfillmentChannel = MFN,
) -> Order:
    return Order(
        amazon_order_id="902-1845936-5435065",
        status=status,
        fulfillment_channel=channel,
        source=Source.SPAPI_V0,
        items=list(items),
    )


def test_whole_order_needs_every_item_requested() -> None:
    """BuyerCanceled for a whole order only when the buyer asked for every item."""
    both = _order(_item("1", requested=True), _item("2", requested=True))
    one = _order(_item("1", requested=True), _item("2"))
    assert recommended_reason(both) == "BuyerCanceled"
    verdict = next(v for v in allowed_cancel_reasons(one) if v.reason is BC)
    assert not verdict.allowed
    assert "only item(s) 1" in verdict.why
    assert recommended_reason(one, one.items[0]) == "BuyerCanceled"


def test_order_without_items_has_no_request_on_record() -> None:
    """An order listed without its items cannot claim a formal request."""
    verdict = next(v for v in allowed_cancel_reasons(_order()) if v.reason is BC)
    assert not verdict.allowed
    assert "items are not loaded" in verdict.why


@pytest.mark.parametrize(
    ("item", "fragment"),
    [
        pytest.param(_item("1", ordered=2, shipped=0), None, id="unshipped-item"),
        pytest.param(None, "not the whole order", id="whole-order"),
        pytest.param(_item("1", ordered=1, shipped=1), "only be refunded", id="shipped"),
        pytest.param(_item("1", ordered=3, shipped=1), "partly shipped", id="partly"),
        pytest.param(_item("1", ordered=1, shipped=None), "unknown", id="unknown-qty"),
        pytest.param(_item("9", ordered=1, shipped=0), "not part of", id="foreign-item"),
        pytest.param(_item("1", ordered=0, shipped=0), "no units", id="nothing-left"),
    ],
)
def test_partially_shipped_orders(item: OrderItem | None, fragment: str | None) -> None:
    """On a partly shipped order only fully unshipped items of the order can be cancelled."""
    order = _order(
        _item("1", ordered=2, shipped=0),
        _item("2", ordered=1, shipped=1),
        status=OrderStatus.PARTIALLY_SHIPPED,
    )
    verdicts = allowed_cancel_reasons(order, item)
    if fragment is None:
        assert _allowed(verdicts) == SELLER
    else:
        assert not _allowed(verdicts)
        assert fragment in verdicts[0].why


# ---- the guard ------------------------------------------------------------------------


def test_guard_approves_an_allowed_reason() -> None:
    """An allowed reason yields an approved decision covering every item of the order."""
    order = _order(_item("1", requested=True), _item("2", requested=True))
    decision = approve_cancellation(order, "BuyerCanceled")
    assert decision.verdict.allowed
    assert decision.whole_order
    assert decision.order_item_ids == ("1", "2")
    assert decision.reason is BC
    assert not decision.overridden


def test_guard_refuses_with_the_why() -> None:
    """A forbidden reason raises PolicyViolation carrying the reason and the policy's why."""
    order = _order(_item("1"))
    with pytest.raises(PolicyViolation) as caught:
        approve_cancellation(order, "BuyerCanceled", item="1")
    assert caught.value.reason == "BuyerCanceled"
    assert "No formal buyer cancellation request" in caught.value.why
    assert caught.value.why in str(caught.value)


def test_guard_refuses_shipped_orders() -> None:
    """Even a harmless reason is refused once the order has shipped."""
    order = _order(_item("1", requested=True, shipped=1), status=OrderStatus.SHIPPED)
    with pytest.raises(PolicyViolation, match="has shipped"):
        approve_cancellation(order, "BuyerCanceled")


def test_override_is_recorded_and_logged(caplog: pytest.LogCaptureFixture) -> None:
    """An explicit override passes the guard, is kept in the decision and logged as a warning."""
    order = _order(_item("1"))
    with caplog.at_level(logging.WARNING, logger="amzcancel.policy"):
        decision = approve_cancellation(
            order, "BuyerCanceled", item="1", override_policy="  buyer phoned support  "
        )
    assert decision.overridden
    assert decision.override_justification == "buyer phoned support"
    assert not decision.verdict.allowed
    assert "buyer phoned support" in caplog.text
    assert "policy override" in caplog.text


def test_blank_override_is_refused() -> None:
    """An override without a justification is no override."""
    with pytest.raises(PolicyViolation, match="justification"):
        approve_cancellation(_order(_item("1")), "BuyerCanceled", override_policy="   ")


def test_unknown_item_and_reason_are_refused() -> None:
    """A reason that is not a code, or an item not in the order, is refused."""
    order = _order(_item("1", requested=True))
    with pytest.raises(PolicyViolation, match="not an Amazon cancel reason"):
        approve_cancellation(order, "ChangedMyMind")
    with pytest.raises(PolicyViolation, match="not part of order"):
        approve_cancellation(order, "BuyerCanceled", item="42")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("BuyerCanceled", BC, id="code"),
        pytest.param("Buyer Cancelled", BC, id="seller-central-label"),
        pytest.param("no inventory", NI, id="lower-spaced"),
        pytest.param("NO_INVENTORY", NI, id="enum-name"),
    ],
)
def test_parse_cancel_reason(text: str, expected: CancelReason) -> None:
    """Reason codes are read forgivingly, including Seller Central's labels."""
    assert parse_cancel_reason(text) is expected


@pytest.mark.parametrize(
    ("status", "channel"),
    [
        ("Unshipped", "AFN"),
        ("UNSHIPPED", "amazon"),
        ("SHIPPED", "MFN"),
        ("Shipped", "MERCHANT"),
        ("cancelled", "MFN"),
    ],
)
def test_statuses_and_channels_given_as_text_are_judged_like_the_enums(
    status: str, channel: str
) -> None:
    """ "AFN" or "SHIPPED" as plain text blocks BuyerCanceled exactly as the enum does."""
    from amzcancel.policy import parse_fulfillment_channel, parse_order_status

    as_text = evaluate_cancel_reasons(status=status, channel=channel, buyer_requested=True)
    as_enum = evaluate_cancel_reasons(
        status=parse_order_status(status),
        channel=parse_fulfillment_channel(channel),
        buyer_requested=True,
    )
    assert as_text == as_enum
    assert not any(v.allowed for v in as_text)


@pytest.mark.parametrize(
    "facts",
    [
        {"status": "garbage", "channel": "MFN", "buyer_requested": True},
        {"status": "Unshipped", "channel": "FBA?", "buyer_requested": True},
        {"status": "Unshipped", "channel": "MFN", "buyer_requested": "no"},
    ],
    ids=["unknown-status", "unknown-channel", "text-flag"],
)
def test_facts_that_are_not_facts_are_refused(facts: dict[str, object]) -> None:
    """An unknown status is never "allowed by default": ConfigError, not a verdict."""
    from amzcancel.errors import ConfigError

    with pytest.raises(ConfigError):
        evaluate_cancel_reasons(**facts)  # type: ignore[arg-type]


def test_a_reason_or_justification_of_the_wrong_type_is_a_policy_violation() -> None:
    """None as a reason, or a number as a justification, is refused with our error."""
    order = Order(
        amazon_order_id="902-1845936-5435065",
        status=OrderStatus.UNSHIPPED,
        fulfillment_channel=FulfillmentChannel.MFN,
        source=Source.SPAPI_V0,
        items=[OrderItem(order_item_id="1", quantity_ordered=1, quantity_shipped=0)],
    )
    with pytest.raises(PolicyViolation):
        approve_cancellation(order, None)  # type: ignore[arg-type]
    with pytest.raises(PolicyViolation):
        approve_cancellation(order, "BuyerCanceled", override_policy=5)  # type: ignore[arg-type]
