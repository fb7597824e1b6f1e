"""Parse throughput per wire format, and time and memory of a large flat-file order report.

Run from the repository root:

    python benchmarks/bench_parse.py                       # full run: pages + 100k and 1M rows
    python benchmarks/bench_parse.py --pages 20 --rows 20000 --compare-rows 2000   # quick

Throughput parses a realistic page (100 orders; items inline for 2026, notifications batched
10 per ReceiveMessage) many times through ``amzcancel.wire.detect.parse_document``, so JSON/XML
decoding and format detection are included. The report part writes a generated Unshipped
Orders report (the full 2024-era column set, two items per order, every fifth order with a
buyer cancel request) to a temporary file and streams it with ``iter_report_orders`` in a fresh
subprocess per size, measuring wall time, the tracemalloc peak (second pass) and ru_maxrss.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

from amzcancel.wire.detect import parse_document
from amzcancel.wire.reports import iter_report_orders

PAGE_ORDERS = 100

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


def mws_page() -> bytes:
    orders = "".join(
        f"<Order><AmazonOrderId>{_order_id(n)}</AmazonOrderId>"
        "<PurchaseDate>2026-11-20T08:00:00Z</PurchaseDate>"
        "<LastUpdateDate>2026-11-21T09:30:00Z</LastUpdateDate><OrderStatus>Unshipped</OrderStatus>"
        "<FulfillmentChannel>MFN</FulfillmentChannel><SalesChannel>Amazon.com</SalesChannel>"
        "<OrderTotal><CurrencyCode>USD</CurrencyCode><Amount>25.00</Amount></OrderTotal>"
        "<NumberOfItemsShipped>0</NumberOfItemsShipped>"
        "<NumberOfItemsUnshipped>2</NumberOfItemsUnshipped>"
        "<MarketplaceId>ATVPDKIKX0DER</MarketplaceId></Order>"
        for n in range(PAGE_ORDERS)
    )
    return (
        '<?xml version="1.0"?><ListOrdersResponse '
        'xmlns="https://mws.amazonservices.com/Orders/2013-09-01"><ListOrdersResult>'
        f"<LastUpdatedBefore>2026-11-21T10:00:00Z</LastUpdatedBefore><Orders>{orders}</Orders>"
        "</ListOrdersResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata>"
        "</ListOrdersResponse>"
    ).encode()


def v0_page() -> bytes:
    orders = [
        {
            "AmazonOrderId": _order_id(n),
            "PurchaseDate": "2026-11-20T08:00:00Z",
            "LastUpdateDate": "2026-11-21T09:30:00Z",
            "OrderStatus": "Unshipped",
            "FulfillmentChannel": "MFN",
            "SalesChannel": "Amazon.com",
            "OrderTotal": {"CurrencyCode": "USD", "Amount": "25.00"},
            "NumberOfItemsShipped": 0,
            "NumberOfItemsUnshipped": 2,
            "MarketplaceId": "ATVPDKIKX0DER",
            "IsPrime": False,
            "IsBusinessOrder": False,
        }
        for n in range(PAGE_ORDERS)
    ]
    return json.dumps(
        {"payload": {"Orders": orders, "LastUpdatedBefore": "2026-11-21T10:00:00Z"}}
    ).encode()


def _item_2026(n: int, k: int) -> dict[str, object]:
    item: dict[str, object] = {
        "orderItemId": f"{n:012d}{k:02d}",
        "quantityOrdered": 1,
        "product": {
            "asin": "B00551Q3CS",
            "title": "Stainless steel water bottle",
            "sellerSku": f"SKU-{k}",
            "price": {"unitPrice": {"amount": "12.50", "currencyCode": "USD"}},
        },
        "fulfillment": {"quantityFulfilled": 0, "quantityUnfulfilled": 1},
    }
    if n % 5 == 0 and k == 0:
        item["cancellation"] = {
            "cancellationRequest": {"requester": "BUYER", "cancelReason": "Found cheaper"}
        }
    return item


def spapi_2026_page() -> bytes:
    orders = [
        {
            "orderId": _order_id(n),
            "createdTime": "2026-11-20T08:00:00Z",
            "lastUpdatedTime": "2026-11-21T09:30:00Z",
            "salesChannel": {"channelName": "AMAZON", "marketplaceId": "ATVPDKIKX0DER"},
            "proceeds": {"grandTotal": {"amount": "25.00", "currencyCode": "USD"}},
            "fulfillment": {"fulfillmentStatus": "UNSHIPPED", "fulfilledBy": "MERCHANT"},
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


def notification_batch() -> bytes:
    def note(n: int) -> dict[str, object]:
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
                        "OrderItems": [
                            {
                                "OrderItemId": f"{n:014d}",
                                "SellerSKU": "SKU-1",
                                "SupplySourceId": None,
                                "Quantity": 1,
                                "QuantityShipped": 0,
                                "IsBuyerRequestedCancel": True,
                            }
                        ],
                    },
                }
            },
            "NotificationMetadata": {
                "ApplicationId": "app",
                "SubscriptionId": "sub",
                "PublishTime": "2026-11-21T09:31:01Z",
                "NotificationId": f"n-{n}",
            },
        }

    # SQS hands out at most 10 messages per ReceiveMessage call.
    messages = [{"MessageId": f"m-{n}", "Body": json.dumps(note(n))} for n in range(10)]
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


def write_report(path: Path, rows: int) -> None:
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write("\t".join(UNSHIPPED_COLUMNS) + "\n")
        for start in range(0, rows, 10_000):
            out.write("".join(_report_row(r) for r in range(start, min(rows, start + 10_000))))


def throughput(pages: int) -> list[dict[str, object]]:
    makers: list[tuple[str, Callable[[], bytes]]] = [
        ("mws", mws_page),
        ("spapi-v0", v0_page),
        ("spapi-2026", spapi_2026_page),
        ("notification", notification_batch),
    ]
    results = []
    for name, make in makers:
        doc = make()
        count = len(list(parse_document(doc)))  # warm-up, and the orders per document
        start = time.perf_counter()
        for _ in range(pages):
            for _order in parse_document(doc):
                pass
        seconds = time.perf_counter() - start
        results.append(
            {
                "format": name,
                "orders_per_doc": count,
                "doc_bytes": len(doc),
                "orders_per_s": round(count * pages / seconds),
                "mb_per_s": round(len(doc) * pages / seconds / 1e6, 2),
            }
        )
    return results


def report_worker(path: str) -> dict[str, object]:
    """Stream one report twice in this process: timed, then under tracemalloc."""
    orders = items = requests = 0
    start = time.perf_counter()
    with open(path, "rb") as stream:
        for order in iter_report_orders(stream):
            orders += 1
            items += len(order.items)
            requests += len(order.buyer_cancel_items)
    seconds = time.perf_counter() - start
    maxrss_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    tracemalloc.start()
    with open(path, "rb") as stream:
        for _order in iter_report_orders(stream):
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=300, help="documents parsed per format")
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows of the large report")
    parser.add_argument("--compare-rows", type=int, default=100_000, help="rows of the small one")
    parser.add_argument("--skip-report", action="store_true", help="throughput only")
    parser.add_argument("--report-worker", metavar="PATH", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.report_worker:
        print(json.dumps(report_worker(args.report_worker)))
        return
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs")
    print(f"\nthroughput ({args.pages} documents per format, parse_document):")
    for row in throughput(args.pages):
        print("  " + json.dumps(row))
    if args.skip_report:
        return
    print("\nflat-file report streamed from disk (iter_report_orders):")
    with tempfile.TemporaryDirectory() as folder:
        for rows in (args.compare_rows, args.rows):
            print("  " + json.dumps(report_run(rows, Path(folder))), flush=True)


if __name__ == "__main__":
    main()
