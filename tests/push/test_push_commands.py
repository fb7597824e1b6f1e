"""``amzcancel listen`` and ``amzcancel sandbox serve --push-queue-url`` against moto's SQS."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from contextlib import suppress
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from amzcancel.cli import build_parser
from amzcancel.errors import StoreError
from amzcancel.models import FulfillmentChannel, OrderStatus
from amzcancel.sandbox import (
    SANDBOX_LWA_CLIENT_ID,
    SANDBOX_LWA_CLIENT_SECRET,
    SANDBOX_LWA_REFRESH_TOKEN,
    Marketplace,
    PushOptions,
)
from amzcancel.sync import EventType, SqliteStore

SCHEMA = json.loads(
    (
        Path(__file__).resolve().parents[1] / "amazon_models" / "OrderChangeNotification.json"
    ).read_text(encoding="utf-8")
)


@pytest.mark.slow
def test_listen_applies_pushed_requests_and_stops_on_sigterm(
    queue_url: str, sqs: Any, tmp_path: Path
) -> None:
    """A served sandbox pushes a buyer request; ``amzcancel listen`` stores it; SIGTERM ends
    it with exit 143 and a JSON summary."""
    mp = Marketplace(seed=3, orders=40, push=PushOptions(queue_url, delay_seconds=0.2))
    order = next(
        o
        for o in mp.orders()
        if o.status is OrderStatus.UNSHIPPED
        and o.channel is FulfillmentChannel.MFN
        and not o.open_requests()
    )
    store_path = tmp_path / "listen.db"
    env = {
        **os.environ,
        "LWA_APP_ID": SANDBOX_LWA_CLIENT_ID,
        "LWA_CLIENT_SECRET": SANDBOX_LWA_CLIENT_SECRET,
        "SP_API_REFRESH_TOKEN": SANDBOX_LWA_REFRESH_TOKEN,
    }
    assert mp.pusher is not None
    with mp.serve() as base_url:
        mp.pusher.start(mp.catch_up)
        listen = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "amzcancel.cli",
                "listen",
                "--queue-url",
                queue_url,
                "--store",
                str(store_path),
                "--endpoint",
                base_url,
                "--lwa-endpoint",
                f"{base_url}/auth/o2/token",
                "--account",
                "sandbox",
                "--wait-seconds",
                "1",
                "--reconcile-every",
                "1h",
                "--json",
            ],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            item = order.items[0].order_item_id
            mp.request_cancel(order.amazon_order_id, item, "Ordered by mistake")
            found = False
            for _ in range(600):  # bounded: until the listener has stored the request
                if store_path.exists():
                    with SqliteStore(store_path, read_only=True) as store:
                        found = any(
                            e.type is EventType.BUYER_CANCEL_REQUESTED
                            and e.amazon_order_id == order.amazon_order_id
                            for e in store.events(include_acked=True)
                        )
                if (found and _in_queue(sqs, queue_url) == 0) or listen.poll() is not None:
                    break  # stored, and its message deleted
                time.sleep(0.1)
            listen.send_signal(signal.SIGTERM)
            out, err = listen.communicate(timeout=60)
        finally:
            mp.pusher.stop()
            if listen.poll() is None:
                listen.kill()
    assert found, err
    assert listen.returncode == 143, err
    summary = json.loads(out.strip().splitlines()[-1])
    assert summary["applied"] >= 1
    assert summary["deleted"] == summary["applied"]
    assert "terminated (SIGTERM)" in err


def _in_queue(sqs: Any, url: str) -> int:
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"]) + int(
        attributes["ApproximateNumberOfMessagesNotVisible"]
    )


def test_sandbox_serve_pushes_notifications_in_the_official_schema(
    queue_url: str, sqs: Any
) -> None:
    """``sandbox serve --live --push-queue-url`` delivers ORDER_CHANGE messages whose bodies
    validate against Amazon's schema."""
    from amzcancel._commands.sandbox import _serve

    args = build_parser().parse_args(
        [
            "sandbox",
            "serve",
            "--port",
            "0",
            "--live",
            "--speed",
            "5000",
            "--push-queue-url",
            queue_url,
            "--push-delay",
            "0.05",
        ]
    )
    stop = threading.Event()
    server = threading.Thread(target=_serve, args=(args,), kwargs={"stop": stop}, daemon=True)
    server.start()
    bodies: list[str] = []
    try:
        for _ in range(100):  # bounded long polls of one second
            answer = sqs.receive_message(
                QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=1
            )
            bodies += [m["Body"] for m in answer.get("Messages", [])]
            if len(bodies) >= 3:
                break
    finally:
        stop.set()
        server.join(timeout=30)
    assert len(bodies) >= 3
    check = jsonschema.Draft7Validator(SCHEMA)
    for body in bodies:
        check.validate(json.loads(body))


def test_sandbox_push_refuses_a_queue_off_loopback() -> None:
    """The sandbox never sends anywhere but a local queue."""
    from amzcancel.errors import ConfigError

    with pytest.raises(ConfigError, match="loopback"):
        PushOptions("https://sqs.us-east-1.amazonaws.com/123456789012/orders")


