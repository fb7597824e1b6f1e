"""MWS success pages are parsed once; ErrorResponses are still found in any encoding."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from amzcancel.clock import FakeClock
from amzcancel.errors import ThrottledError
from amzcancel.transport import MwsClient, MwsCredentials
from amzcancel.wire import _xml, mws

FIXTURES = Path(__file__).parent.parent / "fixtures" / "mws"
CREDS = MwsCredentials("AKIDEXAMPLE", "mws-secret", "A1SELLER")
THROTTLED = FIXTURES / "ListOrders.hand.503.1.xml"


def _counting_parse_xml(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    calls: list[int] = []
    real = _xml.parse_xml

    def counting(doc: _xml.XmlInput, *, source: str) -> object:
        calls.append(1)
        return real(doc, source=source)

    monkeypatch.setattr(mws, "parse_xml", counting)
    return calls


def test_a_success_page_is_parsed_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """The client's error check does not parse a 200 page the page parser reads again."""
    body = (FIXTURES / "ListOrders.hand.200.1.xml").read_bytes()
    calls = _counting_parse_xml(monkeypatch)
    transport = httpx.MockTransport(lambda request: httpx.Response(200, content=body))
    with MwsClient(credentials=CREDS, transport=transport, clock=FakeClock()) as client:
        page = client.list_orders(
            marketplace_ids=["ATVPDKIKX0DER"],
            last_updated_after=datetime(2026, 11, 20, tzinfo=UTC),
        )
    assert page.orders
    assert len(calls) == 1


def test_an_error_response_in_a_200_is_still_raised() -> None:
    """An ErrorResponse sent with status 200 is still a typed, retried error."""
    body = THROTTLED.read_bytes()
    transport = httpx.MockTransport(lambda request: httpx.Response(200, content=body))
    client = MwsClient(credentials=CREDS, transport=transport, clock=FakeClock(), max_retries=1)
    with client, pytest.raises(ThrottledError):
        client.list_order_items("902-1845936-5435065")
    assert client.stats.requests == 2


@pytest.mark.parametrize(
    ("codec", "declared"),
    [
        pytest.param(None, "UTF-8", id="text"),
        pytest.param("utf-8", "UTF-8", id="utf-8"),
        pytest.param("utf-8-sig", "UTF-8", id="utf-8-bom"),
        pytest.param("utf-16", "UTF-16", id="utf-16-bom"),
        pytest.param("utf-16-le", "UTF-16LE", id="utf-16le"),
    ],
)
def test_error_responses_are_recognised_in_every_encoding(codec: str | None, declared: str) -> None:
    """The quick check never hides an ErrorResponse, whatever the document's encoding."""
    body = THROTTLED.read_text(encoding="utf-8").split("\n", 1)[1]
    text = f'<?xml version="1.0" encoding="{declared}"?>\n{body}'
    assert mws.is_error_response(text if codec is None else text.encode(codec))
