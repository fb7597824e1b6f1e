"""Parse speed per wire format against a plain-decoding baseline, and a large report streamed.

Run from the repository root:

    python benchmarks/bench_parse.py                  # full run: 11 rounds + 100k and 1M rows
    python benchmarks/bench_parse.py --skip-report    # the throughput table only (about 40 s)
    python benchmarks/bench_parse.py --json           # the same, one JSON object per line

Throughput. Each wire format is read from a document that carries items, with the parser the
sync uses: MWS ListOrderItems and v0 getOrderItems (one order, ``--order-items`` items), a 2026
searchOrders page (100 orders of two items), a ReceiveMessage batch of 10 ORDER_CHANGE
notifications (two items each) and an Unshipped Orders report (1,000 rows, two per order). Next
to each runs its baseline: what the same bytes cost with nothing but the standard library
reading the same fields (``json.loads`` plus dict access; the C ``xml.etree.ElementTree``
parse plus ``find``; ``csv.DictReader``). Time is CPU time (``time.process_time``), so other
work on the machine counts less; each round measures every format and its baseline in turn
(interleaved), and the table shows the median of the rounds: items per CPU-second, CPU seconds
per 1,000 orders, the baseline's items per CPU-second and the ratio ours/baseline.

Report streaming. A generated Unshipped Orders report (the full 2024-era column set, two items
per order, every fifth order with a buyer cancel request) is written to a temporary file and
streamed with ``iter_report_orders`` in a fresh subprocess per size: wall time, the tracemalloc
peak (second pass) and ``ru_maxrss``.
"""

from __future__ import annotations

import argparse
import csv
import importlib
import io
import json
import math
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from amzcancel.wire import mws, notifications, reports, spapi_2026, spapi_v0

PAGE_ORDERS = 100
REPORT_ROWS = 1_000
MWS_NS = "{https://mws.amazonservices.com/Orders/2013-09-01}"

UNSHIPPED_COLUMNS = [
    "order-id",
    "order-item-id",
    "purchase-date",
    "payments-date",
    "reporting-date",
    "promise-date",
    "days-past-promise",
    "buyer-email",
    "buyer-name",
    "cpf",
    "buyer-phone-number",
    "sku",
    "number-of-items",
    "product-name",
    "quantity-purchased",
    "quantity-shipped",
    "quantity-to-ship",
    "ship-service-level",
    "ship-service-name",
    "recipient-name",
    "ship-address-1",
    "ship-address-2",
    "ship-address-3",
    "ship-city",
    "ship-state",
    "ship-postal-code",
    "ship-country",
    "sales-channel",
    "customized-url",
    "customized-page",
    "is-business-order",
    "purchase-order-number",
    "price-designation",
    "is-prime",
    "is-buyer-requested-cancellation",
    "buyer-requested-cancel-reason",
    "verge-of-cancellation",
    "verge-of-lateShipment",
    "signature-confirmation-recommended",
    "buyer-identification-number",
    "buyer-identification-type",
]


def _order_id(n: int) -> str:
    return f"902-{n // 10_000_000 % 10_000_000:07d}-{n % 10_000_000:07d}"


def _requested(n: int, k: int) -> bool:
    """Every fifth order's first item carries a buyer cancel request."""
    return n % 5 == 0 and k == 0


# --- documents ---------------------------------------------------------------------------------


def _mws_money(name: str, amount: str) -> str:
    return f"<{name}><CurrencyCode>USD</CurrencyCode><Amount>{amount}</Amount></{name}>"


