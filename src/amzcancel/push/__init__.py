"""Push: ORDER_CHANGE notifications from Amazon SQS into the store, in seconds.

::

    import asyncio
    from amzcancel.push import Listener, PushAccount, SqsQueue
    from amzcancel.sync import OrderSync, open_store

    store = open_store("amzcancel.db")
    sync = OrderSync(store=store)                      # credentials from the environment
    listener = Listener(
        queue=SqsQueue("https://sqs.us-east-1.amazonaws.com/123456789012/amzcancel"),
        store=store,
        accounts=[PushAccount(sync.account, sync=sync)],
    )
    asyncio.run(listener.run(asyncio.Event()))         # until cancelled

Reading SQS needs boto3 (``pip install 'amzcancel[sqs]'``); see ``docs/push.md``.

Added in 0.2.0.
"""

from __future__ import annotations

from amzcancel.push._confirm import DEFAULT_MAX_PENDING, Confirmer, PushAccount
from amzcancel.push._listener import (
    DEFAULT_RECONCILE_SECONDS,
    BatchOutcome,
    Listener,
    ListenerStats,
)
from amzcancel.push._queue import (
    DEFAULT_MAX_MESSAGES,
    DEFAULT_WAIT_SECONDS,
    MessageQueue,
    QueueMessage,
    SqsQueue,
    call_sqs,
    in_daemon_thread,
    make_sqs_client,
)

__all__ = [
    "DEFAULT_MAX_MESSAGES",
    "DEFAULT_MAX_PENDING",
    "DEFAULT_RECONCILE_SECONDS",
    "DEFAULT_WAIT_SECONDS",
    "BatchOutcome",
    "Confirmer",
    "Listener",
    "ListenerStats",
    "MessageQueue",
    "PushAccount",
    "QueueMessage",
    "SqsQueue",
    "call_sqs",
    "in_daemon_thread",
    "make_sqs_client",
]
