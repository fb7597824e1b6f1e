"""The sandbox pushes: its ORDER_CHANGE notifications, delivered to a local SQS queue.

Amazon sends an SP-API notification to an SQS destination as the message body, the
notification JSON itself (``OrderChangeNotification.json``); a queue fed through an SNS topic
receives it inside SNS's envelope instead (``envelope="sns"``). Delivery here is what a
consumer must survive from Amazon: a delay (uniform between ``delay_seconds`` times 0.5 and
1.5, on the marketplace's clock), hence out-of-order arrival of changes that happen close
together, a share of duplicates (delivered again, later) and a share of messages that never
arrive. Only a queue on a loopback address is accepted: the sandbox never sends anywhere else.

Added in 0.2.0.
"""

from __future__ import annotations

import heapq
import itertools
import json
import logging
import os
import random
import threading
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from ipaddress import ip_address
from typing import Any
from urllib.parse import urlsplit

from amzcancel.clock import Clock
from amzcancel.errors import ConfigError
from amzcancel.push import call_sqs

__all__ = ["PushOptions", "SqsPusher"]

logger = logging.getLogger("amzcancel.sandbox.push")

_LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain"})
_PUMP_SECONDS = 0.05  # the served sandbox's delivery thread wakes this often (real time)


@dataclass(frozen=True)
class PushOptions:
    """Where and how the marketplace delivers its ORDER_CHANGE notifications.

    Args:
        queue_url: an SQS queue URL on 127.0.0.1 / localhost (a local server such as moto's).
        delay_seconds: the mean delivery delay (each message takes 0.5x to 1.5x of it).
        loss: the share of notifications never delivered (0 to 1).
        duplicates: the share delivered a second time, later (0 to 1).
        envelope: ``sqs`` (the notification is the body, as Amazon sends to SQS) or ``sns``
            (inside an SNS ``Notification`` envelope, as through an SNS topic).

    Raises:
        ConfigError: a queue not on a loopback address, or a value out of range.

    Added in 0.2.0.
    """

    queue_url: str
    delay_seconds: float = 1.0
    loss: float = 0.0
    duplicates: float = 0.0
    envelope: str = "sqs"

    def __post_init__(self) -> None:
        _check_loopback(self.queue_url)
        if not self.delay_seconds >= 0:
            raise ConfigError(f"push delay must be zero or more seconds, got {self.delay_seconds}")
        for name in ("loss", "duplicates"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ConfigError(f"push {name} must be a probability within 0..1, got {value}")
        if self.envelope not in ("sqs", "sns"):
            raise ConfigError(f"push envelope must be sqs or sns, got {self.envelope!r}")


def _check_loopback(url: str) -> None:
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if parts.scheme not in ("http", "https") or not host:
        raise ConfigError(f"not a queue URL: {url[:200]!r}")
    if host in _LOOPBACK_NAMES:
        return
    try:
        if ip_address(host).is_loopback:
            return
    except ValueError:
        pass
    raise ConfigError(f"the sandbox pushes only to a queue on a loopback address, not {host!r}")


class SqsPusher:
    """Schedules notifications for delivery and sends those that are due; see the module.

    :meth:`pump` sends what is due now (the benchmark calls it as it moves a fake clock);
    :meth:`start` runs it in a background thread for a served sandbox.

    Added in 0.2.0.
    """

    def __init__(
        self, options: PushOptions, *, clock: Clock, seed: int, client: Any = None
    ) -> None:
        self.options = options
        self._clock = clock
        self._rng = random.Random(f"push:{seed}")
        self._client = client if client is not None else _local_client(options.queue_url)
        self._due: list[tuple[datetime, int, str]] = []
        self._order = itertools.count()
        self._lock = threading.Lock()
        self._send_lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self.scheduled = 0
        """Notifications handed to the pusher."""
        self.lost = 0
        """Notifications dropped on purpose (never delivered)."""
        self.duplicated = 0
        """Notifications scheduled a second time."""
        self.sent = 0
        """Messages sent to the queue (duplicates included)."""

    def offer(
        self,
        notifications: list[tuple[datetime, dict[str, Any]]],
        *,
        kinds: frozenset[str] | None = None,
    ) -> None:
        """Schedule ``notifications``, each with the moment of its change (its delay runs from
        there).

        ``kinds`` is the subscription's ``orderChangeTypes`` filter: other change types are
        not sent (``None``: every type).
        """
        opts = self.options
        with self._lock:
            for start, notification in notifications:
                change = notification["Payload"]["OrderChangeNotification"]
                if kinds is not None and change["OrderChangeType"] not in kinds:
                    continue
                self.scheduled += 1
                if self._rng.random() < opts.loss:
                    self.lost += 1
                    continue
                body = self._body(notification)
                copies = 1
                if self._rng.random() < opts.duplicates:
                    copies, self.duplicated = 2, self.duplicated + 1
                delay = 0.0
                for _ in range(copies):
                    # A duplicate comes after the first delivery, never before it.
                    delay += opts.delay_seconds * (0.5 + self._rng.random())
                    due = start + timedelta(seconds=delay)
                    heapq.heappush(self._due, (due, next(self._order), body))

    def _body(self, notification: dict[str, Any]) -> str:
        text = json.dumps(notification, separators=(",", ":"))
        if self.options.envelope == "sqs":
            return text
        stamp = notification.get("EventTime", "")
        return json.dumps(
            {
                "Type": "Notification",
                "MessageId": str(uuid.UUID(int=self._rng.getrandbits(128), version=4)),
                "TopicArn": "arn:aws:sns:us-east-1:000000000000:amzcancel-sandbox",
                "Message": text,
                "Timestamp": stamp,
                "SignatureVersion": "1",
            },
            separators=(",", ":"),
        )

    @property
    def waiting(self) -> int:
        """Messages scheduled and not yet sent."""
        with self._lock:
            return len(self._due)

    def next_due(self) -> datetime | None:
        """When the next message is due, if any."""
        with self._lock:
            return self._due[0][0] if self._due else None

    def pump(self) -> int:
        """Send every message due by now, in due order; returns how many were sent."""
        sent = 0
        with self._send_lock:
            while True:
                now = self._clock.now()
                with self._lock:
                    if not self._due or self._due[0][0] > now:
                        return sent
                    _, _, body = heapq.heappop(self._due)
                call_sqs(
                    "SendMessage",
                    self.options.queue_url,
                    self._client.send_message,
                    QueueUrl=self.options.queue_url,
                    MessageBody=body,
                )
                sent += 1
                with self._lock:
                    self.sent += 1

    def start(self, tick: Any) -> None:
        """Deliver in a background thread: ``tick()`` (the marketplace catching up and handing
        over its news), then :meth:`pump`, every few milliseconds until :meth:`stop`."""

        def loop() -> None:
            while not self._stop.wait(_PUMP_SECONDS):
                try:
                    tick()
                    self.pump()
                except Exception:  # a delivery thread must not die of one bad send
                    logger.exception("sandbox push failed; retrying")

        self._thread = threading.Thread(target=loop, name="amzcancel-sandbox-push", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop the background thread (messages not yet due stay unsent)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)


def _local_client(queue_url: str) -> Any:
    """A boto3 SQS client pointed at the queue's own (loopback) server, never at AWS."""
    try:
        import boto3
    except ImportError:
        raise ConfigError("the sandbox's push needs boto3: pip install 'amzcancel[sqs]'") from None
    parts = urlsplit(queue_url)
    env = os.environ
    return boto3.session.Session().client(
        "sqs",
        endpoint_url=f"{parts.scheme}://{parts.netloc}",
        region_name=env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or "us-east-1",
        # A local server takes any keys; these are used only when none are configured.
        aws_access_key_id=env.get("AWS_ACCESS_KEY_ID") or "sandbox",
        aws_secret_access_key=env.get("AWS_SECRET_ACCESS_KEY") or "sandbox",
    )