def _mws_item(n: int, k: int) -> str:
    flag, reason = ("true", "Found cheaper somewhere else.") if _requested(n, k) else ("false", "")
    # The fields of Amazon's documented OrderItem, in its order; MWS answered with an indented
    # document, as the recorded responses of the MWS client libraries show.
    fields = [
        "<ASIN>B00551Q3CS</ASIN>",
        f"<SellerSKU>SKU-{k}</SellerSKU>",
        f"<OrderItemId>{n:012d}{k:02d}</OrderItemId>",
        "<Title>Stainless steel water bottle, 750 ml, brushed</Title>",
        "<QuantityOrdered>1</QuantityOrdered>",
        "<QuantityShipped>0</QuantityShipped>",
        "<ProductInfo><NumberOfItems>1</NumberOfItems></ProductInfo>",
        _mws_money("ItemPrice", "12.50"),
        _mws_money("ItemTax", "1.01"),
        _mws_money("PromotionDiscount", "0.00"),
        "<IsGift>false</IsGift>",
        "<ConditionId>New</ConditionId>",
        "<ConditionSubtypeId>New</ConditionSubtypeId>",
        "<IsTransparency>false</IsTransparency>",
        (
            "<BuyerRequestedCancel>"
            f"<IsBuyerRequestedCancel>{flag}</IsBuyerRequestedCancel>"
            f"<BuyerCancelReason>{reason}</BuyerCancelReason>"
            "</BuyerRequestedCancel>"
        ),
    ]
    inner = "".join(f"\n        {field}" for field in fields)
    return f"\n      <OrderItem>{inner}\n      </OrderItem>"


def mws_items_page(items: int) -> bytes:
    """A ListOrderItems response for one order with ``items`` items."""
    body = "".join(_mws_item(0, k) for k in range(items))
    return (
        '<?xml version="1.0"?>\n<ListOrderItemsResponse '
        'xmlns="https://mws.amazonservices.com/Orders/2013-09-01">\n  <ListOrderItemsResult>\n'
        f"    <AmazonOrderId>{_order_id(0)}</AmazonOrderId>\n    <OrderItems>{body}\n"
        "    </OrderItems>\n  </ListOrderItemsResult>\n  <ResponseMetadata>\n"
        "    <RequestId>88faca76-b600-46d2-b53c-0c8c4533e43a</RequestId>\n"
        "  </ResponseMetadata>\n</ListOrderItemsResponse>\n"
    ).encode()


def _v0_item(n: int, k: int) -> dict[str, object]:
    flag, reason = ("true", "Found cheaper somewhere else.") if _requested(n, k) else ("false", "")
    # The fields of the getOrderItems example in ordersV0.json; production sends the
    # BuyerRequestedCancel object on ordinary items too, with "false" and an empty reason.
    return {
        "ASIN": "B00551Q3CS",
        "OrderItemId": f"{n:012d}{k:02d}",
        "SellerSKU": f"SKU-{k}",
        "Title": "Stainless steel water bottle, 750 ml, brushed",
        "QuantityOrdered": 1,
        "QuantityShipped": 0,
        "ProductInfo": {"NumberOfItems": "1"},
        "ItemPrice": {"CurrencyCode": "USD", "Amount": "12.50"},
        "ItemTax": {"CurrencyCode": "USD", "Amount": "1.01"},
        "PromotionDiscount": {"CurrencyCode": "USD", "Amount": "0.00"},
        "IsGift": "false",
        "ConditionId": "New",
        "ConditionSubtypeId": "New",
        "IsTransparency": False,
        "SerialNumberRequired": False,
        "BuyerRequestedCancel": {"IsBuyerRequestedCancel": flag, "BuyerCancelReason": reason},
    }


def v0_items_page(items: int) -> bytes:
    """A getOrderItems response for one order with ``items`` items."""
    payload = {"AmazonOrderId": _order_id(0), "OrderItems": [_v0_item(0, k) for k in range(items)]}
    return json.dumps({"payload": payload}).encode()


def _item_2026(n: int, k: int) -> dict[str, object]:
    item: dict[str, object] = {
        "orderItemId": f"{n:012d}{k:02d}",
        "quantityOrdered": 1,
        "product": {
            "asin": "B00551Q3CS",
            "title": "Stainless steel water bottle, 750 ml, brushed",
            "sellerSku": f"SKU-{k}",
            "condition": {"conditionType": "NEW", "conditionSubtype": "NEW"},
            "price": {"unitPrice": {"amount": "12.50", "currencyCode": "USD"}},
        },
        "proceeds": {"proceedsTotal": {"amount": "12.50", "currencyCode": "USD"}},
        "fulfillment": {"quantityFulfilled": 0, "quantityUnfulfilled": 1},
    }
    if _requested(n, k):
        item["cancellation"] = {
            "cancellationRequest": {"requester": "BUYER", "cancelReason": "Found cheaper"}
        }
    return item


