"""Canary credentials never surface: not in logs, output, reprs, errors, the store or fixtures.

The sandbox accepts only its own credentials, so the CLI runs here against a loopback gateway
that accepts canary ones, swaps them for the sandbox's, and hands out presigned document URLs
that carry canary signing parameters, the way S3's do. Every log record (root at DEBUG,
httpx and httpcore included), stdout, stderr, the SQLite files, recorded fixtures, and the
str, repr and traceback of every error are searched for the canaries.
"""

from __future__ import annotations

import asyncio
import io
import json
import logging
import os
import subprocess
import sys
import threading
import traceback
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from socketserver import ThreadingMixIn
from typing import Any
from urllib.parse import parse_qsl, urlencode
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import httpx
import pytest

from amzcancel.cli import main
from amzcancel.clock import FakeClock
from amzcancel.errors import AmzCancelError, ServerError
from amzcancel.sandbox import Marketplace
from amzcancel.sandbox import _auth as sandbox_auth
from amzcancel.testing import RecordingTransport
from amzcancel.transport import (
    AsyncSpApiClient,
    LwaCredentials,
    MwsClient,
    MwsCredentials,
    SpApiClient,
)
from amzcancel.transport._sigv2 import sign_v2

CLIENT_ID = "amzn1.application-oa2-client.canaryapp0001"  # an id, not a secret
CLIENT_SECRET = "CANARY-lwa-client-secret-7f3a9e"
REFRESH_TOKEN = "Atzr|CANARY-refresh-token-51d2c8"
ACCESS_TOKEN = "Atza|CANARY-access-token-9c4e1b"
MWS_SECRET_KEY = "CANARY/mws/secret/key/0d9f8e7c"
MWS_AUTH_TOKEN = "amzn.mws.CANARY-auth-token-3b2a"
AMZ_SIGNATURE = "CANARYSIGNATURE0a1b2c3d4e5f"
AMZ_CREDENTIAL = "CANARYCREDENTIAL4e5f/20261127/us-east-1/s3/aws4_request"
AMZ_SECURITY_TOKEN = "CANARYSECURITYTOKEN6a7b8c9d"
CANARIES = (
    CLIENT_SECRET,
    REFRESH_TOKEN,
    ACCESS_TOKEN,
    MWS_SECRET_KEY,
    MWS_AUTH_TOKEN,
    AMZ_SIGNATURE,
    AMZ_CREDENTIAL,
    AMZ_SECURITY_TOKEN,
    "CANARY",  # any part of any of them
)
PRESIGNED_QUERY = urlencode(
    {
        "X-Amz-Algorithm": "AWS4-HMAC-SHA256",
        "X-Amz-Credential": AMZ_CREDENTIAL,
        "X-Amz-Date": "20261127T000000Z",
        "X-Amz-Expires": "300",
        "X-Amz-SignedHeaders": "content-type;host",
        "X-Amz-Security-Token": AMZ_SECURITY_TOKEN,
        "X-Amz-Signature": AMZ_SIGNATURE,
    }
)
ENDPOINT = "https://sellingpartnerapi-na.amazon.com"
PRESIGNED_URL = f"https://tortuga-prod-na.s3.amazonaws.com/doc-1?{PRESIGNED_QUERY}"
LWA_CREDENTIALS = LwaCredentials(CLIENT_ID, CLIENT_SECRET, REFRESH_TOKEN)


def assert_no_canary(text: str, *, extra: Iterable[str] = ()) -> None:
    """Fail, naming the canary and its neighbourhood, if any secret occurs in ``text``."""
    for secret in (*CANARIES, *extra):
        at = text.find(secret)
        assert at < 0, f"{secret!r} leaked: ...{text[max(at - 120, 0) : at + 60]}..."


@contextmanager
def all_logging() -> Iterator[io.StringIO]:
    """Every record of every logger at DEBUG, tracebacks included, into one buffer."""
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    handler.setLevel(logging.DEBUG)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    saved = root.level
    root.setLevel(logging.DEBUG)
    root.addHandler(handler)
    try:
        yield buffer
    finally:
        root.removeHandler(handler)
        root.setLevel(saved)


def error_texts(exc: BaseException) -> str:
    """str, repr and the full traceback (causes and contexts) of an error."""
    return "\n".join([str(exc), repr(exc), "".join(traceback.format_exception(exc))])


