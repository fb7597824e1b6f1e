"""The testing kit end to end: record against the sandbox, replay, same domain results."""

from __future__ import annotations

import json
import re
import shutil
from datetime import UTC, datetime, timedelta
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

import httpx
import pytest

from amzcancel import cli
from amzcancel.clock import FakeClock
from amzcancel.sandbox import (
    SANDBOX_LWA_CLIENT_ID,
    SANDBOX_LWA_CLIENT_SECRET,
    SANDBOX_LWA_CREDENTIALS,
    SANDBOX_LWA_REFRESH_TOKEN,
    SANDBOX_MWS_ACCESS_KEY,
    SANDBOX_MWS_CREDENTIALS,
    SANDBOX_MWS_SECRET_KEY,
    SANDBOX_MWS_SELLER_ID,
    Marketplace,
)
from amzcancel.testing import (
    RecordingTransport,
    ReplayMismatch,
    record_sync,
    replay_async_client,
    replay_client,
    replay_mws_client,
    replay_order_sync,
)
from amzcancel.transport import LwaCredentials, MwsClient, SpApiClient

pytest_plugins = ["pytester"]

ROOT = Path(__file__).resolve().parents[2]
RECORDED = ROOT / "tests" / "fixtures" / "recorded"
ENDPOINT = "https://sandbox.amzcancel.invalid"
MARKETPLACE = "ATVPDKIKX0DER"
PLUGIN = "amzcancel.testing.plugin"

CANARY_REFRESH_TOKEN = "Atzr|canary-refresh-token-7d1e"  # test canaries, not credentials
CANARY_CLIENT_SECRET = "amzn1.oa2-cs.v1.canary-client-secret-51aa"
CANARY_CLIENT_ID = "amzn1.application-oa2-client.canary51aa"
CANARY_EMAIL = "canary.buyer+7d1e@buyer.example"
CANARY_NAME = "Canary Q. Buyer"
SANDBOX_SECRETS = (
    SANDBOX_LWA_CLIENT_ID,
    SANDBOX_LWA_CLIENT_SECRET,
    SANDBOX_LWA_REFRESH_TOKEN,
    SANDBOX_MWS_ACCESS_KEY,
    SANDBOX_MWS_SECRET_KEY,
    SANDBOX_MWS_SELLER_ID,
)


class _BuyerPii(httpx.BaseTransport):
    """Answers like Amazon for a role with PII access: real sandbox bodies plus buyer data.

    It also swaps canary credentials for the sandbox's, so a client can hold canary secrets.
    """

    def __init__(self, inner: httpx.BaseTransport) -> None:
        self.inner = inner

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        body = request.read()
        for canary, real in (
            (CANARY_REFRESH_TOKEN, SANDBOX_LWA_REFRESH_TOKEN),
            (CANARY_CLIENT_SECRET, SANDBOX_LWA_CLIENT_SECRET),
            (CANARY_CLIENT_ID, SANDBOX_LWA_CLIENT_ID),
        ):
            body = body.replace(
                httpx.QueryParams({"x": canary}).__str__()[2:].encode(),
                httpx.QueryParams({"x": real}).__str__()[2:].encode(),
            )
        headers = [(k, v) for k, v in request.headers.multi_items() if k != "content-length"]
        forwarded = httpx.Request(request.method, request.url, headers=headers, content=body)
        response = self.inner.handle_request(forwarded)
        content = response.read()
        kind = response.headers.get("content-type", "")
        if "json" in kind:
            content = json.dumps(_with_pii(json.loads(content))).encode()
        elif "xml" in kind:
            content = content.replace(
                b"</AmazonOrderId>",
                f"</AmazonOrderId><BuyerEmail>{CANARY_EMAIL}</BuyerEmail>"
                f"<BuyerName>{CANARY_NAME}</BuyerName>".encode(),
            )
        return httpx.Response(response.status_code, headers=_plain(response), content=content)


