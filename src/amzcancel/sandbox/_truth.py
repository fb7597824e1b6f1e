"""Ground truth: what the simulated marketplace really holds, for tests and benchmarks.

Added in 0.1.0.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from amzcancel.models import Order

__all__ = ["Truth"]


@dataclass(frozen=True)
class Truth:
    """A snapshot of the marketplace, taken by :meth:`Marketplace.truth`.

    Attributes:
        buyer_cancel_requests: open buyer cancel requests (order still unshipped or partly
            shipped, seller-fulfilled, item neither shipped nor cancelled):
            ``{(order_id, item_id): reason}``.
        orders: every order, as domain :class:`~amzcancel.models.Order` objects with items.
        requests_by_operation: requests received per Amazon operation name (``getOrders``,
            ``ListOrders``...; v0 and 2026 ``getOrder`` share one name), throttled ones included.
        throttled: 429s (MWS: 503 RequestThrottled) answered.
        throttled_by_operation: the same, per operation.
        requests: every request received, including LWA and the sandbox's own paths.
        faults: faults injected, by kind.
        seller_cancellations: items the seller cancelled through feeds: ``{(order, item): reason}``.
        tokens_issued: LWA access tokens issued.

    Added in 0.1.0.
    """

    buyer_cancel_requests: dict[tuple[str, str], str]
    orders: list[Order]
    requests_by_operation: dict[str, int]
    throttled: int
    throttled_by_operation: dict[str, int]
    requests: int
    faults: dict[str, int] = field(default_factory=dict)
    seller_cancellations: dict[tuple[str, str], str] = field(default_factory=dict)
    tokens_issued: int = 0

    def order(self, order_id: str) -> Order:
        """The order with this id (``KeyError`` when there is none)."""
        for order in self.orders:
            if order.amazon_order_id == order_id:
                return order
        raise KeyError(order_id)

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready form (what ``GET /_sandbox/truth`` answers)."""
        return {
            "buyer_cancel_requests": [
                {"amazon_order_id": o, "order_item_id": i, "reason": r}
                for (o, i), r in sorted(self.buyer_cancel_requests.items())
            ],
            "orders": [o.model_dump(mode="json") for o in self.orders],
            "requests": self.requests,
            "requests_by_operation": dict(sorted(self.requests_by_operation.items())),
            "throttled": self.throttled,
            "throttled_by_operation": dict(sorted(self.throttled_by_operation.items())),
            "faults": dict(sorted(self.faults.items())),
            "seller_cancellations": [
                {"amazon_order_id": o, "order_item_id": i, "reason": r}
                for (o, i), r in sorted(self.seller_cancellations.items())
            ],
            "tokens_issued": self.tokens_issued,
        }
