"""Realistic-looking ids, products and buyer reasons for the simulated marketplace.

Everything draws from a caller-supplied :class:`random.Random`, so a seed gives the same
marketplace every time.

Added in 0.1.0.
"""

from __future__ import annotations

import random
import string
from dataclasses import dataclass
from decimal import Decimal

__all__ = [
    "BUYER_CANCEL_REASONS",
    "MARKETPLACES",
    "MarketplaceInfo",
    "Product",
    "make_catalog",
    "make_item_id",
    "make_order_id",
]

BUYER_CANCEL_REASONS: tuple[str, ...] = (
    "Found cheaper somewhere else.",
    "Changed mind about purchase",
    "Order created by mistake",
    "Need to change shipping address",
    "Delivery time too long",
    "Ordered wrong size/colour",
    "Need to change payment method",
    "Item no longer needed",
)
"""Reasons buyers give, as free text (Amazon publishes no fixed list; these follow its examples)."""


@dataclass(frozen=True)
class MarketplaceInfo:
    """What the sandbox needs to know about one marketplace.

    Added in 0.1.0.
    """

    marketplace_id: str
    name: str
    sales_channel: str
    currency: str
    order_prefixes: tuple[int, ...]


MARKETPLACES: dict[str, MarketplaceInfo] = {
    m.marketplace_id: m
    for m in (
        MarketplaceInfo("ATVPDKIKX0DER", "Amazon.com", "Amazon.com", "USD", (111, 112, 113, 114)),
        MarketplaceInfo("A2EUQ1WTGCTBG2", "Amazon.ca", "Amazon.ca", "CAD", (701, 702)),
        MarketplaceInfo("A1AM78C64UM0Y8", "Amazon.com.mx", "Amazon.com.mx", "MXN", (701, 702)),
        MarketplaceInfo("A1F83G8C2ARO7P", "Amazon.co.uk", "Amazon.co.uk", "GBP", (202, 203, 204)),
        MarketplaceInfo("A1PA6795UKMFR9", "Amazon.de", "Amazon.de", "EUR", (302, 303, 304, 305)),
        MarketplaceInfo("A13V1IB3VIYZZH", "Amazon.fr", "Amazon.fr", "EUR", (402, 403, 404)),
        MarketplaceInfo("APJ6JRA9NG5V4", "Amazon.it", "Amazon.it", "EUR", (402, 403, 404)),
        MarketplaceInfo("A1RKKUPIHCS9HS", "Amazon.es", "Amazon.es", "EUR", (402, 403, 404)),
        MarketplaceInfo("A1VC38T7YXB528", "Amazon.co.jp", "Amazon.co.jp", "JPY", (249, 250, 503)),
    )
}
"""Marketplaces the sandbox can simulate, by marketplace id."""

_ADJECTIVES = (
    "Stainless Steel",
    "Bamboo",
    "Wireless",
    "Organic Cotton",
    "Ergonomic",
    "Waterproof",
    "Compact",
    "Heavy Duty",
    "Ceramic",
    "Adjustable",
    "Insulated",
    "Rechargeable",
)
_PRODUCTS = (
    ("Water Bottle, 750 ml", "WB"),
    ("Cutting Board Set", "CB"),
    ("Bluetooth Earbuds", "EB"),
    ("Bath Towel, Pack of 4", "BT"),
    ("Office Chair Cushion", "OC"),
    ("Hiking Backpack, 30 L", "HB"),
    ("Desk Lamp with USB Port", "DL"),
    ("Garden Hose Nozzle", "GH"),
    ("Coffee Mug, 350 ml", "CM"),
    ("Phone Stand", "PS"),
    ("Travel Mug", "TM"),
    ("LED Flashlight", "FL"),
    ("Yoga Mat, 6 mm", "YM"),
    ("Kitchen Scale", "KS"),
    ("Baby Blanket", "BB"),
)
_COLOURS = ("Black", "White", "Navy", "Grey", "Green", "Red", "Natural")


@dataclass(frozen=True)
class Product:
    """A listing the simulated seller sells.

    Added in 0.1.0.
    """

    asin: str
    seller_sku: str
    title: str
    price: Decimal


def _asin(rng: random.Random) -> str:
    return "B0" + "".join(rng.choices(string.ascii_uppercase + string.digits, k=8))


def make_catalog(rng: random.Random, size: int = 60) -> list[Product]:
    """A seller catalogue of ``size`` products with unique ASINs and SKUs."""
    products: list[Product] = []
    asins: set[str] = set()
    while len(products) < size:
        asin = _asin(rng)
        if asin in asins:
            continue
        asins.add(asin)
        adjective = rng.choice(_ADJECTIVES)
        name, code = rng.choice(_PRODUCTS)
        colour = rng.choice(_COLOURS)
        sku = f"{code}-{rng.randint(1000, 9999)}-{colour[:3].upper()}"
        cents = rng.randint(599, 12999)
        price = (Decimal(cents) / 100).quantize(Decimal("0.01"))
        products.append(Product(asin, sku, f"{adjective} {name} - {colour}", price))
    return products


def make_order_id(rng: random.Random, prefixes: tuple[int, ...]) -> str:
    """An order id in Amazon's 3-7-7 digit form."""
    return f"{rng.choice(prefixes)}-{rng.randint(0, 9_999_999):07d}-{rng.randint(0, 9_999_999):07d}"


def make_item_id(rng: random.Random) -> str:
    """A 14-digit order item id."""
    return f"{rng.randint(0, 99_999_999_999_999):014d}"
