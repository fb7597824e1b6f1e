"""``amzcancel sync``: arguments, credentials from the environment, the JSON summary."""

from __future__ import annotations

import json
import logging
from datetime import timedelta
from pathlib import Path

import pytest

from amzcancel.cli import main
from amzcancel.sandbox import (
    SANDBOX_LWA_CLIENT_ID,
    SANDBOX_LWA_CLIENT_SECRET,
    SANDBOX_LWA_REFRESH_TOKEN,
    Marketplace,
)


def test_missing_credentials_is_one_line_naming_the_variables(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Without LWA variables the command exits 2 with one line that names them."""
    status = main(["sync", "--store", str(tmp_path / "a.db")])
    err = capsys.readouterr().err.strip().splitlines()
    assert status == 2
    assert len(err) == 1
    for name in ("LWA_APP_ID", "LWA_CLIENT_SECRET", "SP_API_REFRESH_TOKEN"):
        assert name in err[0]


def test_mws_names_the_mws_variables(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """--api mws asks for the MWS variables that are missing, and only those."""
    monkeypatch.setenv("MWS_ACCESS_KEY", "AKIAEXAMPLE")
    status = main(["sync", "--api", "mws", "--store", str(tmp_path / "a.db")])
    err = capsys.readouterr().err
    assert status == 2
    assert "MWS_SECRET_KEY" in err
    assert "MWS_SELLER_ID" in err
    assert "MWS_ACCESS_KEY" not in err


def test_bad_since_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A --since that is not ISO 8601 exits 2 with one line, before anything runs."""
    with pytest.raises(SystemExit) as exit_info:
        main(["sync", "--sandbox", "--since", "last tuesday", "--store", str(tmp_path / "a.db")])
    assert exit_info.value.code == 2
    assert "ISO 8601" in capsys.readouterr().err
    assert not (tmp_path / "a.db").exists()


def test_unknown_api_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    """--api only takes auto, 2026, v0 and mws."""
    with pytest.raises(SystemExit) as exit_info:
        main(["sync", "--api", "v1"])
    assert exit_info.value.code == 2


def test_sandbox_json_summary_has_the_contract_fields(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--sandbox --json prints one object with the documented counters on stdout."""
    store = tmp_path / "amzcancel.db"
    status = main(["sync", "--sandbox", "--json", "--store", str(store)])
    out = capsys.readouterr().out.strip().splitlines()
    assert status == 0
    assert len(out) == 1
    summary = json.loads(out[0])
    for field in ("orders_seen", "items_seen", "buyer_cancel_requests", "requests", "throttled"):
        assert isinstance(summary[field], int)
    assert isinstance(summary["seconds"], float)
    assert summary["api"] == "spapi-2026"
    assert summary["orders_seen"] > 100
    assert summary["buyer_cancel_requests"] > 0
    assert summary["marketplaces"] == ["ATVPDKIKX0DER"]
    assert summary["requests_by_operation"]["searchOrders"] >= 1


def test_sandbox_second_run_finds_nothing_new(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Running the sandbox sync twice on one store adds no events the second time."""
    store = str(tmp_path / "amzcancel.db")
    assert main(["sync", "--sandbox", "--json", "--api", "v0", "--store", store]) == 0
    first = json.loads(capsys.readouterr().out)
    assert main(["sync", "--sandbox", "--json", "--api", "v0", "--store", store]) == 0
    second = json.loads(capsys.readouterr().out)
    assert first["events"] > 0
    assert first["item_fetches"] == first["orders_changed"]
    assert second["events"] == 0
    assert second["item_fetches"] == 0
    assert second["buyer_cancel_requests"] == first["buyer_cancel_requests"]


def test_human_summary_points_to_pending(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Without --json the command says what it did and how to list the requests."""
    assert main(["sync", "--sandbox", "--store", str(tmp_path / "a.db")]) == 0
    out = capsys.readouterr().out
    assert "open buyer cancel requests" in out
    assert "amzcancel pending" in out


@pytest.fixture
def sandbox_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """The sandbox's LWA credentials in the environment, as a user would export them."""
    monkeypatch.setenv("LWA_APP_ID", SANDBOX_LWA_CLIENT_ID)
    monkeypatch.setenv("LWA_CLIENT_SECRET", SANDBOX_LWA_CLIENT_SECRET)
    monkeypatch.setenv("SP_API_REFRESH_TOKEN", SANDBOX_LWA_REFRESH_TOKEN)


@pytest.mark.parametrize(
    ("flags", "httpcore_lines"),
    [(["-v"], False), (["-vv"], False), (["-vvv"], True)],
    ids=["v", "vv", "vvv"],
)
def test_verbosity_keeps_httpcore_internals_for_vvv(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
    sandbox_env: None,
    flags: list[str],
    httpcore_lines: bool,
) -> None:
    """-v and -vv log one line per request, not httpcore's dozen; -vvv logs everything."""
    mp = Marketplace(seed=5, orders=20, speed=1000.0)
    caplog.set_level(logging.DEBUG)
    with mp.serve(port=0) as base_url:
        argv = ["sync", "--json", "--store", str(tmp_path / "s.db"), "--endpoint", base_url]
        argv += ["--since", (mp.clock.now() - timedelta(days=8)).isoformat()]
        assert main([*flags, *argv, "--lwa-endpoint", f"{base_url}/auth/o2/token"]) == 0
    capsys.readouterr()
    names = {record.name.split(".")[0] for record in caplog.records}
    assert "httpx" in names  # one line per request
    assert ("httpcore" in names) is httpcore_lines


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (
            ["--marketplace", "ATVPDKIKX0DER", "--marketplace", "A1PA6795UKMFR9"],
            "different regions",
        ),
        (["--marketplace", "A9NEWMARKET9"], "pass its region"),
        (["--marketplace", "A1PA6795UKMFR9", "--region", "fe"], "served by region eu, not fe"),
        (["--region", "mars"], "invalid choice"),
    ],
    ids=["two-regions", "unknown-marketplace", "wrong-region", "unknown-region"],
)
def test_region_problems_are_one_line_before_any_store(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    sandbox_env: None,
    argv: list[str],
    expected: str,
) -> None:
    """Marketplaces and --region must name one region Amazon serves them from."""
    store = tmp_path / "s.db"
    try:
        status = main(["sync", *argv, "--store", str(store)])
    except SystemExit as exc:  # argparse's own usage error
        status = int(exc.code or 0)
    err = capsys.readouterr().err.strip().splitlines()
    assert status == 2
    assert len(err) == 1
    assert expected in err[0]
    assert not store.exists()


@pytest.mark.parametrize("api", ["2026", "auto"])
def test_a_failed_sync_says_what_it_stored(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, api: str
) -> None:
    """Page 1 stored, page 2 failing every time: exit 2, the error, and what was kept.

    Before, the run threw page 1 away; now its requests reach ``pending``, stderr says so and
    ``--json`` prints the failed run's summary with its ``error``.
    """
    from amzcancel.sandbox import Marketplace, SandboxRequest, SandboxResponse
    from amzcancel.sandbox._http import spapi_error

    real_demo = Marketplace.demo.__func__  # type: ignore[attr-defined]

    def failing_demo(cls: type[Marketplace], **kwargs: object) -> Marketplace:
        market: Marketplace = real_demo(cls, **kwargs)
        answer = market.handle

        def handle(request: SandboxRequest) -> SandboxResponse:
            if request.param("paginationToken"):
                return spapi_error(500, "InternalFailure", "We encountered an internal error.")
            return answer(request)

        market.handle = handle  # type: ignore[method-assign]
        return market

    monkeypatch.setattr(Marketplace, "demo", classmethod(failing_demo))
    store = tmp_path / "s.db"
    code = main(["sync", "--sandbox", "--api", api, "--store", str(store), "--json"])
    captured = capsys.readouterr()
    assert code == 2
    summary = json.loads(captured.out)
    assert "500" in summary["error"]
    assert summary["orders_changed"] == 100  # the first page
    assert "stored 100 new or changed orders" in captured.err
    assert captured.err.strip().splitlines()[-1].startswith("amzcancel sync: error: ")
    assert main(["pending", "--store", str(store), "--json"]) == 0
    assert len(json.loads(capsys.readouterr().out)) == summary["buyer_cancel_requests"] > 0
