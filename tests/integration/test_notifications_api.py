"""Notifications API v1: request shapes against Amazon's model, grantless tokens, the sandbox's
own API, and the ``amzcancel notifications`` commands."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import httpx
import jsonschema
import pytest

from amzcancel.cli import main
from amzcancel.clock import FakeClock
from amzcancel.errors import AuthError, InvalidInputError, NotFoundError
from amzcancel.sandbox import (
    SANDBOX_ENDPOINT,
    SANDBOX_LWA_CLIENT_ID,
    SANDBOX_LWA_CLIENT_SECRET,
    SANDBOX_LWA_CREDENTIALS,
    SANDBOX_LWA_ENDPOINT,
    SANDBOX_LWA_REFRESH_TOKEN,
    Marketplace,
)
from amzcancel.transport import (
    NOTIFICATIONS_SCOPE,
    SPAPI_RATE_LIMITS,
    SpApiClient,
    order_change_filter,
)

MODEL = json.loads(
    (
        Path(__file__).resolve().parents[1] / "amazon_models" / "notifications_v1.subset.json"
    ).read_text(encoding="utf-8")
)
OPERATIONS = {op["operationId"]: op for op in MODEL["operations"]}
ARN = "arn:aws:sqs:us-east-1:123456789012:amzcancel-orders"
OTHER_ARN = "arn:aws:sqs:us-east-1:123456789012:elsewhere"


def validate(definition: str, instance: Any) -> None:
    schema = {"$ref": f"#/definitions/{definition}", "definitions": MODEL["definitions"]}
    jsonschema.Draft4Validator(schema).validate(instance)


class Recorder:
    """An httpx transport in front of the sandbox that keeps every request it forwards."""

    def __init__(self, mp: Marketplace) -> None:
        self.inner = mp.transport()
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        request.read()
        self.requests.append(request)
        return self.inner.handle_request(request)

    def token_grants(self) -> list[dict[str, list[str]]]:
        return [
            parse_qs(r.content.decode())
            for r in self.requests
            if r.url.path.endswith("/auth/o2/token")
        ]

    def api(self) -> list[httpx.Request]:
        return [r for r in self.requests if r.url.path.startswith("/notifications/")]


@pytest.fixture
def recorded() -> tuple[Marketplace, Recorder, SpApiClient]:
    mp = Marketplace(seed=1, orders=5, clock=FakeClock())
    recorder = Recorder(mp)
    client = SpApiClient(
        credentials=SANDBOX_LWA_CREDENTIALS,
        endpoint=SANDBOX_ENDPOINT,
        lwa_endpoint=SANDBOX_LWA_ENDPOINT,
        transport=httpx.MockTransport(recorder),
        clock=mp.clock,
    )
    return mp, recorder, client


def test_grantless_operations_use_a_client_credentials_token_cached_apart(
    recorded: tuple[Marketplace, Recorder, SpApiClient],
) -> None:
    """Destinations take the app's grantless token (no refresh token sent), subscriptions the
    seller's; each is fetched once and reused."""
    _, recorder, client = recorded
    with client:
        destination = client.notifications.create_destination(ARN, name="amzcancel")
        client.notifications.get_destinations()
        client.notifications.create_subscription(destination.destination_id)
        client.notifications.get_subscription()
        client.notifications.get_destinations()
    grants = recorder.token_grants()
    assert [g["grant_type"] for g in grants] == [["client_credentials"], ["refresh_token"]]
    assert grants[0]["scope"] == [NOTIFICATIONS_SCOPE]
    assert "refresh_token" not in grants[0]
    assert grants[1]["refresh_token"] == [SANDBOX_LWA_REFRESH_TOKEN]
    assert "scope" not in grants[1]
    tokens = {r.url.path + r.method: r.headers["x-amz-access-token"] for r in recorder.api()}
    grantless = tokens["/notifications/v1/destinationsGET"]
    assert tokens["/notifications/v1/destinationsPOST"] == grantless
    assert tokens["/notifications/v1/subscriptions/ORDER_CHANGEPOST"] != grantless


