"""RecordingTransport and ReplayTransport at the httpx level, without any amzcancel client."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from amzcancel.errors import AmzCancelError
from amzcancel.testing import (
    RecordingTransport,
    ReplayMismatch,
    ReplayTransport,
    UnusedExchanges,
    load_fixture,
)

CANARY_SECRET = "canary-client-secret-9f2c"
CANARY_EMAIL = "canary.buyer@buyer.example"
EMPTY: dict[str, dict[str, list[object]]] = {"payload": {"Orders": []}}


@pytest.fixture
def anyio_backend() -> str:
    """Run async tests on asyncio only."""
    return "asyncio"


def _amazon(request: httpx.Request) -> httpx.Response:
    """A tiny Amazon look-alike: LWA token, a paged getOrders, an MWS XML answer."""
    if request.url.path == "/auth/o2/token":
        return httpx.Response(200, json={"access_token": "Atza|live-token-abc", "expires_in": 3600})
    if request.url.path == "/orders/v0/orders":
        token = request.url.params.get("NextToken")
        order = {"AmazonOrderId": "902-1", "BuyerInfo": {"BuyerEmail": CANARY_EMAIL}}
        payload = {"Orders": [order]} if token else {"Orders": [order], "NextToken": "page/2+="}
        return httpx.Response(
            200,
            json={"payload": payload},
            headers={"x-amzn-RateLimit-Limit": "0.0167", "x-amzn-RequestId": "rid-1"},
        )
    if request.url.path == "/Orders/2013-09-01":
        xml = f"<ListOrdersResult><BuyerEmail>{CANARY_EMAIL}</BuyerEmail></ListOrdersResult>"
        return httpx.Response(200, text=xml, headers={"content-type": "text/xml"})
    return httpx.Response(404, json={"errors": [{"code": "NotFound", "message": "no"}]})


def _session(client: httpx.Client) -> list[httpx.Response]:
    token = client.post(
        "https://api.example/auth/o2/token",
        data={
            "grant_type": "refresh_token",
            "refresh_token": "Atzr|r",
            "client_secret": CANARY_SECRET,
            "client_id": "amzn1.app",
        },
    ).json()["access_token"]
    headers = {"x-amz-access-token": token}
    first = client.get(
        "https://sp.example/orders/v0/orders",
        params={"MarketplaceIds": "ATVPDKIKX0DER", "LastUpdatedAfter": "2026-11-01T00:00:00Z"},
        headers=headers,
    )
    second = client.get(
        "https://sp.example/orders/v0/orders",
        params={
            "MarketplaceIds": "ATVPDKIKX0DER",
            "NextToken": first.json()["payload"]["NextToken"],
        },
        headers=headers,
    )
    mws = client.post(
        "https://mws.example/Orders/2013-09-01",
        data={
            "Action": "ListOrders",
            "AWSAccessKeyId": "AKIA123",
            "Signature": "sig+/=",
            "Timestamp": "2026-11-26T12:00:00Z",
        },
    )
    return [first, second, mws]


def _record(path: Path) -> list[httpx.Response]:
    recorder = RecordingTransport(path, transport=httpx.MockTransport(_amazon), secrets=[])
    with httpx.Client(transport=recorder) as client:
        return _session(client)


def test_record_then_replay_gives_the_same_answers(tmp_path: Path) -> None:
    """Replaying a recording answers the same session with the same (redacted) bodies."""
    path = tmp_path / "session.json"
    live = _record(path)
    replayer = ReplayTransport(path, allow_repeats=False)
    with httpx.Client(transport=replayer) as client:
        replayed = _session(client)
    assert [r.status_code for r in replayed] == [r.status_code for r in live]
    assert replayed[0].json()["payload"]["Orders"][0]["AmazonOrderId"] == "902-1"
    assert replayed[0].headers["x-amzn-ratelimit-limit"] == "0.0167"
    assert "buyer-1@example.invalid" in replayed[2].text
    replayer.assert_all_used()


def test_canaries_never_reach_the_fixture_file(tmp_path: Path) -> None:
    """Client secret, access token, MWS key, signature and buyer email are not in the file."""
    path = tmp_path / "session.json"
    _record(path)
    text = path.read_text(encoding="utf-8")
    for canary in (CANARY_SECRET, CANARY_EMAIL, "Atza|live-token-abc", "AKIA123", "sig+/="):
        assert canary not in text
    assert "<REDACTED:client_secret>" in text
    assert "<REDACTED:x-amz-access-token>" in text


def test_fixture_is_readable_json_with_bodies_parsed(tmp_path: Path) -> None:
    """JSON bodies are stored as JSON, XML as text, forms as pairs."""
    path = tmp_path / "session.json"
    _record(path)
    doc = json.loads(path.read_text(encoding="utf-8"))
    exchanges = doc["exchanges"]
    assert exchanges[0]["request"]["body"]["form"]["grant_type"] == "refresh_token"
    assert exchanges[1]["response"]["body"]["json"]["payload"]["NextToken"] == "page/2+="
    assert exchanges[3]["response"]["body"]["text"].startswith("<ListOrdersResult>")


def test_unexpected_request_names_what_was_asked_and_the_nearest(tmp_path: Path) -> None:
    """An unrecorded request raises ReplayMismatch showing the request and nearest candidates."""
    path = tmp_path / "session.json"
    _record(path)
    with (
        httpx.Client(transport=ReplayTransport(path)) as client,
        pytest.raises(ReplayMismatch) as info,
    ):
        client.get(
            "https://sp.example/orders/v0/orders",
            params={"MarketplaceIds": "A1PA6795UKMFR9", "LastUpdatedAfter": "2026-11-01T00:00:00Z"},
        )
    message = str(info.value)
    assert isinstance(info.value, AmzCancelError)
    assert "GET /orders/v0/orders?LastUpdatedAfter=" in message
    assert "MarketplaceIds recorded 'ATVPDKIKX0DER', asked 'A1PA6795UKMFR9'" in message
    assert info.value.candidates[0].startswith("#1 GET /orders/v0/orders")


def test_exhausted_exchange_fails_when_repeats_are_off(tmp_path: Path) -> None:
    """Without repeats, a request asked more often than recorded is a mismatch."""
    path = tmp_path / "session.json"
    _record(path)
    with httpx.Client(transport=ReplayTransport(path, allow_repeats=False)) as client:
        _session(client)
        with pytest.raises(ReplayMismatch, match="all were served"):
            _session(client)


def test_repeats_serve_the_last_recorded_answer(tmp_path: Path) -> None:
    """With repeats (the default) a second identical session replays the last answers."""
    path = tmp_path / "session.json"
    _record(path)
    with httpx.Client(transport=ReplayTransport(path)) as client:
        _session(client)
        again = _session(client)
    assert again[1].json()["payload"]["Orders"][0]["AmazonOrderId"] == "902-1"


def test_unused_exchanges_are_reported(tmp_path: Path) -> None:
    """assert_all_used names recorded exchanges that were never requested."""
    path = tmp_path / "session.json"
    _record(path)
    replayer = ReplayTransport(path)
    with pytest.raises(UnusedExchanges, match="4 recorded exchange"):
        replayer.assert_all_used()


def test_query_order_does_not_matter(tmp_path: Path) -> None:
    """Parameters match as a set, whatever order the client writes them in."""
    path = tmp_path / "session.json"
    _record(path)
    with httpx.Client(transport=ReplayTransport(path)) as client:
        response = client.get(
            "https://other-host.example/orders/v0/orders?LastUpdatedAfter=2026-11-01T00%3A00%3A00Z"
            "&MarketplaceIds=ATVPDKIKX0DER"
        )
    assert response.json()["payload"]["NextToken"] == "page/2+="


def test_transport_errors_are_recorded_and_replayed(tmp_path: Path) -> None:
    """A timeout during recording is replayed as the same httpx exception."""

    def timing_out(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("slow", request=request)

    path = tmp_path / "timeout.json"
    recorder = RecordingTransport(path, transport=httpx.MockTransport(timing_out))
    with httpx.Client(transport=recorder) as client, pytest.raises(httpx.ReadTimeout):
        client.get("https://sp.example/orders/v0/orders")
    assert load_fixture(path).exchanges[0].response.error == "ReadTimeout"
    with (
        httpx.Client(transport=ReplayTransport(path)) as client,
        pytest.raises(httpx.ReadTimeout),
    ):
        client.get("https://sp.example/orders/v0/orders")


@pytest.mark.anyio
async def test_async_clients_record_and_replay(tmp_path: Path) -> None:
    """The same transports serve httpx.AsyncClient."""
    path = tmp_path / "async.json"
    recorder = RecordingTransport(path, transport=httpx.MockTransport(_amazon))
    async with httpx.AsyncClient(transport=recorder) as client:
        live = await client.get(
            "https://sp.example/orders/v0/orders", params={"MarketplaceIds": "X"}
        )
    async with httpx.AsyncClient(transport=ReplayTransport(path)) as client:
        replayed = await client.get(
            "https://sp.example/orders/v0/orders", params={"MarketplaceIds": "X"}
        )
    replayed_order = replayed.json()["payload"]["Orders"][0]
    assert replayed_order["AmazonOrderId"] == live.json()["payload"]["Orders"][0]["AmazonOrderId"]
    assert replayed_order["BuyerInfo"]["BuyerEmail"] == "buyer-1@example.invalid"


def test_gzip_responses_are_stored_decoded_and_replayed(tmp_path: Path) -> None:
    """A content-encoded response is stored readable and replayed with the same content."""

    def gzipped(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            200,
            content=gzip.compress(b'{"payload": {"Orders": []}}'),
            headers={"content-encoding": "gzip", "content-type": "application/json"},
        )

    path = tmp_path / "gz.json"
    recorder = RecordingTransport(path, transport=httpx.MockTransport(gzipped))
    with httpx.Client(transport=recorder) as client:
        assert client.get("https://sp.example/orders/v0/orders").json() == EMPTY
    assert load_fixture(path).exchanges[0].response.body == {"json": EMPTY}
    with httpx.Client(transport=ReplayTransport(path)) as client:
        assert client.get("https://sp.example/orders/v0/orders").json() == EMPTY


def _window(after: str, before: str) -> dict[str, str]:
    return {"MarketplaceIds": "X", "LastUpdatedAfter": after, "LastUpdatedBefore": before}


def _recorded_window(path: Path) -> None:
    recorder = RecordingTransport(path, transport=httpx.MockTransport(_amazon))
    with httpx.Client(transport=recorder) as client:
        client.get(
            "https://sp.example/orders/v0/orders",
            params=_window("2026-11-01T00:00:00Z", "2026-11-26T11:58:00.250Z"),
        )


def test_window_times_match_within_the_tolerance(tmp_path: Path) -> None:
    """A window bound a few seconds off still matches; one off by hours does not."""
    path = tmp_path / "window.json"
    _recorded_window(path)
    with httpx.Client(transport=ReplayTransport(path)) as client:
        near = client.get(
            "https://sp.example/orders/v0/orders",
            params=_window("2026-11-01T00:00:00Z", "2026-11-26T11:58:03Z"),
        )
        assert near.status_code == 200
        with pytest.raises(ReplayMismatch, match="LastUpdatedBefore recorded"):
            client.get(
                "https://sp.example/orders/v0/orders",
                params=_window("2026-11-01T00:00:00Z", "2026-11-26T16:00:00Z"),
            )


def test_ignore_times_leaves_window_bounds_out(tmp_path: Path) -> None:
    """With ignore_times, code that derives its window from the wall clock still replays."""
    path = tmp_path / "window.json"
    _recorded_window(path)
    with httpx.Client(transport=ReplayTransport(path, ignore_times=True)) as client:
        response = client.get(
            "https://sp.example/orders/v0/orders",
            params=_window("2027-01-01T00:00:00Z", "2027-01-02T00:00:00Z"),
        )
    assert response.json()["payload"]["Orders"][0]["AmazonOrderId"] == "902-1"


def test_report_bodies_are_redacted_when_recorded(tmp_path: Path) -> None:
    """A flat-file report download loses its buyer columns in the fixture."""

    def report(request: httpx.Request) -> httpx.Response:
        text = (
            f"order-id\tbuyer-email\tis-buyer-requested-cancellation\n902-1\t{CANARY_EMAIL}\ttrue\n"
        )
        return httpx.Response(200, text=text, headers={"content-type": "text/plain"})

    path = tmp_path / "report.json"
    recorder = RecordingTransport(path, transport=httpx.MockTransport(report))
    with httpx.Client(transport=recorder) as client:
        client.get("https://s3.example/report")
    text = path.read_text(encoding="utf-8")
    assert CANARY_EMAIL not in text
    assert "902-1\\tbuyer-1@example.invalid\\ttrue" in text


def test_plugin_module_imports_cheaply() -> None:
    """Loading the pytest plugin does not pull in transports, the sandbox or the sync engine."""
    code = (
        "import sys, amzcancel.testing.plugin; "
        "heavy = [m for m in sys.modules if m.startswith(('amzcancel.transport', "
        "'amzcancel.sandbox', 'amzcancel.sync', 'respx'))]; print(heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
