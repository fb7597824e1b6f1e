"""The ``amzcancel reasons`` command: contract JSON, text table, reply, bad input."""

from __future__ import annotations

import json
from typing import Any

import pytest

from amzcancel.cli import main
from amzcancel.policy import INFORMAL_REQUEST_REPLY

BASE = ["reasons", "--status", "Unshipped", "--channel", "MFN"]
ALL_CODES = {
    "NoInventory",
    "BuyerCanceled",
    "GeneralAdjustment",
    "ShippingAddressUndeliverable",
    "CustomerExchange",
    "PricingError",
    "CarrierCreditDecision",
    "RiskAssessmentInformationNotValid",
    "CarrierCoverageFailure",
    "CustomerReturn",
    "MerchandiseNotReceived",
}


def _json(capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, dict[str, Any]]:
    assert main([*args, "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert isinstance(rows, list)
    return {row["reason"]: row for row in rows}


def test_done_criterion(capsys: pytest.CaptureFixture[str]) -> None:
    """No formal request: BuyerCanceled not allowed; with one: allowed and recommended."""
    without = _json(capsys, *BASE, "--buyer-requested", "no")
    assert without["BuyerCanceled"]["allowed"] is False
    assert without["BuyerCanceled"]["recommended"] is False
    with_request = _json(capsys, *BASE, "--buyer-requested", "yes")
    assert with_request["BuyerCanceled"]["allowed"] is True
    assert with_request["BuyerCanceled"]["recommended"] is True
    assert with_request["BuyerCanceled"]["counts_against_cancellation_rate"] is False


def test_json_has_every_code_and_contract_fields(capsys: pytest.CaptureFixture[str]) -> None:
    """One object per reason code, each with the contract fields and their types."""
    rows = _json(capsys, *BASE, "--buyer-requested", "no")
    assert set(rows) == ALL_CODES
    for row in rows.values():
        assert isinstance(row["allowed"], bool)
        assert isinstance(row["counts_against_cancellation_rate"], bool)
        assert isinstance(row["recommended"], bool)
        assert isinstance(row["why"], str)
        assert row["why"]


@pytest.mark.parametrize(
    "status",
    [
        "Pending",
        "PendingAvailability",
        "Shipped",
        "Canceled",
        "Unfulfillable",
        "InvoiceUnconfirmed",
        "SHIPPED",
        "CANCELLED",
    ],
)
def test_uncancellable_statuses_allow_nothing(
    capsys: pytest.CaptureFixture[str], status: str
) -> None:
    """Every status the seller cannot cancel allows no reason, in either vocabulary."""
    rows = _json(
        capsys, "reasons", "--status", status, "--channel", "MFN", "--buyer-requested", "yes"
    )
    assert not any(row["allowed"] for row in rows.values())


def test_afn_allows_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    """Amazon-fulfilled orders allow no reason."""
    rows = _json(
        capsys, "reasons", "--status", "Unshipped", "--channel", "AFN", "--buyer-requested", "yes"
    )
    assert not any(row["allowed"] for row in rows.values())


def test_informal_prints_the_reply(capsys: pytest.CaptureFixture[str]) -> None:
    """--informal shows the reply in English and Chinese, in text and in JSON."""
    assert main([*BASE, "--buyer-requested", "no", "--informal"]) == 0
    out = capsys.readouterr().out
    assert INFORMAL_REQUEST_REPLY.en in out
    assert INFORMAL_REQUEST_REPLY.zh in out
    rows = _json(capsys, *BASE, "--buyer-requested", "no", "--informal")
    assert rows["BuyerCanceled"]["buyer_reply"] == INFORMAL_REQUEST_REPLY.model_dump()


def test_out_of_stock_recommends_no_inventory(capsys: pytest.CaptureFixture[str]) -> None:
    """--out-of-stock recommends NoInventory and tells the seller not to ask the buyer."""
    rows = _json(capsys, *BASE, "--buyer-requested", "no", "--out-of-stock")
    assert rows["NoInventory"]["recommended"] is True
    assert main([*BASE, "--buyer-requested", "no", "--out-of-stock", "--informal"]) == 0
    out = capsys.readouterr().out
    assert "do not ask the buyer" in out
    assert INFORMAL_REQUEST_REPLY.en not in out


def test_text_table_marks_the_recommendation(capsys: pytest.CaptureFixture[str]) -> None:
    """The text output lists every code and points at the recommended one."""
    assert main([*BASE, "--buyer-requested", "yes"]) == 0
    out = capsys.readouterr().out
    assert all(code in out for code in ALL_CODES)
    line = next(line for line in out.splitlines() if line.startswith("BuyerCanceled"))
    assert "<- use this" in line


@pytest.mark.parametrize(
    "args",
    [
        pytest.param(
            ["--status", "Lost", "--channel", "MFN", "--buyer-requested", "no"], id="status"
        ),
        pytest.param(
            ["--status", "Unshipped", "--channel", "FBM", "--buyer-requested", "no"], id="channel"
        ),
        pytest.param(
            ["--status", "Unshipped", "--channel", "MFN", "--buyer-requested", "maybe"], id="yes-no"
        ),
        pytest.param(["--status", "Unshipped", "--channel", "MFN"], id="missing"),
    ],
)
def test_bad_input_is_one_line_exit_2(capsys: pytest.CaptureFixture[str], args: list[str]) -> None:
    """Unknown values are a one-line error on stderr with exit status 2."""
    with pytest.raises(SystemExit) as exited:
        main(["reasons", *args])
    assert exited.value.code == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert "error" in err