def test_requests_and_answers_match_the_official_model(
    recorded: tuple[Marketplace, Recorder, SpApiClient],
) -> None:
    """Methods, paths and bodies are the model's; the sandbox's answers fit its definitions."""
    _, recorder, client = recorded
    with client:
        destination = client.notifications.create_destination(ARN, name="amzcancel")
        client.notifications.create_subscription(destination.destination_id)
        subscription = client.notifications.get_subscription()
        client.notifications.get_destinations()
        client.notifications.delete_subscription_by_id(subscription.subscription_id)
        client.notifications.delete_destination(destination.destination_id)
    sent = recorder.api()
    expected = [
        ("createDestination", {}),
        ("createSubscription", {"notificationType": "ORDER_CHANGE"}),
        ("getSubscription", {"notificationType": "ORDER_CHANGE"}),
        ("getDestinations", {}),
        (
            "deleteSubscriptionById",
            {"notificationType": "ORDER_CHANGE", "subscriptionId": subscription.subscription_id},
        ),
        ("deleteDestination", {"destinationId": destination.destination_id}),
    ]
    for request, (operation, values) in zip(sent, expected, strict=True):
        op = OPERATIONS[operation]
        path = op["path"]
        for name, value in values.items():
            path = path.replace("{" + name + "}", value)
        assert (request.method, request.url.path) == (op["method"], path)
        if op["body"]:
            validate(op["body"], json.loads(request.content))
    body = json.loads(sent[1].content)
    assert body == {
        "payloadVersion": "1.0",
        "destinationId": destination.destination_id,
        "processingDirective": {
            "eventFilter": {
                "eventFilterType": "ORDER_CHANGE",
                "orderChangeTypes": ["BuyerRequestedChange", "OrderStatusChange"],
            }
        },
    }
    mp = Marketplace(seed=1, orders=5, clock=FakeClock())
    with mp.client() as raw, pytest.raises(AuthError):  # no token at all: refused
        raw.request(
            "POST",
            "/notifications/v1/destinations",
            operation=None,
            json={"name": "x", "resourceSpecification": {"sqs": {"arn": ARN}}},
            authenticate=False,
        )


def test_usage_plans_are_the_models() -> None:
    """Every operation is paced at the model's 1 request/s, burst 5."""
    for operation, op in OPERATIONS.items():
        plan = SPAPI_RATE_LIMITS[operation]
        assert (plan.rate, plan.burst) == (op["rate"], op["burst"])


def test_sandbox_answers_fit_the_model(recorded: tuple[Marketplace, Recorder, SpApiClient]) -> None:
    """The sandbox's payloads validate against the model's response definitions."""
    mp, _, _ = recorded
    transport = mp.transport()

    def call(method: str, path: str, token: str, body: Any = None) -> httpx.Response:
        with httpx.Client(transport=transport, base_url="https://sandbox.invalid") as http:
            return http.request(method, path, json=body, headers={"x-amz-access-token": token})

    def token(**form: str) -> str:
        with httpx.Client(transport=transport) as http:
            answer = http.post(
                "https://sandbox.invalid/auth/o2/token",
                data={
                    "client_id": SANDBOX_LWA_CLIENT_ID,
                    "client_secret": SANDBOX_LWA_CLIENT_SECRET,
                    **form,
                },
            )
        return str(answer.json()["access_token"])

    grantless = token(grant_type="client_credentials", scope=NOTIFICATIONS_SCOPE)
    seller = token(grant_type="refresh_token", refresh_token=SANDBOX_LWA_REFRESH_TOKEN)
    spec = {"name": "n", "resourceSpecification": {"sqs": {"arn": ARN}}}
    made = call("POST", "/notifications/v1/destinations", grantless, spec)
    validate("CreateDestinationResponse", made.json())
    again = call("POST", "/notifications/v1/destinations", grantless, spec)
    assert again.status_code == 409
    validate("CreateDestinationResponse", again.json())
    assert call("GET", "/notifications/v1/destinations", seller).status_code == 403
    listed = call("GET", "/notifications/v1/destinations", grantless)
    validate("GetDestinationsResponse", listed.json())
    destination_id = made.json()["payload"]["destinationId"]
    subscribe = {"payloadVersion": "1.0", "destinationId": destination_id}
    path = "/notifications/v1/subscriptions/ORDER_CHANGE"
    assert call("POST", path, grantless, subscribe).status_code == 403
    validate("CreateSubscriptionResponse", call("POST", path, seller, subscribe).json())
    validate("GetSubscriptionResponse", call("GET", path, seller).json())
    missing = call("GET", "/notifications/v1/subscriptions/ORDER_CHANGE/none", grantless)
    assert missing.status_code == 404


