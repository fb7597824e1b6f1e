"""The log filter that keeps secrets out of httpx's and httpcore's log lines."""

from __future__ import annotations

import logging
from collections.abc import Callable

import httpx
import pytest

from amzcancel.clock import FakeClock
from amzcancel.transport import LwaCredentials, SpApiClient
from amzcancel.transport._log_redaction import (
    SecretFilter,
    install_log_redaction,
    redact_secrets,
)
from hostile import Answer, Handler, HostileServer, Request


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            "PUT https://s3.amazonaws.com/d?X-Amz-Algorithm=AWS4-HMAC-SHA256"
            "&X-Amz-Credential=AKIA%2F20261127%2Fus-east-1&X-Amz-Signature=ab12 "
            '"HTTP/1.1 200 OK"',
            "PUT https://s3.amazonaws.com/d?X-Amz-Algorithm=AWS4-HMAC-SHA256"
            '&X-Amz-Credential=<redacted>&X-Amz-Signature=<redacted> "HTTP/1.1 200 OK"',
            id="presigned-s3",
        ),
        pytest.param(
            "https://h/?x-amz-security-token=FQoG%2Bz&X-Amz-Expires=300",
            "https://h/?x-amz-security-token=<redacted>&X-Amz-Expires=300",
            id="case-insensitive-keeps-other-params",
        ),
        pytest.param(
            "POST /Orders?AWSAccessKeyId=AKIA&Signature=a%2Bb%3D&MWSAuthToken=amzn.mws.1",
            "POST /Orders?AWSAccessKeyId=<redacted>&Signature=<redacted>&MWSAuthToken=<redacted>",
            id="mws-signature-v2",
        ),
        pytest.param(
            "token?grant_type=refresh_token&refresh_token=Atzr|x&client_secret=s",
            "token?grant_type=refresh_token&refresh_token=<redacted>&client_secret=<redacted>",
            id="lwa-grant-keeps-grant-type",
        ),
        pytest.param(
            "GET /orders/v0/orders?NextToken=abc%3D&MarketplaceIds=ATVPDKIKX0DER",
            "GET /orders/v0/orders?NextToken=abc%3D&MarketplaceIds=ATVPDKIKX0DER",
            id="ordinary-query-untouched",
        ),
        pytest.param(
            'GET https://erp:s3cret@gateway.example:8443/orders "HTTP/1.1 200 OK"',
            'GET https://erp:<redacted>@gateway.example:8443/orders "HTTP/1.1 200 OK"',
            id="userinfo-password",
        ),
        pytest.param(
            "mail buyer@example.com at 12:30", "mail buyer@example.com at 12:30", id="not-a-url"
        ),
        pytest.param("no query at all", "no query at all", id="no-query"),
        pytest.param(
            "receive_response_headers.complete return_value=(b'HTTP/1.1', 200, b'OK', "
            "[(b'X-Amz-Access-Token', b'tok'), (b'Set-Cookie', b'sid=1; Path=/'), "
            "(b'Content-Type', b'application/json')])",
            "receive_response_headers.complete return_value=(b'HTTP/1.1', 200, b'OK', "
            "[(b'X-Amz-Access-Token', b'<redacted>'), (b'Set-Cookie', b'<redacted>'), "
            "(b'Content-Type', b'application/json')])",
            id="httpcore-response-headers",
        ),
        pytest.param(
            "(b'x-echo', b'Atza|IwEBIA-x_y.z+/=') and Atzr|Zm9v",
            "(b'x-echo', b'Atza|<redacted>') and Atzr|<redacted>",
            id="lwa-token-under-any-name",
        ),
        pytest.param(
            "Authorization: Bearer abc\nAccept: application/json",
            "Authorization: <redacted>\nAccept: application/json",
            id="header-line",
        ),
        pytest.param(
            '{"cookie": "sid=1", "accept": "*/*"}',
            '{"cookie": "<redacted>", "accept": "*/*"}',
            id="header-dict",
        ),
        pytest.param(
            "(b'authorization', b'it\\'s quoted')",
            "(b'authorization', b'<redacted>')",
            id="escaped-quote-in-value",
        ),
        pytest.param(
            "accept: application/json, content-type: text/xml",
            "accept: application/json, content-type: text/xml",
            id="other-headers-untouched",
        ),
    ],
)
def test_redact_secrets(text: str, expected: str) -> None:
    """Secret values are replaced; names and everything else stay."""
    assert redact_secrets(text) == expected


