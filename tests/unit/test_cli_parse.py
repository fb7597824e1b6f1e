"""`amzcancel parse`: contract JSON per source, exit codes and one-line errors."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from amzcancel.cli import main

FIXTURES = Path(__file__).parent.parent / "fixtures"

MWS_ITEMS = b"""<?xml version="1.0"?>
<ListOrderItemsResponse xmlns="https://mws.amazonservices.com/Orders/2013-09-01">
  <ListOrderItemsResult>
    <AmazonOrderId>902-1845936-5435065</AmazonOrderId>
    <OrderItems>
      <OrderItem>
        <ASIN>B00551Q3CS</ASIN>
        <OrderItemId>05015851154158</OrderItemId>
        <SellerSKU>SKU-1</SellerSKU>
        <BuyerRequestedCancel>
          <IsBuyerRequestedCancel>true</IsBuyerRequestedCancel>
          <BuyerCancelReason>Found cheaper somewhere else.</BuyerCancelReason>
        </BuyerRequestedCancel>
        <Title>B00551Q3CS [Card Book]</Title>
        <QuantityOrdered>1</QuantityOrdered>
        <QuantityShipped>0</QuantityShipped>
      </OrderItem>
    </OrderItems>
  </ListOrderItemsResult>
  <ResponseMetadata><RequestId>3c4d5e6f-0000-4000-8000-00000000abcd</RequestId></ResponseMetadata>
