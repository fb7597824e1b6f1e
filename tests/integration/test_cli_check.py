"""`amzcancel check` says which part of the setup is wrong, with one cheap call."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from datetime import datetime

import httpx
import pytest

from amzcancel._commands._credential_check import check_spapi
from amzcancel.cli import main
from amzcancel.sandbox import (
    SANDBOX_ENDPOINT,
    SANDBOX_LWA_CLIENT_ID,
    SANDBOX_LWA_CLIENT_SECRET,
    SANDBOX_LWA_CREDENTIALS,
    SANDBOX_LWA_ENDPOINT,
    SANDBOX_LWA_REFRESH_TOKEN,
    Marketplace,
)
from amzcancel.transport import SpApiClient

US = ["ATVPDKIKX0DER"]


@pytest.fixture(scope="module")
def served() -> Iterator[str]:
    """A sandbox on loopback, on the real clock (as `amzcancel sandbox serve` runs it)."""
    with Marketplace(seed=3, orders=20).serve(port=0) as url:
        yield url


def check(
    served: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    *,
    secret: str = SANDBOX_LWA_CLIENT_SECRET,
    token: str = SANDBOX_LWA_REFRESH_TOKEN,
) -> tuple[int, dict[str, tuple[str, str]]]:
    """Run `check --json` against the served sandbox with these credentials."""
    monkeypatch.setenv("LWA_APP_ID", SANDBOX_LWA_CLIENT_ID)
    monkeypatch.setenv("LWA_CLIENT_SECRET", secret)
    monkeypatch.setenv("SP_API_REFRESH_TOKEN", token)
    argv = ["check", "--json", "--endpoint", served, "--lwa-endpoint", f"{served}/auth/o2/token"]
    status = main(argv)
    body = json.loads(capsys.readouterr().out)
    assert body["ok"] is (status == 0)
    return status, {c["name"]: (c["state"], c["detail"]) for c in body["checks"]}


def test_good_credentials_pass(
    served: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Everything set and accepted: every check ok, exit 0 (the merchant id is only a note)."""
    status, checks = check(served, monkeypatch, capsys)
    assert status == 0
    assert checks["credentials"][0] == checks["LWA"][0] == checks["orders"][0] == "ok"
    assert checks["orders"][1].startswith("searchOrders (Orders 2026-01-01) answered")
    assert checks["merchant id"][0] == "note"