def test_httpx_request_line_is_redacted_under_the_users_debug_logging(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A client installs the filter, so httpx's INFO request line loses its signature."""
    SpApiClient(
        credentials=LwaCredentials("app", "secret", "Atzr|r"),
        transport=httpx.MockTransport(lambda request: httpx.Response(200)),
        clock=FakeClock(),
    ).close()
    url = httpx.URL("https://s3.amazonaws.com/doc?X-Amz-Signature=deadbeef&X-Amz-Date=1")
    with caplog.at_level(logging.DEBUG):
        logging.getLogger("httpx").info('HTTP Request: %s %s "%s"', "PUT", url, "HTTP/1.1 200 OK")
    redacted = "https://s3.amazonaws.com/doc?X-Amz-Signature=<redacted>&X-Amz-Date=1"
    assert caplog.messages == [f'HTTP Request: PUT {redacted} "HTTP/1.1 200 OK"']


def test_install_is_idempotent() -> None:
    """Installing again (every client does) never stacks filters."""
    install_log_redaction()
    install_log_redaction()
    for name in ("httpx", "httpcore", "httpcore.http11", "httpcore.connection"):
        filters = logging.getLogger(name).filters
        assert sum(isinstance(f, SecretFilter) for f in filters) == 1


def test_filter_keeps_records_it_cannot_format() -> None:
    """A record whose arguments do not fit its message is passed on unchanged, never dropped."""
    record = logging.LogRecord("httpx", logging.INFO, __file__, 1, "%s %s", ("one",), None)
    assert SecretFilter().filter(record) is True
    assert record.msg == "%s %s"
    assert record.args == ("one",)


def test_a_token_echoed_in_response_headers_never_reaches_a_debug_log(
    hostile_server: Callable[[Handler], HostileServer], caplog: pytest.LogCaptureFixture
) -> None:
    """At DEBUG httpcore logs every response header; a server echoing the access token (under
    its own name, another name, in a cookie, in the reason phrase) leaves no trace of it."""
    canary = "CANARY-6b1f"
    token = f"Atza|{canary}-access"

    def echo(request: Request) -> Answer:
        if request.path == "/auth/o2/token":
            return Answer.json({"access_token": token, "expires_in": 3600})
        seen = request.headers["x-amz-access-token"]
        return Answer(
            200,
            (
                ("x-amz-access-token", seen),
                ("X-Debug-Echo", seen),
                ("Set-Cookie", f"session={canary}; Path=/"),
                ("Authorization", f"Bearer {canary}"),
                ("Content-Type", "application/json"),
            ),
            b'{"payload": {"AmazonOrderId": "1", "OrderItems": []}}',
            reason=f"OK {seen}",
        )

    server = hostile_server(echo)
    caplog.set_level(logging.DEBUG)
    with SpApiClient(
        credentials=LwaCredentials("app", "secret", f"Atzr|{canary}-refresh"),
        endpoint=server.url,
        lwa_endpoint=f"{server.url}/auth/o2/token",
        clock=FakeClock(),
    ) as client:
        client.orders_v0.get_order_items("1")
    assert server.requests[-1].headers["x-amz-access-token"] == token
    assert "receive_response_headers.complete" in caplog.text  # httpcore did log the headers
    assert "X-Debug-Echo" in caplog.text
    assert canary not in caplog.text