def spapi_2026_page() -> bytes:
    """A searchOrders page: 100 orders with two items each (includedData=CANCELLATION)."""
    orders = [
        {
            "orderId": _order_id(n),
            "createdTime": "2026-11-20T08:00:00Z",
            "lastUpdatedTime": "2026-11-21T09:30:00Z",
            "salesChannel": {
                "channelName": "AMAZON",
                "marketplaceId": "ATVPDKIKX0DER",
                "marketplaceName": "Amazon.com",
            },
            "proceeds": {"grandTotal": {"amount": "25.00", "currencyCode": "USD"}},
            "fulfillment": {
                "fulfillmentStatus": "UNSHIPPED",
                "fulfilledBy": "MERCHANT",
                "fulfillmentServiceLevel": "STANDARD",
            },
            "orderItems": [_item_2026(n, 0), _item_2026(n, 1)],
        }
        for n in range(PAGE_ORDERS)
    ]
    doc = {
        "orders": orders,
        "pagination": {"nextToken": "t"},
        "lastUpdatedBefore": "2026-11-21T10:00:00Z",
    }
    return json.dumps(doc).encode()


def _notification(n: int) -> dict[str, object]:
    items = [
        {
            "OrderItemId": f"{n:012d}{k:02d}",
            "SellerSKU": f"SKU-{k}",
            "SupplySourceId": None,
            "Quantity": 1,
            "QuantityShipped": 0,
            "IsBuyerRequestedCancel": _requested(n, k),
        }
        for k in range(2)
    ]
    return {
        "NotificationVersion": "1.0",
        "NotificationType": "ORDER_CHANGE",
        "PayloadVersion": "1.0",
        "EventTime": "2026-11-21T09:31:00Z",
        "Payload": {
            "OrderChangeNotification": {
                "NotificationLevel": "OrderLevel",
                "SellerId": "A3TH9S8BH6GOGM",
                "AmazonOrderId": _order_id(n),
                "OrderChangeType": "BuyerRequestedChange",
                "OrderChangeTrigger": {
                    "TimeOfOrderChange": "2026-11-21T09:30:00Z",
                    "ChangeReason": "Buyer Requested Cancel",
                },
                "Summary": {
                    "MarketplaceId": "ATVPDKIKX0DER",
                    "OrderStatus": "Unshipped",
                    "PurchaseDate": "2026-11-20T08:00:00Z",
                    "DestinationPostalCode": "98101",
                    "FulfillmentType": "MFN",
                    "OrderType": "StandardOrder",
                    "OrderItems": items,
                },
            }
        },
        "NotificationMetadata": {
            "ApplicationId": "amzn1.sellerapps.app.00000000-0000-0000-0000-000000000000",
            "SubscriptionId": "00000000-0000-0000-0000-000000000000",
            "PublishTime": "2026-11-21T09:31:01Z",
            "NotificationId": f"00000000-0000-0000-0000-{n:012d}",
        },
    }


def notification_batch() -> bytes:
    """A ReceiveMessage batch: 10 SQS messages (the most one call returns), two items each."""
    messages = [
        {
            "MessageId": f"m-{n}",
            "ReceiptHandle": f"r-{n}",
            "MD5OfBody": "0" * 32,
            "Body": json.dumps(_notification(n)),
        }
        for n in range(10)
    ]
    return json.dumps({"Messages": messages}).encode()


def _report_row(row: int) -> str:
    order = row // 2
    flag, reason = ("TRUE", "Found cheaper somewhere else.") if order % 5 == 0 else ("FALSE", "")
    values = {
        "order-id": _order_id(order),
        "order-item-id": f"{row:014d}",
        "purchase-date": "2026-11-20T08:00:00+00:00",
        "payments-date": "2026-11-20T08:00:00+00:00",
        "reporting-date": "2026-11-20T08:05:00+00:00",
        "promise-date": "2026-11-25T07:59:59+00:00",
        "days-past-promise": "-4",
        "buyer-email": "abc123@marketplace.amazon.com",
        "buyer-name": "Jane Doe",
        "sku": f"SKU-{row % 1000}",
        "number-of-items": "1",
        "product-name": "Stainless steel water bottle, 750 ml, brushed",
        "quantity-purchased": "1",
        "quantity-shipped": "0",
        "quantity-to-ship": "1",
        "ship-service-level": "Standard",
        "ship-service-name": "Std US D2D Dom",
        "recipient-name": "Jane Doe",
        "ship-address-1": "1 Main St",
        "ship-city": "Seattle",
        "ship-state": "WA",
        "ship-postal-code": "98101",
        "ship-country": "US",
        "sales-channel": "Amazon.com",
        "is-business-order": "false",
        "is-prime": "false",
        "is-buyer-requested-cancellation": flag,
        "buyer-requested-cancel-reason": reason,
        "verge-of-cancellation": "false",
        "verge-of-lateShipment": "false",
        "signature-confirmation-recommended": "false",
    }
    return "\t".join(values.get(column, "") for column in UNSHIPPED_COLUMNS) + "\n"


