"""The public contract of DESIGN.md, pinned: CLI flags, JSON field names, env var names.

Outside checks rely on every name asserted here. A failure means the contract changed: change
it back, or agree the change with DESIGN.md's owner and update both together.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from amzcancel.cli import build_parser, main
from amzcancel.sandbox import (
    SANDBOX_LWA_CLIENT_ID,
    SANDBOX_LWA_CLIENT_SECRET,
    SANDBOX_LWA_REFRESH_TOKEN,
    SANDBOX_MWS_ACCESS_KEY,
    SANDBOX_MWS_SECRET_KEY,
    SANDBOX_MWS_SELLER_ID,
    Marketplace,
)

FIXTURES = Path(__file__).parent.parent / "fixtures"

ORDER_FIELDS = [
    "amazon_order_id",
    "marketplace_id",
    "status",
    "fulfillment_channel",
    "purchase_date",
    "last_update_date",
    "source",
    "items",
]
ITEM_FIELDS = [
    "order_item_id",
    "asin",
    "seller_sku",
    "title",
    "quantity_ordered",
    "quantity_shipped",
    "buyer_cancel",
]
STATUSES = {
    "Pending",
    "PendingAvailability",
    "Unshipped",
    "PartiallyShipped",
    "Shipped",
    "Canceled",
    "Unfulfillable",
    "InvoiceUnconfirmed",
}
SOURCES = {"mws", "spapi-v0", "spapi-2026", "notification", "report"}
SYNC_SUMMARY_KEYS = {
    "orders_seen",
    "items_seen",
    "buyer_cancel_requests",
    "requests",
    "throttled",
    "seconds",
}
PENDING_KEYS = {
    "amazon_order_id",
    "order_item_id",
    "reason",
    "allowed_reasons",
    "recommended_reason",
}
REASON_KEYS = {"reason", "allowed", "counts_against_cancellation_rate", "recommended", "why"}
UTC_Z = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$")


def parse_lines(capsys: pytest.CaptureFixture[str], *args: str) -> list[dict[str, Any]]:
    """Run ``amzcancel parse`` and return its stdout lines, each decoded on its own."""
    assert main(["parse", *args]) == 0
    lines = capsys.readouterr().out.splitlines()
    return [json.loads(line) for line in lines]


def subparser(name: str) -> argparse.ArgumentParser:
    """The argparse parser of one subcommand of the real CLI."""
    parser = build_parser()
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            sub = action.choices[name]
            assert isinstance(sub, argparse.ArgumentParser)
            return sub
    raise AssertionError("no subcommands")


def option(parser: argparse.ArgumentParser, flag: str) -> argparse.Action:
    """The argparse action behind ``flag``; fails if the flag is gone."""
    for action in parser._actions:
        if flag in action.option_strings:
            return action
    raise AssertionError(f"{flag} is missing from `amzcancel {parser.prog.split()[-1]}`")


def assert_order_contract(order: dict[str, Any]) -> None:
    """One normalized order: exact field names, Z datetimes, contract enum values."""
    assert list(order) == ORDER_FIELDS
    assert order["source"] in SOURCES
    assert order["status"] is None or order["status"] in STATUSES
    assert order["fulfillment_channel"] in (None, "MFN", "AFN")
    for key in ("purchase_date", "last_update_date"):
        assert order[key] is None or UTC_Z.match(order[key]), order[key]
    for item in order["items"]:
        assert list(item) == ITEM_FIELDS
        assert list(item["buyer_cancel"]) == ["requested", "reason"]
        assert type(item["buyer_cancel"]["requested"]) is bool


# --- amzcancel parse ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fixture", "source"),
    [
        pytest.param("mws/ListOrderItems.model.200.1.xml", "mws", id="mws"),
        pytest.param("spapi_v0/getOrderItems.hand.200.1.json", "spapi-v0", id="spapi-v0"),
        pytest.param("spapi_2026/searchOrders.hand.200.1.json", "spapi-2026", id="spapi-2026"),
        pytest.param("notification/orderChange.model.200.1.json", "notification", id="notif"),
        pytest.param("report/allOrders.hand.200.1.tsv", "report", id="report"),
    ],
)
def test_parse_prints_contract_orders_for_every_source(
    capsys: pytest.CaptureFixture[str], fixture: str, source: str
) -> None:
    """Every wire format comes out as the same normalized order JSON with its source value."""
    orders = parse_lines(capsys, str(FIXTURES / fixture))
    assert orders
    for order in orders:
        assert_order_contract(order)
        assert order["source"] == source


def test_parse_example_order_matches_design(capsys: pytest.CaptureFixture[str]) -> None:
    """The DESIGN.md example order comes out field for field, with Z datetimes."""
    (first, _second) = parse_lines(
        capsys, str(FIXTURES / "spapi_2026/searchOrders.hand.200.1.json")
    )
    assert {k: first[k] for k in ORDER_FIELDS[:-1]} == {
        "amazon_order_id": "902-1845936-5435065",
        "marketplace_id": "ATVPDKIKX0DER",
        "status": "Unshipped",
        "fulfillment_channel": "MFN",
        "purchase_date": "2026-11-20T08:00:00Z",
        "last_update_date": "2026-11-21T09:30:00Z",
        "source": "spapi-2026",
    }
    item = first["items"][0]
    assert item["order_item_id"] == "05015851154158"
    assert item["quantity_ordered"] == 1
    assert item["quantity_shipped"] == 0
    assert item["buyer_cancel"] == {"requested": True, "reason": "Found cheaper somewhere else."}


def test_parse_absent_fields_are_null(capsys: pytest.CaptureFixture[str]) -> None:
    """Fields the source does not carry are present as null, never left out."""
    (order,) = parse_lines(capsys, str(FIXTURES / "mws/ListOrderItems.model.200.1.xml"))
    assert order["marketplace_id"] is None
    assert order["purchase_date"] is None
    assert order["items"][1]["quantity_shipped"] is None
    assert order["items"][0]["buyer_cancel"]["reason"] is None


def test_parse_is_one_json_object_per_line_across_files(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Several PATHs print one JSON object per line per order, in file order."""
    paths = [
        str(FIXTURES / "spapi_2026/searchOrders.hand.200.1.json"),
        str(FIXTURES / "report/allOrders.hand.200.1.tsv"),
    ]
    assert main(["parse", *paths]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) >= 3
    sources = [json.loads(line)["source"] for line in lines]
    assert sources[:2] == ["spapi-2026", "spapi-2026"]
    assert set(sources[2:]) == {"report"}


