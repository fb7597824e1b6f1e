"""Errors built from server text are safe to print: no raw escape sequences, no 200 KB lines.

A hostile (or broken) server controls the text of its error answers. Printed as is, ``ESC [2J``
clears the user's terminal, ``ESC ] 52`` writes their clipboard, a bare CR hides what came
before, and an error page of 200 KB floods the screen. Every such text reaches the user through
an exception; the exceptions keep it escaped and short.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from amzcancel.cli import main
from amzcancel.clock import FakeClock
from amzcancel.errors import (
    MAX_TEXT_CHARS,
    APIError,
    AuthError,
    ConnectionFailed,
    InvalidInputError,
    ParseError,
    ServerError,
    ThrottledError,
    printable,
)
from amzcancel.transport import LwaCredentials, MwsClient, MwsCredentials, SpApiClient
from hostile import Answer, Handler, HostileServer, Request

AFTER = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
# Clear the screen, set the window title, write the clipboard, ring, rewind the line, an 8-bit
# CSI, and a right-to-left override that reorders what follows.
ANSI = "\x1b[2J\x1b]0;pwned\x07\x1b]52;c;ZXZpbA==\x07\rfake\x9b31m\u202eevil"
TOKEN = Answer.json({"access_token": "Atza|x", "expires_in": 3600})

Servers = Callable[[Handler], HostileServer]


def assert_safe(text: str) -> None:
    """No character a terminal would act on, and not the whole flood."""
    assert not any(ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F for c in text), repr(text)
    assert "\u202e" not in text
    assert len(text) < 4 * MAX_TEXT_CHARS


def api(answer: Answer) -> Handler:
    def handler(request: Request) -> Answer:
        return TOKEN if request.path == "/auth/o2/token" else answer

    return handler


def client_for(server: HostileServer) -> SpApiClient:
    return SpApiClient(
        credentials=LwaCredentials("app", "secret", "Atzr|r"),
        endpoint=server.url,
        lwa_endpoint=f"{server.url}/auth/o2/token",
        clock=FakeClock(),
        max_retries=0,
    )


def test_printable_escapes_controls_and_caps_length() -> None:
    """The rule itself: controls shown as escapes, a plain space kept, long text cut."""
    assert printable("a\x1b[31mb\x07c\r\n\td e\x9b") == "a\\x1b[31mb\\x07c\\r\\n\\td e\\x9b"
    assert printable("over\u202eride") == "over\\u202eride"
    assert printable("x" * 1000, 10) == "xxxxxxxxxx... (990 more characters)"
    assert printable("plain text, kept: as is") == "plain text, kept: as is"


def test_an_sp_api_error_body_with_escapes(hostile_server: Servers) -> None:
    """Amazon's message, details, code and request id from the wire are all escaped."""
    body = {"errors": [{"code": f"Invalid{ANSI}", "message": ANSI, "details": ANSI * 3}]}
    server = hostile_server(
        # h11 refuses C0 controls in a header; 8-bit C1 (obs-text) passes.
        api(Answer.json(body, status=400, headers=[("x-amzn-RequestId", "id\x9b2J")]))
    )
    with client_for(server) as client, pytest.raises(InvalidInputError) as info:
        client.orders_v0.get_order("1")
    error = info.value
    texts = (str(error), repr(error), error.message, error.details, error.code, error.request_id)
    for text in texts:
        assert text is not None
        assert_safe(text)
    assert "\\x1b[2J" in error.message
    assert error.errors[0]["message"] == ANSI  # the raw error objects stay as sent


def test_a_200_kb_error_message_is_cut(hostile_server: Servers) -> None:
    """A 200 KB message becomes a few hundred characters that say how much was left out."""
    flood = "A" * 200_000
    server = hostile_server(api(Answer.json({"errors": [{"code": "X", "message": flood}]}, 400)))
    with client_for(server) as client, pytest.raises(APIError) as info:
        client.orders_v0.get_order("1")
    assert len(str(info.value)) < 2 * MAX_TEXT_CHARS
    assert "(199500 more characters)" in str(info.value)