def report_text(rows: int) -> str:
    return "\t".join(UNSHIPPED_COLUMNS) + "\n" + "".join(_report_row(r) for r in range(rows))


def write_report(path: Path, rows: int) -> None:
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write("\t".join(UNSHIPPED_COLUMNS) + "\n")
        for start in range(0, rows, 10_000):
            out.write("".join(_report_row(r) for r in range(start, min(rows, start + 10_000))))


# --- baselines: the standard library reading the same fields -------------------------------------


def _text(element: ET.Element, path: str) -> str | None:
    found = element.find(path)
    return None if found is None else found.text


_ITEM_FIELDS = tuple(
    MWS_NS + name
    for name in ("OrderItemId", "ASIN", "SellerSKU", "Title", "QuantityOrdered", "QuantityShipped")
)
_MONEY_FIELDS = (MWS_NS + "CurrencyCode", MWS_NS + "Amount")
_CANCEL_FIELDS = (MWS_NS + "IsBuyerRequestedCancel", MWS_NS + "BuyerCancelReason")


def baseline_mws(doc: bytes) -> int:
    """C ElementTree parse, then ``find`` (C, one tag at a time) of every field the parser reads."""
    return _find_fields(ET.fromstring(doc))


def _find_fields(root: Any) -> int:
    result = root.find(MWS_NS + "ListOrderItemsResult")
    assert result is not None
    _text(result, MWS_NS + "AmazonOrderId")
    _text(result, MWS_NS + "NextToken")
    items = result.find(MWS_NS + "OrderItems")
    assert items is not None
    count = 0
    for item in items.iterfind(MWS_NS + "OrderItem"):
        for name in _ITEM_FIELDS:
            _text(item, name)
        for parent, names in (
            ("ItemPrice", _MONEY_FIELDS),
            ("BuyerRequestedCancel", _CANCEL_FIELDS),
        ):
            found = item.find(MWS_NS + parent)
            if found is not None:
                for name in names:
                    _text(found, name)
        count += 1
    return count


def baseline_v0(doc: bytes) -> int:
    """``json.loads``, then dict access of every field the parser reads."""
    payload = json.loads(doc)["payload"]
    payload.get("AmazonOrderId")
    payload.get("NextToken")
    count = 0
    for item in payload["OrderItems"]:
        item.get("OrderItemId"), item.get("ASIN"), item.get("SellerSKU"), item.get("Title")
        item.get("QuantityOrdered"), item.get("QuantityShipped")
        price = item.get("ItemPrice") or {}
        price.get("CurrencyCode"), price.get("Amount")
        cancel = item.get("BuyerRequestedCancel") or {}
        cancel.get("IsBuyerRequestedCancel"), cancel.get("BuyerCancelReason")
        count += 1
    return count


def baseline_2026(doc: bytes) -> int:
    """``json.loads``, then dict access of every field the parser reads."""
    data = json.loads(doc)
    (data.get("pagination") or {}).get("nextToken")
    data.get("lastUpdatedBefore"), data.get("createdBefore")
    count = 0
    for order in data["orders"]:
        order.get("orderId"), order.get("createdTime"), order.get("lastUpdatedTime")
        (order.get("salesChannel") or {}).get("marketplaceId")
        fulfillment = order.get("fulfillment") or {}
        fulfillment.get("fulfillmentStatus"), fulfillment.get("fulfilledBy")
        total = (order.get("proceeds") or {}).get("grandTotal") or {}
        total.get("amount"), total.get("currencyCode")
        for item in order["orderItems"]:
            item.get("orderItemId"), item.get("quantityOrdered")
            product = item.get("product") or {}
            product.get("asin"), product.get("sellerSku"), product.get("title")
            price = (product.get("price") or {}).get("unitPrice") or {}
            price.get("amount"), price.get("currencyCode")
            (item.get("fulfillment") or {}).get("quantityFulfilled")
            cancellation = item.get("cancellation") or {}
            request = cancellation.get("cancellationRequest") or {}
            request.get("requester"), request.get("cancelReason")
            cancellation.get("cancellationExecution")
            count += 1
    return count