def test_bad_arguments_are_refused_before_sending(
    recorded: tuple[Marketplace, Recorder, SpApiClient],
) -> None:
    """A non-SQS ARN or an unknown change type is an InvalidInputError, nothing is sent."""
    _, recorder, client = recorded
    with client:
        with pytest.raises(InvalidInputError, match="SQS queue ARN"):
            client.notifications.create_destination("arn:aws:sns:us-east-1:1:topic", name="x")
        with pytest.raises(InvalidInputError, match="orderChangeTypes"):
            order_change_filter(["DeliveryTipChange"])
        with pytest.raises(NotFoundError):
            client.notifications.get_subscription()
    assert [r.url.path for r in recorder.api()] == ["/notifications/v1/subscriptions/ORDER_CHANGE"]


def test_a_seller_token_is_refused_for_a_grantless_operation() -> None:
    """The sandbox holds Amazon's line: a seller's token does not open destinations."""
    mp = Marketplace(seed=1, orders=5, clock=FakeClock())
    with mp.client() as client, pytest.raises(AuthError):
        client.request("GET", "/notifications/v1/destinations", operation="getDestinations")


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> Any:
    mp = Marketplace(seed=1, orders=5)
    monkeypatch.setenv("LWA_APP_ID", SANDBOX_LWA_CLIENT_ID)
    monkeypatch.setenv("LWA_CLIENT_SECRET", SANDBOX_LWA_CLIENT_SECRET)
    monkeypatch.setenv("SP_API_REFRESH_TOKEN", SANDBOX_LWA_REFRESH_TOKEN)
    with mp.serve() as url:
        yield url


def _run(url: str, capsys: pytest.CaptureFixture[str]) -> Callable[..., tuple[int, Any]]:
    def run(*argv: str) -> tuple[int, Any]:
        status = main(
            ["notifications", *argv, "--endpoint", url, "--lwa-endpoint", f"{url}/auth/o2/token"]
        )
        out = capsys.readouterr().out
        return status, json.loads(out) if "--json" in argv else out

    return run


@pytest.mark.slow
def test_cli_setup_status_remove_are_idempotent(
    served: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """setup twice creates once; status shows it; remove twice removes once; all exit 0."""
    run = _run(served, capsys)
    status, first = run("setup", "--queue-arn", ARN, "--json")
    assert status == 0
    assert (first["destination"], first["subscription"]) == ("created", "created")
    assert first["order_change_types"] == ["BuyerRequestedChange", "OrderStatusChange"]
    status, second = run("setup", "--queue-arn", ARN, "--json")
    assert (second["destination"], second["subscription"]) == ("existing", "existing")
    assert second["subscription_id"] == first["subscription_id"]
    status, state = run("status", "--json")
    assert state["subscribed"] is True
    assert state["queue_arn"] == ARN
    status, text = run("status")
    assert first["subscription_id"] in text
    assert ARN in text
    status, removed = run("remove", "--json")
    assert removed == {
        "subscription_removed": first["subscription_id"],
        "destination_removed": first["destination_id"],
    }
    status, again = run("remove", "--json")
    assert (status, again) == (0, {"subscription_removed": None, "destination_removed": None})
    status, state = run("status", "--json")
    assert (state["subscribed"], state["destinations"]) == (False, [])


def test_cli_setup_refuses_to_move_a_subscription_silently(
    served: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """A subscription delivering elsewhere is not replaced behind the user's back."""
    run = _run(served, capsys)
    assert run("setup", "--queue-arn", ARN)[0] == 0
    status = main(
        [
            "notifications",
            "setup",
            "--queue-arn",
            OTHER_ARN,
            "--endpoint",
            served,
            "--lwa-endpoint",
            f"{served}/auth/o2/token",
        ]
    )
    err = capsys.readouterr().err
    assert status == 2
    assert "notifications remove" in err