</ListOrderItemsResponse>
"""

V0_ORDERS = {
    "payload": {
        "Orders": [
            {
                "AmazonOrderId": "902-1845936-5435065",
                "PurchaseDate": "2026-11-20T08:00:00Z",
                "LastUpdateDate": "2026-11-21T09:30:00Z",
                "OrderStatus": "Unshipped",
                "FulfillmentChannel": "MFN",
                "MarketplaceId": "ATVPDKIKX0DER",
            }
        ],
        "LastUpdatedBefore": "2026-11-21T10:00:00Z",
    }
}

NULL_ORDER = {
    "marketplace_id": None,
    "status": None,
    "fulfillment_channel": None,
    "purchase_date": None,
    "last_update_date": None,
}


def _item(item_id: str, requested: bool, reason: str | None, **fields: Any) -> dict[str, Any]:
    base = {
        "order_item_id": item_id,
        "asin": None,
        "seller_sku": None,
        "title": None,
        "quantity_ordered": None,
        "quantity_shipped": None,
        "buyer_cancel": {"requested": requested, "reason": reason},
    }
    base.update(fields)
    return base


EXPECTED: dict[str, dict[str, Any]] = {
    "mws": {
        "amazon_order_id": "902-1845936-5435065",
        **NULL_ORDER,
        "source": "mws",
        "items": [
            _item(
                "05015851154158",
                True,
                "Found cheaper somewhere else.",
                asin="B00551Q3CS",
                seller_sku="SKU-1",
                title="B00551Q3CS [Card Book]",
                quantity_ordered=1,
                quantity_shipped=0,
            )
        ],
    },
    "spapi-v0": {
        "amazon_order_id": "902-1845936-5435065",
        "marketplace_id": "ATVPDKIKX0DER",
        "status": "Unshipped",
        "fulfillment_channel": "MFN",
        "purchase_date": "2026-11-20T08:00:00Z",
        "last_update_date": "2026-11-21T09:30:00Z",
        "source": "spapi-v0",
        "items": [],
    },
    "spapi-2026": {
        "amazon_order_id": "902-1845936-5435065",
        "marketplace_id": "ATVPDKIKX0DER",
        "status": "Unshipped",
        "fulfillment_channel": "MFN",
        "purchase_date": "2026-11-20T08:00:00Z",
        "last_update_date": "2026-11-21T09:30:00Z",
        "source": "spapi-2026",
        "items": [
            _item(
                "05015851154158",
                True,
                "Found cheaper somewhere else.",
                asin="B00551Q3CS",
                seller_sku="SKU-1",
                title="Stainless steel water bottle",
                quantity_ordered=1,
                quantity_shipped=0,
            ),
            _item(
                "05015851154159",
                False,
                None,
                asin="B00551Q3CT",
                seller_sku="SKU-2",
                title="Bottle brush",
                quantity_ordered=1,
                quantity_shipped=0,
            ),
        ],
    },
    "notification": {
        "amazon_order_id": "903-8868176-2219830",
        "marketplace_id": "ATVPDKIKX0DER",
        "status": "Unshipped",
        "fulfillment_channel": "MFN",
        "purchase_date": "2022-07-13T19:42:04.284Z",
        "last_update_date": "2022-11-29T19:42:04.284Z",
        "source": "notification",
        "items": [
            _item(
                "OIID34853450",
                True,
                None,
                seller_sku="SellerSKUID1",
                quantity_ordered=10,
                quantity_shipped=0,
            )
        ],
    },
    "report": {
        "amazon_order_id": "111-0000001-0000001",
        **NULL_ORDER,
        "purchase_date": "2026-11-20T08:00:00Z",
        "source": "report",
        "items": [
            _item(
                "10000000000001",
                True,
                "Found cheaper somewhere else.",
                seller_sku="SKU-A",
                title="Water bottle, 750 ml",
                quantity_ordered=1,
                quantity_shipped=0,
            ),
            _item(
                "10000000000002",
                False,
                None,
                seller_sku="SKU-B",
                title="Bottle brush",
                quantity_ordered=2,
                quantity_shipped=0,
            ),
        ],
    },
}


@pytest.fixture
def documents(tmp_path: Path) -> dict[str, Path]:
    """One document of each source: MWS and v0 written here, the rest from the fixtures."""
    mws = tmp_path / "ListOrderItems.xml"
    mws.write_bytes(MWS_ITEMS)
    v0 = tmp_path / "getOrders.json"
    v0.write_text(json.dumps(V0_ORDERS))
    return {
        "mws": mws,
        "spapi-v0": v0,
        "spapi-2026": FIXTURES / "spapi_2026" / "searchOrders.hand.200.1.json",
        "notification": FIXTURES / "notification" / "sqsMessage.hand.200.1.json",
        "report": FIXTURES / "report" / "unshipped.hand.200.1.tsv",
    }


def _lines(capsys: pytest.CaptureFixture[str]) -> list[dict[str, Any]]:
    return [json.loads(line) for line in capsys.readouterr().out.splitlines()]


@pytest.mark.parametrize("source", list(EXPECTED))
@pytest.mark.parametrize("fmt", ["auto", "explicit"])
def test_prints_contract_json_for_each_source(
    source: str, fmt: str, documents: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    """Each source prints the contract JSON, field for field, detected or named."""
    argv = ["parse", str(documents[source])]
    if fmt == "explicit":
        argv += ["--format", source]
    assert main(argv) == 0
    lines = _lines(capsys)
    assert lines[0] == EXPECTED[source]
    assert list(lines[0]) == list(EXPECTED["spapi-2026"])  # field order is stable too


def test_prints_every_order_of_every_file(
    documents: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    """Several paths print all their orders, one JSON object per line, in order."""
    assert main(["parse", str(documents["spapi-2026"]), str(documents["report"])]) == 0
    ids = [line["amazon_order_id"] for line in _lines(capsys)]
    assert ids == [
        "902-1845936-5435065",
        "902-1845936-5435066",
        "111-0000001-0000001",
        "111-0000001-0000002",
        "111-0000001-0000003",
        "111-0000001-0000004",
    ]


def test_dash_reads_stdin(
    documents: dict[str, Path], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """'-' reads the document from standard input."""
    data = documents["notification"].read_bytes()
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))
    assert main(["parse", "-"]) == 0
    assert _lines(capsys) == [EXPECTED["notification"]]


def test_encoding_option_reads_cp932_reports(capsys: pytest.CaptureFixture[str]) -> None:
    """--encoding Windows-31J decodes Japanese product names."""
    path = FIXTURES / "report" / "unshipped.hand.200.4.tsv"
    assert main(["parse", "--encoding", "Windows-31J", str(path)]) == 0
    assert _lines(capsys)[0]["items"][0]["title"] == "エコードット 第4世代 ① スマートスピーカー"


@pytest.mark.parametrize(
    ("name", "fmt", "expected"),
    [
        pytest.param(
            "report/unshipped.hand.invalid.1.tsv",
            None,
            "report: at line 3: row has no order item id (column order-item-id)",
            id="report-row-without-item-id",
        ),
        pytest.param(
            "spapi_2026/searchOrders.hand.429.1.json",
            None,
            "ThrottledError: QuotaExceeded: You exceeded your quota for the requested resource.",
            id="amazon-error-document",
        ),
        pytest.param(
            "notification/orderChange.hand.invalid.2.json",
            None,
            "IsBuyerRequestedCancel: not a boolean flag",
            id="bad-flag",
        ),
        pytest.param(
            "report/unshipped.hand.200.1.tsv",
            "spapi-2026",
            "spapi-2026: at $: not valid JSON",
            id="wrong-format",
        ),
        pytest.param(
            "report/unshipped.hand.invalid.2.tsv",
            None,
            "auto: the document holds only whitespace (2 bytes)",
            id="undetectable",
        ),
    ],
)
def test_bad_input_exits_2_with_one_line_naming_the_file(
    name: str, fmt: str | None, expected: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Bad input exits 2 with one stderr line naming the file and the problem."""
    path = FIXTURES / name
    argv = ["parse", str(path)] + (["--format", fmt] if fmt else [])
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith(f"amzcancel parse: error: {path}: ")
    assert expected in err
    assert "Traceback" not in err