def _plain(response: httpx.Response) -> list[tuple[str, str]]:
    return [(k, v) for k, v in response.headers.multi_items() if k != "content-length"]


def _with_pii(doc: Any) -> Any:
    if isinstance(doc, dict):
        out = {key: _with_pii(value) for key, value in doc.items()}
        if "AmazonOrderId" in doc and "OrderStatus" in doc:
            out["BuyerInfo"] = {"BuyerEmail": CANARY_EMAIL, "BuyerName": CANARY_NAME}
            out["ShippingAddress"] = {"Name": CANARY_NAME, "AddressLine1": "1 Canary Lane"}
        if "orderId" in doc and "orderItems" in doc:
            out["buyer"] = {"buyerEmail": CANARY_EMAIL, "buyerName": CANARY_NAME}
            out["recipient"] = {"deliveryAddress": {"name": CANARY_NAME, "phone": "+1 206 1"}}
        return out
    if isinstance(doc, list):
        return [_with_pii(item) for item in doc]
    return doc


@pytest.fixture
def clock() -> FakeClock:
    """The recording's clock (the sandbox and the client share it)."""
    return FakeClock(datetime(2026, 11, 26, 12, 0, tzinfo=UTC))


@pytest.fixture
def marketplace(clock: FakeClock) -> Marketplace:
    """A small sandbox with some buyer cancel requests."""
    return Marketplace(seed=3, orders=12, clock=clock)


def _client(transport: httpx.BaseTransport, clock: FakeClock) -> SpApiClient:
    credentials = LwaCredentials(CANARY_CLIENT_ID, CANARY_CLIENT_SECRET, CANARY_REFRESH_TOKEN)
    return SpApiClient(
        credentials=credentials,
        endpoint=ENDPOINT,
        lwa_endpoint=ENDPOINT + "/auth/o2/token",
        transport=transport,
        clock=clock,
    )


def _session(client: SpApiClient, since: datetime) -> dict[str, Any]:
    """What an ERP would read: 2026 orders with items, v0 orders, v0 items of three orders."""
    search = client.orders_2026.search_orders(
        last_updated_after=since, marketplace_ids=[MARKETPLACE]
    )
    v0 = client.orders_v0.get_orders(marketplace_ids=[MARKETPLACE], last_updated_after=since)
    items = {
        o.amazon_order_id: client.orders_v0.list_order_items(o.amazon_order_id)
        for o in v0.orders[:3]
    }
    return {"search": search.orders, "v0": v0.orders, "items": items}


@pytest.fixture
def recorded(
    tmp_path: Path, marketplace: Marketplace, clock: FakeClock
) -> tuple[Path, dict[str, Any]]:
    """A session recorded against the sandbox with canary credentials and buyer PII."""
    path = tmp_path / "session.json"
    recorder = RecordingTransport(path, transport=_BuyerPii(marketplace.transport()), clock=clock)
    with _client(recorder, clock) as client:
        live = _session(client, clock.now() - timedelta(days=30))
    return path, live


def test_replay_gives_the_same_domain_results(recorded: tuple[Path, dict[str, Any]]) -> None:
    """Orders, items and buyer-cancel flags read from a replay equal those read live."""
    path, live = recorded
    with replay_client(path) as client:
        replayed = _session(client, client.clock.now() - timedelta(days=30))
    assert replayed == live
    assert any(i.buyer_cancel.requested for o in live["search"] for i in o.items)


@pytest.fixture
def anyio_backend() -> str:
    """Run async tests on asyncio only."""
    return "asyncio"


@pytest.mark.anyio
async def test_async_replay_gives_the_same_orders(recorded: tuple[Path, dict[str, Any]]) -> None:
    """An AsyncSpApiClient replaying the recording reads the same 2026 orders."""
    path, live = recorded
    async with replay_async_client(path) as client:
        since = client.clock.now() - timedelta(days=30)
        page = await client.orders_2026.search_orders(
            last_updated_after=since, marketplace_ids=[MARKETPLACE]
        )
    assert page.orders == live["search"]