def test_listen_on_a_missing_queue_ends_with_one_line(
    aws_env: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A queue that does not exist is a QueueError: exit 2 and one line naming the queue and
    the SDK's code, with no credential in it."""
    from amzcancel.cli import main

    monkeypatch.setenv("LWA_APP_ID", SANDBOX_LWA_CLIENT_ID)
    monkeypatch.setenv("LWA_CLIENT_SECRET", SANDBOX_LWA_CLIENT_SECRET)
    monkeypatch.setenv("SP_API_REFRESH_TOKEN", SANDBOX_LWA_REFRESH_TOKEN)
    missing = f"{aws_env}/123456789012/no-such-queue"
    status = main(
        [
            "listen",
            "--queue-url",
            missing,
            "--store",
            str(tmp_path / "s.db"),
            "--no-reconcile",
            "--no-confirm",
            "--wait-seconds",
            "0",
        ]
    )
    err = capsys.readouterr().err.strip().splitlines()
    assert status == 2
    assert err[-1].startswith("amzcancel listen: error: SQS ReceiveMessage on " + missing)
    assert "NonExistentQueue" in err[-1]
    assert SANDBOX_LWA_CLIENT_SECRET not in "\n".join(err)
    assert "testing" not in err[-1]  # the fake AWS secret key


def test_sqs_queue_needs_a_region(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without a configured region a local queue URL names none: a ConfigError says what to set."""
    from amzcancel.errors import ConfigError
    from amzcancel.push import SqsQueue

    for name in ("AWS_REGION", "AWS_DEFAULT_REGION", "AWS_PROFILE", "AWS_CONFIG_FILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")
    with pytest.raises(ConfigError, match="AWS_REGION"):
        SqsQueue("http://127.0.0.1:1/123456789012/orders")
    queue = SqsQueue("https://sqs.eu-west-1.amazonaws.com/123456789012/orders")
    assert queue._client.meta.region_name == "eu-west-1"


@pytest.mark.slow
def test_worker_with_a_queue_routes_notifications_to_accounts_by_seller_id(
    queue_url: str, sqs: Any, tmp_path: Path
) -> None:
    """``amzcancel worker --queue-url``: a pushed buyer request reaches the outbox under the
    account whose ``seller_id`` the notification names, long before its next poll (1 h), and
    under no other account; SIGTERM stops the worker and its listener cleanly."""
    from amzcancel.sandbox import SANDBOX_MWS_SELLER_ID

    mp = Marketplace(seed=5, orders=40, speed=50, push=PushOptions(queue_url, delay_seconds=0.2))
    order = next(
        o
        for o in mp.orders()
        if o.status is OrderStatus.UNSHIPPED
        and o.channel is FulfillmentChannel.MFN
        and not o.open_requests()
    )
    store_path = tmp_path / "worker.db"
    env = {
        **os.environ,
        "LWA_APP_ID": SANDBOX_LWA_CLIENT_ID,
        "LWA_CLIENT_SECRET": SANDBOX_LWA_CLIENT_SECRET,
        "SHOP_TOKEN": SANDBOX_LWA_REFRESH_TOKEN,
    }
    assert mp.pusher is not None
    with mp.serve() as base_url:
        config = tmp_path / "accounts.toml"
        config.write_text(
            "".join(
                f'[[accounts]]\nname = "{name}"\nseller_id = "{seller}"\napi = "v0"\n'
                'marketplaces = ["ATVPDKIKX0DER"]\n'
                f'refresh_token_env = "SHOP_TOKEN"\ninterval = "1h"\nendpoint = "{base_url}"\n'
                f'lwa_endpoint = "{base_url}/auth/o2/token"\n\n'
                for name, seller in (("shop", SANDBOX_MWS_SELLER_ID), ("other", "A2OTHERSELLER"))
            )
        )
        mp.pusher.start(mp.catch_up)
        worker = subprocess.Popen(
            [sys.executable, "-m", "amzcancel.cli", "worker", "--config", str(config),
             "--store", str(store_path), "--queue-url", queue_url, "--wait-seconds", "1"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )  # fmt: skip
        try:
            synced = False
            for _ in range(600):  # bounded: until both accounts had their first sync
                if store_path.exists():
                    with suppress(StoreError), SqliteStore(store_path, read_only=True) as store:
                        status = store.account_status()  # (not while the schema is made)
                        synced = len(status) == 2 and all(s.last_success_at for s in status)
                if synced or worker.poll() is not None:
                    break
                time.sleep(0.1)
            assert synced, worker.stderr.read() if worker.poll() is not None else "not synced"
            item = order.items[0].order_item_id
            mp.request_cancel(order.amazon_order_id, item, "Ordered by mistake")
            events: list[Any] = []
            for _ in range(600):  # bounded: until the listener has stored the request
                with SqliteStore(store_path, read_only=True) as store:
                    events = [
                        e
                        for e in store.events(include_acked=True)
                        if e.type is EventType.BUYER_CANCEL_REQUESTED
                        and e.amazon_order_id == order.amazon_order_id
                    ]
                if events or worker.poll() is not None:
                    break
                time.sleep(0.1)
            worker.send_signal(signal.SIGTERM)
            _, err = worker.communicate(timeout=60)
        finally:
            mp.pusher.stop()
            if worker.poll() is None:
                worker.kill()
    assert [e.account for e in events] == ["shop"], err
    assert worker.returncode == 0, err
    assert f"notifications from {queue_url}" in err


def test_worker_with_a_queue_needs_each_accounts_seller_id(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Several accounts and one without ``seller_id``: the notifications could not be routed,
    so the worker refuses to start, in one line."""
    from amzcancel.cli import main

    config = tmp_path / "accounts.toml"
    config.write_text(
        '[[accounts]]\nname = "a"\nrefresh_token_env = "T"\nseller_id = "A1X"\n'
        'marketplaces = ["ATVPDKIKX0DER"]\n\n'
        '[[accounts]]\nname = "b"\nrefresh_token_env = "T"\nmarketplaces = ["ATVPDKIKX0DER"]\n'
    )
    status = main(["worker", "--config", str(config), "--store", str(tmp_path / "s.db"),
                   "--queue-url", "http://127.0.0.1:9/queue/q"])  # fmt: skip
    err = capsys.readouterr().err
    assert status == 2
    assert "no seller id" in err
    assert len(err.strip().splitlines()) == 1
