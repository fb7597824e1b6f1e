"""The sandbox on loopback: plain HTTP (urllib, curl), faults, dropped connections, truth."""

from __future__ import annotations

import http.client
import json
import shutil
import subprocess
import urllib.error
import urllib.parse
import urllib.request
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from amzcancel.sandbox import (
    SANDBOX_LWA_CLIENT_ID,
    SANDBOX_LWA_CLIENT_SECRET,
    SANDBOX_LWA_REFRESH_TOKEN,
    Marketplace,
)
from amzcancel.sandbox._core import format_time

pytestmark = pytest.mark.slow


def post_form(url: str, form: dict[str, str]) -> dict[str, Any]:
    data = urllib.parse.urlencode(form).encode()
    with urllib.request.urlopen(urllib.request.Request(url, data=data), timeout=10) as answer:
        return dict(json.load(answer))


def access_token(base_url: str) -> str:
    body = post_form(
        f"{base_url}/auth/o2/token",
        {
            "grant_type": "refresh_token",
            "refresh_token": SANDBOX_LWA_REFRESH_TOKEN,
            "client_id": SANDBOX_LWA_CLIENT_ID,
            "client_secret": SANDBOX_LWA_CLIENT_SECRET,
        },
    )
    return str(body["access_token"])


def get(url: str, token: str) -> tuple[int, dict[str, str], dict[str, Any]]:
    request = urllib.request.Request(url, headers={"x-amz-access-token": token})
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, dict(answer.headers), json.load(answer)
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), json.load(error)


def test_real_server_answers_get_orders_and_refuses_late_bound() -> None:
    """Plain HTTP getOrders on 127.0.0.1 answers per the model; a late LastUpdatedBefore is 400."""
    mp = Marketplace(seed=7, orders=40)
    with mp.serve(port=0) as base_url:
        assert base_url.startswith("http://127.0.0.1:")
        token = access_token(base_url)
        now = datetime.now(UTC)
        query = urllib.parse.urlencode(
            {
                "MarketplaceIds": "ATVPDKIKX0DER",
                "LastUpdatedAfter": format_time(now - timedelta(days=30)),
            }
        )
        status, headers, body = get(f"{base_url}/orders/v0/orders?{query}", token)
        assert status == 200
        assert headers["x-amzn-RateLimit-Limit"] == "0.0167"
        assert {"Orders", "LastUpdatedBefore"} <= set(body["payload"])
        assert len(body["payload"]["Orders"]) == 40
        late = urllib.parse.urlencode(
            {
                "MarketplaceIds": "ATVPDKIKX0DER",
                "LastUpdatedAfter": format_time(now - timedelta(days=1)),
                "LastUpdatedBefore": format_time(now - timedelta(seconds=30)),
            }
        )
        status, _, body = get(f"{base_url}/orders/v0/orders?{late}", token)
        assert status == 400
        assert body["errors"][0]["code"] == "InvalidInput"
        truth = json.load(urllib.request.urlopen(f"{base_url}/_sandbox/truth", timeout=10))
        assert truth["requests_by_operation"] == {"getOrders": 2}


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_curl_get_orders() -> None:
    """The documented curl demo works against `serve`."""
    mp = Marketplace(seed=7, orders=10)
    with mp.serve(port=0) as base_url:
        token = access_token(base_url)
        after = format_time(datetime.now(UTC) - timedelta(days=30))
        out = subprocess.run(
            [
                "curl",
                "-s",
                "-G",
                f"{base_url}/orders/v0/orders",
                "-H",
                f"x-amz-access-token: {token}",
                "--data-urlencode",
                "MarketplaceIds=ATVPDKIKX0DER",
                "--data-urlencode",
                f"LastUpdatedAfter={after}",
            ],
            capture_output=True,
            check=True,
            timeout=20,
        )
        assert len(json.loads(out.stdout)["payload"]["Orders"]) == 10


def test_dropped_connection_on_real_server() -> None:
    """With faults=1 some requests end with the socket closed and no answer."""
    mp = Marketplace(seed=1, orders=5, faults=1.0, slow_seconds=0.01)
    kinds: set[str] = set()
    with mp.serve(port=0) as base_url:
        host, port = base_url.removeprefix("http://").split(":")
        for _ in range(25):
            connection = http.client.HTTPConnection(host, int(port), timeout=10)
            try:
                connection.request("GET", "/orders/v0/orders/111-0000000-0000000")
                answer = connection.getresponse()
                kinds.add(str(answer.status))
                answer.read()
            except (http.client.RemoteDisconnected, ConnectionResetError):
                kinds.add("dropped")
            finally:
                connection.close()
    assert "dropped" in kinds
    assert {"500", "502", "503"} & kinds
    assert mp.truth().faults["drop"] >= 1


def outcomes(seed: int) -> list[str]:
    mp = Marketplace(seed=seed, orders=5, faults=0.5, rate_limits=False, slow_seconds=0.0)
    client = httpx.Client(transport=mp.transport(), base_url="https://sandbox.test")
    seen = []
    for _ in range(40):
        try:
            answer = client.get("/orders/v0/orders/111-0000000-0000000")
            kind = answer.headers.get("content-type", "")
            seen.append(f"{answer.status_code} {kind}")
        except httpx.RemoteProtocolError:
            seen.append("dropped")
    return seen


def test_faults_are_deterministic_for_a_seed() -> None:
    """The same seed and request sequence give the same faults; another seed differs."""
    first = outcomes(5)
    assert first == outcomes(5)
    assert first != outcomes(6)
    assert "dropped" in first
    assert "502 text/html" in first
    assert "403 application/json" in first  # no fault: the real (unauthorised) answer


def test_server_log_never_shows_the_query(caplog: pytest.LogCaptureFixture) -> None:
    """The server logs method and path only, so MWS signatures never reach a log."""
    mp = Marketplace(seed=1, orders=1)
    with caplog.at_level("DEBUG", logger="amzcancel.sandbox"), mp.serve(port=0) as base_url:
        query = "Action=ListOrders&Signature=c2VjcmV0LXNpZ25hdHVyZQ%3D%3D&AWSAccessKeyId=AKIAX"
        try:
            urllib.request.urlopen(f"{base_url}/Orders/2013-09-01?{query}", timeout=10)
        except urllib.error.HTTPError as error:
            error.close()
    text = caplog.text
    assert "/Orders/2013-09-01" in text
    assert "c2VjcmV0" not in text
    assert "AKIAX" not in text


def test_dropped_connections_are_quiet_on_the_server(capfd: pytest.CaptureFixture[str]) -> None:
    """A dropped connection is closed without an answer, and without a traceback on stderr."""
    mp = Marketplace(seed=1, orders=5, faults=1.0)
    outcomes = []
    with mp.serve(port=0) as base_url:
        for _ in range(30):
            try:
                url = f"{base_url}/orders/v0/orders?MarketplaceIds=ATVPDKIKX0DER"
                outcomes.append(httpx.get(url, timeout=3).status_code)
            except httpx.RemoteProtocolError:
                outcomes.append("dropped")
    assert "dropped" in outcomes
    assert "Traceback" not in capfd.readouterr().err