def test_canary_secrets_and_buyer_email_never_reach_the_fixture(
    recorded: tuple[Path, dict[str, Any]],
) -> None:
    """Refresh token, client secret and id, access token and buyer PII are not in the file."""
    path, _ = recorded
    data = path.read_bytes()
    for canary in (
        CANARY_REFRESH_TOKEN,
        CANARY_CLIENT_SECRET,
        CANARY_CLIENT_ID,
        CANARY_EMAIL,
        CANARY_NAME,
        "1 Canary Lane",
        *SANDBOX_SECRETS,
    ):
        assert canary.encode() not in data, canary
    assert b"buyer-1@example.invalid" in data
    assert not re.search(rb"Atza\|", data), "an access token leaked"


def test_mws_recording_hides_keys_and_buyers_and_replays(
    tmp_path: Path, marketplace: Marketplace, clock: FakeClock
) -> None:
    """MWS: access key, seller id, signature, secret key and buyer PII stay out; replay matches."""
    path = tmp_path / "mws.json"
    recorder = RecordingTransport(path, transport=_BuyerPii(marketplace.transport()), clock=clock)
    since = clock.now() - timedelta(days=30)
    with MwsClient(
        credentials=SANDBOX_MWS_CREDENTIALS, endpoint=ENDPOINT, transport=recorder, clock=clock
    ) as mws:
        live = mws.list_orders(marketplace_ids=[MARKETPLACE], last_updated_after=since)
    data = path.read_bytes()
    for canary in (
        SANDBOX_MWS_ACCESS_KEY,
        SANDBOX_MWS_SECRET_KEY,
        SANDBOX_MWS_SELLER_ID,
        CANARY_EMAIL,
    ):
        assert canary.encode() not in data, canary
    assert b"<REDACTED:Signature>" in data
    with replay_mws_client(path) as mws:
        replayed = mws.list_orders(marketplace_ids=[MARKETPLACE], last_updated_after=since)
    assert replayed == live


def test_unexpected_request_fails_with_a_helpful_message(
    recorded: tuple[Path, dict[str, Any]],
) -> None:
    """Asking for something the fixture lacks says what was asked and what the fixture has."""
    path, _ = recorded
    with replay_client(path) as client, pytest.raises(ReplayMismatch) as info:
        client.orders_2026.get_order("999-0000000-0000000")
    message = str(info.value)
    assert "GET /orders/2026-01-01/orders/999-0000000-0000000" in message
    assert "nearest recorded: #1 GET /orders/2026-01-01/orders?" in message
    assert "session.json" in message


def test_recorded_sync_replays_to_the_same_store(tmp_path: Path, marketplace: Marketplace) -> None:
    """A recorded sync run, replayed through OrderSync, finds the same orders and requests."""
    path = tmp_path / "sync.json"
    since = marketplace.clock.now() - timedelta(days=30)
    live = record_sync(
        path, marketplace=marketplace, api="v0", since=since, store=tmp_path / "a.db"
    )
    with replay_order_sync(path, store=tmp_path / "b.db", api="v0", since=since) as sync:
        replayed = sync.run_once()
        pending = sync.pending()
    assert live.exchanges > 3
    assert (replayed.orders_seen, replayed.items_seen, replayed.buyer_cancel_requests) == (
        live.sync.orders_seen,
        live.sync.items_seen,
        live.sync.buyer_cancel_requests,
    )
    assert len(pending) == live.sync.buyer_cancel_requests > 0


