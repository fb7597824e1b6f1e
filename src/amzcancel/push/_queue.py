"""The queue side of push: Amazon SQS through boto3, awaited without blocking the loop.

Why boto3 in a thread and not aiobotocore: boto3 is the AWS SDK users already have and
configure (credentials, region, ``AWS_ENDPOINT_URL_SQS``, profiles, SSO all come from its
standard chain), it does not pin an exact botocore release the way aiobotocore must, and a
consumer makes about three SQS calls per 20-second long poll, so a thread per call costs
nothing. Each call runs in a *daemon* thread whose result is handed back to the event loop:
stopping the listener never waits for a long poll to end. Messages a dropped poll had taken
are not lost: SQS shows them again when their visibility timeout ends.

Added in 0.2.0.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from amzcancel.errors import ConfigError, QueueError

__all__ = [
    "DEFAULT_MAX_MESSAGES",
    "DEFAULT_WAIT_SECONDS",
    "MessageQueue",
    "QueueMessage",
    "SqsQueue",
    "call_sqs",
    "in_daemon_thread",
    "make_sqs_client",
]

logger = logging.getLogger("amzcancel.push.queue")

DEFAULT_WAIT_SECONDS = 20
"""SQS long polling: the longest ``WaitTimeSeconds`` SQS allows (fewest empty receives)."""

DEFAULT_MAX_MESSAGES = 10
"""The most messages one ``ReceiveMessage`` returns."""

_BATCH = 10  # DeleteMessageBatch / ChangeMessageVisibilityBatch take at most 10 entries
# https://sqs.REGION.amazonaws.com/ACCOUNT/NAME (also the legacy REGION.queue.amazonaws.com)
_REGION_IN_URL = re.compile(r"^https?://(?:sqs\.)?([a-z]{2}(?:-[a-z]+)+-\d)\.")

T = TypeVar("T")


@dataclass(frozen=True)
class QueueMessage:
    """One received message.

    Added in 0.2.0.
    """

    message_id: str
    """SQS's ``MessageId`` (each duplicate delivery by Amazon has its own)."""
    receipt_handle: str
    """What deleting or extending this delivery takes."""
    body: str
    """The message body: for SP-API notifications, the notification JSON itself."""
    receive_count: int = 1
    """``ApproximateReceiveCount``: how often SQS has handed this message out."""


class MessageQueue(Protocol):
    """What the listener needs of a queue (an :class:`SqsQueue`, or a test double).

    Added in 0.2.0.
    """

    async def receive(self) -> list[QueueMessage]:
        """Long-poll for up to a batch of messages (an empty list when none came)."""
        ...

    async def delete(self, messages: Sequence[QueueMessage]) -> list[QueueMessage]:
        """Delete these deliveries; returns those SQS refused to delete."""
        ...

    async def extend(self, messages: Sequence[QueueMessage], seconds: int) -> None:
        """Keep these deliveries invisible for ``seconds`` more (a slow batch)."""
        ...


async def in_daemon_thread(call: Callable[[], T]) -> T:
    """Run a blocking ``call`` in a daemon thread and await its result.

    Unlike :func:`asyncio.to_thread`, an abandoned call (the task was cancelled) never holds
    up the interpreter's exit: its thread is a daemon and its result is dropped.
    """
    loop = asyncio.get_running_loop()
    future: asyncio.Future[T] = loop.create_future()

    def settle(outcome: Callable[[], None]) -> None:
        if not future.done():
            outcome()

    def run() -> None:
        try:
            result = call()
        except BaseException as exc:  # handed to the awaiting task, which decides
            error = exc
            deliver: Callable[[], None] = lambda: settle(lambda: future.set_exception(error))  # noqa: E731
        else:
            deliver = lambda: settle(lambda: future.set_result(result))  # noqa: E731
        # The loop may have closed meanwhile: then nobody is waiting any more.
        with contextlib.suppress(RuntimeError):
            loop.call_soon_threadsafe(deliver)

    threading.Thread(target=run, name="amzcancel-sqs", daemon=True).start()
    return await future