_STATUS_2026 = [
    ("PENDING_AVAILABILITY", "PendingAvailability"),
    ("PENDING", "Pending"),
    ("UNSHIPPED", "Unshipped"),
    ("PARTIALLY_SHIPPED", "PartiallyShipped"),
    ("SHIPPED", "Shipped"),
    ("CANCELLED", "Canceled"),
    ("UNFULFILLABLE", "Unfulfillable"),
]


@pytest.mark.parametrize(("wire", "status"), _STATUS_2026, ids=[w for w, _ in _STATUS_2026])
@pytest.mark.parametrize(("fulfilled_by", "channel"), [("MERCHANT", "MFN"), ("AMAZON", "AFN")])
def test_parse_maps_2026_values(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    wire: str,
    status: str,
    fulfilled_by: str,
    channel: str,
) -> None:
    """Orders 2026-01-01 statuses and fulfilledBy come out in the v0/MWS vocabulary."""
    doc = json.loads((FIXTURES / "spapi_2026/searchOrders.hand.200.1.json").read_text())
    order = doc["orders"][0]
    order["fulfillment"]["fulfillmentStatus"] = wire
    order["fulfillment"]["fulfilledBy"] = fulfilled_by
    path = tmp_path / "search.json"
    path.write_text(json.dumps({"orders": [order]}))
    (out,) = parse_lines(capsys, "--format", "spapi-2026", str(path))
    assert (out["status"], out["fulfillment_channel"]) == (status, channel)


@pytest.mark.parametrize(
    ("flag", "expected"),
    [
        pytest.param("true", True, id="true"),
        pytest.param("True", True, id="True"),
        pytest.param("false", False, id="false"),
        pytest.param(None, False, id="missing"),
    ],
)
def test_parse_v0_flag_is_a_real_boolean(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], flag: str | None, expected: bool
) -> None:
    """v0's string flag becomes a JSON boolean; a missing flag means false."""
    doc = json.loads((FIXTURES / "spapi_v0/getOrderItems.hand.200.1.json").read_text())
    item = doc["payload"]["OrderItems"][0]
    if flag is None:
        del item["BuyerRequestedCancel"]
    else:
        item["BuyerRequestedCancel"] = {"IsBuyerRequestedCancel": flag, "BuyerCancelReason": ""}
    path = tmp_path / "items.json"
    path.write_text(json.dumps(doc))
    (order,) = parse_lines(capsys, str(path))
    assert order["items"][0]["buyer_cancel"] == {"requested": expected, "reason": None}