def test_missing_file_and_directory(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A missing file or a directory is a one-line 'cannot read' error with exit 2."""
    missing = tmp_path / "nope.json"
    assert main(["parse", str(missing)]) == 2
    assert capsys.readouterr().err == (
        f"amzcancel parse: error: {missing}: cannot read: No such file or directory\n"
    )
    assert main(["parse", str(tmp_path)]) == 2
    assert capsys.readouterr().err.startswith(f"amzcancel parse: error: {tmp_path}: cannot read:")


def test_bad_format_choice_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    """An unknown --format value exits 2 with argparse's one-line usage error."""
    with pytest.raises(SystemExit) as info:
        main(["parse", "--format", "xml", "x"])
    assert info.value.code == 2
    assert "invalid choice: 'xml'" in capsys.readouterr().err


@pytest.mark.slow
def test_installed_command_runs(documents: dict[str, Path]) -> None:
    """The installed `amzcancel` command prints the contract JSON and exits 0, or 2 on error."""
    # Next to the interpreter running the tests: the venv's bin need not be on PATH.
    command = shutil.which("amzcancel", path=str(Path(sys.executable).parent))
    assert command is not None, f"amzcancel is not installed next to {sys.executable}"
    done = subprocess.run(
        [command, "parse", str(documents["report"])], capture_output=True, check=False, timeout=60
    )
    assert done.returncode == 0, done.stderr
    first = json.loads(done.stdout.splitlines()[0])
    assert first == EXPECTED["report"]
    bad = subprocess.run(
        [command, "parse", str(documents["report"]) + ".missing"],
        capture_output=True,
        check=False,
        timeout=60,
    )
    assert bad.returncode == 2
    assert bad.stderr.decode().count("\n") == 1
    assert b"Traceback" not in bad.stderr


def test_a_page_with_an_unreadable_order_exits_2_naming_the_order(
    tmp_path: Path, documents: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    """parse stays strict: one bad order fails its file, and nothing of that file is printed.

    The files before it have been printed in full; the one line on stderr names the file, the
    order and where it is wrong.
    """
    page = json.loads((FIXTURES / "spapi_2026" / "searchOrders.hand.200.1.json").read_bytes())
    bad = json.loads(json.dumps(page["orders"][0]))
    bad["orderId"] = "902-0000000-0000099"
    del bad["orderItems"][0]["orderItemId"]
    page["orders"].insert(1, bad)
    path = tmp_path / "page.json"
    path.write_text(json.dumps(page), encoding="utf-8")
    assert main(["parse", str(documents["notification"]), str(path)]) == 2
    out, err = capsys.readouterr()
    assert [json.loads(line) for line in out.splitlines()] == [EXPECTED["notification"]]
    assert err == (
        f"amzcancel parse: error: {path}: spapi-2026: at $.orders[1].orderItems[0].orderItemId: "
        "order 902-0000000-0000099: required value is missing\n"
    )