def test_an_html_error_page_with_an_8_bit_reason_phrase(hostile_server: Servers) -> None:
    """A load balancer's page full of escapes, with an 8-bit CSI in its reason phrase."""
    page = ("<html>" + ANSI * 1000 + "</html>").encode()
    reason = "Service Unavailable \x9b2J"
    server = hostile_server(api(Answer(503, (("Content-Type", "text/html"),), page, reason=reason)))
    with client_for(server) as client, pytest.raises(ServerError) as info:
        client.orders_v0.get_order("1")
    assert_safe(str(info.value))
    assert info.value.status_code == 503


def test_a_broken_status_line_is_quoted_safely(hostile_server: Servers) -> None:
    """A status line a parser refuses is quoted in the error without its escapes."""
    server = hostile_server(api(Answer(200, (), b"{}", reason=ANSI)))
    with client_for(server) as client, pytest.raises(ConnectionFailed) as info:
        client.orders_v0.get_order("1")
    assert_safe(str(info.value))


def test_an_mws_error_document_with_escapes() -> None:
    """MWS ErrorResponse Message text is escaped too (XML 1.0 allows CR, C1 and overrides)."""
    xml = (
        '<?xml version="1.0"?><ErrorResponse xmlns="https://mws.amazonservices.com/Orders/'
        '2013-09-01"><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>'
        "denied&#13;fake&#155;2J&#x202e;evil&#133;end</Message></Error><RequestID>r-1</RequestID>"
        "</ErrorResponse>"
    )
    transport = httpx.MockTransport(lambda request: httpx.Response(401, text=xml))
    with (
        MwsClient(credentials=MwsCredentials("AK", "secret", "A1"), transport=transport) as mws,
        pytest.raises(AuthError) as info,
    ):
        mws.list_order_items("1")
    assert_safe(str(info.value))
    assert str(info.value) == (
        "401 AccessDenied: denied\\rfake\\x9b2J\\u202eevil\\x85end [request id r-1]"
    )


def test_an_lwa_refusal_with_escapes(hostile_server: Servers) -> None:
    """LWA's error_description is server text like any other."""
    refusal = Answer.json({"error": f"invalid_grant{ANSI}", "error_description": ANSI}, 400)
    server = hostile_server(lambda request: refusal)
    with client_for(server) as client, pytest.raises(AuthError) as info:
        client.orders_v0.get_order("1")
    assert_safe(str(info.value))
    assert str(info.value).startswith("400 invalid_grant\\x1b[2J")


@pytest.mark.parametrize(
    "error",
    [
        pytest.param(ThrottledError(ANSI, retry_after=1.0), id="throttled"),
        pytest.param(ConnectionFailed(f"could not connect: {ANSI}"), id="transport"),
        pytest.param(ParseError(ANSI, source="spapi-v0", location=f"$.x{ANSI}"), id="parse"),
    ],
)
def test_every_error_built_from_server_text_is_escaped(error: Exception) -> None:
    """The rule holds for every error class that carries server text."""
    assert_safe(str(error))
    assert_safe(repr(error))


def test_the_cli_prints_one_short_safe_line(
    hostile_server: Servers, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """End to end: `amzcancel sync` against a server answering a 200 KB escape-laden error."""
    flood = {"errors": [{"code": "InvalidInput", "message": ANSI * 20_000}]}
    server = hostile_server(api(Answer.json(flood, 400)))
    os.environ.update({"LWA_APP_ID": "app", "LWA_CLIENT_SECRET": "s", "SP_API_REFRESH_TOKEN": "r"})
    status = main(
        [
            "sync",
            "--api",
            "v0",
            "--store",
            str(tmp_path / "a.db"),
            "--endpoint",
            server.url,
            "--lwa-endpoint",
            f"{server.url}/auth/o2/token",
        ]
    )
    err = capsys.readouterr().err
    assert status == 2
    assert "InvalidInput" in err
    assert "\x1b" not in err
    assert "\u202e" not in err
    assert len(err) < 4 * MAX_TEXT_CHARS
    assert json.dumps(flood)[:20] not in err