def baseline_notification(doc: bytes) -> int:
    """``json.loads`` of the batch and of each message body, then dict access of the fields."""
    count = 0
    for message in json.loads(doc)["Messages"]:
        note = json.loads(message["Body"])
        note.get("NotificationType"), note.get("EventTime")
        change = note["Payload"]["OrderChangeNotification"]
        change.get("AmazonOrderId")
        (change.get("OrderChangeTrigger") or {}).get("TimeOfOrderChange")
        summary = change["Summary"]
        summary.get("MarketplaceId"), summary.get("OrderStatus")
        summary.get("FulfillmentType"), summary.get("PurchaseDate")
        for item in summary["OrderItems"]:
            item.get("OrderItemId"), item.get("SellerSKU"), item.get("Quantity")
            item.get("QuantityShipped"), item.get("IsBuyerRequestedCancel")
            count += 1
    return count


def baseline_report(doc: bytes) -> int:
    """``csv.DictReader`` (tab-separated), then access of every column the parser reads."""
    count = 0
    rows = csv.DictReader(io.StringIO(doc.decode("utf-8")), delimiter="\t")
    for row in rows:
        row["order-id"], row["order-item-id"], row["purchase-date"], row["sku"]
        row["product-name"], row["quantity-purchased"], row["quantity-shipped"]
        row["is-buyer-requested-cancellation"], row["buyer-requested-cancel-reason"]
        count += 1
    return count


def xml_parsers() -> dict[str, Callable[[bytes], Any]]:
    """The ways to parse MWS XML compared by ``--xml-parsers`` (lxml only when installed)."""
    from defusedxml import ElementTree as SafeET

    from amzcancel.wire._xml import parse_xml

    parsers: dict[str, Callable[[bytes], Any]] = {
        "defusedxml (DTDs forbidden)": lambda doc: SafeET.fromstring(
            doc, forbid_dtd=True, forbid_entities=True, forbid_external=True
        ),
        "C ElementTree (unsafe alone)": ET.fromstring,
        "amzcancel parse_xml (C after the DOCTYPE check)": lambda doc: parse_xml(doc, source="mws"),
    }
    try:  # optional: not a dependency of amzcancel
        etree = importlib.import_module("lxml.etree")
    except ImportError:
        return parsers
    safe = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    parsers["lxml (no entities, no network, no DTD)"] = lambda doc: etree.fromstring(doc, safe)
    return parsers


def compare_xml_parsers(rounds: int, min_items: int, order_items: int) -> Iterator[dict[str, Any]]:
    """Parse plus the baseline's ``find`` of the fields, per safe way to parse MWS XML."""
    doc = mws_items_page(order_items)
    parsers = xml_parsers()
    repeats = max(1, math.ceil(min_items / order_items))
    samples: dict[str, list[float]] = {name: [] for name in parsers}
    parse_only = "C ElementTree, parse alone (no find)"
    samples[parse_only] = []
    for _ in range(rounds):
        for name, parse in parsers.items():

            def read(data: bytes, parse: Callable[[bytes], Any] = parse) -> int:
                return _find_fields(parse(data))

            samples[name].append(cpu_seconds(read, doc, repeats, order_items) / repeats)

        def parse_alone(data: bytes) -> int:
            ET.fromstring(data)
            return order_items

        samples[parse_only].append(cpu_seconds(parse_alone, doc, repeats, order_items) / repeats)
    for name, seconds in samples.items():
        yield {
            "xml_parser": name,
            "items_per_cpu_s": round(order_items / statistics.median(seconds)),
            "document": f"ListOrderItems, 1 order, {order_items} items",
        }