def test_a_wrong_client_secret_is_named(
    served: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """LWA refuses the app (invalid_client): the app id/secret are to blame, the rest skipped."""
    status, checks = check(served, monkeypatch, capsys, secret="amzn1.oa2-cs.v1.wrong")
    assert status == 2
    assert checks["LWA"][0] == "fail"
    assert checks["LWA"][1].startswith(
        "LWA refused the app's client id or secret (invalid_client): set LWA_APP_ID and "
        "LWA_CLIENT_SECRET"
    )
    assert checks["orders"] == ("skip", "needs an access token")
    assert "wrong" not in json.dumps(checks)  # the secret is never shown


def test_a_wrong_refresh_token_is_named(
    served: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """LWA refuses the refresh token (invalid_grant): authorize the app again."""
    status, checks = check(served, monkeypatch, capsys, token="Atzr|not-this-one")
    assert status == 2
    assert checks["LWA"][0] == "fail"
    assert checks["LWA"][1].startswith("LWA refused the refresh token (invalid_grant)")
    assert "authorize the app again" in checks["LWA"][1]
    assert "not-this-one" not in json.dumps(checks)


def test_an_unreachable_login_host_is_named(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Nothing listens at the LWA URL: the LWA line names the host that could not be reached."""
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{closed.getsockname()[1]}"
        status, checks = check(url, monkeypatch, capsys)
    assert status == 2
    assert checks["LWA"][0] == "fail"
    assert checks["LWA"][1].startswith(f"could not connect to {url[7:]} (LWA token request)")


def refusing(paths: tuple[str, ...]) -> tuple[Marketplace, httpx.MockTransport]:
    """A sandbox whose Orders API answers 403 Unauthorized on ``paths`` (a role the app lacks)."""
    market = Marketplace.demo()
    inner = market.transport()

    def handle(request: httpx.Request) -> httpx.Response:
        if any(request.url.path.startswith(path) for path in paths):
            body = {"errors": [{"code": "Unauthorized", "message": "Access is denied."}]}
            return httpx.Response(403, json=body)
        return inner.handle_request(request)

    return market, httpx.MockTransport(handle)


def diagnose(paths: tuple[str, ...]) -> dict[str, tuple[str, str]]:
    market, transport = refusing(paths)

    def make() -> SpApiClient:
        return SpApiClient(
            credentials=SANDBOX_LWA_CREDENTIALS,
            endpoint=SANDBOX_ENDPOINT,
            lwa_endpoint=SANDBOX_LWA_ENDPOINT,
            transport=transport,
            clock=market.clock,
            max_retries=0,
        )

    checks = check_spapi(make, api="auto", marketplaces=US, now=market.clock.now())
    return {c.name: (c.state, c.detail) for c in checks}


def test_orders_2026_refused_but_v0_works_is_fine() -> None:
    """The app lacks Orders 2026-01-01 but has v0: sync reads v0, so the check passes."""
    checks = diagnose(("/orders/2026-01-01",))
    assert checks["LWA"][0] == "ok"
    assert checks["orders"][0] == "ok"
    assert checks["orders"][1].startswith("getOrders (Orders v0) answered")
    assert (
        "searchOrders (Orders 2026-01-01): 403 Unauthorized refused, so sync reads"
        in (checks["orders"][1])
    )


def test_orders_refused_names_the_role_and_the_region() -> None:
    """Both orders APIs refuse the app: the role to add, or the region to name."""
    checks = diagnose(("/orders/",))
    assert checks["LWA"][0] == "ok"
    state, detail = checks["orders"]
    assert state == "fail"
    assert "the app lacks the Inventory and Order Tracking role" in detail
    assert "--marketplace or --region" in detail


def test_sandbox_check_passes_and_prints_a_report(capsys: pytest.CaptureFixture[str]) -> None:
    """`check --sandbox` needs nothing set and shows the report a user will see."""
    assert main(["check", "--sandbox"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "amzcancel check: the built-in sandbox"
    assert [line.split()[:2] for line in lines[1:5]] == [
        ["ok", "credentials"],
        ["ok", "LWA"],
        ["ok", "orders"],
        ["note", "merchant"],
    ]
    assert lines[-1] == "everything amzcancel needs works"


def test_help_says_where_each_value_comes_from(capsys: pytest.CaptureFixture[str]) -> None:
    """`check --help` ends with where each variable's value is found in Seller Central."""
    with pytest.raises(SystemExit):
        main(["check", "--help"])
    text = capsys.readouterr().out
    for name in ("LWA_APP_ID", "LWA_CLIENT_SECRET", "SP_API_REFRESH_TOKEN", "SP_API_SELLER_ID"):
        assert f"  {name}" in text
    assert "Inventory and Order Tracking" in text


def test_the_lookback_is_never_in_the_future() -> None:
    """The listing asks for a window that starts a day back (a clock a little ahead is fine)."""
    seen: list[str] = []
    market = Marketplace.demo()
    inner = market.transport()

    def record(request: httpx.Request) -> httpx.Response:
        seen.extend(request.url.params.get_list("lastUpdatedAfter"))
        return inner.handle_request(request)

    now = market.clock.now()
    check_spapi(
        lambda: SpApiClient(
            credentials=SANDBOX_LWA_CREDENTIALS,
            endpoint=SANDBOX_ENDPOINT,
            lwa_endpoint=SANDBOX_LWA_ENDPOINT,
            transport=httpx.MockTransport(record),
            clock=market.clock,
        ),
        api="2026",
        marketplaces=US,
        now=now,
    )
    (after,) = seen
    assert (now - datetime.fromisoformat(after.replace("Z", "+00:00"))).total_seconds() == 86400