# --- a loopback gateway that accepts the canary credentials ---------------------------------


class _CanaryGateway:
    """A WSGI app in front of the sandbox: canary credentials outside, sandbox ones inside."""

    def __init__(self, market: Marketplace) -> None:
        self._inner = market.wsgi_app
        self._tokens: dict[str, str] = {}

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        path = environ.get("PATH_INFO", "")
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        is_token = path.rstrip("/") == "/auth/o2/token"
        if is_token:
            form = dict(parse_qsl(body.decode()))
            if form.get("client_secret") == CLIENT_SECRET:
                form["client_id"] = sandbox_auth.SANDBOX_LWA_CLIENT_ID
                form["client_secret"] = sandbox_auth.SANDBOX_LWA_CLIENT_SECRET
            if form.get("refresh_token") == REFRESH_TOKEN:
                form["refresh_token"] = sandbox_auth.SANDBOX_LWA_REFRESH_TOKEN
            body = urlencode(form).encode()
        if path.rstrip("/") == "/Orders/2013-09-01" and body:
            body = self._resigned(body, environ.get("HTTP_HOST", ""), path)
        token = environ.get("HTTP_X_AMZ_ACCESS_TOKEN")
        if token in self._tokens:
            environ["HTTP_X_AMZ_ACCESS_TOKEN"] = self._tokens[token]
        environ["wsgi.input"] = io.BytesIO(body)
        environ["CONTENT_LENGTH"] = str(len(body))
        answer: dict[str, Any] = {}

        def capture(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> None:
            answer.update(status=status, headers=headers)

        out = b"".join(self._inner(environ, capture))
        ok = answer["status"].startswith("2")
        if is_token and ok:
            doc = json.loads(out)
            self._tokens[ACCESS_TOKEN] = doc["access_token"]
            doc.update(access_token=ACCESS_TOKEN, refresh_token=REFRESH_TOKEN)
            out = json.dumps(doc).encode()
        if path.startswith("/feeds/2021-06-30/documents") and ok:
            doc = json.loads(out)
            doc["url"] += "?" + PRESIGNED_QUERY  # the sandbox serves documents by path alone
            out = json.dumps(doc).encode()
        headers = [(k, v) for k, v in answer["headers"] if k.lower() != "content-length"]
        start_response(answer["status"], [*headers, ("Content-Length", str(len(out)))])
        return [out]

    @staticmethod
    def _resigned(body: bytes, host: str, path: str) -> bytes:
        """An MWS form signed with the canary key, checked, and signed again for the sandbox."""
        params = dict(parse_qsl(body.decode()))
        if params.get("Signature") == sign_v2(MWS_SECRET_KEY, "POST", host, path, params):
            assert params.pop("MWSAuthToken") == MWS_AUTH_TOKEN
            params["Signature"] = sign_v2(
                sandbox_auth.SANDBOX_MWS_SECRET_KEY, "POST", host, path, params
            )
        return urlencode(params).encode()


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


class _Server(ThreadingMixIn, WSGIServer):
    daemon_threads = True


@pytest.fixture
def gateway() -> Iterator[str]:
    """A canary-accepting SP-API + LWA endpoint on 127.0.0.1 (feeds finish at once)."""
    market = Marketplace(seed=3, orders=20, rate_limits=False, feed_processing_seconds=0)
    server = make_server(
        "127.0.0.1", 0, _CanaryGateway(market), server_class=_Server, handler_class=_QuietHandler
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def _canary_env() -> dict[str, str]:
    return {
        "LWA_APP_ID": CLIENT_ID,
        "LWA_CLIENT_SECRET": CLIENT_SECRET,
        "SP_API_REFRESH_TOKEN": REFRESH_TOKEN,
        "SP_API_SELLER_ID": "A1SANDBOXSELLER",
    }


def _mws_canary_env() -> dict[str, str]:
    return {
        "MWS_ACCESS_KEY": sandbox_auth.SANDBOX_MWS_ACCESS_KEY,  # an id, not a secret
        "MWS_SECRET_KEY": MWS_SECRET_KEY,
        "MWS_SELLER_ID": sandbox_auth.SANDBOX_MWS_SELLER_ID,
        "MWS_AUTH_TOKEN": MWS_AUTH_TOKEN,
    }


def _endpoints(base: str) -> list[str]:
    return ["--endpoint", base, "--lwa-endpoint", base + "/auth/o2/token"]


def _store_bytes(store: Path) -> str:
    files = sorted(store.parent.glob(store.name + "*"))
    assert files
    return "\n".join(path.read_bytes().decode("latin-1") for path in files)


def _open_request(store: Path, capsys: pytest.CaptureFixture[str]) -> str:
    capsys.readouterr()
    assert main(["pending", "--store", str(store), "--json"]) == 0
    pending = json.loads(capsys.readouterr().out)
    return next(p["amazon_order_id"] for p in pending if p["status"] == "Unshipped")


@pytest.mark.slow
def test_cli_sync_and_cancel_show_no_canary(
    gateway: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """sync, pending, cancel --dry-run and a submitted cancel leave no secret anywhere."""
    for name, value in _canary_env().items():
        monkeypatch.setenv(name, value)
    store = tmp_path / "canary.db"
    outputs = []
    with all_logging() as logs:
        sync_args = ["-vvv", "sync", "--json", "--store", str(store), *_endpoints(gateway)]
        assert main(sync_args) == 0
        outputs.append(capsys.readouterr())
        order_id = _open_request(store, capsys)
        cancel = ["-vvv", "cancel", order_id, "--reason", "BuyerCanceled", *_endpoints(gateway)]
        assert main([*cancel, "--dry-run"]) == 0
        outputs.append(capsys.readouterr())
        assert main([*cancel, "--json"]) == 0
        outputs.append(capsys.readouterr())
    assert json.loads(outputs[-1].out)["processing_status"] == "DONE"
    assert "X-Amz-Signature=<redacted>" in logs.getvalue()  # the upload really was logged
    assert_no_canary(logs.getvalue())
    for captured in outputs:
        assert_no_canary(captured.out + captured.err)
    assert_no_canary(_store_bytes(store))


@pytest.mark.slow
def test_cli_cancel_submission_under_vvv_logs_no_canary(
    gateway: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The real ``amzcancel -vvv cancel`` process (its own logging setup) prints no secret."""
    for name, value in _canary_env().items():
        monkeypatch.setenv(name, value)
    store = tmp_path / "canary.db"
    assert main(["sync", "--store", str(store), *_endpoints(gateway)]) == 0
    order_id = _open_request(store, capsys)
    done = subprocess.run(
        [
            *(sys.executable, "-m", "amzcancel.cli", "-vvv", "cancel", order_id),
            *("--reason", "BuyerCanceled", *_endpoints(gateway)),
        ],
        env={**os.environ, **_canary_env()},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "HTTP Request: PUT" in done.stderr
    assert_no_canary(done.stdout + done.stderr)


@pytest.mark.slow
def test_cli_mws_sync_shows_no_canary(
    gateway: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``amzcancel -vvv sync --api mws`` shows neither the secret key nor the auth token."""
    for name, value in _mws_canary_env().items():
        monkeypatch.setenv(name, value)
    store = tmp_path / "mws.db"
    with all_logging() as logs:
        args = ["-vvv", "sync", "--api", "mws", "--json", "--store", str(store)]
        assert main([*args, "--endpoint", gateway]) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out)["orders_seen"] > 0
    assert "ListOrders" in logs.getvalue()
    assert_no_canary(logs.getvalue() + captured.out + captured.err)
    assert_no_canary(_store_bytes(store))


def test_sandbox_sync_vvv_shows_no_sandbox_secret(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``amzcancel -vvv sync --sandbox`` logs no sandbox secret and no access token."""
    with all_logging() as logs:
        assert main(["-vvv", "sync", "--sandbox", "--store", str(tmp_path / "s.db")]) == 0
    captured = capsys.readouterr()
    secrets = (
        sandbox_auth.SANDBOX_LWA_CLIENT_SECRET,
        sandbox_auth.SANDBOX_LWA_REFRESH_TOKEN,
        "Atza|",
    )
    assert_no_canary(logs.getvalue() + captured.out + captured.err, extra=secrets)


def test_sandbox_truth_holds_no_secret() -> None:
    """The sandbox's ground truth (Python and /_sandbox/truth) names no credential or token."""
    market = Marketplace(seed=1, orders=5, clock=FakeClock())
    with SpApiClient(
        credentials=LwaCredentials(
            sandbox_auth.SANDBOX_LWA_CLIENT_ID,
            sandbox_auth.SANDBOX_LWA_CLIENT_SECRET,
            sandbox_auth.SANDBOX_LWA_REFRESH_TOKEN,
        ),
        endpoint="http://sandbox.local",
        lwa_endpoint="http://sandbox.local/auth/o2/token",
        transport=market.transport(),
        clock=market.clock,
    ) as client:
        client.orders_v0.get_orders(
            marketplace_ids=["ATVPDKIKX0DER"],
            last_updated_after=market.clock.now() - timedelta(days=3),
        )
        served = client.request("GET", "/_sandbox/truth", operation=None).text
    truth = json.dumps(market.truth().to_json()) + served
    assert market.truth().tokens_issued == 1
    assert_no_canary(
        truth,
        extra=(
            sandbox_auth.SANDBOX_LWA_CLIENT_SECRET,
            sandbox_auth.SANDBOX_LWA_REFRESH_TOKEN,
            sandbox_auth.SANDBOX_MWS_SECRET_KEY,
            "Atza|",
        ),
    )


# --- library calls that fail -------------------------------------------------------------


def _lwa_ok() -> httpx.Response:
    body = {"access_token": ACCESS_TOKEN, "token_type": "bearer", "expires_in": 3600}
    return httpx.Response(200, json={**body, "refresh_token": REFRESH_TOKEN})


def _spapi_error(status: int, code: str, message: str) -> httpx.Response:
    body = {"errors": [{"code": code, "message": message, "details": ""}]}
    return httpx.Response(status, json=body, headers={"x-amzn-RequestId": "rid-1"})


def _failing(kind: str) -> Callable[[httpx.Request], httpx.Response]:
    """A transport handler: LWA answers, then every other call fails the ``kind`` way."""

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/auth/o2/token":
            if kind == "lwa-400":
                # An LWA that echoes what it was sent must not carry it into our error.
                text = f"The request has an invalid grant parameter : {REFRESH_TOKEN}"
                return httpx.Response(
                    400, json={"error": "invalid_grant", "error_description": text}
                )
            return _lwa_ok()
        if kind == "403":
            return _spapi_error(403, "Unauthorized", "The security token included is expired")
        if kind == "429":
            return httpx.Response(429, headers={"Retry-After": "2"})
        if kind == "500":
            return httpx.Response(500, text="<html>Internal Server Error</html>")
        if kind == "timeout":
            raise httpx.ReadTimeout("timed out", request=request)
        if kind == "dropped":
            raise httpx.RemoteProtocolError("Server disconnected", request=request)
        if kind == "s3-403":
            return httpx.Response(
                403,
                text="<Error><Code>SignatureDoesNotMatch</Code><Message>The request signature "
                "we calculated does not match the signature you provided.</Message></Error>",
            )
        raise AssertionError(kind)

    return handler


FAILURES = [
    pytest.param("403", "orders", id="403-expired-token"),
    pytest.param("429", "orders", id="429-throttled"),
    pytest.param("500", "orders", id="500-server-error"),
    pytest.param("timeout", "orders", id="timeout"),
    pytest.param("dropped", "orders", id="dropped-connection"),
    pytest.param("lwa-400", "orders", id="lwa-refuses-refresh-token"),
    pytest.param("s3-403", "presigned", id="presigned-upload-refused"),
    pytest.param("timeout", "presigned", id="presigned-upload-timeout"),
]


def _call(client: SpApiClient, target: str) -> Any:
    if target == "presigned":
        return client.request(
            "PUT", PRESIGNED_URL, operation=None, content=b"<x/>", authenticate=False
        )
    return client.orders_v0.get_order("902-1845936-5435065")


@pytest.mark.parametrize(("kind", "target"), FAILURES)
def test_failing_calls_leak_no_canary(kind: str, target: str) -> None:
    """A failed call's error, its causes, the logs and every object's repr hold no secret."""
    with (
        all_logging() as logs,
        SpApiClient(
            credentials=LWA_CREDENTIALS,
            endpoint=ENDPOINT,
            transport=httpx.MockTransport(_failing(kind)),
            clock=FakeClock(),
            max_retries=2,
        ) as client,
    ):
        with pytest.raises(AmzCancelError) as raised:
            _call(client, target)
        pager = client.orders_v0.iter_orders(
            marketplace_ids=["ATVPDKIKX0DER"], last_updated_after=client.clock.now()
        )
        reprs = [client, client.auth, client.credentials, client.stats, pager, raised.value]
    # The auth's attributes too: someone debugging will print vars(client.auth).
    texts = [logs.getvalue(), error_texts(raised.value), *map(repr, reprs), repr(vars(client.auth))]
    assert_no_canary("\n".join(texts))


@pytest.mark.parametrize("kind", ["429", "timeout", "lwa-400"])
def test_failing_async_calls_leak_no_canary(kind: str) -> None:
    """The async client's errors and logs hold no secret either."""

    async def run() -> BaseException:
        async with AsyncSpApiClient(
            credentials=LWA_CREDENTIALS,
            endpoint=ENDPOINT,
            transport=httpx.MockTransport(_failing(kind)),
            clock=FakeClock(),
            max_retries=1,
        ) as client:
            with pytest.raises(AmzCancelError) as raised:
                await client.orders_v0.get_order("902-1845936-5435065")
            return raised.value

    with all_logging() as logs:
        error = asyncio.run(run())
    assert_no_canary(logs.getvalue() + error_texts(error))


def test_mws_failures_leak_neither_key_nor_signature() -> None:
    """MWS errors and logs carry neither the secret key, the auth token nor any signature."""
    signatures: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        signatures.extend(v for k, v in parse_qsl(request.content.decode()) if k == "Signature")
        return httpx.Response(
            503,
            text='<?xml version="1.0"?><ErrorResponse><Error><Type>Sender</Type>'
            "<Code>RequestThrottled</Code><Message>Request is throttled</Message></Error>"
            "<RequestID>r-1</RequestID></ErrorResponse>",
        )

    credentials = MwsCredentials(
        "AKIAEXAMPLEACCESSKEY", MWS_SECRET_KEY, "A1SELLER", auth_token=MWS_AUTH_TOKEN
    )
    with (
        all_logging() as logs,
        MwsClient(
            credentials=credentials,
            transport=httpx.MockTransport(handler),
            clock=FakeClock(),
            max_retries=2,
        ) as client,
    ):
        with pytest.raises(AmzCancelError) as raised:
            client.list_order_items("902-1845936-5435065")
        reprs = repr(client) + repr(credentials)
    assert len(signatures) == 3
    assert_no_canary(logs.getvalue() + error_texts(raised.value) + reprs, extra=signatures)


def test_recorded_fixture_holds_no_canary(tmp_path: Path) -> None:
    """A recording of a token grant, an order call and a presigned download is secret-free."""

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/auth/o2/token":
            return _lwa_ok()
        if request.url.host.endswith("s3.amazonaws.com"):
            return httpx.Response(200, text="report")
        return httpx.Response(
            200, json={"payload": {"url": PRESIGNED_URL, "feedDocumentId": "doc-1"}}
        )

    path = tmp_path / "canary.json"
    recorder = RecordingTransport(path, transport=httpx.MockTransport(handler), clock=FakeClock())
    with SpApiClient(
        credentials=LWA_CREDENTIALS, endpoint=ENDPOINT, transport=recorder, clock=FakeClock()
    ) as client:
        client.request("GET", "/feeds/2021-06-30/documents/doc-1", operation="getFeedDocument")
        client.request("GET", PRESIGNED_URL, operation=None, authenticate=False)
    recorder.save()
    assert_no_canary(path.read_text() + repr(recorder))


def test_gateway_password_in_the_endpoint_stays_out_of_errors_and_logs() -> None:
    """An endpoint behind basic auth (user:password@host) keeps its password out of both."""
    password = "CANARY-gateway-password-4d1e"
    with (
        all_logging() as logs,
        SpApiClient(
            credentials=LWA_CREDENTIALS,
            endpoint=f"https://erp:{password}@gateway.example",
            lwa_endpoint=f"https://erp:{password}@gateway.example/auth/o2/token",
            transport=httpx.MockTransport(_failing("500")),
            clock=FakeClock(),
            max_retries=1,
        ) as client,
        pytest.raises(ServerError) as raised,
    ):
        client.orders_v0.get_order("902-1845936-5435065")
    assert raised.value.url == "https://gateway.example/orders/v0/orders/902-1845936-5435065"
    assert_no_canary(logs.getvalue() + error_texts(raised.value), extra=[password])