# --- ours ----------------------------------------------------------------------------------------


def ours_mws(doc: bytes) -> int:
    return len(mws.parse_list_order_items(doc).items)


def ours_v0(doc: bytes) -> int:
    return len(spapi_v0.parse_get_order_items(doc).items)


def ours_2026(doc: bytes) -> int:
    return sum(len(order.items) for order in spapi_2026.parse_search_orders(doc).orders)


def ours_notification(doc: bytes) -> int:
    return sum(len(order.items) for order in notifications.iter_order_changes(doc))


def ours_report(doc: bytes) -> int:
    return sum(len(order.items) for order in reports.iter_report_orders([doc]))


# --- measuring -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    """One format: its document, our parser and the baseline reading the same fields."""

    format: str
    document: str
    doc: bytes
    orders: int
    items: int
    ours: Callable[[bytes], int]
    baseline: Callable[[bytes], int]
    baseline_name: str


def cases(order_items: int) -> list[Case]:
    """Every format's document, parser and baseline."""
    report = report_text(REPORT_ROWS).encode()
    return [
        Case(
            "mws",
            f"ListOrderItems, 1 order, {order_items} items",
            mws_items_page(order_items),
            1,
            order_items,
            ours_mws,
            baseline_mws,
            "C ElementTree + find",
        ),
        Case(
            "spapi-v0",
            f"getOrderItems, 1 order, {order_items} items",
            v0_items_page(order_items),
            1,
            order_items,
            ours_v0,
            baseline_v0,
            "json.loads + dict access",
        ),
        Case(
            "spapi-2026",
            f"searchOrders, {PAGE_ORDERS} orders, {2 * PAGE_ORDERS} items",
            spapi_2026_page(),
            PAGE_ORDERS,
            2 * PAGE_ORDERS,
            ours_2026,
            baseline_2026,
            "json.loads + dict access",
        ),
        Case(
            "notification",
            "ReceiveMessage, 10 ORDER_CHANGE, 20 items",
            notification_batch(),
            10,
            20,
            ours_notification,
            baseline_notification,
            "json.loads x11 + dict access",
        ),
        Case(
            "report",
            f"Unshipped report, {REPORT_ROWS // 2} orders, {REPORT_ROWS} rows",
            report,
            REPORT_ROWS // 2,
            REPORT_ROWS,
            ours_report,
            baseline_report,
            "csv.DictReader",
        ),
    ]


def cpu_seconds(read: Callable[[bytes], int], doc: bytes, repeats: int, items: int) -> float:
    """CPU seconds to read ``doc`` ``repeats`` times (checking every read saw all the items)."""
    start = time.process_time()
    for _ in range(repeats):
        seen = read(doc)
    seconds = time.process_time() - start
    if seen != items:
        raise SystemExit(f"{read.__name__} read {seen} items, expected {items}")
    return max(seconds, 1e-9)


def throughput(rounds: int, min_items: int, order_items: int) -> Iterator[dict[str, Any]]:
    """Median figures per format over ``rounds`` interleaved rounds."""
    all_cases = cases(order_items)
    samples: dict[str, list[tuple[float, float]]] = {case.format: [] for case in all_cases}
    repeats = {case.format: max(1, math.ceil(min_items / case.items)) for case in all_cases}
    for case in all_cases:  # warm up, and check both sides read every item
        cpu_seconds(case.ours, case.doc, 1, case.items)
        cpu_seconds(case.baseline, case.doc, 1, case.items)
    for number in range(rounds):
        for case in all_cases:
            n = repeats[case.format]
            # Alternate which side goes first, so that neither always runs on a warmer cache.
            if number % 2:
                base = cpu_seconds(case.baseline, case.doc, n, case.items)
                ours = cpu_seconds(case.ours, case.doc, n, case.items)
            else:
                ours = cpu_seconds(case.ours, case.doc, n, case.items)
                base = cpu_seconds(case.baseline, case.doc, n, case.items)
            samples[case.format].append((ours / n, base / n))
    for case in all_cases:
        ours_per_doc = statistics.median(ours for ours, _ in samples[case.format])
        base_per_doc = statistics.median(base for _, base in samples[case.format])
        yield {
            "format": case.format,
            "document": case.document,
            "doc_bytes": len(case.doc),
            "items_per_cpu_s": round(case.items / ours_per_doc),
            "cpu_s_per_1000_orders": round(ours_per_doc / case.orders * 1000, 4),
            "baseline": case.baseline_name,
            "baseline_items_per_cpu_s": round(case.items / base_per_doc),
            "ratio": round(
                statistics.median(base / ours for ours, base in samples[case.format]), 2
            ),
            "rounds": rounds,
        }