def test_recording_over_loopback_replays(tmp_path: Path) -> None:
    """Recording a served sandbox over real HTTP (127.0.0.1) replays to the same results."""
    mp = Marketplace(seed=5, orders=8, rate_limits=False)
    path = tmp_path / "loopback.json"
    since = datetime.now(UTC) - timedelta(days=30)
    with mp.serve(port=0) as base_url:
        assert base_url.startswith("http://127.0.0.1:")
        live = record_sync(
            path, sandbox=True, endpoint=base_url, api="2026", since=since, store=tmp_path / "a.db"
        )
    with replay_order_sync(path, store=tmp_path / "b.db", api="2026", since=since) as sync:
        replayed = sync.run_once()
    assert replayed.orders_seen == live.sync.orders_seen == 8
    assert replayed.buyer_cancel_requests == live.sync.buyer_cancel_requests


def test_recording_transport_defaults_to_the_network(tmp_path: Path) -> None:
    """With no inner transport, a blocking client is recorded over real loopback HTTP."""
    mp = Marketplace(seed=5, orders=4, rate_limits=False)
    path = tmp_path / "network.json"
    since = datetime.now(UTC) - timedelta(days=30)
    with mp.serve(port=0) as base_url:
        client = SpApiClient(
            credentials=SANDBOX_LWA_CREDENTIALS,
            endpoint=base_url,
            lwa_endpoint=base_url + "/auth/o2/token",
            transport=RecordingTransport(path),
        )
        with client:
            live = client.orders_v0.get_orders(
                marketplace_ids=[MARKETPLACE], last_updated_after=since
            )
    with replay_client(path) as client:
        replayed = client.orders_v0.get_orders(
            marketplace_ids=[MARKETPLACE], last_updated_after=since
        )
    assert replayed.orders == live.orders
    assert len(live.orders) == 4


