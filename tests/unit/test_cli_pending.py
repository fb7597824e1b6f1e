"""`amzcancel pending`: open buyer cancel requests as a table or JSON, with allowed reasons."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from amzcancel.cli import main
from amzcancel.models import (
    BuyerCancel,
    FulfillmentChannel,
    Order,
    OrderItem,
    OrderStatus,
    Source,
)
from amzcancel.sync import SqliteStore

T0 = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)


def make_order(
    order_id: str,
    *,
    requested: bool = True,
    status: OrderStatus = OrderStatus.UNSHIPPED,
    channel: FulfillmentChannel = FulfillmentChannel.MFN,
) -> Order:
    return Order(
        amazon_order_id=order_id,
        marketplace_id="ATVPDKIKX0DER",
        status=status,
        fulfillment_channel=channel,
        purchase_date=T0,
        last_update_date=T0,
        source=Source.SPAPI_V0,
        items=[
            OrderItem(
                order_item_id=f"{order_id[-4:]}01",
                asin="B00551Q3CS",
                seller_sku="SKU-1",
                title="Widget",
                quantity_ordered=1,
                quantity_shipped=0,
                buyer_cancel=BuyerCancel(
                    requested=requested,
                    reason="Found cheaper somewhere else." if requested else None,
                ),
            )
        ],
    )


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "amzcancel.db"
    with SqliteStore(path) as store:
        store.apply(
            "sandbox",
            [
                make_order("902-1845936-5435065"),
                make_order("902-0000000-0000002", requested=False),
                make_order("902-0000000-0000003", status=OrderStatus.SHIPPED),
                make_order("902-0000000-0000004", channel=FulfillmentChannel.AFN),
            ],
        )
    return path


def run_json(capsys: pytest.CaptureFixture[str], *args: str) -> list[dict[str, object]]:
    assert main(["pending", *args, "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert isinstance(rows, list)
    return rows


def test_json_lists_open_requests_with_policy_reasons(
    db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--json prints one object per open request with the reasons the policy allows."""
    (row,) = run_json(capsys, "--store", str(db))
    assert row["amazon_order_id"] == "902-1845936-5435065"
    assert row["order_item_id"] == "506501"
    assert row["reason"] == "Found cheaper somewhere else."
    assert row["recommended_reason"] == "BuyerCanceled"
    allowed = row["allowed_reasons"]
    assert isinstance(allowed, list)
    assert "BuyerCanceled" in allowed
    assert "NoInventory" in allowed
    assert row["account"] == "sandbox"
    assert row["status"] == "Unshipped"
    assert row["fulfillment_channel"] == "MFN"
    assert row["marketplace_id"] == "ATVPDKIKX0DER"
    assert row["seller_sku"] == "SKU-1"
    assert row["last_update_date"] == "2026-11-20T08:00:00Z"


def test_include_afn_lists_amazon_fulfilled_with_no_reason(
    db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--include-afn adds AFN requests, for which the policy allows and recommends nothing."""
    rows = run_json(capsys, "--store", str(db), "--include-afn")
    afn = [row for row in rows if row["fulfillment_channel"] == "AFN"]
    assert [row["amazon_order_id"] for row in afn] == ["902-0000000-0000004"]
    assert afn[0]["allowed_reasons"] == []
    assert afn[0]["recommended_reason"] is None


def test_account_filter(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """--account limits the listing to one account's requests."""
    with SqliteStore(db) as store:
        store.apply("spapi:0f1e2d3c", [make_order("902-0000000-0000009")])
    assert len(run_json(capsys, "--store", str(db))) == 2
    rows = run_json(capsys, "--store", str(db), "--account", "spapi:0f1e2d3c")
    assert [row["amazon_order_id"] for row in rows] == ["902-0000000-0000009"]


def test_table_shows_each_request_and_its_recommended_reason(
    db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Without --json a table shows the order, item, buyer's reason and reason to cancel with."""
    assert main(["pending", "--store", str(db)]) == 0
    out = capsys.readouterr().out
    assert "Open buyer cancel requests: 1" in out
    line = next(line for line in out.splitlines() if "902-1845936-5435065" in line)
    assert "506501" in line
    assert "Unshipped" in line
    assert "BuyerCanceled" in line
    assert "Found cheaper" in out
    assert "902-0000000-0000003" not in out
    assert "902-0000000-0000004" not in out


def test_table_names_accounts_when_several(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """With requests from several accounts the table gets an Account column."""
    with SqliteStore(db) as store:
        store.apply("mws:A1B2C3", [make_order("902-0000000-0000009")])
    assert main(["pending", "--store", str(db)]) == 0
    out = capsys.readouterr().out
    assert "ACCOUNT" in out.splitlines()[1]
    assert "mws:A1B2C3" in out


def test_empty_store_prints_no_requests(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A store without open requests prints a sentence, or [] with --json."""
    path = tmp_path / "empty.db"
    SqliteStore(path).close()
    assert main(["pending", "--store", str(path)]) == 0
    assert capsys.readouterr().out.strip() == "No open buyer cancel requests."
    assert run_json(capsys, "--store", str(path)) == []


def test_missing_store_exits_2_without_creating_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A missing store is a one-line error with exit 2, and no empty database is created."""
    path = tmp_path / "nope.db"
    assert main(["pending", "--store", str(path), "--json"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("amzcancel pending: error:")
    assert "nope.db: no such store" in lines[0]
    assert not path.exists()


def test_corrupt_store_exits_2_with_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A file that is not a store is a one-line error with exit 2, never a traceback."""
    path = tmp_path / "junk.db"
    path.write_text("not sqlite at all\n" * 200, encoding="utf-8")
    assert main(["pending", "--store", str(path)]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1
    assert "junk.db" in err
    assert "Traceback" not in err


def test_default_store_is_in_the_working_directory(
    db: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Without --store the command reads ./amzcancel.db."""
    monkeypatch.chdir(db.parent)
    rows = run_json(capsys)
    assert [row["amazon_order_id"] for row in rows] == ["902-1845936-5435065"]