def report_worker(path: str) -> dict[str, object]:
    """Stream one report twice in this process: timed, then under tracemalloc."""
    orders = items = requests = 0
    start = time.perf_counter()
    with open(path, "rb") as stream:
        for order in reports.iter_report_orders(stream):
            orders += 1
            items += len(order.items)
            requests += len(order.buyer_cancel_items)
    seconds = time.perf_counter() - start
    maxrss_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    tracemalloc.start()
    with open(path, "rb") as stream:
        for _order in reports.iter_report_orders(stream):
            pass
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    size = os.path.getsize(path)
    return {
        "rows": items,
        "orders": orders,
        "buyer_cancel_requests": requests,
        "file_mb": round(size / 1e6, 1),
        "seconds": round(seconds, 2),
        "rows_per_s": round(items / seconds),
        "mb_per_s": round(size / seconds / 1e6, 1),
        "tracemalloc_peak_kib": round(peak / 1024),
        "ru_maxrss_mib": round(maxrss_kib / 1024, 1),
    }


def report_run(rows: int, folder: Path) -> dict[str, object]:
    path = folder / f"report-{rows}.tsv"
    write_report(path, rows)
    try:
        done = subprocess.run(
            [sys.executable, __file__, "--report-worker", str(path)],
            capture_output=True,
            check=True,
            text=True,
        )
    finally:
        path.unlink()
    result: dict[str, object] = json.loads(done.stdout)
    return result


def _table(rows: list[dict[str, Any]]) -> str:
    head = (
        f"{'format':<13}{'document':<42}{'items/CPU-s':>12}{'CPU s/1k orders':>16}"
        f"{'baseline':>12}{'ratio':>7}  baseline is"
    )
    lines = [head]
    for row in rows:
        lines.append(
            f"{row['format']:<13}{row['document']:<42}{row['items_per_cpu_s']:>12,}"
            f"{row['cpu_s_per_1000_orders']:>16.4f}{row['baseline_items_per_cpu_s']:>12,}"
            f"{row['ratio']:>7.2f}  {row['baseline']}"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=11, help="interleaved rounds (median)")
    parser.add_argument(
        "--items", type=int, default=20_000, help="items read per format, per side and round"
    )
    parser.add_argument(
        "--order-items", type=int, default=2, help="items of the ListOrderItems/getOrderItems order"
    )
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows of the large report")
    parser.add_argument("--compare-rows", type=int, default=100_000, help="rows of the small one")
    parser.add_argument("--skip-report", action="store_true", help="throughput only")
    parser.add_argument(
        "--xml-parsers",
        action="store_true",
        help="only compare the ways to parse MWS XML (defusedxml, C ElementTree, lxml)",
    )
    parser.add_argument("--json", action="store_true", help="one JSON object per line")
    parser.add_argument("--report-worker", metavar="PATH", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.report_worker:
        print(json.dumps(report_worker(args.report_worker)))
        return
    if not args.json:
        print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs")
    if args.xml_parsers:
        for row in compare_xml_parsers(args.rounds, args.items, args.order_items):
            print(json.dumps(row), flush=True)
        return
    if not args.json:
        print(f"\nthroughput: median of {args.rounds} interleaved rounds, CPU time")
    rows = list(throughput(args.rounds, args.items, args.order_items))
    if args.json:
        for row in rows:
            print(json.dumps(row), flush=True)
    else:
        print(_table(rows), flush=True)
    if args.skip_report:
        return
    if not args.json:
        print("\nflat-file report streamed from disk (iter_report_orders), wall time:")
    with tempfile.TemporaryDirectory() as folder:
        for size in (args.compare_rows, args.rows):
            result = report_run(size, Path(folder))
            print(json.dumps(result) if args.json else "  " + json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