class SqsQueue:
    """An Amazon SQS queue (or a compatible server such as moto's), through boto3.

    Credentials, region and endpoint come from boto3's standard configuration (environment,
    shared config files, instance roles); ``AWS_ENDPOINT_URL_SQS`` points it at a local
    server. When no region is configured, the one in an AWS queue URL is used.

    Args:
        queue_url: the queue's URL (``https://sqs.us-east-1.amazonaws.com/123456789012/name``).
        wait_seconds: ``WaitTimeSeconds`` of each receive (0 to 20; default 20).
        max_messages: ``MaxNumberOfMessages`` of each receive (1 to 10; default 10).
        client: a boto3 SQS client to use instead of making one.

    Raises:
        ConfigError: boto3 is not installed (``pip install 'amzcancel[sqs]'``), or an argument
            is out of range.

    Added in 0.2.0.
    """

    def __init__(
        self,
        queue_url: str,
        *,
        wait_seconds: int = DEFAULT_WAIT_SECONDS,
        max_messages: int = DEFAULT_MAX_MESSAGES,
        client: Any = None,
    ) -> None:
        if not isinstance(queue_url, str) or not queue_url.startswith(("http://", "https://")):
            raise ConfigError(f"not a queue URL: {str(queue_url)[:200]!r}")
        if isinstance(wait_seconds, bool) or not 0 <= wait_seconds <= DEFAULT_WAIT_SECONDS:
            raise ConfigError(f"wait_seconds must be 0 to 20, got {wait_seconds!r}")
        if isinstance(max_messages, bool) or not 1 <= max_messages <= DEFAULT_MAX_MESSAGES:
            raise ConfigError(f"max_messages must be 1 to 10, got {max_messages!r}")
        self.queue_url = queue_url
        self.wait_seconds = wait_seconds
        self.max_messages = max_messages
        self._client = client if client is not None else make_sqs_client(queue_url)

    async def receive(self) -> list[QueueMessage]:
        """``ReceiveMessage`` (long poll); see :class:`MessageQueue`."""
        answer = await in_daemon_thread(
            lambda: self._call(
                "ReceiveMessage",
                self._client.receive_message,
                QueueUrl=self.queue_url,
                MaxNumberOfMessages=self.max_messages,
                WaitTimeSeconds=self.wait_seconds,
                MessageSystemAttributeNames=["ApproximateReceiveCount"],
            )
        )
        return [_message(raw) for raw in answer.get("Messages", [])]

    async def delete(self, messages: Sequence[QueueMessage]) -> list[QueueMessage]:
        """``DeleteMessageBatch``, ten at a time; see :class:`MessageQueue`."""
        failed: list[QueueMessage] = []
        for start in range(0, len(messages), _BATCH):
            chunk = list(messages[start : start + _BATCH])
            answer = await in_daemon_thread(
                lambda chunk=chunk: self._call(  # type: ignore[misc]
                    "DeleteMessageBatch",
                    self._client.delete_message_batch,
                    QueueUrl=self.queue_url,
                    Entries=[
                        {"Id": str(i), "ReceiptHandle": m.receipt_handle}
                        for i, m in enumerate(chunk)
                    ],
                )
            )
            for entry in answer.get("Failed", []):
                failed.append(chunk[int(entry["Id"])])
                logger.warning(
                    "SQS did not delete message %s: %s",
                    chunk[int(entry["Id"])].message_id,
                    entry.get("Code", "unknown error"),
                )
        return failed

    async def extend(self, messages: Sequence[QueueMessage], seconds: int) -> None:
        """``ChangeMessageVisibilityBatch``, ten at a time; see :class:`MessageQueue`."""
        for start in range(0, len(messages), _BATCH):
            chunk = list(messages[start : start + _BATCH])
            await in_daemon_thread(
                lambda chunk=chunk: self._call(  # type: ignore[misc]
                    "ChangeMessageVisibilityBatch",
                    self._client.change_message_visibility_batch,
                    QueueUrl=self.queue_url,
                    Entries=[
                        {
                            "Id": str(i),
                            "ReceiptHandle": m.receipt_handle,
                            "VisibilityTimeout": seconds,
                        }
                        for i, m in enumerate(chunk)
                    ],
                )
            )

    def _call(self, operation: str, method: Callable[..., Any], **kwargs: Any) -> Any:
        return call_sqs(operation, self.queue_url, method, **kwargs)

    def __repr__(self) -> str:
        return f"SqsQueue({self.queue_url!r}, wait_seconds={self.wait_seconds})"


def make_sqs_client(queue_url: str) -> Any:
    """A boto3 SQS client from the standard AWS configuration (region from the URL if unset).

    Raises:
        ConfigError: boto3 is not installed.

    Added in 0.2.0.
    """
    try:
        import boto3
    except ImportError:
        raise ConfigError(
            "reading an SQS queue needs boto3: pip install 'amzcancel[sqs]'"
        ) from None
    session = boto3.session.Session()
    region = session.region_name
    if region is None:
        found = _REGION_IN_URL.match(queue_url)
        region = found.group(1) if found else None
    if region is None:
        raise ConfigError(
            "no AWS region: set AWS_REGION (or AWS_DEFAULT_REGION) or an AWS config profile"
        )
    return session.client("sqs", region_name=region)


def call_sqs(operation: str, queue_url: str, method: Callable[..., Any], **kwargs: Any) -> Any:
    """Call one boto3 SQS method, turning the SDK's failures into :class:`QueueError`.

    Added in 0.2.0.
    """
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        return method(**kwargs)
    except ClientError as exc:
        error = exc.response.get("Error", {})
        code = str(error.get("Code") or "unknown")
        message = str(error.get("Message") or "")
        raise QueueError(
            f"SQS {operation} on {queue_url} failed: {code}: {message}".rstrip(": "), code=code
        ) from None
    except BotoCoreError as exc:
        # NoCredentialsError, EndpointConnectionError...: the SDK's text names no secret.
        raise QueueError(
            f"SQS {operation} on {queue_url} failed: {exc}", code=type(exc).__name__
        ) from None


def _message(raw: Any) -> QueueMessage:
    attributes = raw.get("Attributes") or {}
    try:
        count = int(attributes.get("ApproximateReceiveCount", 1))
    except (TypeError, ValueError):
        count = 1
    return QueueMessage(
        message_id=str(raw.get("MessageId", "")),
        receipt_handle=str(raw["ReceiptHandle"]),
        body=str(raw.get("Body", "")),
        receive_count=count,
    )
