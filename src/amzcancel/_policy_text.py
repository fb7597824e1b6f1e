"""The words of the cancellation policy: status rules, reason purposes, the reply to buyers.

Kept apart from :mod:`amzcancel.policy` so the rules there read as logic, and so the texts
(which sellers copy to buyers) can be reviewed in one place.

Added in 0.1.0.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from amzcancel.models import FulfillmentChannel, OrderStatus

__all__ = ["INFORMAL_REQUEST_REPLY", "BuyerReply", "reason_purpose", "status_blocker"]


class BuyerReply(BaseModel):
    """A message for the seller to send a buyer, in English and Chinese.

    Added in 0.1.0.
    """

    model_config = ConfigDict(frozen=True, strict=True, extra="forbid")

    en: str
    """The English text."""
    zh: str
    """The Chinese (simplified) text."""


INFORMAL_REQUEST_REPLY = BuyerReply(
    en=(
        "Thank you for your message. To cancel this order, please send us a cancellation "
        "request through Amazon: go to Your Account > Your Orders, open this order and choose "
        '"Request cancellation". Your request then reaches us through Amazon\'s own process, '
        "and we will cancel the order as soon as it arrives. Thank you for your understanding."
    ),
    zh=(
        "感谢您的留言。如需取消此订单，请通过亚马逊向我们提交取消申请：进入“我的账户”>“我的订单”，"
        "打开此订单并选择“请求取消”。申请将通过亚马逊的正式流程送达我们，"
        "我们收到后会尽快为您取消订单。感谢您的理解与配合。"
    ),
)
"""The reply to a buyer who asked to cancel only through buyer-seller messages.

Cancelling on a message alone counts against the seller's cancellation rate; a formal request
filed in Your Orders does not (when cancelled with BuyerCanceled). Do not send it when the
goods are out of stock: then cancel with NoInventory.
"""

_PURPOSES = {
    "NoInventory": "For goods you cannot supply because they are out of stock.",
    "GeneralAdjustment": "For any other seller cancellation that no specific code describes.",
    "ShippingAddressUndeliverable": "For an order whose shipping address cannot be delivered to.",
    "CustomerExchange": "For an order the buyer asked to exchange for another item.",
    "PricingError": "For an order that resulted from an incorrectly priced listing.",
    "CarrierCreditDecision": (
        "For an order the carrier refused on a credit decision (cash on delivery)."
    ),
    "RiskAssessmentInformationNotValid": (
        "For an order whose risk-assessment (fraud check) information was not valid."
    ),
    "CarrierCoverageFailure": "For an address no available carrier covers.",
    "CustomerReturn": "For goods the buyer returned after delivery.",
    "MerchandiseNotReceived": "For goods the buyer never received after shipment.",
}

_STATUS_BLOCKERS = {
    OrderStatus.PENDING: (
        "The order is Pending (payment not yet authorised): Amazon lets the seller cancel only "
        "once it is Unshipped, and a buyer who cancels a pending order never affects your "
        "cancellation rate."
    ),
    OrderStatus.PENDING_AVAILABILITY: (
        "The order is a pre-order waiting for the release date (PendingAvailability): Amazon "
        "lets the seller cancel only once it is Unshipped."
    ),
    OrderStatus.SHIPPED: (
        "The order has shipped: it can no longer be cancelled, only refunded, and a refund "
        "is not a cancellation."
    ),
    OrderStatus.INVOICE_UNCONFIRMED: (
        "Every item has shipped (only the invoice confirmation is outstanding): the order can "
        "no longer be cancelled, only refunded."
    ),
    OrderStatus.CANCELED: "The order is already canceled: there is nothing left to cancel.",
    OrderStatus.UNFULFILLABLE: (
        "Unfulfillable applies only to Multi-Channel Fulfillment orders, which Amazon fulfils: "
        "the seller cannot cancel them with a cancel reason."
    ),
}


def reason_purpose(code: str) -> str:
    """One sentence on what a (non-BuyerCanceled) reason code is for."""
    return _PURPOSES[code]


def status_blocker(status: OrderStatus | None, channel: FulfillmentChannel | None) -> str | None:
    """Why an order with this status and channel cannot be cancelled, or ``None`` if it can.

    Only the unshipped quantity of a seller-fulfilled order can be cancelled (Seller Central
    help 200198080: "You can cancel any unshipped order").
    """
    if channel is FulfillmentChannel.AFN:
        return (
            "Amazon fulfils this order (AFN): the seller cannot cancel it, and the "
            "cancellation rate only covers seller-fulfilled orders."
        )
    if channel is None:
        return (
            "Who fulfils this order is unknown, so the policy cannot tell whether you may "
            "cancel it; fetch the order first."
        )
    if status is None:
        return "The order status is unknown; fetch the order before cancelling it."
    return _STATUS_BLOCKERS.get(status)