def test_parse_flags() -> None:
    """parse takes PATH... and --format with exactly the documented choices."""
    parser = subparser("parse")
    fmt = option(parser, "--format")
    assert list(fmt.choices or ()) == [
        "auto",
        "mws",
        "spapi-v0",
        "spapi-2026",
        "notification",
        "report",
    ]
    assert fmt.default == "auto"
    paths = next(a for a in parser._actions if a.dest == "paths")
    assert paths.nargs == "+"


def test_parse_bad_input_is_exit_2_and_one_line_naming_the_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A file that is not an order document: exit 2, one stderr line naming it, no traceback."""
    bad = tmp_path / "notes.txt"
    bad.write_text("hello\n")
    assert main(["parse", str(bad)]) == 2
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1
    assert str(bad) in err
    assert "Traceback" not in err


# --- amzcancel sync ------------------------------------------------------------------------


def assert_default_store(parser: argparse.ArgumentParser) -> None:
    """No --store: $AMZCANCEL_STORE, else ./amzcancel.db (the contract's default)."""
    import os

    from amzcancel._commands._options import store_target

    args = parser.parse_args([])
    assert store_target(args) == "amzcancel.db"
    os.environ["AMZCANCEL_STORE"] = "postgresql://db.internal/amzcancel"
    try:
        assert store_target(args) == "postgresql://db.internal/amzcancel"
        assert store_target(parser.parse_args(["--store", "x.db"])) == "x.db"
    finally:
        del os.environ["AMZCANCEL_STORE"]


def test_sync_flags() -> None:
    """sync takes every documented flag, --api with exactly auto|2026|v0|mws."""
    parser = subparser("sync")
    api = option(parser, "--api")
    assert list(api.choices or ()) == ["auto", "2026", "v0", "mws"]
    assert api.default == "auto"
    assert_default_store(parser)
    assert isinstance(option(parser, "--marketplace"), argparse._AppendAction)
    for flag in ("--since", "--endpoint", "--lwa-endpoint"):
        assert option(parser, flag).nargs is None  # takes one value
    for flag in ("--sandbox", "--json"):
        assert option(parser, flag).nargs == 0  # a switch


def test_sync_json_summary_keys_and_repeatable_marketplace(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """sync --sandbox --json prints one object with the contract counters; --marketplace repeats."""
    store = tmp_path / "s.db"
    argv = ["sync", "--sandbox", "--json", "--store", str(store), "--since", "2026-11-20"]
    argv += ["--marketplace", "ATVPDKIKX0DER", "--marketplace", "A2EUQ1WTGCTBG2"]
    assert main(argv) == 0
    (line,) = capsys.readouterr().out.splitlines()
    summary = json.loads(line)
    assert set(summary) >= SYNC_SUMMARY_KEYS
    for key in SYNC_SUMMARY_KEYS - {"seconds"}:
        assert type(summary[key]) is int, key
    assert isinstance(summary["seconds"], int | float)
    assert summary["orders_seen"] > 0
    assert summary["marketplaces"] == ["ATVPDKIKX0DER", "A2EUQ1WTGCTBG2"]
    assert store.is_file()


def test_default_store_is_amzcancel_db_in_the_working_directory(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without --store, sync writes and pending reads ./amzcancel.db."""
    monkeypatch.chdir(tmp_path)
    assert main(["sync", "--sandbox", "--json"]) == 0
    assert (tmp_path / "amzcancel.db").is_file()
    summary = json.loads(capsys.readouterr().out)
    assert main(["pending", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert len(rows) == summary["buyer_cancel_requests"]


@pytest.mark.parametrize(
    ("api", "names"),
    [
        pytest.param("auto", ("LWA_APP_ID", "LWA_CLIENT_SECRET", "SP_API_REFRESH_TOKEN"), id="lwa"),
        pytest.param("mws", ("MWS_ACCESS_KEY", "MWS_SECRET_KEY", "MWS_SELLER_ID"), id="mws"),
    ],
)
def test_sync_names_the_contract_env_vars(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], api: str, names: tuple[str, ...]
) -> None:
    """Missing credentials: exit 2 and one line naming exactly the contract variables."""
    assert main(["sync", "--api", api, "--store", str(tmp_path / "s.db")]) == 2
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1
    for name in names:
        assert name in err


@pytest.mark.parametrize(
    ("api", "env"),
    [
        pytest.param(
            "2026",
            {
                "LWA_APP_ID": SANDBOX_LWA_CLIENT_ID,
                "LWA_CLIENT_SECRET": SANDBOX_LWA_CLIENT_SECRET,
                "SP_API_REFRESH_TOKEN": SANDBOX_LWA_REFRESH_TOKEN,
            },
            id="lwa",
        ),
        pytest.param(
            "mws",
            {
                "MWS_ACCESS_KEY": SANDBOX_MWS_ACCESS_KEY,
                "MWS_SECRET_KEY": SANDBOX_MWS_SECRET_KEY,
                "MWS_SELLER_ID": SANDBOX_MWS_SELLER_ID,
            },
            id="mws",
        ),
    ],
)
def test_sync_reads_credentials_from_the_contract_env_vars(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    api: str,
    env: dict[str, str],
) -> None:
    """With only the contract variables set, sync --endpoint/--lwa-endpoint reaches a server."""
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with Marketplace(seed=3, orders=5).serve(port=0) as base_url:
        assert base_url.startswith("http://127.0.0.1:")
        argv = ["sync", "--api", api, "--json", "--store", str(tmp_path / "s.db")]
        argv += ["--endpoint", base_url, "--lwa-endpoint", base_url + "/auth/o2/token"]
        assert main(argv) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["requests"] > 0


# --- amzcancel pending ---------------------------------------------------------------------


def test_pending_flags_and_json_keys(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """pending --store --json prints an array of objects with the contract keys."""
    parser = subparser("pending")
    assert_default_store(parser)
    assert option(parser, "--json").nargs == 0
    store = str(tmp_path / "s.db")
    assert main(["sync", "--sandbox", "--store", store, "--json"]) == 0
    capsys.readouterr()
    assert main(["pending", "--store", store, "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert isinstance(rows, list)
    assert rows
    for row in rows:
        assert set(row) >= PENDING_KEYS
        assert isinstance(row["allowed_reasons"], list)
        assert (
            row["recommended_reason"] is None
            or row["recommended_reason"] in (row["allowed_reasons"])
        )


# --- amzcancel reasons ---------------------------------------------------------------------


@pytest.mark.parametrize("channel", ["MFN", "AFN"])
@pytest.mark.parametrize("buyer_requested", ["yes", "no"])
def test_reasons_json_keys(
    capsys: pytest.CaptureFixture[str], channel: str, buyer_requested: str
) -> None:
    """reasons --json: one object per reason code with the contract keys and types."""
    argv = ["reasons", "--status", "Unshipped", "--channel", channel]
    assert main([*argv, "--buyer-requested", buyer_requested, "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert isinstance(rows, list)
    assert len({row["reason"] for row in rows}) == len(rows) >= 6
    for row in rows:
        assert set(row) >= REASON_KEYS
        for key in ("allowed", "counts_against_cancellation_rate", "recommended"):
            assert type(row[key]) is bool
        assert isinstance(row["why"], str)
        assert row["why"]


def test_reasons_flags_include_informal(capsys: pytest.CaptureFixture[str]) -> None:
    """reasons takes --informal (a switch); informal requests never recommend BuyerCanceled."""
    argv = ["reasons", "--status", "Unshipped", "--channel", "MFN", "--buyer-requested", "no"]
    assert main([*argv, "--informal", "--json"]) == 0
    rows = {row["reason"]: row for row in json.loads(capsys.readouterr().out)}
    assert rows["BuyerCanceled"]["recommended"] is False
    assert rows["BuyerCanceled"]["allowed"] is False


# --- the installed command -----------------------------------------------------------------


@pytest.mark.slow
def test_installed_command_runs_as_a_subprocess(tmp_path: Path) -> None:
    """The `amzcancel` console script is installed and speaks the same contract."""
    command = shutil.which("amzcancel", path=os.path.dirname(sys.executable)) or shutil.which(
        "amzcancel"
    )
    assert command is not None, "the amzcancel console script is not installed"
    argv = [command, "reasons", "--status", "Unshipped", "--channel", "MFN"]
    argv += ["--buyer-requested", "yes", "--json"]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    rows = {row["reason"]: row for row in json.loads(done.stdout)}
    assert rows["BuyerCanceled"]["recommended"] is True
    bad = subprocess.run(
        [command, "parse", str(tmp_path / "missing.json")],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert bad.returncode == 2
    assert bad.stderr.count("\n") == 1
    assert "missing.json" in bad.stderr