def test_cli_record_writes_a_replayable_fixture(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``amzcancel record --sandbox`` writes a fixture and prints a JSON summary."""
    out = tmp_path / "cli.json"
    status = cli.main(
        [
            "record",
            "--sandbox",
            "--orders",
            "6",
            "--since",
            "2026-11-01T00:00:00Z",
            "--out",
            str(out),
            "--json",
        ]
    )
    summary = json.loads(capsys.readouterr().out)
    assert status == 0
    assert summary["fixture"] == str(out)
    assert summary["exchanges"] >= 2
    with replay_order_sync(
        out, store=tmp_path / "r.db", since=datetime(2026, 11, 1, tzinfo=UTC)
    ) as sync:
        assert sync.run_once().orders_seen == summary["orders_seen"] == 6


def test_cli_record_without_credentials_is_a_one_line_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Without credentials, record exits 2 with one line naming the variables, no file written."""
    out = tmp_path / "none.json"
    assert cli.main(["record", "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err
    assert "LWA_APP_ID" in err
    assert not out.exists()


def test_committed_fixture_holds_no_sandbox_secrets() -> None:
    """The fixture the docs example replays carries placeholders, not the sandbox credentials."""
    data = (RECORDED / "orders.json").read_bytes()
    for secret in SANDBOX_SECRETS:
        assert secret.encode() not in data
    assert b"<REDACTED:refresh_token>" in data


def _plugin_args() -> list[str]:
    """``-p amzcancel.testing.plugin`` until the pytest11 entry point is installed, then none."""
    installed = {ep.name for ep in entry_points(group="pytest11")}
    return ["-W", "error"] if "amzcancel" in installed else ["-p", PLUGIN, "-W", "error"]


def _docs_example() -> str:
    page = (ROOT / "docs" / "testing.md").read_text(encoding="utf-8")
    match = re.search(r"```python\n# tests/test_erp_cancellations\.py\n(.*?)```", page, re.S)
    assert match, "docs/testing.md lost its example test"
    return match.group(1)


def test_docs_example_is_the_tested_example() -> None:
    """The example on docs/testing.md is, character for character, the file tested below."""
    assert _docs_example() == (RECORDED / "example_test_erp.py").read_text(encoding="utf-8")


def test_docs_example_passes_as_written(pytester: pytest.Pytester) -> None:
    """Laid out as the docs say, the example test passes with the amzcancel pytest plugin."""
    tests = pytester.mkdir("tests")
    (tests / "fixtures").mkdir()
    shutil.copy(RECORDED / "orders.json", tests / "fixtures" / "orders.json")
    (tests / "test_erp_cancellations.py").write_text(_docs_example(), encoding="utf-8")
    result = pytester.runpytest(*_plugin_args(), "tests")
    result.assert_outcomes(passed=1)


def test_plugin_strict_replay_fails_on_unused_exchanges(pytester: pytest.Pytester) -> None:
    """A strict replay that leaves recorded exchanges unused errors at teardown, naming them."""
    shutil.copy(RECORDED / "orders.json", pytester.path / "orders.json")
    pytester.makepyfile(
        """
        def test_uses_nothing(amzcancel_replay):
            amzcancel_replay("orders.json", strict=True)
        """
    )
    result = pytester.runpytest(*_plugin_args())
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(["*UnusedExchanges*2 recorded exchange(s) never requested*"])


def test_plugin_strict_replay_is_quiet_when_the_test_failed(pytester: pytest.Pytester) -> None:
    """A failing test reports its own failure, not also the exchanges it never got to."""
    shutil.copy(RECORDED / "orders.json", pytester.path / "orders.json")
    pytester.makepyfile(
        """
        def test_fails_early(amzcancel_replay):
            amzcancel_replay("orders.json", strict=True)
            assert False, "the ERP code broke"
        """
    )
    result = pytester.runpytest(*_plugin_args())
    result.assert_outcomes(failed=1, errors=0)


def test_plugin_sandbox_and_respx_fixtures(pytester: pytest.Pytester) -> None:
    """The sandbox fixture takes marker options; the respx kit stubs one call with a model body."""
    pytest.importorskip("respx")
    pytester.makepyfile(
        """
        import pytest
        from datetime import timedelta

        @pytest.mark.amzcancel_sandbox(seed=3, orders=5)
        def test_sandbox(amzcancel_sandbox):
            kit = amzcancel_sandbox
            since = kit.clock.now() - timedelta(days=30)
            page = kit.client.orders_2026.search_orders(last_updated_after=since)
            assert len(page.orders) == 5

        def test_respx(amzcancel_respx):
            shapes = amzcancel_respx.shapes
            item = shapes.v0_order_item("111", buyer_cancel_reason="Found it cheaper")
            amzcancel_respx.get_order_items("902-1", [item])
            with amzcancel_respx.client() as client:
                (got,) = client.orders_v0.list_order_items("902-1")
            assert got.buyer_cancel.requested and got.buyer_cancel.reason == "Found it cheaper"
        """
    )
    result = pytester.runpytest(*_plugin_args())
    result.assert_outcomes(passed=2)


def test_plugin_replays_twice_in_one_test_and_records_next_to_the_test(
    pytester: pytest.Pytester,
) -> None:
    """Two order_sync replays in one test each get their own store (no shared cursor), and a
    sandbox recording with a relative path lands where amzcancel_replay looks for it."""
    tests = pytester.mkdir("tests")
    (tests / "fixtures").mkdir()
    shutil.copy(RECORDED / "orders.json", tests / "fixtures" / "orders.json")
    (tests / "test_twice.py").write_text(
        """
from datetime import UTC, datetime

SINCE = datetime(2026, 11, 1, tzinfo=UTC)  # the --since the fixture was recorded with


def test_twice(amzcancel_replay):
    for _ in range(2):
        with amzcancel_replay.order_sync("fixtures/orders.json", since=SINCE) as sync:
            assert sync.run_once().orders_seen > 0


def test_record_then_replay(amzcancel_sandbox, amzcancel_replay):
    with amzcancel_sandbox.record("fixtures/made.json") as client:
        client.orders_2026.search_orders(last_updated_after=SINCE.replace(year=2025))
    assert amzcancel_replay.path("fixtures/made.json").exists()
""",
        encoding="utf-8",
    )
    result = pytester.runpytest(*_plugin_args(), "tests")
    result.assert_outcomes(passed=2)
